#include "meshd/k8s/api_client.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "k8s/api_client_internal.h"
#include "meshd/core/log.h"
#include "testing/run.h"
#include "unit/k8s/fake_apiserver_process.h"

namespace meshd::k8s {
namespace {

using namespace std::chrono_literals;
using testing::FakeApiServer;
using testing::TempDir;

// ---- value types and helpers -----------------------------------------------------------------

TEST(ApiConfig, AuthorityBracketsIpv6Hosts) {
  ApiConfig v4;
  v4.host = "10.0.0.1";
  v4.port = 443;
  ApiConfig v6;
  v6.host = "fd00::1";
  v6.port = 6443;

  EXPECT_EQ(ApiConfig{}.authority(), "localhost:8001");
  EXPECT_EQ(v4.authority(), "10.0.0.1:443");
  EXPECT_EQ(v6.authority(), "[fd00::1]:6443");
}

TEST(ResourceRef, CollectionPathAndShow) {
  ResourceRef core{"/api/v1", "endpoints", "prod", ""};
  ResourceRef all{"/apis/networking.k8s.io/v1", "ingresses", "", ""};
  ResourceRef selected{"/apis/discovery.k8s.io/v1", "endpointslices", "default",
                       "kubernetes.io/service-name=web"};

  EXPECT_EQ(core.collection_path(), "/api/v1/namespaces/prod/endpoints");
  EXPECT_EQ(all.collection_path(), "/apis/networking.k8s.io/v1/ingresses");
  EXPECT_EQ(core.show(), "endpoints in prod");
  EXPECT_EQ(all.show(), "ingresses in all namespaces");
  EXPECT_EQ(selected.show(),
            "endpointslices in default labelSelector=kubernetes.io/service-name=web");
}

TEST(ApiClientHelpers, UrlEncodeEscapesEverythingButUnreservedCharacters) {
  EXPECT_EQ(detail::url_encode("versionLabel=d3adb33f"), "versionLabel%3Dd3adb33f");
  EXPECT_EQ(detail::url_encode("kubernetes.io/service-name=web,a!=b"),
            "kubernetes.io%2Fservice-name%3Dweb%2Ca%21%3Db");
  EXPECT_EQ(detail::url_encode("env in (a b)"), "env%20in%20%28a%20b%29");
  EXPECT_EQ(detail::url_encode("Az09-._~"), "Az09-._~");
}

TEST(ApiClientHelpers, BackoffGrowsExponentiallyWithJitterBetweenMinAndMax) {
  std::minstd_rand rng(42);
  const auto min = 100ms;
  const auto max = 1000ms;
  std::chrono::milliseconds lowest = max;
  std::chrono::milliseconds highest{0};

  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(detail::backoff_delay(1, min, max, rng), min);
    auto third = detail::backoff_delay(3, min, max, rng);
    EXPECT_GE(third, min);
    EXPECT_LE(third, 400ms);
    auto late = detail::backoff_delay(1000, min, max, rng);
    EXPECT_GE(late, min);
    EXPECT_LE(late, max);
    lowest = std::min(lowest, late);
    highest = std::max(highest, late);
  }

  // Full jitter: late delays spread over the range instead of sticking to the cap.
  EXPECT_LT(lowest, 300ms);
  EXPECT_GT(highest, 800ms);
}

TEST(ApiClientHelpers, RetryAfterTakesDeltaSecondsOnly) {
  http::Headers seconds;
  seconds.add("Retry-After", "3");
  http::Headers date;
  date.add("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");

  EXPECT_EQ(detail::retry_after(seconds), std::chrono::seconds(3));
  EXPECT_FALSE(detail::retry_after(date));
  EXPECT_FALSE(detail::retry_after(http::Headers{}));
}

TEST(ApiClientHelpers, DescribeStatusPrefersTheStatusMessage) {
  const std::string status =
      R"({"kind":"Status","status":"Failure","message":"endpoints is forbidden: User \"x\" cannot list","code":403})";

  EXPECT_EQ(detail::describe_status("/api/v1/endpoints", 403, status),
            "GET /api/v1/endpoints: 403 Forbidden: endpoints is forbidden: User \"x\" cannot list");
  EXPECT_EQ(detail::describe_status("/api", 502, "<html>bad gateway</html>\n"),
            "GET /api: 502 Bad Gateway: <html>bad gateway</html>");
  EXPECT_EQ(detail::describe_status("/api", 500, ""), "GET /api: 500 Internal Server Error");
}

