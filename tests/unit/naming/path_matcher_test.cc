#include "meshd/naming/path_matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/naming/naming_test_util.h"

namespace meshd::naming {
namespace {

using testing::path;

// The captures as `a=x,b=y` (sorted by name), or `no match`.
std::string show(const std::optional<PathMatcher::Captures>& captures) {
  if (!captures) {
    return "no match";
  }
  std::string out;
  for (const auto& [name, value] : *captures) {
    out += (out.empty() ? "" : ",") + name + "=" + value;
  }
  return out;
}

struct ExtractCase {
  std::string pattern;
  dtab::Path path;
  std::string expected;
};

TEST(PathMatcher, ExtractVectors) {
  const std::vector<ExtractCase> cases = {
      // literals, prefix match
      {"/foo/bar", path("/foo/bar"), ""},
      {"/foo/bar", path("/foo/bar/bas"), ""},
      {"/foo/bar", path("/foo/goo"), "no match"},
      {"/foo/bar", path("/foo"), "no match"},
      {"foo/bar/", path("/foo/bar"), ""},
      {"/", path("/anything"), ""},
      // `*` is any one label
      {"/foo/*/bar", path("/foo/x/bar/y"), ""},
      {"/foo/*/bar", path("/foo/x/baz"), "no match"},
      {"/*", path("/"), "no match"},
      // captures
      {"/{port}/{ns}/{svc}", path("/http/default/web/extra"), "ns=default,port=http,svc=web"},
      {"/{a}-{b}", path("/a-b-c"), "a=a-b,b=c"},
      {"/{x}.svc", path("/a.svc.b.svc.c"), "x=a.svc.b"},
      {"/pre{x}post{y}", path("/zzpre1post2post3"), "x=1post2,y=3"},
      // unanchored find: text around the match is ignored
      {"/foo-{x}", path("/barfoo-1"), "x=1"},
      {"/foo-{x}", path("/foo"), "no match"},
      {"/{x}-foo", path("/a-foo-b"), "x=a"},
      {"/{x}", path("/anything"), "x=anything"},
      // capture names: `[A-Za-z0-9.]` and `:` to `_`; anything else is literal text
      {"/{a:b}/{C_D.e}", path("/1/2"), "C_D.e=2,a:b=1"},
      {"/{}", dtab::Path::of({"{}"}), ""},
      {"/{a-b}", dtab::Path::of({"{a-b}"}), ""},
      {"/{a-b}", path("/x"), "no match"},
      // a name captured twice keeps the later value
      {"/{a}/{a}", path("/x/y"), "a=y"},
      // a capture does not cross a line terminator, like Java's `.`
      {"/{x}", dtab::Path::of({"a\nb"}), "x=a"},
      {"/{x}-{y}", dtab::Path::of({"a\nb-c"}), "x=b,y=c"},
  };
  for (const auto& c : cases) {
    const PathMatcher matcher(c.pattern);

    EXPECT_EQ(show(matcher.extract(c.path)), c.expected) << c.pattern << " on " << c.path.show();
  }
}

TEST(PathMatcher, LiteralSegmentsMustBeEqualNotFound) {
  const PathMatcher matcher("/foo");

  EXPECT_EQ(show(matcher.extract(path("/xfoo"))), "no match");
  EXPECT_EQ(show(matcher.extract(path("/foox"))), "no match");
}

TEST(PathMatcher, HostileLabelsAreMatchedInLinearTime) {
  const PathMatcher matcher("/{a}-{b}-{c}x");
  const dtab::Path dashes = dtab::Path::of({std::string(20000, '-')});
  const dtab::Path hit = dtab::Path::of({std::string(20000, '-') + "x"});

  EXPECT_EQ(show(matcher.extract(dashes)), "no match");
  EXPECT_EQ(show(matcher.extract(hit)), "a=" + std::string(19998, '-') + ",b=,c=");
}

TEST(PathMatcher, SubstitutesCapturesInOnePass) {
  const PathMatcher::Captures captures = {{"ns", "default"}, {"svc", "web"}, {"b", "{ns}"}};

  EXPECT_EQ(PathMatcher::substitute("/k8s/{ns}/{svc}", captures), "/k8s/default/web");
  EXPECT_EQ(PathMatcher::substitute("{svc}.{ns}.svc.cluster.local", captures),
            "web.default.svc.cluster.local");
  EXPECT_EQ(PathMatcher::substitute("/{b}/{unknown}/{}", captures), "/{ns}/{unknown}/{}");
}

TEST(PathMatcher, SubstitutesFromAPath) {
  const PathMatcher matcher("/{port}/{ns}/{svc}");

  EXPECT_EQ(matcher.substitute(path("/http/default/web/x"), "/k8s/{ns}/{port}/{svc}"),
            "/k8s/default/http/web");
  EXPECT_EQ(matcher.substitute(path("/http/default"), "/k8s/{ns}"), std::nullopt);
  EXPECT_EQ(matcher.pattern(), "/{port}/{ns}/{svc}");
}

}  // namespace
}  // namespace meshd::naming
