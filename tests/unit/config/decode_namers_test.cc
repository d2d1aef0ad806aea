// Namers: `io.l5d.rewrite` (its PathMatcher pattern and substitution) and the `transformers`
// every supported namer accepts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <variant>

#include "meshd/config/load.h"
#include "meshd/dtab/path.h"
#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using ::testing::ElementsAre;
using testing::errors_of;
using testing::load_yaml;

const std::string& kRouter = testing::kMinimalRouter;

TEST(RewriteNamer, DecodesPrefixPatternAndName) {
  const LoadResult r = load_yaml(kRouter +
                                 "namers:\n- kind: io.l5d.rewrite\n  prefix: /portNsSvcToK8s\n"
                                 "  pattern: \"/{port}/{ns}/{svc}\"\n"
                                 "  name: \"/k8s/{ns}/{port}/{svc}\"\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const NamerConfig& n = r.config.namers[0];
  EXPECT_EQ(effective_prefix(n), "/#/portNsSvcToK8s");
  const auto& rw = std::get<RewriteNamerConfig>(n.settings);
  EXPECT_EQ(rw.pattern.value, "/{port}/{ns}/{svc}");
  EXPECT_EQ(rw.pattern.pos.line, 7);
  EXPECT_EQ(rw.name.value, "/k8s/{ns}/{port}/{svc}");
  EXPECT_EQ(rw.name.pos.path, "namers[0].name");
  EXPECT_TRUE(n.transformers.empty());
}

class ValidPattern : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(ValidPattern, IsAccepted) {
  const auto& [pattern, name] = GetParam();

  const LoadResult r = load_yaml(kRouter + "namers:\n- {kind: io.l5d.rewrite, prefix: /rw, " +
                                 "pattern: '" + pattern + "', name: '" + name + "'}\n");

  EXPECT_TRUE(r.ok()) << pattern << " " << name << ": " << ::testing::PrintToString(errors_of(r));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ValidPattern,
    ::testing::Values(std::pair{"/", "/fixed"}, std::pair{"/*/{svc}", "/svc/{svc}"},
                      std::pair{"/{a}-{b}/x", "/$/inet/{a}/{b}"},
                      std::pair{"/{a.b:c_d-E9}", "/x/{a.b:c_d-E9}/{a.b:c_d-E9}"},
                      std::pair{"/literal/seg", "/other"}, std::pair{"/{x}", "/#/io.l5d.fs/{x}"}));

TEST(NamerTransformers, AreDecodedForSupportedNamers) {
  const LoadResult r = load_yaml(kRouter +
                                 "namers:\n- kind: io.l5d.fs\n  rootDir: /d\n  transformers:\n"
                                 "  - {kind: io.l5d.port, port: 4141}\n"
                                 "  - {kind: io.l5d.localhost, prefix: /lh}\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const auto& ts = r.config.namers[0].transformers;
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].pos.path, "namers[0].transformers[0]");
  EXPECT_EQ(transformer_prefix_path(ts[0]), dtab::Path::of({"%", "io.l5d.port", "4141"}));
  EXPECT_EQ(transformer_prefix_path(ts[1]), dtab::Path::of({"%", "lh"}));
}

TEST(NamerTransformers, OfAnUnsupportedNamerAreKeptInItsSettings) {
  const LoadResult r = load_yaml(kRouter +
                                 "namers:\n- kind: io.l5d.consul\n  transformers:\n"
                                 "  - {kind: io.l5d.k8s.localnode}\n");

  EXPECT_THAT(errors_of(r), ElementsAre("t.yaml:5:3: namers[0].kind: namer kind \"io.l5d.consul\" "
                                        "is not supported yet"));
  EXPECT_EQ(
      std::get<UnsupportedPluginConfig>(r.config.namers[0].settings).raw,
      boost::json::parse(
          R"({"kind": "io.l5d.consul", "transformers": [{"kind": "io.l5d.k8s.localnode"}]})"));
}

struct ErrorCase {
  std::string name;
  std::string yaml;  // the namer's keys after `- kind: io.l5d.rewrite` (line 5)
  std::vector<std::string> errors;
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.name; }

