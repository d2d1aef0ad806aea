#include "meshd/admin/security.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshd::admin {
namespace {

SecurityFilter must_compile(const SecurityOptions& options) {
  std::vector<std::string> errors;
  auto filter = SecurityFilter::compile(options, errors);
  EXPECT_TRUE(filter.has_value()) << (errors.empty() ? "" : errors.front());
  return std::move(filter).value();
}

struct Case {
  const char* path;
  bool allowed;
};

void expect_cases(const SecurityFilter& filter, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    EXPECT_EQ(filter.allows(c.path), c.allowed) << c.path;
  }
}

SecurityOptions only(bool ui, bool control, bool diagnostics) {
  SecurityOptions o;
  o.ui_enabled = ui;
  o.control_enabled = control;
  o.diagnostics_enabled = diagnostics;
  return o;
}

TEST(SecurityFilter, DefaultsServeEveryPath) {
  auto filter = must_compile({});

  expect_cases(
      filter,
      {{"/", true}, {"/admin/shutdown", true}, {"/admin/ping", true}, {"/anything/else", true}});
}

// Linkerd's SecurityFilterTest "let pass ui requests" (paths without their query).
TEST(SecurityFilter, UiOnlyServesTheDashboardPaths) {
  auto filter = must_compile(only(true, false, false));

  expect_cases(filter, {{"/", true},
                        {"/files/css/lib/bootstrap.min.css", true},
                        {"/files/js/lib/require.js", true},
                        {"/admin/files/css/admin.css", true},
                        {"/config.json", true},
                        {"/metrics.json", true},
                        {"/admin/metrics.json", true},
                        {"/admin/metrics", true},
                        {"/delegator", true},
                        {"/delegator.json", true},
                        {"/logging", true},
                        {"/help", true},
                        {"/admin/shutdown", false},
                        {"/logging.json", false},
                        {"/admin/threads", false},
                        {"/files", false},
                        {"/configXjson", false},  // `[.]` is a literal dot
                        {"/admin/metrics/prometheus", false},
                        {"/admin/ping", false},
                        {"/admin/ready", false},
                        {"/admin", false},
                        {"/admin/index.txt", false},
                        {"/client_state.json", false},
                        {"/admin/client_state.json", false},
                        {"/bound-names.json", false},
                        {"/requests", false},
                        {"/services", false},
                        {"/favicon.ico", false}});
}

// "let pass control requests if permitted".
TEST(SecurityFilter, ControlCategoryIsShutdownAndLoggingJson) {
  auto control_only = must_compile(only(false, true, false));
  auto all_but_control = must_compile(only(true, false, true));

  expect_cases(control_only, {{"/admin/shutdown", true},
                              {"/logging.json", true},
                              {"/logging", false},
                              {"/sth/else", false}});
  expect_cases(all_but_control, {{"/admin/shutdown", false},
                                 {"/logging.json", false},
                                 {"/logging", true},
                                 {"/admin/ping", true},
                                 {"/admin/shutdown/", true}});  // not the control pattern
}

TEST(SecurityFilter, DiagnosticsIsEverythingElse) {
  auto filter = must_compile(only(false, false, true));

  expect_cases(filter, {{"/admin/ping", true},
                        {"/admin/metrics/prometheus", true},
                        {"/admin/index.txt", true},
                        {"/client_state.json", true},
                        {"/namer_state/io.l5d.k8s.json", true},
                        {"/", false},
                        {"/admin/metrics.json", false},
                        {"/admin/shutdown", false}});
}

// "let pass configured requests" and "not let pass ui requests if not permitted".
TEST(SecurityFilter, WhitelistOpensPathsOfDisabledCategories) {
  auto options = only(false, false, false);
  options.path_whitelist = {"^/fooba[rz]$", "^/abc/def/.*$"};
  auto filter = must_compile(options);

  expect_cases(filter, {{"/foobar", true},
                        {"/foobaz", true},
                        {"/foobaf", false},
                        {"/abc/def", false},
                        {"/abc/def/ghi", true},
                        {"/", false},
                        {"/files/css/lib/bootstrap.min.css", false},
                        {"/admin/shutdown", false},
                        {"/admin/threads", false}});
}

