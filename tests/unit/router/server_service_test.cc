// ServerService (src/router/server_service.cc): context headers, clearContext, the proxy
// rewrite, maxConcurrentRequests and server stats, driven without network through a scripted
// BindFn (inventory §4.4, §5.3–§5.5).

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meshd/router/errors.h"
#include "router_test_util.h"

namespace meshd::router {
namespace {

using test::BoundTree;
using test::request;

using ServerServiceTest = test::RouterFixture;

/// Records the request an identifier saw, and names everything `/svc/seen`.
class RecordingIdentifier final : public Identifier {
 public:
  struct Seen {
    std::string target;
    std::string host;
    std::vector<std::string> header_names;
  };
  explicit RecordingIdentifier(std::shared_ptr<Seen> seen) : seen_(std::move(seen)) {}
  Identification identify(http::Request& req) const override {
    seen_->target = req.target;
    seen_->host = std::string(req.headers.get("Host"));
    seen_->header_names.clear();
    req.headers.for_each(
        [&](const http::Headers::Field& f) { seen_->header_names.emplace_back(f.name); });
    return {dtab::Path::of({"svc", "seen"}), {}};
  }

 private:
  std::shared_ptr<Seen> seen_;
};

TEST_F(ServerServiceTest, UnidentifiedRequestIs400WithLinkerdText) {
  build();

  auto rsp = call(request("GET", "/x?y", {}));

  EXPECT_EQ(rsp.status, 400);
  const std::string text =
      "Unknown destination: Request(\"GET /x?y\", from /127.0.0.1:5555) / Host header is absent";
  EXPECT_EQ(test::body_of(io_, rsp), text);
  EXPECT_EQ(rsp.headers.get("l5d-err"), url_encode(text));
  EXPECT_EQ(rsp.headers.get("Content-Type"), "text/plain");
  EXPECT_TRUE(naming_->calls.empty());
}

TEST_F(ServerServiceTest, BindingOutcomesWithoutEndpointsAre502) {
  const std::string no_route_text =
      "Unable to route request!\n\nservice name: /svc/hello\ndtab:\n\nbase dtab:\n"
      "  /svc => /#/io.l5d.fs\noverride dtab:\n\n";
  struct Case {
    std::string name;
    BoundTree answer;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"Neg", BoundTree::ok(dtab::NameTree<dtab::BoundName>::neg()), no_route_text},
      {"Empty", BoundTree::ok(dtab::NameTree<dtab::BoundName>::empty()), no_route_text},
      {"Fail", BoundTree::ok(dtab::NameTree<dtab::BoundName>::fail()), no_route_text},
      {"binding failed", BoundTree::failed("Unknown namer: nope for path: /$/nope/x"),
       "Unknown namer: nope for path: /$/nope/x"},
      {"bound, empty address set",
       BoundTree::ok(test::bound_leaf("/#/io.l5d.fs/hello", dtab::Addr::bound({}))), no_route_text},
      {"bound, Neg address",
       BoundTree::ok(
           test::bound_leaf("/#/io.l5d.fs/hello", dtab::Addr{dtab::Addr::Kind::Neg, {}, {}})),
       no_route_text},
      {"bound, failed address",
       BoundTree::ok(test::bound_leaf("/#/io.l5d.fs/hello", dtab::Addr::failed("dns: timeout"))),
       "dns: timeout"},
  };
  options_.base_dtab = *dtab::Dtab::read("/svc=>/#/io.l5d.fs");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    naming_->answer = c.answer;
    build();

    auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

    EXPECT_EQ(rsp.status, 502);
    EXPECT_EQ(test::body_of(io_, rsp), c.body);
    EXPECT_EQ(rsp.headers.get("l5d-err"), url_encode(c.body));
    EXPECT_EQ(rsp.headers.get("Content-Type"), "text/plain");
    EXPECT_FALSE(rsp.headers.contains("Via"));
    EXPECT_FALSE(rsp.headers.contains("l5d-success-class"));
  }
}

TEST_F(ServerServiceTest, PendingBindingTimesOutWithLinkerdText) {
  naming_->answer = BoundTree::pending();
  options_.binding_timeout = std::chrono::milliseconds(50);
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 502);
  EXPECT_EQ(test::body_of(io_, rsp),
            "Exceeded 50.milliseconds binding timeout while resolving name: /svc/hello");
}

