// Forwarding (src/router/forward.cc, endpoint_pool.cc) to scripted HTTP/1.1 backends on
// loopback port 0: request and response decoration, connect failures, keep-alive reuse, the
// stale-connection replay and round robin (inventory §4.4, §5.1, §5.5).

#include <gtest/gtest.h>

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "meshd/router/errors.h"
#include "router_test_util.h"

namespace meshd::router {
namespace {

using test::BoundTree;
using test::request;
using tcp = asio::ip::tcp;

/// A scripted HTTP/1.1 server: records every request head, answers the i-th request with
/// `responses[i]` (or `response`), and closes without answering the requests listed in `drop`
/// as (connection number from 1, request number on that connection from 0).
struct Backend {
  explicit Backend(asio::io_context& io)
      : io(&io), acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  asio::io_context* io;
  tcp::acceptor acceptor;
  std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::vector<std::string> responses;
  std::set<std::pair<int, int>> drop;
  /// Requests, numbered as in `drop`, that are read and never answered.
  std::set<std::pair<int, int>> hang;
  /// Requests, numbered as in `drop`, after whose answer the connection is closed (without a
  /// `Connection: close` header: the client learns it only when it reuses the connection).
  std::set<std::pair<int, int>> close_after;
  std::vector<std::string> heads;
  std::vector<std::string> bodies;
  int connections = 0;
};

/// The value of header `name` in a raw message head, if present (case-insensitive name).
std::optional<std::string> header_of(const std::string& head, std::string_view name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    std::size_t start = pos + 2;
    std::size_t end = head.find("\r\n", start);
    std::string_view line(head.data() + start, end - start);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && http::iequals(line.substr(0, colon), name)) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
      }
      return std::string(value);
    }
    pos = end;
  }
  return std::nullopt;
}

std::string request_line(const std::string& head) { return head.substr(0, head.find("\r\n")); }

asio::awaitable<void> serve_connection(std::shared_ptr<Backend> b, tcp::socket s, int id) {
  std::string buf;
  for (int nth = 0;; ++nth) {
    auto [ec, n] =
        co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n", use_nothrow);
    if (ec) {
      co_return;
    }
    std::string head = buf.substr(0, n);
    buf.erase(0, n);
    std::size_t index = b->heads.size();
    b->heads.push_back(head);
    if (b->drop.count({id, nth}) > 0) {
      s.close();
      co_return;
    }
    if (b->hang.count({id, nth}) > 0) {
      asio::steady_timer forever(s.get_executor(), asio::steady_timer::time_point::max());
      co_await forever.async_wait(use_nothrow);
      co_return;
    }
    std::size_t length = std::stoul(header_of(head, "Content-Length").value_or("0"));
    if (buf.size() < length) {
      auto [rec, rn] = co_await asio::async_read(
          s, asio::dynamic_buffer(buf), asio::transfer_exactly(length - buf.size()), use_nothrow);
      if (rec) {
        co_return;
      }
    }
    b->bodies.push_back(buf.substr(0, length));
    buf.erase(0, length);
    std::string rsp = index < b->responses.size() ? b->responses[index] : b->response;
    auto [wec, wn] = co_await asio::async_write(s, asio::buffer(rsp), use_nothrow);
    if (wec || b->close_after.count({id, nth}) > 0) {
      co_return;  // the socket closes as the frame ends
    }
  }
}

asio::awaitable<void> serve(std::shared_ptr<Backend> b) {
  for (;;) {
    auto [ec, s] = co_await b->acceptor.async_accept(use_nothrow);
    if (ec) {
      co_return;
    }
    ++b->connections;
    test::spawn(*b->io, serve_connection(b, std::move(s), b->connections));
  }
}

class ForwardTest : public test::RouterFixture {
 protected:
  std::shared_ptr<Backend> start_backend() {
    auto b = std::make_shared<Backend>(io_);
    test::spawn(io_, serve(b));
    return b;
  }

