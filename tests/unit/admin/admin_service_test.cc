#include "meshd/admin/admin_service.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "unit/admin/run_internal.h"

namespace meshd::admin {
namespace {

using std::chrono::milliseconds;
using test::body_of;
using test::request;

telemetry::Registry::Options registry_options() {
  telemetry::Registry::Options o;
  o.workers = 1;
  o.live_histograms = true;
  return o;
}

class AdminServiceTest : public ::testing::Test {
 protected:
  // Serves `req` and returns the response with its body read.
  struct Answer {
    int status;
    std::string content_type;
    std::string body;
    http::Headers headers;
  };

  Answer serve(AdminService& service, http::Request req) {
    auto result = test::run(io_, service.call(req));
    EXPECT_TRUE(result.has_value());
    http::Response& rsp = *result;
    std::string body = body_of(io_, rsp);
    return {rsp.status, std::string(rsp.headers.get("Content-Type")), std::move(body),
            std::move(rsp.headers)};
  }

  Answer get(AdminService& service, std::string target) {
    return serve(service, request("GET", std::move(target)));
  }

  asio::io_context io_;
  telemetry::Registry registry_{registry_options()};
};

TEST_F(AdminServiceTest, PingAnswersPong) {
  AdminService service(registry_, {});

  auto rsp = get(service, "/admin/ping");

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.body, "pong");
  EXPECT_EQ(rsp.content_type, "text/plain");
}

TEST_F(AdminServiceTest, MetricsJsonIsFlatByDefault) {
  registry_.counter({"rt", "outgoing", "server", "127.0.0.1/4140", "requests"})->incr(3);
  registry_.gauge({"rt", "outgoing", "server", "127.0.0.1/4140", "connections"})->set(1);
  AdminService service(registry_, {});

  auto rsp = get(service, "/admin/metrics.json");

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.content_type, "application/json");
  EXPECT_EQ(rsp.body, R"({"rt/outgoing/server/127.0.0.1/4140/connections":1.0,)"
                      R"("rt/outgoing/server/127.0.0.1/4140/requests":3})");
}

TEST_F(AdminServiceTest, MetricsJsonTreePrettyAndQuery) {
  registry_.counter({"rt", "in", "server", "0.0.0.0/4141", "requests"})->incr();
  registry_.counter({"namer", "k8s", "requests"})->incr(2);
  AdminService service(registry_, {});

  auto tree = get(service, "/admin/metrics.json?tree=1&q=rt/in/server/0.0.0.0/4141");
  auto flat_sub = get(service, "/admin/metrics.json?q=namer");
  auto pretty = get(service, "/admin/metrics.json?pretty=true&q=namer%2Fk8s");

  EXPECT_EQ(tree.body, R"({"requests":{"counter":1}})");
  EXPECT_EQ(flat_sub.body, R"({"k8s/requests":2})");
  EXPECT_EQ(pretty.body, "{\n  \"requests\" : 2\n}");
}

TEST_F(AdminServiceTest, MetricsJsonUnknownSubtreeIs404) {
  AdminService service(registry_, {});

  auto rsp = get(service, "/admin/metrics.json?q=rt/nope");

  EXPECT_EQ(rsp.status, 404);
  EXPECT_EQ(rsp.content_type, "application/json");
  EXPECT_EQ(rsp.body, R"({"error": "No such subtree: rt/nope"})");
}

TEST_F(AdminServiceTest, MetricsJsonServesHistogramSummaries) {
  auto stat = registry_.histogram({"rt", "r", "request_latency_ms"});
  stat->record(10);
  AdminService service(registry_, {});

  auto rsp = get(service, "/admin/metrics.json?q=rt/r");

  EXPECT_EQ(rsp.body, R"({"request_latency_ms.count":1,"request_latency_ms.max":10,)"
                      R"("request_latency_ms.min":10,"request_latency_ms.p50":10,)"
                      R"("request_latency_ms.p90":10,"request_latency_ms.p95":10,)"
                      R"("request_latency_ms.p99":10,"request_latency_ms.p9990":10,)"
                      R"("request_latency_ms.p9999":10,"request_latency_ms.sum":10,)"
                      R"("request_latency_ms.avg":10.0})");
}

