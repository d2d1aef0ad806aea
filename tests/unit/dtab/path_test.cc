#include "meshd/dtab/path.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

namespace meshd::dtab {
namespace {

struct ShowCase {
  std::string input;
  std::vector<std::string> elems;
  std::string shown;
};

TEST(Path, ReadsAndShowsByteExact) {
  const std::vector<ShowCase> cases = {
      {"/", {}, "/"},
      {"  /  ", {}, "/"},
      {"/foo/bar", {"foo", "bar"}, "/foo/bar"},
      {"/#/io.l5d.k8s/default", {"#", "io.l5d.k8s", "default"}, "/#/io.l5d.k8s/default"},
      {"/$/inet/127.1/80", {"$", "inet", "127.1", "80"}, "/$/inet/127.1/80"},
      {"/s#", {"s#"}, "/s#"},
      {"/a_b:c.d#e$f%g-h", {"a_b:c.d#e$f%g-h"}, "/a_b:c.d#e$f%g-h"},
      {"/\\x66oo", {"foo"}, "/foo"},
      {"/\\x4A\\x4a", {"JJ"}, "/JJ"},
      {"/\\x61\\x2f\\x62", {"a/b"}, "/\\x61\\x2f\\x62"},
      {"/\\x2a", {"*"}, "/\\x2a"},
      {"/a\\x20b", {"a b"}, "/\\x61\\x20\\x62"},
      {"/caf\\xc3\\xa9", {"caf\xc3\xa9"}, "/\\x63\\x61\\x66\\xc3\\xa9"},
      {"/\\x00", {std::string(1, '\0')}, "/\\x00"},
      {"# comment\n/a # trailing", {"a"}, "/a"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);

    const auto path = Path::read(c.input);

    ASSERT_TRUE(path.has_value()) << path.error().message;
    EXPECT_EQ(path->elems(), c.elems);
    EXPECT_EQ(path->show(), c.shown);
    EXPECT_EQ(Path::read(path->show()).value(), *path);
  }
}

struct ErrorCase {
  std::string input;
  std::string message;
};

TEST(Path, ReportsFinagleErrorText) {
  const std::vector<ErrorCase> cases = {
      {"", "'/' expected but end of input found at '[]'"},
      {"foo", "'/' expected but 'f' found at '[f]oo'"},
      {"/ foo", "end of input expected but 'f' found at '/ [f]oo'"},
      {"/a/", "label char expected but end of input found at '/a/[]'"},
      {"/a//b", "label char expected but '/' found at '/a/[/]b'"},
      {"/a b", "end of input expected but 'b' found at '/a [b]'"},
      {"/a\\y", "'x' expected but 'y' found at '/a\\[y]'"},
      {"/a\\X41", "'x' expected but 'X' found at '/a\\[X]41'"},
      {"/a\\x4", "hex char expected but end of input found at '/a\\x4[]'"},
      {"/a\\x4g", "hex char expected but 'g' found at '/a\\x4[g]'"},
      {"/a*", "end of input expected but '*' found at '/a[*]'"},
      {"/caf\xc3\xa9", "end of input expected but '\xc3\xa9' found at '/caf[\xc3\xa9]'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);

    const auto path = Path::read(c.input);

    ASSERT_FALSE(path.has_value());
    EXPECT_EQ(path.error().message, c.message);
  }
}

TEST(Path, ValueThrowsInvalidArgumentWithTheMessage) {
  const auto path = Path::read("foo");

  EXPECT_THROW(path.value(), std::invalid_argument);
}

TEST(Path, TakeDropConcatAndStartsWith) {
  const Path p = Path::of({"a", "b", "c"});

  EXPECT_EQ(p.take(2), Path::of({"a", "b"}));
  EXPECT_EQ(p.take(9), p);
  EXPECT_EQ(p.drop(1), Path::of({"b", "c"}));
  EXPECT_EQ(p.drop(9), Path());
  EXPECT_EQ(p.take(1) + p.drop(1), p);
  EXPECT_EQ(p + Path(), p);
  EXPECT_TRUE(p.starts_with(Path::of({"a", "b"})));
  EXPECT_TRUE(p.starts_with(Path()));
  EXPECT_FALSE(p.starts_with(Path::of({"a", "c"})));
  EXPECT_FALSE(Path::of({"ab"}).starts_with(Path::of({"a"})));
  EXPECT_FALSE(p.take(1).starts_with(p));
}

TEST(Path, ToStringUsesShowElem) {
  EXPECT_EQ(Path::of({"a", "b/c"}).to_string(), "Path(a,\\x62\\x2f\\x63)");
  EXPECT_EQ(Path().to_string(), "Path()");
}

TEST(Path, OrdersAndHashesByLabels) {
  const Path a = Path::of({"a"});
  const Path ab = Path::of({"a", "b"});
  const Path b = Path::of({"b"});

  const std::unordered_set<Path> set = {a, ab, b, Path::of({"a"})};

  EXPECT_LT(a, ab);
  EXPECT_LT(ab, b);
  EXPECT_LT(Path(), a);
  EXPECT_EQ(set.size(), 3u);
  EXPECT_EQ(std::hash<Path>{}(ab), std::hash<Path>{}(Path::of({"a", "b"})));
}

}  // namespace
}  // namespace meshd::dtab