  /// A loopback port with nothing listening.
  std::uint16_t closed_port() {
    tcp::acceptor a(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto port = a.local_endpoint().port();
    a.close();
    return port;
  }

  std::string client_id(std::uint16_t port) { return "$/inet/127.0.0.1/" + std::to_string(port); }
};

TEST_F(ForwardTest, ForwardsWithLinkerdRequestHeaders) {
  auto backend = start_backend();
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port(), "/rest/of/name"));
  build();

  auto rsp = call(request("GET", "/a?b",
                          {{"Host", "hello"},
                           {"Via", "1.1 edge"},
                           {"l5d-dtab", "/x=>/y"},
                           {"l5d-ctx-dtab", "/c=>/d"},
                           {"X-App", "kept"},
                           {"Connection", "X-Hop, keep-alive"},
                           {"X-Hop", "1"},
                           {"Keep-Alive", "timeout=5"},
                           {"TE", "trailers"},
                           {"Upgrade", "h2c"},
                           {"Proxy-Authorization", "Basic eA=="},
                           {"Proxy-Connection", "keep-alive"},
                           {"l5d-dst-service", "/spoofed"}}));
  EXPECT_EQ(test::body_of(io_, rsp), "ok");

  ASSERT_EQ(backend->heads.size(), 1u);
  const std::string& head = backend->heads[0];
  EXPECT_EQ(request_line(head), "GET /a?b HTTP/1.1");
  EXPECT_EQ(header_of(head, "Host"), "hello");
  EXPECT_EQ(header_of(head, "X-App"), "kept");
  EXPECT_EQ(header_of(head, "Via"), "1.1 edge, 1.1 linkerd");
  EXPECT_EQ(header_of(head, "l5d-dst-service"), "/svc/hello");
  EXPECT_EQ(header_of(head, "l5d-dst-client"), "/" + client_id(backend->port()));
  EXPECT_EQ(header_of(head, "l5d-dst-residual"), "/rest/of/name");
  EXPECT_EQ(header_of(head, "l5d-ctx-dtab"), "/c=>/d;/x=>/y");
  EXPECT_EQ(header_of(head, "l5d-dtab"), std::nullopt);
  for (const char* hop : {"Connection", "X-Hop", "Keep-Alive", "TE", "Upgrade",
                          "Proxy-Authorization", "Proxy-Connection"}) {
    EXPECT_EQ(header_of(head, hop), std::nullopt) << hop;
  }
}

TEST_F(ForwardTest, OmitsEmptyResidualAndLocalDtab) {
  auto backend = start_backend();
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));
  test::body_of(io_, rsp);

  ASSERT_EQ(backend->heads.size(), 1u);
  EXPECT_EQ(header_of(backend->heads[0], "l5d-dst-residual"), std::nullopt);
  EXPECT_EQ(header_of(backend->heads[0], "l5d-ctx-dtab"), std::nullopt);
  EXPECT_EQ(header_of(backend->heads[0], "Via"), "1.1 linkerd");
}

TEST_F(ForwardTest, AbsoluteFormReachesTheBackendInOriginForm) {
  auto backend = start_backend();
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto rsp = call(request("GET", "http://hello:7777/a?b", {}));
  test::body_of(io_, rsp);

  ASSERT_EQ(naming_->calls.size(), 1u);
  EXPECT_EQ(naming_->calls[0].path, "/svc/hello:7777");
  ASSERT_EQ(backend->heads.size(), 1u);
  EXPECT_EQ(request_line(backend->heads[0]), "GET /a?b HTTP/1.1");
  EXPECT_EQ(header_of(backend->heads[0], "Host"), "hello:7777");
}

TEST_F(ForwardTest, PathIdentifierConsumeRewritesTheForwardedTarget) {
  auto backend = start_backend();
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  options_.identifiers =
      make_identifiers(test::router_config("  identifier: {kind: io.l5d.path, consume: true}\n"));
  build();

  auto rsp = call(request("GET", "/users/42/?q", {{"Host", "h"}}));
  test::body_of(io_, rsp);

  ASSERT_EQ(backend->heads.size(), 1u);
  EXPECT_EQ(request_line(backend->heads[0]), "GET /42/?q HTTP/1.1");
  EXPECT_EQ(header_of(backend->heads[0], "l5d-dst-service"), "/svc/users");
}

