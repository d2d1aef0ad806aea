#include "meshd/k8s/api_client.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "k8s/api_client_internal.h"
#include "meshd/core/log.h"
#include "meshd/http1/client.h"
#include "meshd/transport/stream.h"
#include "meshd/transport/tls.h"

namespace meshd::k8s {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxInformers = 256;
constexpr const char* kDefaultServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";
// How much of a non-Status error body goes into an error text.
constexpr std::size_t kMaxErrorBodyChars = 200;

std::shared_ptr<spdlog::logger> logger() { return log::get("k8s"); }

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return std::isspace(c) == 0; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string path_of(std::string_view target) {
  return std::string(target.substr(0, target.find('?')));
}

/// Sends `req` on a fresh connection over `stream` and reads the response head.
asio::awaitable<Result<http::Response>> send(transport::StreamPtr stream, http::Request req,
                                             std::string* failure) {
  auto conn = std::make_unique<http1::ClientConnection>(std::move(stream), http1::Limits{});
  http1::ExchangeFailure why;
  auto rsp = co_await http1::exchange(std::move(conn), req, {}, &why);
  if (!rsp) {
    *failure = why.detail;
  }
  co_return rsp;
}

}  // namespace

// ---- public value types ----------------------------------------------------------------------

std::string ApiConfig::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

std::optional<ApiConfig> in_cluster_config() {
  std::string host = env("KUBERNETES_SERVICE_HOST");
  if (host.empty()) {
    return std::nullopt;
  }
  ApiConfig config;
  config.host = host;
  config.port = 443;
  std::string port = env("KUBERNETES_SERVICE_PORT");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (!port.empty() && ec == std::errc() && end == port.data() + port.size() && value > 0 &&
      value <= 65535) {
    config.port = static_cast<std::uint16_t>(value);
  } else if (!port.empty()) {
    logger()->warn("invalid KUBERNETES_SERVICE_PORT value=\"{}\" using=443", port);
  }
  std::string dir = env("MESHD_K8S_SERVICEACCOUNT_DIR");
  if (dir.empty()) {
    dir = kDefaultServiceAccountDir;
  }
  config.tls = true;
  config.token_file = dir + "/token";
  config.ca_file = dir + "/ca.crt";
  return config;
}

std::string ResourceRef::collection_path() const {
  std::string out = group_version_path;
  if (!ns.empty()) {
    out += "/namespaces/" + ns;
  }
  return out + "/" + resource;
}

std::string ResourceRef::show() const {
  std::string out = resource + " in " + (ns.empty() ? std::string("all namespaces") : ns);
  if (!label_selector.empty()) {
    out += " labelSelector=" + label_selector;
  }
  return out;
}

// ---- internal helpers ------------------------------------------------------------------------

namespace detail {

asio::awaitable<Result<void>> read_body(http::Body& body, std::string& out, std::size_t limit,
                                        milliseconds timeout) {
  for (;;) {
    auto piece = co_await with_timeout(body.read(), timeout);
    if (!piece) {
      co_return piece.error();
    }
    if (piece->empty()) {
      co_return Result<void>{};
    }
    if (out.size() + piece->size() > limit) {
      out.append(piece->substr(0, limit - out.size()));
      co_return make_error_code(errc::body_too_large);
    }
    out.append(*piece);
  }
}

milliseconds backoff_delay(std::uint32_t attempt, milliseconds min, milliseconds max,
                           std::minstd_rand& rng) {
  milliseconds::rep lo = std::max<milliseconds::rep>(min.count(), 0);
  milliseconds::rep hi = std::max(lo, max.count());
  milliseconds::rep ceiling = lo;
  for (std::uint32_t i = 1; i < attempt && ceiling < hi; ++i) {
    ceiling = ceiling > hi / 2 ? hi : std::max<milliseconds::rep>(ceiling * 2, 1);
  }
  ceiling = std::min(ceiling, hi);
  return milliseconds(std::uniform_int_distribution<milliseconds::rep>(lo, ceiling)(rng));
}

std::optional<std::chrono::seconds> retry_after(const http::Headers& headers) {
  std::string_view value = headers.get("Retry-After");
  unsigned long long seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    return std::nullopt;
  }
  return std::chrono::seconds(std::min<unsigned long long>(seconds, 3600));
}