TEST(ApiClientHelpers, ObjectKeyIsNamespaceSlashName) {
  auto namespaced = boost::json::parse(R"({"metadata":{"namespace":"ns","name":"a"}})");
  auto cluster = boost::json::parse(R"({"metadata":{"name":"meshd"}})");
  auto nameless = boost::json::parse(R"({"metadata":{}})");

  EXPECT_EQ(detail::object_key(namespaced.as_object()), "ns/a");
  EXPECT_EQ(detail::object_key(cluster.as_object()), "meshd");
  EXPECT_EQ(detail::object_key(nameless.as_object()), "");
}

/// Sets environment variables for one test and restores them.
class ScopedEnv {
 public:
  void set(const char* name, const std::string& value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old == nullptr ? std::nullopt : std::optional<std::string>(old));
    ::setenv(name, value.c_str(), 1);
  }
  void unset(const char* name) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old == nullptr ? std::nullopt : std::optional<std::string>(old));
    ::unsetenv(name);
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        ::setenv(it->first, it->second->c_str(), 1);
      } else {
        ::unsetenv(it->first);
      }
    }
  }

 private:
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

TEST(InClusterConfig, AbsentWithoutKubernetesServiceHost) {
  ScopedEnv env;
  env.unset("KUBERNETES_SERVICE_HOST");

  EXPECT_FALSE(in_cluster_config());
}

TEST(InClusterConfig, ReadsTheEnvironment) {
  ScopedEnv env;
  env.set("KUBERNETES_SERVICE_HOST", "fd00::1");
  env.set("KUBERNETES_SERVICE_PORT", "6443");
  env.set("MESHD_K8S_SERVICEACCOUNT_DIR", "/tmp/sa");

  auto config = in_cluster_config();

  ASSERT_TRUE(config);
  EXPECT_TRUE(config->tls);
  EXPECT_EQ(config->authority(), "[fd00::1]:6443");
  EXPECT_EQ(config->token_file, "/tmp/sa/token");
  EXPECT_EQ(config->ca_file, "/tmp/sa/ca.crt");
}

TEST(InClusterConfig, DefaultsToPort443AndTheStandardDirectory) {
  ScopedEnv env;
  env.set("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  env.unset("KUBERNETES_SERVICE_PORT");
  env.unset("MESHD_K8S_SERVICEACCOUNT_DIR");

  auto config = in_cluster_config();

  ASSERT_TRUE(config);
  EXPECT_EQ(config->authority(), "10.96.0.1:443");
  EXPECT_EQ(config->token_file, "/var/run/secrets/kubernetes.io/serviceaccount/token");
}

// ---- a scripted raw server, for what the fake's request log cannot show ----------------------

struct Captured {
  std::string head;
  bool accepted = false;
};

/// Accepts one connection, reads a request head, answers `response` (or, when empty, stays
/// silent until the peer goes away).
asio::awaitable<void> serve_once(asio::ip::tcp::acceptor& acceptor, std::shared_ptr<Captured> out,
                                 std::string response) {
  auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
  if (ec) {
    co_return;
  }
  out->accepted = true;
  std::string buf;
  char tmp[1024];
  while (buf.find("\r\n\r\n") == std::string::npos) {
    auto [rec, n] = co_await socket.async_read_some(asio::buffer(tmp), use_nothrow);
    if (rec) {
      co_return;
    }
    buf.append(tmp, n);
  }
  out->head = buf;
  if (response.empty()) {
    auto [rec, n] = co_await socket.async_read_some(asio::buffer(tmp), use_nothrow);
    (void)rec;
    (void)n;
    co_return;
  }
  auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(response), use_nothrow);
  (void)wec;
  (void)wn;
}

class ApiClientTest : public ::testing::Test {
 protected:
  ApiConfig plain(std::uint16_t port) const {
    ApiConfig config;
    config.host = "127.0.0.1";
    config.port = port;
    config.request_timeout = 2s;
    config.backoff_min = 10ms;
    config.backoff_max = 50ms;
    return config;
  }