TEST_F(ForwardTest, DecoratesTheResponse) {
  auto backend = start_backend();
  backend->response =
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\n"
      "Connection: X-Rsp-Hop\r\nX-Rsp-Hop: 1\r\nVia: 1.1 app\r\nX-App: r\r\n"
      "Proxy-Authenticate: Basic\r\n\r\nok";
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(test::body_of(io_, rsp), "ok");
  EXPECT_EQ(rsp.headers.get("Via"), "1.1 app, 1.1 linkerd");
  EXPECT_EQ(rsp.headers.get("l5d-success-class"), "1.0");
  EXPECT_EQ(rsp.headers.get("X-App"), "r");
  for (const char* hop : {"Keep-Alive", "Connection", "X-Rsp-Hop", "Proxy-Authenticate"}) {
    EXPECT_FALSE(rsp.headers.contains(hop)) << hop;
  }
  EXPECT_FALSE(rsp.headers.contains("l5d-err"));
}

TEST_F(ForwardTest, UpstreamServerErrorIsAResponseClassedAsFailure) {
  auto backend = start_backend();
  backend->response = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy";
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 503);
  EXPECT_EQ(test::body_of(io_, rsp), "busy");
  EXPECT_EQ(rsp.headers.get("l5d-success-class"), "0.0");
  EXPECT_FALSE(rsp.headers.contains("l5d-err"));
  EXPECT_EQ(counter({"client", client_id(backend->port()), "failures"}), 1u);
  EXPECT_EQ(counter({"service", "svc/hello", "failures"}), 1u);
  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "failures"}), 1u);
  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "status", "503"}), 1u);
}

TEST_F(ForwardTest, Http10RequestIsForwardedAs10) {
  auto backend = start_backend();
  backend->response = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}, {1, 0}));
  EXPECT_EQ(test::body_of(io_, rsp), "ok");

  ASSERT_EQ(backend->heads.size(), 1u);
  EXPECT_EQ(request_line(backend->heads[0]), "GET / HTTP/1.0");
  EXPECT_EQ(header_of(backend->heads[0], "Via"), "1.0 linkerd");
  EXPECT_EQ(rsp.headers.get("Via"), "1.0 linkerd");
}

TEST_F(ForwardTest, InterimResponsesAreNotForwarded) {
  auto backend = start_backend();
  backend->response =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nc";
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 201);
  EXPECT_EQ(test::body_of(io_, rsp), "c");
  EXPECT_FALSE(rsp.headers.contains("Link"));
}

TEST_F(ForwardTest, ConnectFailureIs502WithLinkerdText) {
  auto port = closed_port();
  naming_->answer = BoundTree::ok(test::inet_leaf(port));
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 502);
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  const std::string text = "Unable to establish connection to " + addr +
                           ".\n\nservice name: /svc/hello\nclient name: /" + client_id(port) +
                           "\naddresses: [" + addr + "]\nselected address: " + addr + "\n";
  EXPECT_EQ(test::body_of(io_, rsp), text);
  EXPECT_EQ(rsp.headers.get("l5d-err"), url_encode(text));
  EXPECT_FALSE(rsp.headers.contains("Via"));
  EXPECT_FALSE(rsp.headers.contains("l5d-success-class"));
  EXPECT_FALSE(rsp.headers.contains("l5d-retryable"));  // as Linkerd's connect-failure branch
  // Nothing was sent: requeued at once until failure accrual (5 in a row by default) marked
  // the only endpoint dead, leaving no Open endpoint to requeue to.
  EXPECT_EQ(counter({"client", client_id(port), "requests"}), 5u);
  EXPECT_EQ(counter({"client", client_id(port), "failures"}), 5u);
  EXPECT_EQ(counter({"client", client_id(port), "retries", "requeues"}), 4u);
  EXPECT_EQ(counter({"client", client_id(port), "failure_accrual", "removals"}), 1u);
}

