#include "meshd/dtab/bind.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "meshd/dtab/dtab.h"

namespace meshd::dtab {
namespace {

using BoundTree = NameTree<BoundName>;
using Lookup = Activity<NameTree<Name>>;

Path path(std::string_view text) { return Path::read(text).value(); }

// A lookup like Finagle's DefaultInterpreter: the dtab, and when it says Neg, a fake namer that
// binds `/$/inet/<host>/<port>/residual...` and answers scripted activities for other paths.
class FakeInterpreter {
 public:
  explicit FakeInterpreter(std::string_view dtab) : dtab_(Dtab::read(dtab).value()) {}

  void script(std::string_view p, Lookup activity) { scripted_[path(p)] = std::move(activity); }

  NameLookup lookup() const {
    return [this](const Path& p) { return lookup_one(p); };
  }

  Activity<BoundTree> bind(std::string_view p, int max_depth = kDefaultMaxDepth) const {
    return dtab::bind(lookup(), path(p), max_depth);
  }

  int lookups() const { return lookups_; }

 private:
  Lookup lookup_one(const Path& p) const {
    ++lookups_;
    NameTree<Path> tree = dtab_.lookup(p);
    if (tree.kind() != NameTree<Path>::Kind::Neg) {
      return Lookup::ok(tree.map([](const Path& x) { return Name(x); }));
    }
    if (auto it = scripted_.find(p); it != scripted_.end()) {
      return it->second;
    }
    if (p.size() >= 4 && p.take(2) == Path::of({"$", "inet"})) {
      auto addr = std::make_shared<const Addr>(Addr::bound({{p.elems()[2], 1, {}}}));
      return Lookup::ok(NameTree<Name>::leaf(BoundName{p.take(4), p.drop(4), addr}));
    }
    return Lookup::ok(NameTree<Name>::neg());
  }