  ApiClientSharedPtr make(ApiConfig config) {
    client_ = ApiClient::create(io_, std::move(config), registry_, {"k8s"});
    return client_;
  }

  Result<ApiResponse> get(const std::string& path, std::chrono::milliseconds limit = 5s) {
    return meshd::testing::run(io_, client_->get(path), limit);
  }

  std::uint64_t counter(std::vector<std::string> name) {
    name.insert(name.begin(), "k8s");
    return registry_.counter(name)->value();
  }

  void TearDown() override {
    if (client_) {
      client_->stop();
    }
  }

  telemetry::Registry registry_;
  asio::io_context io_;
  ApiClientSharedPtr client_;
};

TEST_F(ApiClientTest, SendsHostAcceptAndUserAgentAndNoTokenInPlainMode) {
  asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
  auto captured = std::make_shared<Captured>();
  asio::co_spawn(io_,
                 serve_once(acceptor, captured,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "Content-Length: 2\r\n\r\n{}"),
                 asio::detached);
  auto config = plain(acceptor.local_endpoint().port());
  config.token_file = "/nonexistent/token";  // never read without TLS
  make(config);

  auto rsp = get("/api/v1/namespaces/default/endpoints?labelSelector=a%3Db");

  ASSERT_TRUE(rsp) << rsp.error().message();
  EXPECT_EQ(rsp->status, 200);
  EXPECT_EQ(rsp->body, "{}");
  const std::string& head = captured->head;
  EXPECT_EQ(
      head.rfind("GET /api/v1/namespaces/default/endpoints?labelSelector=a%3Db HTTP/1.1\r\n", 0),
      0u)
      << head;
  EXPECT_NE(
      head.find("Host: 127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "\r\n"),
      std::string::npos)
      << head;
  EXPECT_NE(head.find("Accept: application/json\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("User-Agent: meshd/" MESHD_VERSION "\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Authorization"), std::string::npos) << head;
  EXPECT_EQ(counter({"client", "requests"}), 1u);
  EXPECT_EQ(counter({"client", "success"}), 1u);
  EXPECT_EQ(counter({"client", "status", "200"}), 1u);
}

TEST_F(ApiClientTest, ConnectionRefusedIsAnError) {
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor closed(io_, {asio::ip::make_address("127.0.0.1"), 0});
    port = closed.local_endpoint().port();
  }
  make(plain(port));

  auto rsp = get("/api");

  ASSERT_FALSE(rsp);
  EXPECT_EQ(rsp.error(), make_error_code(errc::connect_failed));
  EXPECT_EQ(counter({"client", "failures"}), 1u);
}

TEST_F(ApiClientTest, ASilentServerTimesOut) {
  asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
  auto captured = std::make_shared<Captured>();
  asio::co_spawn(io_, serve_once(acceptor, captured, ""), asio::detached);
  auto config = plain(acceptor.local_endpoint().port());
  config.request_timeout = 200ms;
  make(config);

  auto rsp = get("/api");

  ASSERT_FALSE(rsp);
  EXPECT_EQ(rsp.error(), make_error_code(errc::timeout));
}

/// Runs `client.get(path)` and records its outcome.
asio::awaitable<void> get_into(ApiClientSharedPtr client, std::string path,
                               std::shared_ptr<std::optional<Result<ApiResponse>>> out) {
  auto rsp = co_await client->get(std::move(path));
  out->emplace(std::move(rsp));
}

TEST_F(ApiClientTest, StopAbortsAnOutstandingRequest) {
  asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
  auto captured = std::make_shared<Captured>();
  asio::co_spawn(io_, serve_once(acceptor, captured, ""), asio::detached);
  auto config = plain(acceptor.local_endpoint().port());
  config.request_timeout = 30s;
  make(config);
  auto out = std::make_shared<std::optional<Result<ApiResponse>>>();
  asio::co_spawn(io_, get_into(client_, "/api", out), asio::detached);
  meshd::testing::run_until(io_, [&] { return !captured->head.empty(); });
  ASSERT_FALSE(captured->head.empty());

  client_->stop();
  meshd::testing::run_until(
      io_, [&] { return out->has_value(); }, 2s);

  ASSERT_TRUE(out->has_value());
  ASSERT_FALSE(**out);
  EXPECT_EQ((*out)->error(), asio::error::operation_aborted);
}

// ---- against the fake kube-apiserver ---------------------------------------------------------

TEST_F(ApiClientTest, AnErrorStatusIsAResponse) {
  FakeApiServer fake;
  make(plain(fake.port()));

  auto rsp = get("/api/v1/namespaces/default/configmaps/nope");

  ASSERT_TRUE(rsp) << rsp.error().message();
  EXPECT_EQ(rsp->status, 404);
  EXPECT_NE(rsp->body.find("\"kind\":\"Status\""), std::string::npos) << rsp->body;
  EXPECT_EQ(counter({"client", "failures"}), 1u);
  EXPECT_EQ(counter({"client", "status", "404"}), 1u);
}

TEST_F(ApiClientTest, ReadsAChunkedBodySplitAcrossChunks) {
  FakeApiServer fake;
  fake.put(testing::config_map("default", "a", "1"));
  fake.fault(R"({"path": "configmaps", "split_events": 5})");
  make(plain(fake.port()));

  auto rsp = get("/api/v1/namespaces/default/configmaps");

  ASSERT_TRUE(rsp) << rsp.error().message();
  EXPECT_EQ(rsp->status, 200);
  auto list = boost::json::parse(rsp->body);
  EXPECT_EQ(list.at("kind").as_string(), "ConfigMapList");
  EXPECT_EQ(list.at("items").as_array().size(), 1u);
}

TEST_F(ApiClientTest, ServesAnswers200And404AndCachesThem) {
  FakeApiServer fake({"--absent-group", "discovery.k8s.io/v1"});
  make(plain(fake.port()));

  bool networking = meshd::testing::run(io_, client_->serves("/apis/networking.k8s.io/v1"));
  bool discovery = meshd::testing::run(io_, client_->serves("/apis/discovery.k8s.io/v1"));
  bool again = meshd::testing::run(io_, client_->serves("/apis/discovery.k8s.io/v1"));

  EXPECT_TRUE(networking);
  EXPECT_FALSE(discovery);
  EXPECT_FALSE(again);
  EXPECT_EQ(fake.requests().size(), 2u);
}

TEST_F(ApiClientTest, ServesRetriesOtherAnswersWithBackoff) {
  FakeApiServer fake;
  fake.fault(R"({"path": "^/apis/discovery", "status": 503, "count": 2, "retry_after": 0})");
  make(plain(fake.port()));

  bool served = meshd::testing::run(io_, client_->serves("/apis/discovery.k8s.io/v1"));

  EXPECT_TRUE(served);
  auto log = fake.requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].at("status").as_int64(), 503);
  EXPECT_EQ(log[2].at("status").as_int64(), 200);
}