TEST_F(ForwardTest, NoEndpointsIs502MarkedRetryableForAnUpstreamMeshd) {
  naming_->answer = BoundTree::ok(test::bound_leaf("/#/io.l5d.fs/hello", dtab::Addr::bound({})));
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 502);
  EXPECT_EQ(test::body_of(io_, rsp).rfind("Unable to route request!", 0), 0u);
  EXPECT_EQ(rsp.headers.get("l5d-retryable"), "true");
}

TEST_F(ForwardTest, ConnectFailureWithoutRequeuesIsReturnedAtOnce) {
  auto port = closed_port();
  naming_->answer = BoundTree::ok(test::inet_leaf(port));
  options_.policies = std::make_shared<const PolicyTable>(PolicyTable::from_config(
      test::router_config("  client:\n"
                          "    requeueBudget: {minRetriesPerSec: 0, percentCanRetry: 0}\n")));
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 502);
  EXPECT_EQ(counter({"client", client_id(port), "requests"}), 1u);
  EXPECT_EQ(counter({"client", client_id(port), "retries", "requeues"}), 0u);
  EXPECT_EQ(counter({"client", client_id(port), "retries", "budget_exhausted"}), 1u);
}

TEST_F(ForwardTest, ConnectFailureListsEveryAddressOfTheClient) {
  auto a = closed_port();
  auto b = closed_port();
  naming_->answer = BoundTree::ok(
      test::bound_leaf("/#/io.l5d.fs/hello",
                       dtab::Addr::bound({{"127.0.0.1", a, {}, 1.0}, {"127.0.0.1", b, {}, 1.0}})));
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 502);
  const std::string first = "127.0.0.1:" + std::to_string(a);
  const std::string second = "127.0.0.1:" + std::to_string(b);
  auto body = test::body_of(io_, rsp);
  EXPECT_NE(body.find("\nclient name: /#/io.l5d.fs/hello\naddresses: [" + first + ", " + second +
                      "]\nselected address: "),
            std::string::npos)
      << body;
}

TEST_F(ForwardTest, AConnectFailureIsRequeuedOnAnotherEndpoint) {
  auto backend = start_backend();
  auto port = closed_port();
  naming_->answer = BoundTree::ok(test::bound_leaf(
      "/#/io.l5d.fs/hello",
      dtab::Addr::bound({{"127.0.0.1", port, {}, 1.0}, {"127.0.0.1", backend->port(), {}, 1.0}})));
  build();

  // p2c picks at random between the two: within a few requests one meets the closed port.
  for (int i = 0; i < 40 && counter({"client", "#/io.l5d.fs/hello", "retries", "requeues"}) == 0;
       ++i) {
    auto rsp = call(request("GET", "/", {{"Host", "hello"}}));
    EXPECT_EQ(test::body_of(io_, rsp), "ok");
  }
  EXPECT_GE(counter({"client", "#/io.l5d.fs/hello", "retries", "requeues"}), 1u);
  EXPECT_EQ(counter({"service", "svc/hello", "failures"}), 0u);
}

TEST_F(ForwardTest, RoundRobinOverTheClientsAddresses) {
  auto a = start_backend();
  auto b = start_backend();
  naming_->answer = BoundTree::ok(test::bound_leaf(
      "/#/io.l5d.fs/hello",
      dtab::Addr::bound({{"127.0.0.1", a->port(), {}, 1.0}, {"127.0.0.1", b->port(), {}, 1.0}})));
  options_.policies = std::make_shared<const PolicyTable>(PolicyTable::from_config(
      test::router_config("  client: {loadBalancer: {kind: roundRobin}}\n")));
  build();

  for (int i = 0; i < 4; ++i) {
    auto rsp = call(request("GET", "/", {{"Host", "hello"}}));
    EXPECT_EQ(test::body_of(io_, rsp), "ok");
  }

  EXPECT_EQ(a->heads.size(), 2u);
  EXPECT_EQ(b->heads.size(), 2u);
  EXPECT_EQ(counter({"client", "#/io.l5d.fs/hello", "requests"}), 4u);
  EXPECT_EQ(counter({"client", "#/io.l5d.fs/hello", "success"}), 4u);
}