TEST(SecurityFilter, PatternsMustMatchTheWholePath) {
  auto options = only(false, false, false);
  options.path_whitelist = {"/admin/ping"};
  auto filter = must_compile(options);

  expect_cases(filter, {{"/admin/ping", true}, {"/admin/ping2", false}, {"/x/admin/ping", false}});
}

// "block blacklisted URLs", "blacklist overrides whitelist".
TEST(SecurityFilter, BlacklistBeatsEnabledCategoriesAndTheWhitelist) {
  SecurityOptions blacklisted;
  blacklisted.path_blacklist = {"^/help$"};
  auto both = only(false, false, false);
  both.path_whitelist = {"^/help$"};
  both.path_blacklist = {"^/help$"};
  SecurityOptions shutdown_off;  // the example of Linkerd's docs
  shutdown_off.path_blacklist = {"^/admin/shutdown$"};

  expect_cases(must_compile(blacklisted), {{"/files/css/lib/fonts.css", true}, {"/help", false}});
  expect_cases(must_compile(both), {{"/help", false}});
  expect_cases(must_compile(shutdown_off), {{"/admin/shutdown", false}, {"/admin/ping", true}});
}

TEST(SecurityFilter, InvalidRegexesAreReportedWithTheirListAndIndex) {
  SecurityOptions options;
  options.path_whitelist = {"/ok", "/bad(", "/also/ok"};
  options.path_blacklist = {"[z-a]"};
  std::vector<std::string> errors;

  auto filter = SecurityFilter::compile(options, errors);

  EXPECT_FALSE(filter.has_value());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].rfind(R"(pathWhitelist[1]: invalid regex "/bad(": )", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1].rfind(R"(pathBlacklist[0]: invalid regex "[z-a]": )", 0), 0u) << errors[1];
  EXPECT_GT(errors[0].size(), std::string(R"(pathWhitelist[1]: invalid regex "/bad(": )").size());
}

TEST(SecurityFilter, JavaOnlySyntaxIsRejectedNotMisread) {
  for (const char* pattern : {"(?i)/admin", "(?<=/a)b", "/a++", "/a*+", R"(\A/admin/shutdown\z)",
                              "[a-z&&[^b]]", "[a[b]]", R"(/\p{Alpha})", R"(\Q/a.b\E)"}) {
    SecurityOptions options;
    options.path_blacklist = {pattern};
    std::vector<std::string> errors;

    EXPECT_FALSE(SecurityFilter::compile(options, errors).has_value()) << pattern;
    EXPECT_EQ(errors.size(), 1u) << pattern;
  }
}

TEST(SecurityFilter, EcmaScriptEscapesAndClassesAreAccepted) {
  auto options = only(false, false, false);
  options.path_whitelist = {R"(/a\d+\.json)", R"([/+*?]x)", R"(/\w+/[a-z&\[]+)", R"(/x\+\+)"};
  auto filter = must_compile(options);

  expect_cases(
      filter,
      {{"/a12.json", true}, {"+x", true}, {"/ab/c&[d", true}, {"/x++", true}, {"/ax", false}});
}

TEST(SecurityFilter, OverlongPathsAreRefusedWithoutMatching) {
  auto options = only(true, true, true);
  options.path_whitelist = {"/files/.*"};
  auto filter = must_compile(options);
  const std::string at_limit = "/files/" + std::string(SecurityFilter::kMaxPathBytes - 7, 'a');
  const std::string over = at_limit + "a";

  EXPECT_TRUE(filter.allows(at_limit));
  EXPECT_FALSE(filter.allows(over));
}

}  // namespace
}  // namespace meshd::admin
