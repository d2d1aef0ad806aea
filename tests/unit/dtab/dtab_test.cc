#include "meshd/dtab/dtab.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshd::dtab {
namespace {

Dtab parse(std::string_view text) { return Dtab::read(text).value(); }
Path path(std::string_view text) { return Path::read(text).value(); }

TEST(DtabParser, ReadsAndShowsDtabs) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"   \n\t ", ""},
      {"# only a comment", ""},
      {"/a=>/b", "/a=>/b"},
      {"/a=>/b;", "/a=>/b"},
      {" /a => /b ; /c/*/d => /e | /f ; ", "/a=>/b;/c/*/d=>/e | /f"},
      {"/svc => /#/io.l5d.fs ;\n# comment ; /x=>/y\n/svc/x => 2*/a & 0.5*/b;",
       "/svc=>/#/io.l5d.fs;/svc/x=>2.00*/a & 0.50*/b"},
      {"/a=>/b;#c\n/c=>/d", "/a=>/b;/c=>/d"},
      {"/=>!", "/=>!"},
      {"/s#=>~;/s=>$", "/s#=>~;/s=>$"},
      {"/\\x2f=>~", "/\\x2f=>~"},
      {"/ph => /$/io.buoyant.rinet ; # Lookup the name in DNS\n"
       "/svc => /ph/80 ; # Use port 80 if unspecified\n"
       "/srv => /$/io.buoyant.porthostPfx/ph ;",
       "/ph=>/$/io.buoyant.rinet;/svc=>/ph/80;/srv=>/$/io.buoyant.porthostPfx/ph"},
  };
  for (const auto& [input, shown] : cases) {
    SCOPED_TRACE(input);

    const auto dtab = Dtab::read(input);

    ASSERT_TRUE(dtab.has_value()) << dtab.error().message;
    EXPECT_EQ(dtab->show(), shown);
    EXPECT_EQ(Dtab::read(dtab->show()).value(), *dtab);
  }
}

TEST(DtabParser, ReportsFinagleErrorText) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {";", "'/' expected but ';' found at '[;]'"},
      {" ; ", "'/' expected but ';' found at ' [;] '"},
      {"/a=>/b;;", "'/' expected but ';' found at '/a=>/b;[;]'"},
      {";/a=>/b", "'/' expected but ';' found at '[;]/a=>/b'"},
      {"/a=>/b /c=>/d", "end of input expected but '/' found at '/a=>/b [/]c=>/d'"},
      {"/a=>/b)", "end of input expected but ')' found at '/a=>/b[)]'"},
      {"/a=>/b,/c=>/d", "end of input expected but ',' found at '/a=>/b[,]/c=>/d'"},
      {"/a= >/b", "'>' expected but ' ' found at '/a=[ ]>/b'"},
      {"/a=>/b;/c", "'=' expected but end of input found at '/a=>/b;/c[]'"},
      {"/a=>/b\\x2", "hex char expected but end of input found at '/a=>/b\\x2[]'"},
      {"/a=>(/b", "')' expected but end of input found at '/a=>(/b[]'"},
      {"/foo=>/bar & .* /baz", "weight expected but '*' found at '/foo=>/bar & .[*] /baz'"},
  };
  for (const auto& [input, message] : cases) {
    SCOPED_TRACE(input);

    const auto dtab = Dtab::read(input);

    ASSERT_FALSE(dtab.has_value());
    EXPECT_EQ(dtab.error().message, message);
  }
}

TEST(Dtab, ConstantsAndToString) {
  EXPECT_EQ(Dtab::fail().show(), "/=>!");
  EXPECT_EQ(Dentry::nop().show(), "/\\x2f=>~");
  EXPECT_EQ(parse("/a=>/b").to_string(), "Dtab(/a=>/b)");
  EXPECT_TRUE(Dtab().empty());
  EXPECT_EQ(Dtab().show(), "");
}