TEST_F(ServerServiceTest, PendingAddressesTimeOutWithLinkerdText) {
  naming_->answer = BoundTree::ok(test::bound_leaf("/#/io.l5d.fs/hello", dtab::Addr{}));
  options_.binding_timeout = std::chrono::milliseconds(1000);
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 502);
  EXPECT_EQ(test::body_of(io_, rsp),
            "Exceeded 1.seconds binding timeout while resolving name: /svc/hello");
}

TEST_F(ServerServiceTest, DtabHeadersAreAppendedToTheBaseInOrder) {
  struct Case {
    std::string name;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string local;  ///< expected local dtab (`show`)
  };
  const std::vector<Case> cases = {
      {"none", {}, ""},
      {"l5d-dtab", {{"l5d-dtab", "/svc/hello=>/$/inet/127.1/1"}}, "/svc/hello=>/$/inet/127.1/1"},
      {"l5d-ctx-dtab", {{"l5d-ctx-dtab", "/a=>/b"}}, "/a=>/b"},
      {"ctx before user, whatever the header order",
       {{"l5d-dtab", "/u=>/v"}, {"l5d-ctx-dtab", "/a=>/b;/c=>/d"}},
       "/a=>/b;/c=>/d;/u=>/v"},
      {"every instance, in order",
       {{"l5d-ctx-dtab", "/a=>/b"},
        {"L5d-Dtab", "/u=>/v"},
        {"l5d-ctx-dtab", "/c=>/d"},
        {"l5d-dtab", "/w=>/x ; /y=>/z"}},
       "/a=>/b;/c=>/d;/u=>/v;/w=>/x;/y=>/z"},
      {"empty value is the empty dtab", {{"l5d-dtab", ""}}, ""},
  };
  options_.base_dtab = *dtab::Dtab::read("/svc=>/#/io.l5d.fs");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    naming_->calls.clear();
    build();
    auto headers = c.headers;
    headers.emplace_back("Host", "hello");

    auto rsp = call(request("GET", "/", headers));

    ASSERT_EQ(naming_->calls.size(), 1u);
    std::string want = "/svc=>/#/io.l5d.fs";
    if (!c.local.empty()) {
      want += ";" + c.local;
    }
    EXPECT_EQ(naming_->calls[0].dtab, want);
    EXPECT_EQ(naming_->calls[0].path, "/svc/hello");
    // The no-route text shows the same split between base and override dtab.
    auto body = test::body_of(io_, rsp);
    auto local = *dtab::Dtab::read(c.local);
    EXPECT_EQ(body, no_route(*dtab::Path::read("/svc/hello"), options_.base_dtab, local));
  }
}

TEST_F(ServerServiceTest, InvalidDtabHeaderIs400WithTheParsersMessage) {
  struct Case {
    std::string header, value;
  };
  const std::vector<Case> cases = {
      {"l5d-dtab", "/a=>"},
      {"l5d-dtab", "nonsense"},
      {"l5d-ctx-dtab", "/a=>/b;;"},
      {"l5d-ctx-dtab", "/a=/b"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.header + ": " + c.value);
    naming_->calls.clear();
    build();
    const std::string message = dtab::Dtab::read(c.value).error().message;

    auto rsp = call(request("GET", "/", {{"Host", "hello"}, {c.header, c.value}}));

    EXPECT_EQ(rsp.status, 400);
    EXPECT_EQ(test::body_of(io_, rsp), message);
    EXPECT_EQ(rsp.headers.get("l5d-err"), url_encode(message));
    EXPECT_TRUE(naming_->calls.empty());
  }
}

TEST_F(ServerServiceTest, InvalidDtabHeaderMessageIsFinagles) {
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}, {"l5d-dtab", "/a=/b"}}));

  EXPECT_EQ(rsp.status, 400);
  EXPECT_EQ(test::body_of(io_, rsp), "'>' expected but '/' found at '/a=[/]b'");
}