  Dtab dtab_;
  std::map<Path, Lookup> scripted_;
  mutable int lookups_ = 0;
};

std::string show(const Activity<BoundTree>& a) {
  switch (a.state) {
    case Activity<BoundTree>::State::Ok:
      return a.value.show();
    case Activity<BoundTree>::State::Pending:
      return "pending";
    case Activity<BoundTree>::State::Failed:
      break;
  }
  return "failed: " + a.failure;
}

struct BindCase {
  std::string dtab;
  std::string path;
  std::string result;
};

TEST(Bind, FollowsTheDtabToBoundNames) {
  const std::vector<BindCase> cases = {
      {"/svc=>/$/inet/a/1", "/svc/x", "/$/inet/a/1"},
      {"/svc=>/$/inet/a/1;/svc=>/nowhere", "/svc", "/$/inet/a/1"},
      {"/svc=>/$/inet/a/1;/svc=>/nowhere;/nowhere=>~", "/svc", "/$/inet/a/1"},
      {"/svc=>/$/inet/a/1;/svc=>!", "/svc", "!"},
      {"/svc=>/$/inet/a/1;/svc=>$", "/svc", "$"},
      {"/svc=>/$/inet/a/1;/svc=>~", "/svc", "/$/inet/a/1"},
      {"/svc=>/$/inet/a/1;/svc=>/$/inet/b/1", "/svc", "/$/inet/b/1"},
      {"/svc=>! & !", "/svc", "~"},
      {"/svc=>~ & !", "/svc", "~"},
      {"/svc=>$ & /$/inet/a/1", "/svc", "$ & /$/inet/a/1"},
      {"/svc=>/$/inet/a/1 & /nowhere", "/svc", "/$/inet/a/1"},
      {"/svc=>2*/$/inet/a/1 & 3*/$/inet/b/1", "/svc", "2.00*/$/inet/a/1 & 3.00*/$/inet/b/1"},
      {"/svc=>/host;/host=>/$/inet/a/1 | /$/inet/b/1", "/svc", "/$/inet/a/1"},
      {"/svc=>/a | /b;/a=>/x | !;/b=>/$/inet/b/1", "/svc", "!"},
      {"/svc=>/a | /b;/a=>/x | ~;/b=>/$/inet/b/1", "/svc", "/$/inet/b/1"},
      {"/svc=>/x", "/svc", "~"},
      {"", "/nothing", "~"},
      {"/$/inet/a/1=>~", "/$/inet/a/1", "/$/inet/a/1"},
      {"/$/inet/a/1=>~;/$/inet=>~", "/$/inet/a/1", "~"},
      {"/svc=>/$/inet/a/1 | ~;/svc=>(/y | /z) & /$/inet/b/1", "/svc", "/$/inet/b/1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.dtab + " @ " + c.path);

    const auto result = FakeInterpreter(c.dtab).bind(c.path);

    EXPECT_EQ(show(result), c.result);
  }
}

TEST(Bind, KeepsTheResidualOfTheNamer) {
  const auto result = FakeInterpreter("/svc=>/$/inet/a/1").bind("/svc/x/y");

  ASSERT_TRUE(result.is_ok());
  ASSERT_EQ(result.value.kind(), BoundTree::Kind::Leaf);
  EXPECT_EQ(result.value.value().id, path("/$/inet/a/1"));
  EXPECT_EQ(result.value.value().residual, path("/x/y"));
  EXPECT_EQ(result.value.value().addr->addresses.front().host, "a");
}

TEST(Bind, RecordsTheInnermostUnionWeight) {
  const auto result =
      FakeInterpreter("/svc=>2*(3*/$/inet/a/1 & /$/inet/b/1) & /$/inet/c/1;/one=>5*/$/inet/d/1")
          .bind("/svc");
  const auto single = FakeInterpreter("/svc=>5*/$/inet/d/1 & ~").bind("/svc");
  const auto plain = FakeInterpreter("/svc=>/$/inet/d/1").bind("/svc");

  ASSERT_TRUE(result.is_ok());
  const auto& outer = result.value.weighted();
  ASSERT_EQ(outer.size(), 2u);
  EXPECT_EQ(outer[0].weight, 2.0);
  EXPECT_EQ(outer[0].tree.weighted()[0].tree.value().weight, 3.0);
  EXPECT_EQ(outer[0].tree.weighted()[1].tree.value().weight, 1.0);
  EXPECT_EQ(outer[1].tree.value().weight, 1.0);
  ASSERT_TRUE(single.is_ok());
  EXPECT_EQ(single.value.value().weight, 5.0);
  EXPECT_EQ(plain.value.value().weight, 1.0);
}

TEST(Bind, PropagatesPendingAndFailureThroughAlts) {
  FakeInterpreter interp("/svc=>/$/inet/a/1;/svc=>/wait;/f=>/$/inet/a/1;/f=>/bad");
  interp.script("/wait", Lookup::pending());
  interp.script("/bad", Lookup::failed("boom"));

  EXPECT_EQ(show(interp.bind("/svc")), "pending");
  EXPECT_EQ(show(interp.bind("/f")), "failed: boom");
}

TEST(Bind, ToleratesFailingUnionMembers) {
  FakeInterpreter interp(
      "/u1=>/$/inet/a/1 & /bad;/u2=>/wait & /$/inet/a/1;/u3=>/wait & /bad & /bad2;"
      "/u4=>/wait & /wait;/u5=>/bad2 & /bad");
  interp.script("/wait", Lookup::pending());
  interp.script("/bad", Lookup::failed("boom"));
  interp.script("/bad2", Lookup::failed("second"));

  EXPECT_EQ(show(interp.bind("/u1")), "/$/inet/a/1");
  EXPECT_EQ(show(interp.bind("/u2")), "/$/inet/a/1");
  EXPECT_EQ(show(interp.bind("/u3")), "failed: boom");
  EXPECT_EQ(show(interp.bind("/u4")), "pending");
  EXPECT_EQ(show(interp.bind("/u5")), "failed: second");
}

TEST(Bind, BindsAltsLazily) {
  FakeInterpreter interp("/svc=>/later;/svc=>/$/inet/a/1");

  const auto result = interp.bind("/svc");

  EXPECT_EQ(show(result), "/$/inet/a/1");
  EXPECT_EQ(interp.lookups(), 2);  // /svc, then /$/inet/a/1; /later is never looked up
}

// A chain /p0 => /p1; /p1 => /p2; ... of `n` rewrites, ending in `last`.
std::string chain(int n, std::string_view last) {
  std::string dtab;
  for (int i = 0; i < n; ++i) {
    dtab += "/p" + std::to_string(i) + "=>/p" + std::to_string(i + 1) + ";";
  }
  return dtab + "/p" + std::to_string(n) + "=>" + std::string(last);
}

TEST(Bind, AllowsOneHundredLookupsAndFailsTheNext) {
  const std::string kMaxDepth = "failed: Max recursion level: 100 reached in Namer lookup";

  EXPECT_EQ(show(FakeInterpreter(chain(98, "/end")).bind("/p0")), "~");  // 99 rewrites
  EXPECT_EQ(show(FakeInterpreter(chain(99, "/end")).bind("/p0")), kMaxDepth);
  EXPECT_EQ(show(FakeInterpreter(chain(98, "/$/inet/a/1")).bind("/p0")), "/$/inet/a/1");
  EXPECT_EQ(show(FakeInterpreter(chain(99, "/$/inet/a/1")).bind("/p0")), kMaxDepth);
  EXPECT_EQ(show(FakeInterpreter("/foo/bar=>/bar/foo;/bar/foo=>/foo/bar").bind("/foo/bar")),
            kMaxDepth);
  EXPECT_EQ(show(FakeInterpreter("/a=>/b;/b=>/c").bind("/a", 1)),
            "failed: Max recursion level: 1 reached in Namer lookup");
  EXPECT_EQ(show(FakeInterpreter("/a=>/b;/b=>/c").bind("/a", 2)),
            "failed: Max recursion level: 2 reached in Namer lookup");
  EXPECT_EQ(show(FakeInterpreter("/a=>/b;/b=>/c").bind("/a", 3)), "~");  // 3 lookups
}

TEST(Bind, DepthOverflowInOneUnionMemberIsTolerated) {
  const auto result = FakeInterpreter(chain(99, "/end") + ";/svc=>/p0 & /$/inet/a/1").bind("/svc");

  EXPECT_EQ(show(result), "/$/inet/a/1");
}

TEST(Bind, BindsAnAlreadyBoundTree) {
  const BoundName bound{path("/#/io.l5d.fs/web"), Path(), std::make_shared<const Addr>()};
  const NameTree<Name> tree =
      NameTree<Name>::union_({{4.0, NameTree<Name>::leaf(bound)}, {1.0, NameTree<Name>::neg()}});

  const auto result = dtab::bind(FakeInterpreter("").lookup(), tree);

  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(result.value.value().id, bound.id);
  EXPECT_EQ(result.value.value().weight, 4.0);
}

TEST(Bind, BoundNamesCompareById) {
  const BoundName a{path("/x"), path("/r1"), nullptr, 1.0};
  const BoundName b{path("/x"), path("/r2"), std::make_shared<const Addr>(), 3.0};

  EXPECT_EQ(a, b);
  EXPECT_EQ(Name(a), Name(b));
  EXPECT_NE(Name(a), Name(path("/x")));
  EXPECT_EQ(Name(a).show(), "/x");
}

}  // namespace
}  // namespace meshd::dtab
