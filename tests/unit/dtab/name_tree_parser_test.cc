#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "meshd/dtab/dentry.h"
#include "meshd/dtab/dtab.h"
#include "meshd/dtab/name_tree.h"

namespace meshd::dtab {
namespace {

using Tree = NameTree<Path>;

Tree leaf(std::string_view p) { return Tree::leaf(Path::read(p).value()); }

struct ShowCase {
  std::string input;
  std::string shown;
};

TEST(NameTreeParser, ParsesAndShowsTrees) {
  const std::vector<ShowCase> cases = {
      {"/a", "/a"},
      {"!", "!"},
      {"~", "~"},
      {"$", "$"},
      {"/a | /b | /c", "/a | /b | /c"},
      {"/a & /b | /c", "/a & /b | /c"},
      {"/a | /b & /c", "/a | /b & /c"},
      {"(/a | /b) | /c", "(/a | /b) | /c"},
      {"(/a & /b) & /c", "(/a & /b) & /c"},
      {"/a & (/b | /c)", "/a & (/b | /c)"},
      {"((/a))", "/a"},
      {"2 * /a", "/a"},
      {"0.5*/a | /b", "/a | /b"},
      {"2*(/b | /c) & /d", "2.00*(/b | /c) & /d"},
      {"1.0*/a & 1*/b", "/a & /b"},
      {".5*/a & 1.*/b & 007*/c", "0.50*/a & /b & 7.00*/c"},
      {"0.125*/a & 1.005*/b & 2.675*/c", "0.13*/a & 1.01*/b & 2.68*/c"},
      {"0.333 * /a & 0.667 * /b", "0.33*/a & 0.67*/b"},
      {"! | ~ | $", "! | ~ | $"},
      {"! & ~ & $", "! & ~ & $"},
      {"/$/inet/127.1/80 | /#/io.l5d.fs/x", "/$/inet/127.1/80 | /#/io.l5d.fs/x"},
      {"  /a  |  /b  ", "/a | /b"},
      {"0.5#x\n* /a & /b", "0.50*/a & /b"},
      {"/a #c1\n|#c2\n/b", "/a | /b"},
      {"/a#c1\n| /b", "/a#c1 | /b"},
      {"\t\r\n\f\v\x1c/a", "/a"},
      {"\xe2\x80\x83/a\xe3\x80\x80", "/a"},  // U+2003 EM SPACE, U+3000 IDEOGRAPHIC SPACE
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);

    const auto tree = read_name_tree(c.input);

    ASSERT_TRUE(tree.has_value()) << tree.error().message;
    EXPECT_EQ(tree->show(), c.shown);
  }
}

TEST(NameTreeParser, BuildsTheExactTrees) {
  EXPECT_EQ(read_name_tree("/a & /b | /c").value(),
            Tree::alt({Tree::union_({{1.0, leaf("/a")}, {1.0, leaf("/b")}}), leaf("/c")}));
  EXPECT_EQ(read_name_tree("(/a | /b) | /c").value(),
            Tree::alt({Tree::alt({leaf("/a"), leaf("/b")}), leaf("/c")}));
  EXPECT_EQ(read_name_tree("2 * /a").value(), leaf("/a"));
  EXPECT_EQ(read_name_tree("0.3*/a & 3*/b").value(),
            Tree::union_({{0.3, leaf("/a")}, {3.0, leaf("/b")}}));
  EXPECT_EQ(read_name_tree("! | ~ | $").value(),
            Tree::alt({Tree::fail(), Tree::neg(), Tree::empty()}));
}

TEST(NameTreeParser, RoundTripsTwoDecimalTrees) {
  const std::vector<std::string> inputs = {
      "/a & /b | /c",
      "0.25*/a & 0.75*(/b | /c) | !",
      "(/a | ~) & $",
      "/a/\\x2f/b | /c#/d",
  };
  for (const auto& input : inputs) {
    SCOPED_TRACE(input);
    const Tree tree = read_name_tree(input).value();

    const auto reread = read_name_tree(tree.show());

    ASSERT_TRUE(reread.has_value()) << reread.error().message;
    EXPECT_EQ(*reread, tree);
  }
}

struct ErrorCase {
  std::string input;
  std::string message;
};

TEST(NameTreeParser, ReportsFinagleErrorText) {
  const std::vector<ErrorCase> cases = {
      {"", "simple expected but end of input found at '[]'"},
      {"()", "simple expected but ')' found at '([)]'"},
      {"(/a | /b", "')' expected but end of input found at '(/a | /b[]'"},
      {"/a |", "simple expected but end of input found at '/a |[]'"},
      {"/a & & /b", "simple expected but '&' found at '/a & [&] /b'"},
      {"/foo & . * /bar", "weight expected but ' ' found at '/foo & .[ ]* /bar'"},
      {"1.2.3 * /a", "number char expected but '.' found at '1.2[.]3 * /a'"},
      {"2 /a", "'*' expected but '/' found at '2 [/]a'"},
      {"2 * * /a", "simple expected but '*' found at '2 * [*] /a'"},
      {"/a /b", "end of input expected but '/' found at '/a [/]b'"},
      {"/a)", "end of input expected but ')' found at '/a[)]'"},
      {"a", "simple expected but 'a' found at '[a]'"},
      {"/a,/b", "end of input expected but ',' found at '/a[,]/b'"},
      {"\xc2\xa0/a", "simple expected but '\xc2\xa0' found at '[\xc2\xa0]/a'"},  // NBSP
      {"\xd9\xa3*/a", "For input string: \"\xd9\xa3\""},  // ARABIC-INDIC DIGIT THREE
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);

    const auto tree = read_name_tree(c.input);

    ASSERT_FALSE(tree.has_value());
    EXPECT_EQ(tree.error().message, c.message);
  }
}

TEST(NameTreeParser, ReadsDentries) {
  const auto d = Dentry::read(" /a/*/c => /d | ~ # done");

  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->show(), "/a/*/c=>/d | ~");
  EXPECT_EQ(d->to_string(), "Dentry(/a/*/c=>/d | ~)");
}

TEST(NameTreeParser, ReportsDentryErrors) {
  const std::vector<ErrorCase> cases = {
      {"/a = >/b", "'>' expected but ' ' found at '/a =[ ]>/b'"},
      {"/a >/b", "'=' expected but '>' found at '/a [>]/b'"},
      {"/a=>", "simple expected but end of input found at '/a=>[]'"},
      {"/*a=>/b", "'=' expected but 'a' found at '/*[a]=>/b'"},
      {"/a*=>/b", "'=' expected but '*' found at '/a[*]=>/b'"},
      {"/**=>/b", "'=' expected but '*' found at '/*[*]=>/b'"},
      {"a=>/b", "'/' expected but 'a' found at '[a]=>/b'"},
      {"/a=>/b;", "end of input expected but ';' found at '/a=>/b[;]'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);

    const auto d = Dentry::read(c.input);

    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().message, c.message);
  }
}

}  // namespace
}  // namespace meshd::dtab
