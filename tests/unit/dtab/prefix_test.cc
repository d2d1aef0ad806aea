#include "meshd/dtab/prefix.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshd::dtab {
namespace {

TEST(Prefix, ReadsWildcardsAndShowsThem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/", "/"},           {"/a/*/c", "/a/*/c"}, {"/*", "/*"}, {" /* # comment", "/*"},
      {"/\\x2a", "/\\x2a"}, {"/*/*", "/*/*"},
  };
  for (const auto& [input, shown] : cases) {
    SCOPED_TRACE(input);

    const auto prefix = Prefix::read(input);

    ASSERT_TRUE(prefix.has_value()) << prefix.error().message;
    EXPECT_EQ(prefix->show(), shown);
  }
}

TEST(Prefix, WildcardMustBeAWholeElement) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/*a", "end of input expected but 'a' found at '/*[a]'"},
      {"/a*", "end of input expected but '*' found at '/a[*]'"},
      {"/**", "end of input expected but '*' found at '/*[*]'"},
      {"/*/", "label char expected but end of input found at '/*/[]'"},
  };
  for (const auto& [input, message] : cases) {
    SCOPED_TRACE(input);

    const auto prefix = Prefix::read(input);

    ASSERT_FALSE(prefix.has_value());
    EXPECT_EQ(prefix.error().message, message);
  }
}

TEST(Prefix, MatchesWholeElementsAndWildcards) {
  struct Case {
    std::string prefix;
    std::string path;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"/s", "/s/crawler", true},   {"/s", "/s#/foo", false},
      {"/s", "/s", true},           {"/", "/", true},
      {"/", "/any/thing", true},    {"/*", "/", false},
      {"/a/*/c", "/a/b/c/d", true}, {"/a/*/c", "/a/b/d", false},
      {"/S", "/s", false},          {"/\\x2a", "/x", false},
      {"/\\x2a", "/\\x2a", true},   {"/a/b", "/a", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.prefix + " ~ " + c.path);

    const bool matches = Prefix::read(c.prefix).value().matches(Path::read(c.path).value());

    EXPECT_EQ(matches, c.matches);
  }
}

TEST(Prefix, ToStringAndFromPath) {
  EXPECT_EQ(Prefix::read("/a/*/b").value().to_string(), "Prefix(a,*,b)");
  EXPECT_EQ(Prefix::from_path(Path::of({"a", "b"})), Prefix::read("/a/b").value());
  EXPECT_EQ(Prefix::from_path(Path::of({"a", "b"})).size(), 2u);
}

}  // namespace
}  // namespace meshd::dtab
