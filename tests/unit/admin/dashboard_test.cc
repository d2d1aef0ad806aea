#include "meshd/admin/dashboard.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "unit/admin/run_internal.h"

namespace meshd::admin {
namespace {

using test::body_of;
using test::request;

DashboardOptions options() {
  DashboardOptions o;
  o.routers = {"outgoing", "incoming"};
  o.version = "9.8.7";
  o.started = std::chrono::system_clock::now() - std::chrono::seconds(90);
  return o;
}

// The dashboard's handlers behind a real AdminService, so that routing and 404s are the
// server's.
class DashboardTest : public ::testing::Test {
 protected:
  struct Answer {
    int status;
    std::string content_type;
    std::string body;
    http::Headers headers;
  };

  void make(DashboardOptions o) {
    AdminService::Options opts;
    opts.handlers = dashboard_handlers(std::move(o));
    service_ = std::make_unique<AdminService>(registry_, std::move(opts));
  }

  Answer serve(http::Request req) {
    auto result = test::run(io_, service_->call(req));
    EXPECT_TRUE(result.has_value());
    http::Response& rsp = *result;
    std::string body = body_of(io_, rsp);
    return {rsp.status, std::string(rsp.headers.get("Content-Type")), std::move(body),
            std::move(rsp.headers)};
  }

  Answer get(std::string target) { return serve(request("GET", std::move(target))); }

  asio::io_context io_;
  telemetry::Registry registry_{telemetry::Registry::Options{1, true}};
  std::unique_ptr<AdminService> service_;
};

TEST_F(DashboardTest, ServesTheDashboardAtRootAndServicesWithItsConfiguration) {
  make(options());

  auto root = get("/");
  auto services = get("/services?router=outgoing");

  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(root.headers.get("Cache-Control"), "no-cache");
  EXPECT_NE(root.body.find(R"(<script src="/files/dashboard.js"></script>)"), std::string::npos);
  EXPECT_NE(root.body.find(R"("routers":["outgoing","incoming"])"), std::string::npos);
  EXPECT_NE(root.body.find(R"("version":"9.8.7")"), std::string::npos);
  EXPECT_NE(root.body.find(R"(<span data-metric="process/version">9.8.7</span>)"),
            std::string::npos);
  EXPECT_EQ(root.body.find("{{"), std::string::npos) << "a placeholder was left unfilled";
  EXPECT_EQ(services.status, 200);
  EXPECT_EQ(services.content_type, "text/html; charset=utf-8");
}

TEST_F(DashboardTest, ConfigurationReportsUptimeSinceStart) {
  make(options());

  auto body = get("/").body;

  std::smatch m;
  ASSERT_TRUE(std::regex_search(body, m, std::regex(R"("uptimeMs":(\d+))")));
  auto uptime = std::stoll(m[1]);
  EXPECT_GE(uptime, 90000);
  EXPECT_LT(uptime, 150000);
}

TEST_F(DashboardTest, RouterLabelsCannotEndTheConfigurationScript) {
  auto o = options();
  o.routers = {"</script><b>x</b>"};
  make(std::move(o));

  auto body = get("/").body;

  EXPECT_EQ(body.find("</script><b>"), std::string::npos);
  EXPECT_NE(body.find(R"(\u003c/script>\u003cb>x\u003c/b>)"), std::string::npos);
}

TEST_F(DashboardTest, VersionIsEscapedInTheTopBar) {
  auto o = options();
  o.version = "1<2&3";
  make(std::move(o));

  auto body = get("/logging").body;

  EXPECT_NE(body.find(R"(<span data-metric="process/version">1&lt;2&amp;3</span>)"),
            std::string::npos);
}

TEST_F(DashboardTest, RequestsPageExistsOnlyWithARequestsApi) {
  make(options());
  auto without = get("/requests");
  auto dashboard_without = get("/").body;
  auto o = options();
  o.requests_json_path = "/requests.json";
  make(std::move(o));

  auto with = get("/requests");

  EXPECT_EQ(without.status, 404);
  EXPECT_NE(dashboard_without.find(R"(<li hidden><a href="/requests">)"), std::string::npos);
  EXPECT_EQ(with.status, 200);
  EXPECT_EQ(with.content_type, "text/html; charset=utf-8");
  EXPECT_NE(with.body.find(R"("requestsJson":"/requests.json")"), std::string::npos);
  EXPECT_NE(with.body.find(R"(<li><a href="/requests">)"), std::string::npos);
  EXPECT_NE(with.body.find(R"(<script src="/files/requests.js"></script>)"), std::string::npos);
}

TEST_F(DashboardTest, FilesHaveTheirContentTypeAndRevalidationHeaders) {
  make(options());

  auto js = get("/files/dashboard.js");
  auto css = get("/admin/files/admin.css");
  auto svg = get("/files/favicon.svg");

  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("/admin/metrics.json?tree=1"), std::string::npos);
  EXPECT_EQ(js.headers.get("Cache-Control"), "no-cache");
  EXPECT_EQ(js.headers.get("X-Content-Type-Options"), "nosniff");
  EXPECT_TRUE(
      std::regex_match(std::string(js.headers.get("ETag")), std::regex(R"("[0-9a-f]{16}")")));
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(css.body, get("/files/admin.css").body);
  EXPECT_EQ(svg.content_type, "image/svg+xml");
  EXPECT_NE(svg.body.find("<svg"), std::string::npos);
}

TEST_F(DashboardTest, MatchingIfNoneMatchGets304WithoutBody) {
  make(options());
  auto first = get("/files/common.js");
  std::string etag(first.headers.get("ETag"));

  auto req = request("GET", "/files/common.js");
  req.headers.add("If-None-Match", "\"0000000000000000\", W/" + etag);
  auto again = serve(std::move(req));
  auto other = request("GET", "/files/common.js");
  other.headers.add("If-None-Match", "\"0000000000000000\"");
  auto changed = serve(std::move(other));

  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(again.headers.get("ETag"), etag);
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.body, first.body);
}