/// A body of unknown length, as a chunked request's: `data` in one piece.
class UnsizedBody final : public http::Body {
 public:
  explicit UnsizedBody(std::string data) : data_(std::move(data)) {}
  asio::awaitable<Result<std::string_view>> read() override {
    std::string_view piece = done_ ? std::string_view() : std::string_view(data_);
    done_ = true;
    co_return piece;
  }
  std::optional<std::uint64_t> length() const override { return std::nullopt; }

 private:
  std::string data_;
  bool done_ = false;
};

PolicyTableConstSharedPtr policies(const std::string& router_yaml) {
  return std::make_shared<const PolicyTable>(
      PolicyTable::from_config(test::router_config(router_yaml)));
}

constexpr const char* kBusy = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy";

TEST_F(ForwardTest, ARetryReplaysASmallBodyAndSucceeds) {
  auto backend = start_backend();
  backend->responses = {kBusy};
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  options_.policies =
      policies("  service: {responseClassifier: {kind: io.l5d.http.retryableAll5XX}}\n");
  build();
  auto req = request("POST", "/", {{"Host", "hello"}});
  req.body = std::make_unique<http::BufferBody>("payload");

  auto rsp = call(std::move(req));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(test::body_of(io_, rsp), "ok");
  EXPECT_EQ(rsp.headers.get("l5d-success-class"), "1.0");
  ASSERT_EQ(backend->bodies.size(), 2u);
  EXPECT_EQ(backend->bodies[0], "payload");
  EXPECT_EQ(backend->bodies[1], "payload");
  EXPECT_EQ(backend->connections, 1);  // the 503's body was drained, its connection reused
  EXPECT_EQ(counter({"service", "svc/hello", "retries", "total"}), 1u);
  EXPECT_EQ(counter({"service", "svc/hello", "requests"}), 1u);
  EXPECT_EQ(counter({"service", "svc/hello", "success"}), 1u);
  const std::string client = client_id(backend->port());
  EXPECT_EQ(counter({"client", client, "requests"}), 2u);  // every try
  EXPECT_EQ(counter({"client", client, "failures"}), 1u);
}

TEST_F(ForwardTest, ARetryWaitsOutTheServiceBackoffFirst) {
  auto backend = start_backend();
  backend->responses = {kBusy, kBusy};
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  options_.policies = policies(
      "  service:\n"
      "    responseClassifier: {kind: io.l5d.http.retryableAll5XX}\n"
      "    retries: {backoff: {kind: constant, ms: 150}}\n");
  build();
  const auto start = std::chrono::steady_clock::now();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  // Two retries, each after the constant backoff (a timer never fires early).
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(test::body_of(io_, rsp), "ok");
  EXPECT_EQ(backend->heads.size(), 3u);
  EXPECT_EQ(backend->connections, 1);  // both 503 bodies drained, the connection reused
  EXPECT_EQ(counter({"service", "svc/hello", "retries", "total"}), 2u);
}

TEST_F(ForwardTest, TheDefaultClassifierDoesNotRetry) {
  auto backend = start_backend();
  backend->responses = {kBusy};
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 503);
  EXPECT_EQ(rsp.headers.get("l5d-success-class"), "0.0");
  EXPECT_EQ(backend->heads.size(), 1u);
  EXPECT_EQ(counter({"service", "svc/hello", "retries", "total"}), 0u);
}