std::string url_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string describe_status(std::string_view path, int status, std::string_view body) {
  std::string out = "GET " + std::string(path) + ": " + std::to_string(status) + " " +
                    std::string(http::reason_phrase(status));
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const auto* message = v.as_object().if_contains("message");
        message != nullptr && message->is_string()) {
      return out + ": " + std::string(message->as_string());
    }
  }
  std::string text = trim(std::string(body.substr(0, kMaxErrorBodyChars)));
  return text.empty() ? out : out + ": " + text;
}

namespace {
std::string metadata_string(const boost::json::object& object, std::string_view field) {
  const auto* meta = object.if_contains("metadata");
  if (meta == nullptr || !meta->is_object()) {
    return {};
  }
  const auto* value = meta->as_object().if_contains(field);
  if (value == nullptr || !value->is_string()) {
    return {};
  }
  return std::string(value->as_string());
}
}  // namespace

std::string object_key(const boost::json::object& object) {
  std::string name = metadata_string(object, "name");
  if (name.empty()) {
    return {};
  }
  std::string ns = metadata_string(object, "namespace");
  return ns.empty() ? name : ns + "/" + name;
}

std::string resource_version(const boost::json::object& object) {
  return metadata_string(object, "resourceVersion");
}

ApiMetrics::ApiMetrics(telemetry::Scope scope)
    : status_scope(scope.scope("client").scope("status")),
      requests(scope.scope("client").counter("requests")),
      success(scope.scope("client").counter("success")),
      failures(scope.scope("client").counter("failures")),
      request_latency_ms(scope.scope("client").histogram("request_latency_ms")),
      watch_started(scope.scope("watch").counter("started")),
      watch_events(scope.scope("watch").counter("events")),
      watch_bookmarks(scope.scope("watch").counter("bookmarks")),
      watch_errors(scope.scope("watch").counter("errors")),
      watch_relists(scope.scope("watch").counter("relists")),
      watch_gone(scope.scope("watch").counter("gone")),
      watch_reconnects(scope.scope("watch").counter("reconnects")),
      watch_active(scope.scope("watch").gauge("active")),
      informers(scope.gauge("informers")) {}

telemetry::CounterSharedPtr ApiMetrics::status(int code) {
  auto& counter = statuses[code];
  if (!counter) {
    counter = status_scope.counter(std::to_string(code));
  }
  return counter;
}

// ---- Connector -------------------------------------------------------------------------------

Connector::Connector(asio::io_context& control, ApiConfig config, telemetry::Scope scope)
    : control_(control),
      config_(std::move(config)),
      metrics_(std::move(scope)),
      rng_(std::random_device{}()) {}

void Connector::stop() {
  stopped_ = true;
  // Expiring (rather than cancelling) also ends a wait that has not started yet.
  for (auto* timer : std::set<asio::steady_timer*>(stop_timers_)) {
    timer->expires_after(asio::steady_timer::duration::zero());
  }
}

asio::awaitable<Result<void>> Connector::sleep(milliseconds d) {
  asio::steady_timer timer(control_, d);
  auto [ec] = co_await timer.async_wait(use_nothrow);
  if (ec || stopped_) {
    co_return make_error_code(asio::error::operation_aborted);
  }
  co_return Result<void>{};
}

milliseconds Connector::backoff(std::uint32_t attempt) {
  return backoff_delay(attempt, config_.backoff_min, config_.backoff_max, rng_);
}

const std::string* Connector::token(bool force, std::string* failure) {
  const auto now = Clock::now();
  if (!force && token_read_at_ && now - *token_read_at_ < config_.token_reread) {
    return &token_;
  }
  std::ifstream in(config_.token_file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) {
    // Keep a token read before: a rotation in progress leaves the file briefly unreadable.
    if (!token_.empty()) {
      return &token_;
    }
    *failure = "cannot read the service-account token " + config_.token_file;
    return nullptr;
  }
  token_ = trim(text.str());
  token_read_at_ = now;
  return &token_;
}