TEST(Dtab, ConcatenatesAndIterates) {
  const Dtab a = parse("/a=>/b");
  const Dtab b = parse("/c=>/d;/e=>/f");

  const Dtab ab = a + b;
  const Dtab appended = a + Dentry::read("/x=>/y").value();

  EXPECT_EQ(ab.show(), "/a=>/b;/c=>/d;/e=>/f");
  EXPECT_EQ(ab.size(), 3u);
  EXPECT_EQ(a + Dtab(), a);
  EXPECT_EQ(appended.show(), "/a=>/b;/x=>/y");
  std::string prefixes;
  for (const Dentry& d : ab) {
    prefixes += d.prefix.show();
  }
  EXPECT_EQ(prefixes, "/a/c/e");
}

struct LookupCase {
  std::string dtab;
  std::string path;
  std::string result;
};

TEST(Dtab, LookupRewritesOneStep) {
  const std::vector<LookupCase> cases = {
      {"/s=>/a", "/s/x", "/a/x"},
      {"/s=>/a;/s=>/b", "/s/x", "/b/x | /a/x"},
      {"/s=>/a;/t=>/c;/s/x=>/b", "/s/x/y", "/b/y | /a/x/y"},
      {"/s=>/a", "/t", "~"},
      {"/s=>/a", "/s#/foo", "~"},
      {"/a/*/c=>/d", "/a/b/c/e/f", "/d/e/f"},
      {"/s=>/a & 2*/b | ! | ~ | $", "/s/x/y", "/a/x/y & 2.00*/b/x/y | ! | ~ | $"},
      {"/=>/r", "/", "/r"},
      {"/=>/r", "/x", "/r/x"},
      {"/*=>/r", "/", "~"},
      {"/s=>~", "/s", "~"},
      {"/s=>~;/s=>~", "/s", "~ | ~"},
      {"/s=>!", "/s/x", "!"},
      {"/s=>/", "/s/x", "/x"},
      {"/s/x=>/a/b", "/s/x", "/a/b"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.dtab + " @ " + c.path);

    const NameTree<Path> result = parse(c.dtab).lookup(path(c.path));

    EXPECT_EQ(result.show(), c.result);
  }
}

TEST(Dtab, LookupKeepsSingleMatchUnwrappedAndSeveralInAnAlt) {
  const Dtab dtab = parse("/s=>~;/s=>~;/t=>~");

  EXPECT_EQ(dtab.lookup(path("/t")), NameTree<Path>::neg());
  EXPECT_EQ(dtab.lookup(path("/s")).kind(), NameTree<Path>::Kind::Alt);
  EXPECT_EQ(dtab.lookup(path("/s")).alts().size(), 2u);
}

TEST(Dtab, SimplifiesDstsAndDropsNegDentries) {
  EXPECT_EQ(parse("/a=>~ | /b;/c=>~;/d=>! & ~;/e=>/f | !").simplified().show(),
            "/a=>/b;/e=>/f | !");
}

TEST(Dtab, StripsAnExactPrefix) {
  const Dtab d = parse("/a=>/b;/c=>/d;/e=>/f");

  EXPECT_EQ(d.strip_prefix(parse("/a=>/b")).show(), "/c=>/d;/e=>/f");
  EXPECT_EQ(d.strip_prefix(parse("/a=>/b;/c=>/d")).show(), "/e=>/f");
  EXPECT_EQ(d.strip_prefix(d), Dtab());
  EXPECT_EQ(d.strip_prefix(parse("/c=>/d")), d);
  EXPECT_EQ(d.strip_prefix(Dtab()), d);
  EXPECT_EQ(parse("/a=>/b").strip_prefix(d), parse("/a=>/b"));
  EXPECT_EQ(Dtab().strip_prefix(d), Dtab());
}

TEST(Dtab, EquivComparesSimplifiedDsts) {
  EXPECT_TRUE(parse("/a=>~ | /b").equiv(parse("/a=>/b")));
  EXPECT_FALSE(parse("/a=>~ | /b") == parse("/a=>/b"));
  EXPECT_FALSE(parse("/a=>/b").equiv(parse("/a=>/c")));
  EXPECT_FALSE(parse("/a=>/b").equiv(parse("/a=>/b;/a=>/b")));
  EXPECT_TRUE(parse("/\\x2f=>~ | ~").equiv(Dtab({Dentry::nop()})));
}

}  // namespace
}  // namespace meshd::dtab