TEST_F(ForwardTest, L5dRetryableUpgradesEvenTheDefaultClassifier) {
  auto backend = start_backend();
  backend->responses = {
      "HTTP/1.1 503 Service Unavailable\r\nl5d-retryable: true\r\nContent-Length: 0\r\n\r\n"};
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto rsp = call(request("POST", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(backend->heads.size(), 2u);
}

TEST_F(ForwardTest, AChunkedRequestIsNeverRetried) {
  auto backend = start_backend();
  backend->responses = {kBusy};
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  options_.policies =
      policies("  service: {responseClassifier: {kind: io.l5d.http.retryableAll5XX}}\n");
  build();
  auto req = request("POST", "/", {{"Host", "hello"}});
  req.body = std::make_unique<UnsizedBody>("payload");

  auto rsp = call(std::move(req));

  EXPECT_EQ(rsp.status, 503);
  EXPECT_EQ(counter({"service", "svc/hello", "retries", "total"}), 0u);
}

TEST_F(ForwardTest, ABodyLargerThanTheRetryBufferIsNotRetried) {
  auto backend = start_backend();
  backend->responses = {kBusy};
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  options_.policies =
      policies("  service: {responseClassifier: {kind: io.l5d.http.retryableAll5XX}}\n");
  options_.retry_buffer_bytes = 4;  // streamAfterContentLengthKB, here 4 bytes
  build();
  auto req = request("POST", "/", {{"Host", "hello"}});
  req.body = std::make_unique<http::BufferBody>("payload");

  auto rsp = call(std::move(req));

  EXPECT_EQ(rsp.status, 503);
  ASSERT_EQ(backend->bodies.size(), 1u);
  EXPECT_EQ(backend->bodies[0], "payload");  // streamed through as it was
  EXPECT_EQ(counter({"service", "svc/hello", "retries", "total"}), 0u);
}

TEST_F(ForwardTest, AllSuccessfulMakesA5xxASuccessInEveryScope) {
  auto backend = start_backend();
  backend->response = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  options_.policies =
      policies("  service: {responseClassifier: {kind: io.l5d.http.allSuccessful}}\n");
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 500);
  EXPECT_EQ(rsp.headers.get("l5d-success-class"), "1.0");
  EXPECT_EQ(counter({"service", "svc/hello", "success"}), 1u);
  EXPECT_EQ(counter({"client", client_id(backend->port()), "success"}), 1u);
  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "success"}), 1u);
  EXPECT_EQ(counter({"server", "127.0.0.1/4140", "failures"}), 0u);
}

TEST_F(ForwardTest, KeepAliveReusesOneConnection) {
  auto backend = start_backend();
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  for (int i = 0; i < 3; ++i) {
    auto rsp = call(request("GET", "/", {{"Host", "hello"}}));
    EXPECT_EQ(test::body_of(io_, rsp), "ok");
  }

  EXPECT_EQ(backend->connections, 1);
  EXPECT_EQ(backend->heads.size(), 3u);
}

TEST_F(ForwardTest, ConnectionClosedByTheBackendIsNotReused) {
  auto backend = start_backend();
  backend->response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  for (int i = 0; i < 2; ++i) {
    auto rsp = call(request("GET", "/", {{"Host", "hello"}}));
    EXPECT_EQ(test::body_of(io_, rsp), "ok");
  }

  EXPECT_EQ(backend->connections, 2);
}

TEST_F(ForwardTest, StalePooledConnectionIsReplayedOnceForBodilessRequests) {
  auto backend = start_backend();
  backend->drop = {{1, 1}};  // the second request on the pooled connection finds it closed
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto first = call(request("GET", "/", {{"Host", "hello"}}));
  EXPECT_EQ(test::body_of(io_, first), "ok");
  auto second = call(request("GET", "/two", {{"Host", "hello"}}));

  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(test::body_of(io_, second), "ok");
  EXPECT_EQ(backend->connections, 2);
  ASSERT_EQ(backend->heads.size(), 3u);
  EXPECT_EQ(request_line(backend->heads[2]), "GET /two HTTP/1.1");
  EXPECT_EQ(counter({"client", client_id(backend->port()), "requests"}), 2u);
  EXPECT_EQ(counter({"client", client_id(backend->port()), "success"}), 2u);
}

TEST_F(ForwardTest, StalePooledConnectionIsNotReplayedForRequestsWithABody) {
  auto backend = start_backend();
  backend->drop = {{1, 1}};
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto first = call(request("GET", "/", {{"Host", "hello"}}));
  EXPECT_EQ(test::body_of(io_, first), "ok");
  auto post = request("POST", "/", {{"Host", "hello"}});
  post.body = std::make_unique<http::BufferBody>("data");
  auto second = call(std::move(post));

  EXPECT_EQ(second.status, 502);
  const std::string prefix =
      "exchange with 127.0.0.1:" + std::to_string(backend->port()) + " failed: ";
  EXPECT_EQ(test::body_of(io_, second).substr(0, prefix.size()), prefix);
  EXPECT_EQ(backend->connections, 1);
  EXPECT_EQ(backend->heads.size(), 2u);
}

