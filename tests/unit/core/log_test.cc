#include "meshd/core/log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace meshd::log {
namespace {

using L = spdlog::level::level_enum;

// Levels are process-wide: every test starts and ends with everything at info.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { set_level("info"); }
  void TearDown() override { set_level("info"); }

  static std::optional<L> level_of(std::string_view name) {
    for (const auto& l : loggers()) {
      if (l.name == name) {
        return l.level;
      }
    }
    return std::nullopt;
  }
};

TEST_F(LogTest, ParseLevelAcceptsSpdlogAndTwitterServerNamesInAnyCase) {
  const std::vector<std::pair<std::string, L>> cases = {
      {"trace", L::trace},       {"ALL", L::trace},         {"TRACE", L::trace},
      {"debug", L::debug},       {"DEBUG", L::debug},       {"info", L::info},
      {"INFO", L::info},         {"warn", L::warn},         {"WARNING", L::warn},
      {"err", L::err},           {"error", L::err},         {"ERROR", L::err},
      {"critical", L::critical}, {"CRITICAL", L::critical}, {"FATAL", L::critical},
      {"off", L::off},           {"OFF", L::off},           {"Info", L::info},
  };
  for (const auto& [name, level] : cases) {
    EXPECT_EQ(parse_level(name), level) << name;
  }
}

TEST_F(LogTest, ParseLevelRejectsOtherNames) {
  for (std::string_view name : {"", "verbose", "inf", "info ", "SEVERE", "5"}) {
    EXPECT_FALSE(parse_level(name).has_value()) << name;
  }
}

TEST_F(LogTest, LevelNamesAreTwitterServers) {
  EXPECT_EQ(level_name(L::trace), "TRACE");
  EXPECT_EQ(level_name(L::debug), "DEBUG");
  EXPECT_EQ(level_name(L::info), "INFO");
  EXPECT_EQ(level_name(L::warn), "WARNING");
  EXPECT_EQ(level_name(L::err), "ERROR");
  EXPECT_EQ(level_name(L::critical), "CRITICAL");
  EXPECT_EQ(level_name(L::off), "OFF");
}

TEST_F(LogTest, LoggersListRootFirstThenEveryModuleSortedByName) {
  get("zz-test-module");

  auto all = loggers();

  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(all[0].name, "root");
  EXPECT_EQ(all[0].level, L::info);
  EXPECT_TRUE(std::is_sorted(all.begin() + 1, all.end(),
                             [](const auto& a, const auto& b) { return a.name < b.name; }));
  for (std::string_view module :
       {"admin", "app", "core", "http1", "naming", "router", "transport", "zz-test-module"}) {
    EXPECT_TRUE(level_of(module).has_value()) << module;
  }
}

TEST_F(LogTest, SetLoggerLevelChangesThatLoggerAlone) {
  ASSERT_TRUE(set_logger_level("router", L::debug));

  EXPECT_EQ(level_of("router"), L::debug);
  EXPECT_EQ(get("router")->level(), L::debug);
  EXPECT_EQ(level_of("naming"), L::info);
  EXPECT_EQ(level_of("root"), L::info);
}

TEST_F(LogTest, RootLevelChangesEveryLoggerAndTheLevelOfNewOnes) {
  ASSERT_TRUE(set_logger_level("router", L::debug));

  ASSERT_TRUE(set_logger_level("root", L::err));

  for (const auto& l : loggers()) {
    EXPECT_EQ(l.level, L::err) << l.name;
  }
  EXPECT_EQ(get("zz-created-after-root-change")->level(), L::err);
}

TEST_F(LogTest, UnknownLoggerIsRejectedAndNothingChanges) {
  auto before = loggers();

  EXPECT_FALSE(set_logger_level("no-such-logger", L::debug));

  auto after = loggers();
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].name, after[i].name);
    EXPECT_EQ(before[i].level, after[i].level) << before[i].name;
  }
}

TEST_F(LogTest, SetLevelTakesTheOldNamesAndRejectsUnknownOnes) {
  EXPECT_TRUE(set_level("warn"));
  EXPECT_EQ(get("core")->level(), L::warn);
  EXPECT_TRUE(set_level("WARNING"));

  EXPECT_FALSE(set_level("loud"));
  EXPECT_EQ(get("core")->level(), L::warn);
}

}  // namespace
}  // namespace meshd::log