TEST_F(AdminServiceTest, PrometheusIsServedOnlyWhenConfigured) {
  registry_.counter({"rt", "incoming", "server", "0.0.0.0/4141", "requests"})->incr(42);
  AdminService without(registry_, {});
  AdminService::Options options;
  options.prometheus_path = "/admin/metrics/prometheus";
  AdminService with(registry_, std::move(options));

  auto missing = get(without, "/admin/metrics/prometheus");
  auto rsp = get(with, "/admin/metrics/prometheus");

  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.content_type, "text/plain; version=0.0.4");
  EXPECT_EQ(rsp.body, "rt:server:requests{rt=\"incoming\", server=\"0.0.0.0/4141\"} 42\n");
}

TEST_F(AdminServiceTest, ShutdownQuitsWithTheDefaultGrace) {
  std::optional<milliseconds> grace;
  AdminService::Options options;
  options.shutdown_grace = milliseconds(2500);
  options.on_shutdown = [&](milliseconds g) { grace = g; };
  AdminService service(registry_, std::move(options));

  auto rsp = serve(service, request("POST", "/admin/shutdown"));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.body, "quitting\n");
  EXPECT_EQ(grace, milliseconds(2500));
}

TEST_F(AdminServiceTest, ShutdownTakesAGraceParameter) {
  std::optional<milliseconds> grace;
  AdminService::Options options;
  options.on_shutdown = [&](milliseconds g) { grace = g; };
  AdminService service(registry_, std::move(options));

  auto rsp = serve(service, request("POST", "/admin/shutdown?grace=3.seconds"));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(grace, milliseconds(3000));
}

TEST_F(AdminServiceTest, ShutdownRejectsABadGrace) {
  bool called = false;
  AdminService::Options options;
  options.on_shutdown = [&](milliseconds) { called = true; };
  AdminService service(registry_, std::move(options));

  auto rsp = serve(service, request("POST", "/admin/shutdown?grace=soon"));

  EXPECT_EQ(rsp.status, 400);
  EXPECT_EQ(rsp.body, "could not parse 'grace' parameter: soon\n");
  EXPECT_FALSE(called);
}

TEST_F(AdminServiceTest, ShutdownRejectsOtherMethods) {
  bool called = false;
  AdminService::Options options;
  options.on_shutdown = [&](milliseconds) { called = true; };
  AdminService service(registry_, std::move(options));

  auto rsp = get(service, "/admin/shutdown");

  EXPECT_EQ(rsp.status, 405);
  EXPECT_EQ(rsp.headers.get("Allow"), "POST");
  EXPECT_FALSE(called);
}

TEST_F(AdminServiceTest, ReadyFollowsTheCallback) {
  bool ready = false;
  AdminService::Options options;
  options.ready = [&] { return ready; };
  AdminService service(registry_, std::move(options));
  AdminService no_callback(registry_, {});

  auto before = get(service, "/admin/ready");
  ready = true;
  auto after = get(service, "/admin/ready");
  auto always = get(no_callback, "/admin/ready");

  EXPECT_EQ(before.status, 503);
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, "ready");
  EXPECT_EQ(always.status, 200);
}

TEST_F(AdminServiceTest, ListenersJsonReportsBoundPorts) {
  AdminService::Options options;
  options.listeners = [] {
    return std::vector<ListenerInfo>{{"outgoing", "127.0.0.1", 41523}, {"admin", "::1", 9990}};
  };
  AdminService service(registry_, std::move(options));
  AdminService no_callback(registry_, {});

  auto rsp = get(service, "/admin/listeners.json");
  auto empty = get(no_callback, "/admin/listeners.json");

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.content_type, "application/json");
  EXPECT_EQ(rsp.body, R"([{"router":"outgoing","ip":"127.0.0.1","port":41523},)"
                      R"({"router":"admin","ip":"::1","port":9990}])");
  EXPECT_EQ(empty.body, "[]");
}