TEST_F(ServerServiceTest, ClearContextIgnoresInboundDtabs) {
  options_.base_dtab = *dtab::Dtab::read("/svc=>/#/io.l5d.fs");
  settings_.clear_context = true;
  build();

  call(request("GET", "/",
               {{"Host", "hello"}, {"l5d-dtab", "/svc=>/$/nil"}, {"l5d-ctx-dtab", "/a=>/b"}}));

  ASSERT_EQ(naming_->calls.size(), 1u);
  EXPECT_EQ(naming_->calls[0].dtab, "/svc=>/#/io.l5d.fs");
}

TEST_F(ServerServiceTest, ClearContextAlsoIgnoresInvalidDtabs) {
  settings_.clear_context = true;
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}, {"l5d-dtab", "garbage"}}));

  EXPECT_EQ(rsp.status, 502);  // no route: the header was dropped, not parsed
  EXPECT_EQ(naming_->calls.size(), 1u);
}

TEST_F(ServerServiceTest, ClearContextStripsEveryInboundL5dHeaderBeforeIdentification) {
  auto seen = std::make_shared<RecordingIdentifier::Seen>();
  options_.identifiers = {std::make_shared<RecordingIdentifier>(seen)};
  settings_.clear_context = true;
  build();

  call(request("GET", "/",
               {{"Host", "hello"},
                {"l5d-ctx-trace", "AAAA"},
                {"L5D-Sample", "1"},
                {"l5d-ctx-deadline", "1 2"},
                {"l5d-anything", "x"},
                {"X-Keep", "y"},
                {"l5d", "not a prefix match"}}));

  EXPECT_EQ(seen->header_names, (std::vector<std::string>{"Host", "X-Keep", "l5d"}));
}

TEST_F(ServerServiceTest, ClearContextHidesTheL5dNameHeaderFromTheHeaderIdentifier) {
  // Linkerd's ClearMiscServerFilter runs before identification too.
  options_.identifiers =
      make_identifiers(test::router_config("  identifier: {kind: io.l5d.header}\n"));
  settings_.clear_context = true;
  build();

  auto rsp = call(request("GET", "/", {{"l5d-name", "/hello"}}));

  EXPECT_EQ(rsp.status, 400);
  EXPECT_EQ(test::body_of(io_, rsp), "");
}

TEST_F(ServerServiceTest, WithoutClearContextOtherL5dHeadersReachTheRouter) {
  auto seen = std::make_shared<RecordingIdentifier::Seen>();
  options_.identifiers = {std::make_shared<RecordingIdentifier>(seen)};
  build();

  call(request("GET", "/",
               {{"Host", "hello"},
                {"l5d-dtab", "/a=>/b"},
                {"l5d-ctx-trace", "x"},
                {"l5d-ctx-dtab", "/c=>/d"},
                {"l5d-other", "y"}}));

  // The dtab and trace headers are consumed (an invalid l5d-ctx-trace is dropped as Linkerd
  // does); the rest is not this layer's business.
  EXPECT_EQ(seen->header_names, (std::vector<std::string>{"Host", "l5d-other"}));
}

TEST_F(ServerServiceTest, ClearContextBlanksErrorResponses) {
  struct Case {
    std::string name;
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
  };
  const std::vector<Case> cases = {
      {"unknown destination", {}, 400},
      {"no route", {{"Host", "hello"}}, 502},
  };
  settings_.clear_context = true;
  build();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);

    auto rsp = call(request("GET", "/", c.headers));

    EXPECT_EQ(rsp.status, c.status);
    EXPECT_EQ(test::body_of(io_, rsp), "");
    bool any_l5d = false;
    rsp.headers.for_each(
        [&](const http::Headers::Field& f) { any_l5d = any_l5d || f.name.substr(0, 4) == "l5d-"; });
    EXPECT_FALSE(any_l5d);
    EXPECT_EQ(rsp.body->length().value_or(99), 0u);
  }
}