TEST_F(ApiClientTest, SharesOneInformerPerResource) {
  FakeApiServer fake;
  make(plain(fake.port()));
  ResourceRef ref{"/api/v1", "configmaps", "default", ""};

  auto first = client_->informer(ref);
  auto second = client_->informer(ref);
  auto other = client_->informer(ResourceRef{"/api/v1", "configmaps", "kube-system", ""});

  EXPECT_EQ(first, second);
  EXPECT_NE(first, other);
  EXPECT_EQ(registry_.gauge({"k8s", "informers"})->value(), 2.0);
  client_->stop();
  EXPECT_EQ(client_->informer(ResourceRef{"/api/v1", "services", "", ""}), nullptr);
}

// ---- in-cluster mode: TLS and the service-account token --------------------------------------

/// A TLS fake plus a service-account directory, and the in-cluster config pointing at them.
class InClusterTest : public ApiClientTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::generate_certs(certs_));
    sa_.write("token", "token-one\n");
    sa_.write("namespace", "default");
    std::filesystem::copy_file(certs_.file("ca.crt"), sa_.file("ca.crt"));
    fake_ = std::make_unique<FakeApiServer>(
        std::vector<std::string>{"--tls-cert", certs_.file("server.crt"), "--tls-key",
                                 certs_.file("server.key"), "--token", "token-one"},
        true);
    env_.set("KUBERNETES_SERVICE_HOST", "127.0.0.1");
    env_.set("KUBERNETES_SERVICE_PORT", std::to_string(fake_->port()));
    env_.set("MESHD_K8S_SERVICEACCOUNT_DIR", sa_.path().string());
  }

  ApiConfig in_cluster() {
    auto config = in_cluster_config();
    EXPECT_TRUE(config);
    config->request_timeout = 2s;
    return *config;
  }

  TempDir certs_;
  TempDir sa_;
  ScopedEnv env_;
  std::unique_ptr<FakeApiServer> fake_;
};