TEST_F(AdminServiceTest, ConfigJsonIsServedOnlyWithACallback) {
  AdminService::Options options;
  options.config_json = [] { return std::string(R"({"routers":[]})"); };
  AdminService service(registry_, std::move(options));
  AdminService without(registry_, {});

  auto rsp = get(service, "/config.json");
  auto missing = get(without, "/config.json");

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.body, R"({"routers":[]})");
  EXPECT_EQ(missing.status, 404);
}

TEST_F(AdminServiceTest, IndexListsEveryPath) {
  AdminService service(registry_, {});

  auto admin = get(service, "/admin");
  auto index = get(service, "/admin/index.txt");

  EXPECT_EQ(admin.body,
            "/admin\n/admin/index.txt\n/admin/listeners.json\n/admin/metrics.json\n"
            "/admin/ping\n/admin/ready\n/admin/shutdown\n");
  EXPECT_EQ(index.body, admin.body);
}

TEST_F(AdminServiceTest, UnknownPathsAre404) {
  AdminService service(registry_, {});

  auto metrics = get(service, "/admin/metrics");
  auto dashboard = get(service, "/dashboard");
  auto trailing = get(service, "/admin/ping/");

  EXPECT_EQ(metrics.status, 404);
  EXPECT_EQ(dashboard.status, 404);
  EXPECT_EQ(trailing.status, 404);
  EXPECT_EQ(metrics.body, "");
}

TEST_F(AdminServiceTest, ExtraHandlersSeeDecodedParamsAndTheBody) {
  AdminRequest seen;
  AdminService::Options options;
  options.handlers["/delegator.json"] = [&](AdminRequest req) -> asio::awaitable<http::Response> {
    seen = std::move(req);
    co_return http::Response::text(200, "{}", "application/json");
  };
  AdminService service(registry_, std::move(options));

  auto rsp = serve(service, request("POST", "/delegator.json?path=%2Fsvc%2Fhello&flag", "body!"));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/delegator.json");
  EXPECT_EQ(seen.param("path"), "/svc/hello");
  EXPECT_EQ(seen.param("flag"), "");
  EXPECT_EQ(seen.param("missing"), std::nullopt);
  EXPECT_EQ(seen.body, "body!");
}

TEST_F(AdminServiceTest, RawDtabCharactersInTheQueryAreAccepted) {
  AdminRequest seen;
  AdminService::Options options;
  options.handlers["/delegator.json"] = [&](AdminRequest req) -> asio::awaitable<http::Response> {
    seen = std::move(req);
    co_return http::Response::text(200, "{}", "application/json");
  };
  AdminService service(registry_, std::move(options));

  // What `curl 'http://…/delegator.json?dtab=/svc=>/#/io.l5d.fs|/$/nil'` sends (the # encoded).
  auto rsp = get(service, "/delegator.json?path=/svc/a&dtab=/svc=>/%23/io.l5d.fs|{/$/nil}");

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(seen.param("dtab"), "/svc=>/#/io.l5d.fs|{/$/nil}");
}

TEST_F(AdminServiceTest, AbsoluteFormTargetsAreRouted) {
  AdminService service(registry_, {});

  auto rsp = get(service, "http://127.0.0.1:9990/admin/ping");

  EXPECT_EQ(rsp.status, 200);
}

// A body that counts how far it was read and can fail.
class ScriptedBody final : public http::Body {
 public:
  ScriptedBody(std::vector<std::string> pieces, bool fail_at_end, int* reads)
      : pieces_(std::move(pieces)), fail_at_end_(fail_at_end), reads_(reads) {}

  asio::awaitable<Result<std::string_view>> read() override {
    ++*reads_;
    if (next_ < pieces_.size()) {
      co_return std::string_view(pieces_[next_++]);
    }
    if (fail_at_end_) {
      co_return make_error_code(errc::client_gone);
    }
    co_return std::string_view{};
  }
  std::optional<std::uint64_t> length() const override { return std::nullopt; }

 private:
  std::vector<std::string> pieces_;
  std::size_t next_ = 0;
  bool fail_at_end_;
  int* reads_;
};