TEST_F(ServerServiceTest, AbsoluteFormTargetIsRewrittenLikeProxyRewriteFilter) {
  struct Case {
    std::string target, host_in, target_out, host_out;
  };
  const std::vector<Case> cases = {
      {"http://hello:7777/a?b", "", "/a?b", "hello:7777"},
      {"http://hello:7777/a?b", "other", "/a?b", "hello:7777"},
      {"http://Hello/", "", "/", "Hello"},
      {"http://hello", "", "/", "hello"},
      {"http://hello?x=1", "", "/?x=1", "hello"},
      {"https://user@hello:1/p%20q#frag", "", "/p%20q#frag", "user@hello:1"},
      {"/a?next=http://x/", "h", "/a?next=http://x/", "h"},  // origin-form stays
      {"*", "h", "*", "h"},
  };
  auto seen = std::make_shared<RecordingIdentifier::Seen>();
  options_.identifiers = {std::make_shared<RecordingIdentifier>(seen)};
  build();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target);
    std::vector<std::pair<std::string, std::string>> headers;
    if (!c.host_in.empty()) {
      headers.emplace_back("Host", c.host_in);
    }

    call(request("GET", c.target, headers));

    EXPECT_EQ(seen->target, c.target_out);
    EXPECT_EQ(seen->host, c.host_out);
  }
}

TEST_F(ServerServiceTest, AbsoluteFormHostNamesTheService) {
  build();

  auto rsp = call(request("GET", "http://hello:7777/a?b", {}));

  ASSERT_EQ(naming_->calls.size(), 1u);
  EXPECT_EQ(naming_->calls[0].path, "/svc/hello:7777");
  EXPECT_EQ(rsp.status, 502);
}

TEST_F(ServerServiceTest, RequestsBeyondMaxConcurrentRequestsAreRejectedAtOnce) {
  naming_->answer = BoundTree::pending();  // holds the first request until the binding timeout
  options_.binding_timeout = std::chrono::milliseconds(300);
  settings_.max_concurrent_requests = 1;
  build();
  std::optional<Result<http::Response>> first, second;
  test::spawn(io_, test::call_into(service_.get(), request("GET", "/", {{"Host", "a"}}), &first));
  test::spawn(io_, test::call_into(service_.get(), request("GET", "/", {{"Host", "b"}}), &second));

  test::run_until(io_, [&] { return second.has_value(); });
  bool first_done_when_second_was = first.has_value();
  test::run_until(io_, [&] { return first.has_value(); });

  EXPECT_FALSE(first_done_when_second_was);
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->status, 503);
  const std::string text =
      "request rejected: 1 concurrent requests (maxConcurrentRequests) already in progress";
  EXPECT_EQ(test::body_of(io_, **second), text);
  EXPECT_EQ((*second)->headers.get("l5d-err"), url_encode(text));
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->status, 502);      // the binding timeout
  EXPECT_EQ(naming_->calls.size(), 1u);  // the rejected request never reached the router
  EXPECT_EQ(settings_.in_flight->load(), 0);
  EXPECT_EQ(server_stats_.pending->value(), 0.0);
  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "status", "503"}), 1u);
}

TEST_F(ServerServiceTest, RequestsWithinMaxConcurrentRequestsAreServed) {
  naming_->answer = BoundTree::pending();
  options_.binding_timeout = std::chrono::milliseconds(100);
  settings_.max_concurrent_requests = 2;
  build();
  std::optional<Result<http::Response>> first, second;
  test::spawn(io_, test::call_into(service_.get(), request("GET", "/", {{"Host", "a"}}), &first));
  test::spawn(io_, test::call_into(service_.get(), request("GET", "/", {{"Host", "b"}}), &second));

  test::run_until(io_, [&] { return first.has_value() && second.has_value(); });

  ASSERT_TRUE(first && *first && second && *second);
  EXPECT_EQ((*first)->status, 502);
  EXPECT_EQ((*second)->status, 502);
  EXPECT_EQ(naming_->calls.size(), 2u);
}

TEST_F(ServerServiceTest, InFlightIsSharedBetweenServicesOfOneServer) {
  // Another worker's request is in flight on the same server.
  settings_.max_concurrent_requests = 1;
  build();
  settings_.in_flight->store(1);

  auto rsp = call(request("GET", "/", {{"Host", "a"}}));

  EXPECT_EQ(rsp.status, 503);
  EXPECT_EQ(settings_.in_flight->load(), 1);
}

