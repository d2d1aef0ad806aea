#include <zlib.h>

#include <charconv>
#include <limits>

#include "meshd/core/timeout.h"
#include "meshd/http/body.h"
#include "meshd/http/message.h"
#include "meshd/http1/client.h"
#include "trace/batching_sink_internal.h"
#include "trace/json_v2_internal.h"

// `io.zipkin.http` (the linkerd-zipkin plugin, zipkin-finagle's HttpZipkinTracer): batches of
// spans as Zipkin JSON v2, gzip'ed by default, POSTed to /api/v2/spans.

namespace meshd::trace {
namespace {

using detail::Delivery;

constexpr std::string_view kSpansPath = "/api/v2/spans";
constexpr std::uint16_t kDefaultPort = 9411;
constexpr std::size_t kMaxResponseBody = std::size_t{64} * 1024;

/// `in` as a gzip member (RFC 1952); nullopt if zlib fails (out of memory).
std::optional<std::string> gzip(std::string_view in) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? std::optional<std::string>(std::move(out)) : std::nullopt;
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; nullopt for a bad port or bracket.
struct HostPort {
  std::string host;
  std::uint16_t port = kDefaultPort;
};
std::optional<HostPort> parse_host_port(std::string_view text) {
  HostPort out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return std::nullopt;
      }
      port_text = rest.substr(1);
    }
  } else if (auto colon = text.rfind(':');
             colon != std::string_view::npos && text.find(':') == colon) {
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  } else {
    out.host = std::string(text);  // a name, or a bare IPv6 address
  }
  if (out.host.empty()) {
    return std::nullopt;
  }
  if (!port_text.empty() || text.back() == ':') {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > std::numeric_limits<std::uint16_t>::max()) {
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

/// Where a kept-alive connection waits between batches (given back by `http1::exchange`).
struct IdleConnection {
  http1::ClientConnectionPtr conn;
};

/// One POST on `conn`; reads the whole (small) response and returns its status. `why` belongs
/// to the caller, which awaits this.
asio::awaitable<Result<int>> post(http1::ClientConnectionPtr conn, http::Request req,
                                  std::shared_ptr<IdleConnection> idle,
                                  http1::ExchangeFailure* why) {
  auto release = [idle](http1::ClientConnectionPtr c) { idle->conn = std::move(c); };
  auto rsp = co_await http1::exchange(std::move(conn), req, release, why);
  if (!rsp) {
    co_return rsp.error();
  }
  std::string body;
  auto read = co_await http::read_all(*rsp->body, body, kMaxResponseBody);
  if (!read) {
    co_return read.error();
  }
  co_return rsp->status;
}

class HttpSink final : public detail::BatchingSink {
 public:
  HttpSink(HostPort target, std::string host_header, bool compression, double sample_rate,
           detail::SenderOptions options, telemetry::Registry* registry)
      : BatchingSink("io.zipkin.http", "zipkin.http", sample_rate, options, registry),
        target_(std::move(target)),
        host_header_(std::move(host_header)),
        compression_(compression),
        idle_(std::make_shared<IdleConnection>()) {}

 protected:
  // detail::BatchingSink
  std::string encode(const std::vector<Span>& batch) override {
    std::string json = detail::encode_spans_json_v2(batch);
    if (compression_) {
      if (auto compressed = gzip(json)) {
        return std::move(*compressed);
      }
    }
    return json;
  }

  asio::awaitable<Delivery> deliver(const std::string& payload, std::string* why) override {
    // A kept-alive connection the collector has closed meanwhile fails at once: then one fresh
    // connection is tried straight away (a duplicate batch is harmless for tracing).
    for (int tries = 0; tries < 2; ++tries) {
      http1::ClientConnectionPtr conn = std::move(idle_->conn);
      if (conn && !conn->stream().idle_alive()) {
        conn.reset();
      }
      const bool reused = conn != nullptr;
      if (!conn) {
        auto stream = co_await detail::connect_any(target_.host, target_.port,
                                                   options().connect_timeout, why);
        if (!stream) {
          co_return Delivery::Retry;
        }
        conn = std::make_unique<http1::ClientConnection>(std::move(*stream), http1::Limits{});
      }
      http1::ExchangeFailure failure;
      auto status = co_await with_timeout(post(std::move(conn), request(payload), idle_, &failure),
                                          options().request_timeout);
      if (!status) {
        if (reused) {
          continue;
        }
        *why = "POST " + std::string(kSpansPath) + ": " + status.error().message() +
               (failure.detail.empty() ? std::string() : ": " + failure.detail);
        co_return Delivery::Retry;
      }
      if (*status / 100 == 2) {
        co_return Delivery::Sent;
      }
      *why = "POST " + std::string(kSpansPath) + ": status " + std::to_string(*status);
      bool transient = *status >= 500 || *status == 408 || *status == 429;
      co_return transient ? Delivery::Retry : Delivery::Rejected;
    }
    *why = "POST " + std::string(kSpansPath) + ": connection closed by the collector";
    co_return Delivery::Retry;
  }

  void disconnect() override { idle_->conn.reset(); }

 private:
  http::Request request(const std::string& payload) const {
    http::Request req;
    req.method = "POST";
    req.target = std::string(kSpansPath);
    req.headers.add("Host", host_header_);
    req.headers.add("Content-Type", "application/json");
    if (compression_) {
      req.headers.add("Content-Encoding", "gzip");
    }
    req.headers.add("User-Agent", "meshd/" MESHD_VERSION);
    req.body = std::make_unique<http::BufferBody>(payload);
    return req;
  }

  const HostPort target_;
  const std::string host_header_;
  const bool compression_;
  std::shared_ptr<IdleConnection> idle_;
};

}  // namespace

namespace detail {

SenderOptions http_sender_options() {
  SenderOptions options;
  options.request_timeout = std::chrono::seconds(1);
  return options;
}

std::shared_ptr<Sink> make_http_sink(std::string_view host_port, std::string host_header,
                                     bool compression, double sample_rate,
                                     telemetry::Registry* registry, SenderOptions options) {
  auto target = parse_host_port(host_port);
  if (!target) {
    return nullptr;
  }
  return std::make_shared<HttpSink>(std::move(*target), std::move(host_header), compression,
                                    sample_rate, options, registry);
}

}  // namespace detail

std::shared_ptr<Sink> make_zipkin_http_sink(std::string host_port, std::string host_header,
                                            bool compression, double sample_rate,
                                            telemetry::Registry* registry) {
  return detail::make_http_sink(host_port, std::move(host_header), compression, sample_rate,
                                registry, detail::http_sender_options());
}

}  // namespace meshd::trace