TEST_F(AdminServiceTest, RequestBodyIsDrainedBeforeAnswering) {
  int reads = 0;
  AdminService service(registry_, {});
  auto req = request("GET", "/admin/ping");
  req.body = std::make_unique<ScriptedBody>(std::vector<std::string>{"a", "b"}, false, &reads);

  auto rsp = serve(service, std::move(req));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(reads, 3);  // two pieces and the end
}

TEST_F(AdminServiceTest, BodyReadErrorIsReturned) {
  int reads = 0;
  AdminService service(registry_, {});
  auto req = request("POST", "/admin/ping");
  req.body = std::make_unique<ScriptedBody>(std::vector<std::string>{"a"}, true, &reads);

  auto result = test::run(io_, service.call(req));

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), make_error_code(errc::client_gone));
}

TEST_F(AdminServiceTest, OversizedBodyIs413) {
  AdminService::Options options;
  options.max_body_bytes = 4;
  AdminService service(registry_, std::move(options));

  auto rsp = serve(service, request("POST", "/admin/ping", "too long"));

  EXPECT_EQ(rsp.status, 413);
  EXPECT_EQ(rsp.headers.get("Connection"), "close");
}

SecurityFilter compiled(const SecurityOptions& options) {
  std::vector<std::string> errors;
  auto filter = SecurityFilter::compile(options, errors);
  EXPECT_TRUE(filter.has_value());
  return std::move(filter).value();
}

TEST_F(AdminServiceTest, SecurityRefusesWith404WhateverTheMethod) {
  bool called = false;
  AdminService::Options options;
  options.on_shutdown = [&](milliseconds) { called = true; };
  SecurityOptions security;
  security.control_enabled = false;
  options.security = compiled(security);
  AdminService service(registry_, std::move(options));

  auto shutdown = serve(service, request("POST", "/admin/shutdown"));
  auto unknown_method = serve(service, request("DELETE", "/admin/shutdown"));
  auto ping = get(service, "/admin/ping");

  EXPECT_EQ(shutdown.status, 404);
  EXPECT_EQ(shutdown.body, "");
  EXPECT_EQ(unknown_method.status, 404);
  EXPECT_FALSE(called);
  EXPECT_EQ(ping.status, 200);
}

TEST_F(AdminServiceTest, SecurityMatchesTheDecodedPathWithoutQuery) {
  AdminService::Options options;
  SecurityOptions security;
  security.path_blacklist = {"/admin/ping"};
  options.security = compiled(security);
  AdminService service(registry_, std::move(options));

  EXPECT_EQ(get(service, "/admin/ping?x=1").status, 404);
  EXPECT_EQ(get(service, "/admin/%70ing").status, 404);
  EXPECT_EQ(get(service, "http://localhost:9990/admin/ping").status, 404);
  EXPECT_EQ(get(service, "/admin/ready").status, 200);
}

TEST_F(AdminServiceTest, SecurityRefusesBeforeReadingTheBody) {
  AdminService::Options options;
  options.max_body_bytes = 4;
  SecurityOptions security;
  security.diagnostics_enabled = false;
  options.security = compiled(security);
  AdminService service(registry_, std::move(options));

  auto rsp = serve(service, request("POST", "/admin/ping", "longer than the limit"));

  EXPECT_EQ(rsp.status, 404);  // not 413: the body was never read
}

TEST_F(AdminServiceTest, IndexStillListsRefusedPaths) {
  AdminService::Options options;
  SecurityOptions security;
  security.control_enabled = false;
  options.security = compiled(security);
  AdminService service(registry_, std::move(options));

  auto index = get(service, "/admin/index.txt");

  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("/admin/shutdown\n"), std::string::npos);  // as Linkerd's index
}

TEST(AdminRequest, FlagReadsLikeFinagle) {
  AdminRequest req;
  req.params = {{"a", "1"}, {"b", "TRUE"}, {"c", "yes"}, {"d", ""}};

  EXPECT_TRUE(req.flag("a"));
  EXPECT_TRUE(req.flag("b"));
  EXPECT_FALSE(req.flag("c"));
  EXPECT_FALSE(req.flag("d"));
  EXPECT_TRUE(req.flag("missing", true));
}

}  // namespace
}  // namespace meshd::admin