TEST_F(ForwardTest, FailureOnAFreshConnectionIsNotReplayed) {
  auto backend = start_backend();
  backend->drop = {{1, 0}};
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(rsp.status, 502);
  EXPECT_EQ(backend->connections, 1);
  EXPECT_EQ(backend->heads.size(), 1u);
  EXPECT_EQ(counter({"client", client_id(backend->port()), "failures"}), 1u);
}

TEST_F(ForwardTest, RequestBodyIsStreamedToTheBackend) {
  auto backend = start_backend();
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();
  auto post = request("POST", "/upload", {{"Host", "hello"}});
  post.body = std::make_unique<http::BufferBody>("payload");

  auto rsp = call(std::move(post));
  EXPECT_EQ(test::body_of(io_, rsp), "ok");

  ASSERT_EQ(backend->bodies.size(), 1u);
  EXPECT_EQ(backend->bodies[0], "payload");
  EXPECT_EQ(header_of(backend->heads[0], "Content-Length"), "7");
}

TEST_F(ForwardTest, ClearContextRemovesL5dResponseHeadersAndBlanksUpstreamErrors) {
  auto backend = start_backend();
  backend->responses = {
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nl5d-foo: x\r\n\r\nok",
      "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 6\r\nl5d-err: secret\r\n\r\nsecret",
  };
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  settings_.clear_context = true;
  build();

  auto ok = call(request("GET", "/", {{"Host", "hello"}, {"l5d-ctx-trace", "abc"}}));
  auto err = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(test::body_of(io_, ok), "ok");
  EXPECT_FALSE(ok.headers.contains("l5d-foo"));
  EXPECT_FALSE(ok.headers.contains("l5d-success-class"));
  EXPECT_EQ(ok.headers.get("Via"), "1.1 linkerd");
  EXPECT_EQ(err.status, 502);
  EXPECT_EQ(test::body_of(io_, err), "");
  EXPECT_FALSE(err.headers.contains("l5d-err"));
  ASSERT_EQ(backend->heads.size(), 2u);
  // The caller's trace context is not honoured: meshd starts a trace of its own.
  auto trace = header_of(backend->heads[0], "l5d-ctx-trace");
  ASSERT_TRUE(trace);
  EXPECT_NE(*trace, "abc");
  EXPECT_EQ(header_of(backend->heads[0], "l5d-dst-service"), "/svc/hello");
}

TEST_F(ForwardTest, AddressesThatAreNotIpLiteralsAreSkipped) {
  auto backend = start_backend();
  naming_->answer = BoundTree::ok(test::bound_leaf(
      "/#/io.l5d.fs/hello",
      dtab::Addr::bound({{"not-an-ip", 80, {}, 1.0}, {"127.0.0.1", backend->port(), {}, 1.0}})));
  build();

  for (int i = 0; i < 2; ++i) {
    auto rsp = call(request("GET", "/", {{"Host", "hello"}}));
    EXPECT_EQ(test::body_of(io_, rsp), "ok");
  }

  EXPECT_EQ(backend->heads.size(), 2u);
}

TEST_F(ForwardTest, Http11RequestWithoutHostIsForwardedWithAnEmptyHost) {
  // Linkerd's ViaHeaderAppenderFilter sets `Host:` (empty) on an HTTP/1.1 request that has none
  // (inventory §4.4); RFC 9112 §3.2 makes a Host field mandatory in HTTP/1.1 requests, so a
  // backend may answer 400 to one forwarded without it.
  auto backend = start_backend();
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  options_.identifiers =
      make_identifiers(test::router_config("  identifier: {kind: io.l5d.static, path: /web}\n"));
  build();

  auto rsp = call(request("GET", "/", {}));
  test::body_of(io_, rsp);

  ASSERT_EQ(backend->heads.size(), 1u);
  EXPECT_EQ(header_of(backend->heads[0], "Host"), std::optional<std::string>(""))
      << "BUG (src/router/forward.cc): an HTTP/1.1 request without Host is forwarded without "
         "one; Linkerd adds an empty Host header. Head sent:\n"
      << backend->heads[0];
}

