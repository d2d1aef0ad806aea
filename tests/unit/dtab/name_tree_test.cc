#include "meshd/dtab/name_tree.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace meshd::dtab {
namespace {

using Tree = NameTree<Path>;

Tree parse(std::string_view text) { return read_name_tree(text).value(); }
Tree leaf(std::string_view p) { return Tree::leaf(Path::read(p).value()); }

TEST(NameTree, FormatsWeightsLikeJavaHalfUp) {
  const std::vector<std::pair<double, std::string>> cases = {
      {0.125, "0.13"},
      {1.005, "1.01"},
      {2.675, "2.68"},
      {0.0001, "0.00"},
      {12345678.9, "12345678.90"},
      {0.5, "0.50"},
      {3.0, "3.00"},
      {0.995, "1.00"},
      {9.999, "10.00"},
      {0.333, "0.33"},
      {0.005, "0.01"},
      {0.0049999, "0.00"},
      {1e-300, "0.00"},
      {1e20, "100000000000000000000.00"},
      {0.0, "0.00"},
      {-0.5, "-0.50"},
      {99.995, "100.00"},
      {0.1, "0.10"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
      {std::numeric_limits<double>::infinity(), "Infinity"},
  };
  for (const auto& [weight, text] : cases) {
    SCOPED_TRACE(text);

    EXPECT_EQ(detail::format_weight(weight), text);
  }
}

TEST(NameTree, ShowsDegenerateTrees) {
  EXPECT_EQ(Tree::alt({}).show(), "");
  EXPECT_EQ(Tree::union_({}).show(), "");
  EXPECT_EQ(Tree::union_({{1.0, Tree::alt({})}, {1.0, leaf("/a")}}).show(), "() & /a");
  EXPECT_EQ(Tree::alt({Tree::union_({}), leaf("/a")}).show(), " | /a");
  EXPECT_EQ(Tree::alt({Tree::union_({{2.0, leaf("/a")}}), leaf("/b")}).show(), "/a | /b");
  EXPECT_EQ(Tree::union_({{2.0, Tree::alt({leaf("/a")})}, {1.0, leaf("/b")}}).show(),
            "2.00*/a & /b");
  EXPECT_EQ(Tree::alt({Tree::alt({Tree::alt({leaf("/a"), leaf("/b")})})}).show(), "/a | /b");
  EXPECT_EQ(
      Tree::union_({{1.0, Tree::union_({{1.0, leaf("/a")}, {1.0, leaf("/b")}})}, {1.0, leaf("/c")}})
          .show(),
      "(/a & /b) & /c");
}

TEST(NameTree, SimplifiesPerFinagle) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"~ | /a", "/a"},
      {"/a | ! | /b", "/a | !"},
      {"! | /a", "!"},
      {"~ | ~", "~"},
      {"/a & ~", "/a"},
      {"~ & !", "~"},
      {"! & !", "~"},
      {"(/a | /b) | /c", "(/a | /b) | /c"},
      {"(~ | /a) | /b", "/a | /b"},
      {"2*/a & 3*/b & ~", "2.00*/a & 3.00*/b"},
      {"2*/a & 3*(~ | !)", "/a"},
      {"$ & /a", "$ & /a"},
      {"$ | /a", "$ | /a"},
  };
  for (const auto& [input, simplified] : cases) {
    SCOPED_TRACE(input);

    EXPECT_EQ(parse(input).simplified().show(), simplified);
  }
  EXPECT_EQ(Tree::alt({}).simplified(), Tree::neg());
  EXPECT_EQ(Tree::union_({}).simplified(), Tree::neg());
  EXPECT_EQ(Tree::union_({{5.0, leaf("/a")}}).simplified(), leaf("/a"));
}

TEST(NameTree, EvaluatesToLeafSets) {
  using Set = std::optional<std::vector<Path>>;
  const auto paths = [](std::initializer_list<std::string_view> ps) {
    std::vector<Path> out;
    for (auto p : ps) {
      out.push_back(Path::read(p).value());
    }
    return Set(out);
  };
  const std::vector<std::pair<std::string, Set>> cases = {
      {"/a", paths({"/a"})},
      {"~", std::nullopt},
      {"!", std::nullopt},
      {"$", paths({})},
      {"~ | /a", paths({"/a"})},
      {"! | /a", std::nullopt},
      {"$ | /a", paths({})},
      {"/a & /b & /a", paths({"/a", "/b"})},
      {"! & /a", paths({"/a"})},
      {"~ & !", std::nullopt},
      {"/a | /b", paths({"/a"})},
      {"(~ | ~) | /c & $", paths({"/c"})},
      {"(! | /a) | /b", std::nullopt},
      {"(~ | /a) | /b", paths({"/a"})},
      {"/a & (! | /b)", paths({"/a"})},
      {"/a | !", paths({"/a"})},
  };
  for (const auto& [input, expected] : cases) {
    SCOPED_TRACE(input);
    const Tree tree = parse(input);

    EXPECT_EQ(tree.eval(), expected);
    EXPECT_EQ(tree.simplified().eval(), expected);
  }
  EXPECT_EQ(Tree::alt({}).eval(), std::nullopt);
  EXPECT_EQ(Tree::union_({}).eval(), std::nullopt);
}

TEST(NameTree, MapsLeavesKeepingShapeAndWeights) {
  const Tree tree = parse("2*/a & /b | ! | $");

  const auto sizes = tree.map([](const Path& p) { return static_cast<int>(p.size()); });
  const Tree longer = tree.map([](const Path& p) { return p + Path::of({"x"}); });

  EXPECT_EQ(sizes.alts().front().weighted().front().weight, 2.0);
  EXPECT_EQ(sizes.alts().front().weighted().front().tree.value(), 1);
  EXPECT_EQ(longer.show(), "2.00*/a/x & /b/x | ! | $");
}

TEST(NameTree, ComparesStructurally) {
  EXPECT_EQ(parse("/a | /b"), parse("(/a | /b)"));
  EXPECT_NE(parse("/a | /b"), parse("/b | /a"));
  EXPECT_NE(parse("0.5*/a & /b"), parse("0.50001*/a & /b"));
  EXPECT_NE(Tree::neg(), Tree::fail());
  EXPECT_EQ(Tree(), Tree::neg());
  EXPECT_NE(Tree::alt({leaf("/a")}), leaf("/a"));
}

}  // namespace
}  // namespace meshd::dtab