std::vector<ErrorCase> error_cases() {
  const std::string ok_prefix = "  prefix: /rw\n";
  const std::string ok_pattern = "  pattern: /{a}\n";
  const std::string ok_name = "  name: /b/{a}\n";
  return {
      {"MissingPrefix",
       ok_pattern + ok_name,
       {"t.yaml:5:3: namers[0]: missing required key \"prefix\""}},
      {"MissingPatternAndName",
       ok_prefix,
       {"t.yaml:5:3: namers[0]: missing required key \"pattern\"",
        "t.yaml:5:3: namers[0]: missing required key \"name\""}},
      {"NothingButKind",
       "",
       {"t.yaml:5:3: namers[0]: missing required key \"prefix\"",
        "t.yaml:5:3: namers[0]: missing required key \"pattern\"",
        "t.yaml:5:3: namers[0]: missing required key \"name\""}},
      {"NullName",
       ok_prefix + ok_pattern + "  name:\n",
       {"t.yaml:5:3: namers[0]: missing required key \"name\""}},
      {"PatternIsAList",
       ok_prefix + "  pattern: [a]\n" + ok_name,
       {"t.yaml:7:3: namers[0].pattern: expected a string, got a list"}},
      {"PatternWithoutLeadingSlash",
       ok_prefix + "  pattern: '{a}'\n" + ok_name,
       {"t.yaml:7:3: namers[0].pattern: invalid pattern: must start with \"/\", got \"{a}\""}},
      {"PatternWithUnclosedCapture",
       ok_prefix + "  pattern: /{a/b\n" + ok_name,
       {"t.yaml:7:3: namers[0].pattern: invalid pattern \"/{a/b\": unclosed \"{\" at offset 1"}},
      {"PatternWithUnclosedCaptureAtEnd",
       ok_prefix + "  pattern: /x/{a\n" + ok_name,
       {"t.yaml:7:3: namers[0].pattern: invalid pattern \"/x/{a\": unclosed \"{\" at offset 3"}},
      {"PatternWithNestedBrace",
       ok_prefix + "  pattern: /{a{b}}\n" + ok_name,
       {"t.yaml:7:3: namers[0].pattern: invalid pattern \"/{a{b}}\": unclosed \"{\" at offset "
        "1"}},
      {"PatternWithStrayCloseBrace",
       ok_prefix + "  pattern: /a}\n" + ok_name,
       {"t.yaml:7:3: namers[0].pattern: invalid pattern \"/a}\": \"}\" at offset 2 closes no "
        "\"{\""}},
      {"PatternWithEmptyCapture",
       ok_prefix + "  pattern: /{}\n" + ok_name,
       {"t.yaml:7:3: namers[0].pattern: invalid pattern \"/{}\": \"{}\" is not a capture: names "
        "are letters, digits and \". : _ -\""}},
      {"PatternWithBadCaptureName",
       ok_prefix + "  pattern: '/{a b}'\n" + ok_name,
       {"t.yaml:7:3: namers[0].pattern: invalid pattern \"/{a b}\": \"{a b}\" is not a capture: "
        "names are letters, digits and \". : _ -\""}},
      {"NameUsesUnknownCapture",
       ok_prefix + ok_pattern + "  name: /b/{a}/{c}\n",
       {"t.yaml:8:3: namers[0].name: \"{c}\" is not captured by the pattern"}},
      {"NameWithUnclosedCapture",
       ok_prefix + ok_pattern + "  name: /b/{a\n",
       {"t.yaml:8:3: namers[0].name: invalid name \"/b/{a\": unclosed \"{\" at offset 3"}},
      {"NameIsNotAPath",
       ok_prefix + ok_pattern + "  name: b/{a}\n",
       {"t.yaml:8:3: namers[0].name: invalid path: " + dtab::Path::read("b/a").error().message}},
      {"NameWithTrailingSlash",
       ok_prefix + ok_pattern + "  name: /b/{a}/\n",
       {"t.yaml:8:3: namers[0].name: invalid path: " + dtab::Path::read("/b/a/").error().message}},
      {"BadPrefix",
       "  prefix: rw\n" + ok_pattern + ok_name,
       {"t.yaml:6:3: namers[0].prefix: invalid path: " + dtab::Path::read("rw").error().message}},
      {"UnknownKey",
       ok_prefix + ok_pattern + ok_name + "  names: /x\n",
       {"t.yaml:9:3: namers[0].names: unknown key \"names\" (did you mean \"name\"?)"}},
      {"TransformersIsAString",
       ok_prefix + ok_pattern + ok_name + "  transformers: io.l5d.port\n",
       {"t.yaml:9:3: namers[0].transformers: expected a list, got \"io.l5d.port\""}},
      {"TransformerWithBadPort",
       ok_prefix + ok_pattern + ok_name + "  transformers: [{kind: io.l5d.port, port: -1}]\n",
       {"t.yaml:9:38: namers[0].transformers[0].port: must be between 1 and 65535, got -1"}},
  };
}

class RewriteNamerErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(RewriteNamerErrors, ReportsExactText) {
  const ErrorCase& c = GetParam();
  const std::string yaml = kRouter + "namers:\n- kind: io.l5d.rewrite\n" + c.yaml;

  const LoadResult r = load_yaml(yaml);

  EXPECT_FALSE(r.ok());
  EXPECT_EQ(errors_of(r), c.errors) << "config:\n" << yaml;
}

INSTANTIATE_TEST_SUITE_P(Table, RewriteNamerErrors, ::testing::ValuesIn(error_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace meshd::config