TEST_F(InClusterTest, SendsTheBearerTokenOverVerifiedTls) {
  make(in_cluster());

  auto rsp = get("/api/v1/namespaces/default/configmaps");

  ASSERT_TRUE(rsp) << rsp.error().message();
  EXPECT_EQ(rsp->status, 200);
  auto log = fake_->requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_TRUE(log[0].at("authorization").as_bool());
}

TEST_F(InClusterTest, VerifiesTheServerAsKubernetesServiceHostByIp) {
  // The certificate has IP:127.0.0.1; the config names the server by that IP (api.md §2.1).
  auto config = in_cluster();
  ASSERT_EQ(config.host, "127.0.0.1");
  make(config);

  auto rsp = get("/version");

  ASSERT_TRUE(rsp) << rsp.error().message();
  EXPECT_EQ(rsp->status, 200);
}

TEST_F(InClusterTest, RereadsARotatedTokenOn401AndNeverLogsIt) {
  auto logged = std::make_shared<std::ostringstream>();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*logged);
  auto logger = log::get("k8s");
  logger->sinks().push_back(sink);
  log::set_level("trace");
  make(in_cluster());
  ASSERT_TRUE(get("/api/v1/namespaces/default/configmaps"));

  sa_.replace("token", "token-two");
  fake_->tokens(R"(["token-two"])");
  fake_->clear_requests();
  auto rsp = get("/api/v1/namespaces/default/configmaps");

  logger->sinks().pop_back();
  log::set_level("info");
  ASSERT_TRUE(rsp) << rsp.error().message();
  EXPECT_EQ(rsp->status, 200);
  auto log = fake_->requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].at("status").as_int64(), 401);
  EXPECT_EQ(log[1].at("status").as_int64(), 200);
  EXPECT_EQ(counter({"client", "status", "401"}), 1u);
  EXPECT_EQ(logged->str().find("token-one"), std::string::npos);
  EXPECT_EQ(logged->str().find("token-two"), std::string::npos);
}

TEST_F(InClusterTest, AnInvalidTokenStays401AfterOneRetry) {
  make(in_cluster());
  fake_->tokens(R"(["someone-else"])");

  auto rsp = get("/api/v1/namespaces/default/configmaps");

  ASSERT_TRUE(rsp) << rsp.error().message();
  EXPECT_EQ(rsp->status, 401);
  EXPECT_EQ(fake_->requests().size(), 2u);
}

TEST_F(InClusterTest, AnotherCaFailsClosed) {
  std::filesystem::copy_file(certs_.file("other-ca.crt"), sa_.file("ca.crt"),
                             std::filesystem::copy_options::overwrite_existing);
  make(in_cluster());
  ResourceRef ref{"/api/v1", "configmaps", "default", ""};
  auto informer = client_->informer(ref);

  auto rsp = get("/api/v1/namespaces/default/configmaps");
  meshd::testing::run_until(io_, [&] { return !informer->last_error().empty(); });

  ASSERT_FALSE(rsp);
  EXPECT_EQ(rsp.error(), make_error_code(errc::tls_handshake_failed));
  EXPECT_FALSE(informer->synced());
  EXPECT_NE(informer->last_error().find("certificate verify failed"), std::string::npos)
      << informer->last_error();
  EXPECT_TRUE(fake_->requests().empty());
}

TEST_F(InClusterTest, VerifiesADnsNameAgainstTheCertificate) {
  auto config = in_cluster();
  config.host = "localhost";  // resolved, sent as SNI and matched against the DNS SAN
  make(config);

  auto rsp = get("/version");

  ASSERT_TRUE(rsp) << rsp.error().message();
  EXPECT_EQ(rsp->status, 200);
}

}  // namespace
}  // namespace meshd::k8s