TEST_F(ServerServiceTest, RecordsServerStats) {
  build();

  call(request("GET", "/", {}));                   // 400
  call(request("GET", "/", {{"Host", "hello"}}));  // 502
  call(request("GET", "/", {{"Host", "hello"}}));  // 502

  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "requests"}), 3u);
  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "success"}), 1u);  // a 4xx is a success
  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "failures"}), 2u);
  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "status", "400"}), 1u);
  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "status", "502"}), 2u);
  EXPECT_EQ(server_stats_.pending->value(), 0.0);
  EXPECT_EQ(server_stats_.request_latency_ms->live().count, 3u);
}

TEST_F(ServerServiceTest, RecordsServiceStatsOnlyForIdentifiedRequests) {
  build();

  call(request("GET", "/", {}));
  call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(counter({"service", "svc/hello", "requests"}), 1u);
  EXPECT_EQ(counter({"service", "svc/hello", "failures"}), 1u);
  EXPECT_EQ(counter({"service", "svc/hello", "success"}), 0u);
}

TEST_F(ServerServiceTest, L5dErrIsCappedAtMaxHeaderBytes) {
  options_.max_header_bytes = 16;
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.headers.get("l5d-err"), "Unable+to+route+");
  EXPECT_EQ(test::body_of(io_, rsp).substr(0, 24), "Unable to route request!");
}

TEST_F(ServerServiceTest, RecordsStatusClassCounters) {
  // stats.h: "`status/<code>` and `status/<N>XX`, created on first use"; Linkerd's
  // StatusCodeStatsFilter exports both (inventory §11).
  build();

  call(request("GET", "/", {}));                   // 400
  call(request("GET", "/", {{"Host", "hello"}}));  // 502

  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "status", "4XX"}), 1u)
      << "BUG (src/router/stats.cc, server_service.cc): only status/<code> is counted, never "
         "status/<N>XX";
  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "status", "5XX"}), 1u);
}

TEST_F(ServerServiceTest, ServicePendingCountsRequestsInFlight) {
  // RequestStats creates `pending` for every scope, but only ServerService moves it.
  naming_->answer = BoundTree::pending();
  options_.binding_timeout = std::chrono::milliseconds(200);
  build();
  std::optional<Result<http::Response>> out;
  test::spawn(io_, test::call_into(service_.get(), request("GET", "/", {{"Host", "hello"}}), &out));
  test::run_until(io_, [&] { return naming_->calls.size() == 1; });

  double server_pending = server_stats_.pending->value();
  double service_pending = registry_.gauge({"rt", "r", "service", "svc/hello", "pending"})->value();
  test::run_until(io_, [&] { return out.has_value(); });

  EXPECT_EQ(server_pending, 1.0);
  EXPECT_EQ(service_pending, 1.0)
      << "BUG (src/router/router_worker.cc): rt/<r>/service/<name>/pending (and client pending) "
         "are exported but never updated, so they always read 0";
  EXPECT_EQ(registry_.gauge({"rt", "r", "service", "svc/hello", "pending"})->value(), 0.0);
}

TEST_F(ServerServiceTest, RequestAbandonedWhileBindingReleasesItsConcurrencySlot) {
  // The HTTP/1 server cancels ServerService::call when the client goes away. Asio then throws
  // operation_aborted from the next co_await inside the call (the bind back-off timer), so the
  // code after `co_await router_.route(...)` never runs.
  naming_->answer = BoundTree::pending();
  options_.binding_timeout = std::chrono::milliseconds(2000);
  settings_.max_concurrent_requests = 1;
  build();
  bool done = false;
  test::spawn(io_, test::call_abandoned(service_.get(), request("GET", "/", {{"Host", "a"}}),
                                        std::chrono::milliseconds(20), &done));
  test::run_until(io_, [&] { return done; });
  ASSERT_TRUE(done);

  EXPECT_EQ(settings_.in_flight->load(), 0)
      << "BUG (src/router/server_service.cc): a cancelled call never decrements the server's "
         "in-flight count; with maxConcurrentRequests every abandoned request permanently "
         "takes a slot";
  EXPECT_EQ(server_stats_.pending->value(), 0.0);
  auto next = call(request("GET", "/", {{"Host", "b"}}));
  EXPECT_NE(next.status, 503) << test::body_of(io_, next);
}

}  // namespace
}  // namespace meshd::router