TEST_F(ForwardTest, StaleConnectionReplayUsesAFreshConnection) {
  // Two pooled connections that the backend closes as soon as it reads the next request on
  // them (as when a backend restarts with several idle keep-alive connections: connections that
  // rested less than 1 s are reused without the peek check). forward.cc says "a stale pooled
  // connection is retried once on a fresh one", but the retry calls EndpointPool::acquire(),
  // which hands out the next idle connection first.
  auto backend = start_backend();
  backend->drop = {{1, 1}, {2, 1}};
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();
  std::optional<Result<http::Response>> a, b;
  test::spawn(io_, test::call_into(service_.get(), request("GET", "/a", {{"Host", "h"}}), &a));
  test::spawn(io_, test::call_into(service_.get(), request("GET", "/b", {{"Host", "h"}}), &b));
  test::run_until(io_, [&] { return a.has_value() && b.has_value(); });
  ASSERT_TRUE(a && *a && b && *b);
  EXPECT_EQ(test::body_of(io_, **a), "ok");
  EXPECT_EQ(test::body_of(io_, **b), "ok");
  ASSERT_EQ(backend->connections, 2);  // both connections now rest in the pool

  auto rsp = call(request("GET", "/c", {{"Host", "h"}}));

  EXPECT_EQ(rsp.status, 200)
      << "BUG (src/router/forward.cc): the replay of a request that failed on a stale pooled "
         "connection went to another pooled connection instead of a fresh one; body: "
      << test::body_of(io_, rsp);
  EXPECT_EQ(backend->connections, 3);
}

TEST_F(ForwardTest, RequestAbandonedWhileWaitingOnAPooledConnectionReleasesItsSlot) {
  // The client leaves while a slow backend has not answered on a reused connection. The
  // cancelled read looks like a stale connection ("replayable"), forward() loops to replay it,
  // and the next co_await (pool->acquire) throws operation_aborted: ServerService::call and
  // forward() skip their bookkeeping.
  auto backend = start_backend();
  backend->hang = {{1, 1}};
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  settings_.max_concurrent_requests = 1;
  build();
  auto first = call(request("GET", "/", {{"Host", "hello"}}));
  EXPECT_EQ(test::body_of(io_, first), "ok");
  bool done = false;

  test::spawn(io_,
              test::call_abandoned(service_.get(), request("GET", "/slow", {{"Host", "hello"}}),
                                   std::chrono::milliseconds(50), &done));
  test::run_until(io_, [&] { return done; });

  ASSERT_TRUE(done);
  EXPECT_EQ(settings_.in_flight->load(), 0)
      << "BUG (src/router/forward.cc, server_service.cc): an abandoned request leaks its "
         "in-flight slot and its server `pending`";
  EXPECT_EQ(server_stats_.pending->value(), 0.0);
  EXPECT_EQ(backend->connections, 1) << "the abandoned request was replayed on a new connection";
}

TEST_F(ForwardTest, IdleConnectionClosedByTheBackendIsRecoveredByTheReplay) {
  // Reused within 1 s, the closed connection is not peeked: the replay has to recover.
  auto backend = start_backend();
  backend->close_after = {{1, 0}};
  naming_->answer = BoundTree::ok(test::inet_leaf(backend->port()));
  build();

  auto first = call(request("GET", "/", {{"Host", "hello"}}));
  EXPECT_EQ(test::body_of(io_, first), "ok");
  auto second = call(request("GET", "/", {{"Host", "hello"}}));

  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(test::body_of(io_, second), "ok");
  EXPECT_EQ(backend->connections, 2);
}

}  // namespace
}  // namespace meshd::router