TEST_F(DashboardTest, UnknownPathsAndPageTemplatesAre404) {
  make(options());

  EXPECT_EQ(get("/files/nope.js").status, 404);
  EXPECT_EQ(get("/files/dashboard.html").status, 404);
  EXPECT_EQ(get("/files/topbar.html").status, 404);
  EXPECT_EQ(get("/files/").status, 404);
  EXPECT_EQ(get("/dashboard").status, 404);
  EXPECT_EQ(get("/index.html").status, 404);
}

TEST_F(DashboardTest, EveryFileAPageLoadsIsServed) {
  auto o = options();
  o.requests_json_path = "/requests.json";
  make(std::move(o));
  std::regex ref(R"((src|href)="(/files/[^"]+)\")");

  int refs = 0;
  for (const char* page : {"/", "/requests", "/logging", "/help"}) {
    auto body = get(page).body;
    for (std::sregex_iterator it(body.begin(), body.end(), ref), end; it != end; ++it) {
      ++refs;
      EXPECT_EQ(get((*it)[2]).status, 200) << page << " loads " << (*it)[2];
    }
  }
  EXPECT_GE(refs, 12);
}

TEST_F(DashboardTest, HelpLinksEveryPathOfTheCallback) {
  auto o = options();
  o.paths = [] {
    return std::vector<std::string>{"/", "/admin/metrics.json", "/admin/shutdown", "/x<y>",
                                    "/files/common.js"};
  };
  make(std::move(o));

  auto help = get("/help");

  EXPECT_EQ(help.status, 200);
  EXPECT_EQ(help.content_type, "text/html; charset=utf-8");
  EXPECT_NE(help.body.find(R"(<a href="/">/</a>)"), std::string::npos);
  EXPECT_NE(help.body.find(R"(<a href="/admin/metrics.json">/admin/metrics.json</a>)"),
            std::string::npos);
  EXPECT_NE(help.body.find("every metric"), std::string::npos);
  EXPECT_NE(help.body.find("<code>/admin/shutdown</code>"), std::string::npos) << "POST only";
  EXPECT_NE(help.body.find(R"(<a href="/x&lt;y&gt;">/x&lt;y&gt;</a>)"), std::string::npos);
  EXPECT_EQ(help.body.find("/x<y>"), std::string::npos);
  EXPECT_EQ(help.body.find("/files/common.js</a>"), std::string::npos) << "files are not pages";
}

TEST_F(DashboardTest, HelpWithoutCallbackListsTheUisOwnPaths) {
  make(options());

  auto body = get("/help").body;

  for (const char* path :
       {"/", "/services", "/logging", "/logging.json", "/help", "/admin/server_info"}) {
    EXPECT_NE(body.find(std::string("<a href=\"") + path + "\">"), std::string::npos) << path;
  }
}

TEST_F(DashboardTest, ServerInfoReportsNameVersionStartAndUptime) {
  make(options());

  auto rsp = get("/admin/server_info");

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.content_type, "application/json");
  auto info = boost::json::parse(rsp.body).as_object();
  EXPECT_EQ(info.at("name").as_string(), "meshd");
  EXPECT_EQ(info.at("version").as_string(), "9.8.7");
  EXPECT_TRUE(std::regex_match(std::string(info.at("start_time").as_string()),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_GE(info.at("uptime").as_int64(), 90000);
}

TEST_F(DashboardTest, HandlersCoverTheDocumentedPaths) {
  auto handlers = dashboard_handlers(options());

  std::set<std::string> paths;
  for (const auto& [path, handler] : handlers) {
    paths.insert(path);
    EXPECT_TRUE(handler) << path;
  }

  for (const char* path : {"/", "/services", "/logging", "/logging.json", "/help",
                           "/admin/server_info", "/files/common.js", "/admin/files/common.js",
                           "/files/dashboard.js", "/files/chart.js", "/files/admin.css"}) {
    EXPECT_TRUE(paths.count(path)) << path;
  }
  EXPECT_FALSE(paths.count("/requests"));
}

}  // namespace
}  // namespace meshd::admin