http::Request Connector::make_request(const std::string& target, const std::string* token) const {
  http::Request req;
  req.method = "GET";
  req.target = target;
  req.headers.add("Host", config_.authority());
  req.headers.add("Accept", "application/json");
  req.headers.add("User-Agent", "meshd/" MESHD_VERSION);
  if (token != nullptr) {
    req.headers.add("Authorization", "Bearer " + *token);
  }
  req.headers.add("Connection", "close");
  req.body = http::empty_body();
  return req;
}

asio::awaitable<Result<transport::StreamPtr>> Connector::connect(std::string* failure) {
  std::vector<asio::ip::tcp::endpoint> endpoints;
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(config_.host, ec);
  if (!ec) {
    endpoints.emplace_back(ip, config_.port);
  } else {
    asio::ip::tcp::resolver resolver(control_);
    auto [rec, results] =
        co_await resolver.async_resolve(config_.host, std::to_string(config_.port), use_nothrow);
    if (rec) {
      *failure = "cannot resolve " + config_.host + ": " + rec.message();
      co_return make_error_code(errc::connect_failed);
    }
    for (const auto& entry : results) {
      endpoints.push_back(entry.endpoint());
    }
  }
  boost::system::error_code last = make_error_code(errc::connect_failed);
  for (const auto& endpoint : endpoints) {
    Result<transport::StreamPtr> stream = make_error_code(errc::connect_failed);
    std::string why;
    if (config_.tls) {
      transport::TlsClientOptions options{config_.ca_file, config_.host, true};
      stream = co_await transport::connect_tls(endpoint, options, config_.request_timeout, &why);
    } else {
      stream = co_await transport::connect(endpoint, config_.request_timeout);
    }
    if (stream) {
      co_return stream;
    }
    last = stream.error();
    *failure = config_.authority() + ": " + (why.empty() ? last.message() : why);
  }
  co_return last;
}

asio::awaitable<Result<http::Response>> Connector::open_once(const std::string& target,
                                                             bool fresh_token,
                                                             std::string* failure) {
  const std::string* bearer = nullptr;
  if (config_.tls && !config_.token_file.empty()) {
    bearer = token(fresh_token, failure);
    if (bearer == nullptr) {
      co_return make_error_code(boost::system::errc::permission_denied);
    }
  }
  const auto start = Clock::now();
  metrics_.requests->incr();
  std::string why;
  auto stream = co_await connect(&why);
  Result<http::Response> rsp = make_error_code(errc::connect_failed);
  if (stream) {
    rsp = co_await with_timeout(send(std::move(*stream), make_request(target, bearer), &why),
                                config_.request_timeout);
  } else {
    rsp = stream.error();
  }
  const auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  metrics_.request_latency_ms->record(static_cast<std::uint64_t>(elapsed.count()));
  if (!rsp) {
    metrics_.failures->incr();
    *failure = "GET " + path_of(target) + ": " + rsp.error().message() +
               (why.empty() ? std::string() : ": " + why);
    co_return rsp;
  }
  metrics_.status(rsp->status)->incr();
  (rsp->status / 100 == 2 ? metrics_.success : metrics_.failures)->incr();
  co_return rsp;
}

asio::awaitable<Result<http::Response>> Connector::open(std::string target, std::string* failure) {
  std::string why;
  auto rsp = co_await open_once(target, false, &why);
  if (rsp && rsp->status == 401 && config_.tls && !config_.token_file.empty()) {
    // A rotated token: read the file again and retry once (api.md §2.1).
    logger()->debug("unauthorized, re-reading the token path={}", path_of(target));
    rsp = make_error_code(errc::upstream_reset);  // closes the first connection now
    rsp = co_await open_once(target, true, &why);
  }
  if (!rsp && failure != nullptr) {
    *failure = std::move(why);
  }
  co_return rsp;
}

