// `/logging.json` and the `/logging` page (include/meshd/admin/dashboard.h).

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "meshd/admin/dashboard.h"
#include "meshd/core/log.h"
#include "unit/admin/run_internal.h"

namespace meshd::admin {
namespace {

using test::body_of;
using test::request;

// Log levels are process-wide: each test starts and ends with every logger at info.
class LoggingTest : public ::testing::Test {
 protected:
  struct Answer {
    int status;
    std::string content_type;
    std::string body;
    http::Headers headers;
  };

  void SetUp() override {
    log::set_level("info");
    AdminService::Options opts;
    opts.handlers = dashboard_handlers({});
    service_ = std::make_unique<AdminService>(registry_, std::move(opts));
  }

  void TearDown() override { log::set_level("info"); }

  Answer serve(http::Request req) {
    auto result = test::run(io_, service_->call(req));
    EXPECT_TRUE(result.has_value());
    http::Response& rsp = *result;
    std::string body = body_of(io_, rsp);
    return {rsp.status, std::string(rsp.headers.get("Content-Type")), std::move(body),
            std::move(rsp.headers)};
  }

  Answer post_form(std::string body) {
    auto req = request("POST", "/logging.json", std::move(body));
    req.headers.add("Content-Type", "application/x-www-form-urlencoded");
    return serve(std::move(req));
  }

  // The level `/logging.json` lists for `logger`, or "" when it is not listed.
  std::string listed_level(std::string_view logger) {
    auto list = boost::json::parse(serve(request("GET", "/logging.json")).body).as_array();
    for (const auto& entry : list) {
      if (entry.at("logger").as_string() == logger) {
        return std::string(entry.at("level").as_string());
      }
    }
    return "";
  }

  asio::io_context io_;
  telemetry::Registry registry_{telemetry::Registry::Options{1, true}};
  std::unique_ptr<AdminService> service_;
};

TEST_F(LoggingTest, GetListsRootFirstThenTheModulesWithTwitterServerLevelNames) {
  log::set_logger_level("router", spdlog::level::warn);

  auto rsp = serve(request("GET", "/logging.json"));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.content_type, "application/json");
  auto list = boost::json::parse(rsp.body).as_array();
  ASSERT_GE(list.size(), 10u);
  EXPECT_EQ(boost::json::serialize(list[0]), R"({"logger":"root","level":"INFO"})");
  EXPECT_EQ(list[1].as_object().size(), 2u);
  EXPECT_EQ(listed_level("router"), "WARNING");
  EXPECT_EQ(listed_level("naming"), "INFO");
}

TEST_F(LoggingTest, PostWithQueryParametersSetsOneLogger) {
  auto rsp = serve(request("POST", "/logging.json?logger=router&level=DEBUG"));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.content_type, "application/json");
  EXPECT_EQ(rsp.body, R"({"logger":"router","level":"DEBUG"})");
  EXPECT_EQ(log::get("router")->level(), spdlog::level::debug);
  EXPECT_EQ(listed_level("router"), "DEBUG");
  EXPECT_EQ(listed_level("naming"), "INFO");
}

TEST_F(LoggingTest, PostWithAFormBodyTakesEitherFamilyOfLevelNames) {
  auto twitter = post_form("logger=naming&level=WARNING");
  auto spdlog_name = post_form("level=err&logger=http1");
  auto fatal = post_form("logger=k8s&level=fatal");

  EXPECT_EQ(twitter.status, 200);
  EXPECT_EQ(listed_level("naming"), "WARNING");
  EXPECT_EQ(spdlog_name.status, 200);
  EXPECT_EQ(listed_level("http1"), "ERROR");
  EXPECT_EQ(fatal.body, R"({"logger":"k8s","level":"CRITICAL"})");
}

TEST_F(LoggingTest, RootSetsEveryLogger) {
  ASSERT_EQ(post_form("logger=router&level=DEBUG").status, 200);

  auto rsp = post_form("logger=root&level=ALL");

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.body, R"({"logger":"root","level":"TRACE"})");
  auto list = boost::json::parse(serve(request("GET", "/logging.json")).body).as_array();
  for (const auto& entry : list) {
    EXPECT_EQ(entry.at("level").as_string(), "TRACE") << entry.at("logger").as_string();
  }
}

TEST_F(LoggingTest, UnknownLoggerOrLevelIs400NamingIt) {
  auto logger = post_form("logger=no.such&level=DEBUG");
  auto level = post_form("logger=router&level=LOUD");

  EXPECT_EQ(logger.status, 400);
  EXPECT_NE(logger.body.find("unknown logger \"no.such\""), std::string::npos) << logger.body;
  EXPECT_EQ(level.status, 400);
  EXPECT_NE(level.body.find("unknown level \"LOUD\""), std::string::npos) << level.body;
  EXPECT_NE(level.body.find("ALL, TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL, FATAL, OFF"),
            std::string::npos);
  EXPECT_EQ(listed_level("router"), "INFO");
}

TEST_F(LoggingTest, MissingParametersAre400) {
  auto no_logger = post_form("level=DEBUG");
  auto no_level = serve(request("POST", "/logging.json?logger=router"));
  auto not_a_form = serve(request("POST", "/logging.json", "logger=router&level=DEBUG"));

  EXPECT_EQ(no_logger.status, 400);
  EXPECT_EQ(no_logger.body, "missing parameter: logger\n");
  EXPECT_EQ(no_level.status, 400);
  EXPECT_EQ(no_level.body, "missing parameter: level\n");
  EXPECT_EQ(not_a_form.status, 400) << "a body without the form media type is not read";
}

TEST_F(LoggingTest, OtherMethodsAre405) {
  auto rsp = serve(request("DELETE", "/logging.json"));

  EXPECT_EQ(rsp.status, 405);
  EXPECT_EQ(rsp.headers.get("Allow"), "GET, POST");
}

TEST_F(LoggingTest, PageLoadsTheLoggingScript) {
  auto rsp = serve(request("GET", "/logging"));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.content_type, "text/html; charset=utf-8");
  EXPECT_NE(rsp.body.find(R"(<script src="/files/logging.js"></script>)"), std::string::npos);
  EXPECT_NE(rsp.body.find(R"(<table id="loggers">)"), std::string::npos);
}

}  // namespace
}  // namespace meshd::admin