asio::awaitable<Result<ApiResponse>> Connector::fetch(std::string target, std::string* failure,
                                                      http::Headers* headers) {
  std::string why;
  auto rsp = co_await open(target, &why);
  if (!rsp) {
    if (failure != nullptr) {
      *failure = std::move(why);
    }
    co_return rsp.error();
  }
  ApiResponse out;
  out.status = rsp->status;
  if (headers != nullptr) {
    *headers = rsp->headers;
  }
  auto read = co_await read_body(*rsp->body, out.body, kMaxBodyBytes, config_.request_timeout);
  if (!read) {
    if (failure != nullptr) {
      *failure = "GET " + path_of(target) + ": reading the body: " + read.error().message();
    }
    co_return read.error();
  }
  co_return out;
}

}  // namespace detail

// ---- ApiClient -------------------------------------------------------------------------------

namespace {

class ApiClientImpl final : public ApiClient {
 public:
  ApiClientImpl(asio::io_context& control, ApiConfig config, telemetry::Registry& registry,
                std::vector<std::string> scope)
      : connector_(std::make_shared<detail::Connector>(control, std::move(config),
                                                       registry.scope(std::move(scope)))) {}

  ~ApiClientImpl() override { stop(); }

  // k8s::ApiClient
  asio::awaitable<Result<ApiResponse>> get(std::string path_and_query) override;
  InformerSharedPtr informer(const ResourceRef& ref) override;
  asio::awaitable<bool> serves(std::string group_version_path) override;
  const ApiConfig& config() const override { return connector_->config(); }
  void stop() override;

 private:
  std::shared_ptr<detail::Connector> connector_;
  std::map<ResourceRef, InformerSharedPtr> informers_;
  std::map<std::string, bool> served_;
};

asio::awaitable<Result<ApiResponse>> ApiClientImpl::get(std::string path_and_query) {
  auto self = shared_from_this();  // the frame keeps the connector alive
  std::string failure;
  auto rsp = co_await connector_->until_stopped(connector_->fetch(path_and_query, &failure));
  if (!rsp) {
    logger()->debug("request failed error=\"{}\"", failure);
  }
  co_return rsp;
}

InformerSharedPtr ApiClientImpl::informer(const ResourceRef& ref) {
  if (auto it = informers_.find(ref); it != informers_.end()) {
    return it->second;
  }
  if (connector_->stopped() || informers_.size() >= kMaxInformers) {
    return nullptr;
  }
  auto created = detail::start_informer(connector_, ref);
  informers_.emplace(ref, created);
  connector_->metrics().informers->set(static_cast<double>(informers_.size()));
  return created;
}

asio::awaitable<bool> ApiClientImpl::serves(std::string group_version_path) {
  auto self = shared_from_this();
  for (std::uint32_t attempt = 1;; ++attempt) {
    if (auto it = served_.find(group_version_path); it != served_.end()) {
      co_return it->second;
    }
    std::string failure;
    http::Headers headers;
    auto rsp = co_await connector_->until_stopped(
        connector_->fetch(group_version_path, &failure, &headers));
    if (connector_->stopped()) {
      co_return false;
    }
    if (rsp && (rsp->status == 200 || rsp->status == 404)) {
      served_.emplace(group_version_path, rsp->status == 200);
      logger()->info("api discovery group_version={} served={}", group_version_path,
                     rsp->status == 200);
      continue;  // answered from the cache above (also if another caller got there first)
    }
    std::string error =
        rsp ? detail::describe_status(group_version_path, rsp->status, rsp->body) : failure;
    if (attempt == 3 || attempt % 20 == 0) {
      logger()->warn("api discovery failing group_version={} attempts={} error=\"{}\"",
                     group_version_path, attempt, error);
    }
    auto delay = connector_->backoff(attempt);
    if (auto hint = detail::retry_after(headers)) {
      delay = std::max(delay, std::min<milliseconds>(*hint, config().backoff_max));
    }
    auto slept = co_await connector_->until_stopped(connector_->sleep(delay));
    if (!slept) {
      co_return false;
    }
  }
}

void ApiClientImpl::stop() {
  if (connector_->stopped()) {
    return;
  }
  connector_->stop();
}

}  // namespace

std::shared_ptr<ApiClient> ApiClient::create(asio::io_context& control, ApiConfig config,
                                             telemetry::Registry& registry,
                                             std::vector<std::string> scope) {
  return std::make_shared<ApiClientImpl>(control, std::move(config), registry, std::move(scope));
}

}  // namespace meshd::k8s
