#pragma once

#include <boost/asio/cancellation_signal.hpp>

#include <functional>
#include <memory>
#include <string>

#include "meshd/core/asio.h"
#include "meshd/core/service.h"
#include "meshd/http/message.h"
#include "meshd/http1/parser.h"
#include "meshd/http1/writer.h"
#include "meshd/transport/drain.h"
#include "meshd/transport/stream.h"

namespace meshd::http1 {

using HttpService = Service<http::Request, http::Response>;
using HttpServiceSharedPtr = std::shared_ptr<HttpService>;

/// Per-server hooks and limits of the HTTP/1.1 server codec.
struct ServerOptions {
  Limits limits;
  /// Called when a connection opens (+1) and closes (-1), for the `connections` gauge.
  std::function<void(int)> on_connection;
};

/// Serves HTTP/1.x on one accepted connection: reads requests (keep-alive and pipelining, one
/// request at a time so responses stay in order), hands each to `service`, and streams the
/// response back with the right framing (Content-Length, chunked with trailers, or close-delimited
/// for HTTP/1.0). Answers `Expect: 100-continue` itself when the body is first read. Malformed
/// requests get 400/414/431 and the connection is closed. A client that goes away while its
/// request is in flight cancels the request. Lives on one worker.
class ServerConnection final : public transport::Drainable,
                               public std::enable_shared_from_this<ServerConnection> {
 public:
  ServerConnection(transport::StreamPtr stream, HttpServiceSharedPtr service,
                   const ServerOptions& options, transport::DrainGroup& drain_group);
  ~ServerConnection() override;

  /// Starts serving on the stream's executor.
  void start();

  // transport::Drainable
  void drain() noexcept override;
  void tick(std::chrono::steady_clock::time_point now) noexcept override;

  /// A request in flight longer than this gets its client watched for a close.
  static constexpr std::chrono::milliseconds kWatchAfter{100};
  /// A connection found waiting for its next request at this many ticks in a row (and no
  /// request served in between) has its socket checked once for a FIN that came with its last
  /// request (see DrainBuffer): closed then, not kept until the client's
  /// next request that never comes.
  static constexpr unsigned kIdleCheckTicks = 2;

  // Used by the request body.
  asio::awaitable<Result<std::string_view>> read_body();
  const http::Headers& trailers();
  std::optional<std::uint64_t> body_length();

 private:
  class RequestBody;

  /// Serves requests until the connection ends. One coroutine frame per connection; a request
  /// adds only `read_head`, the service call and `write_message` (no per-request helpers).
  static asio::awaitable<void> run(std::shared_ptr<ServerConnection> self);
  http::Request build_request();
  /// Ends the watch of an answered request; false when the client went away meanwhile.
  bool end_watch();
  void watch_client();
  /// What the client's side of the socket holds, peeked without waiting: 0 after its FIN, 1
  /// when bytes are there, -1 when nothing (or an error: left to the reads).
  int peek_client() noexcept;
  /// Sets `rsp`'s framing and serialises its head into `head_`; returns the framing and clears
  /// `keep_alive` when the framing needs a close.
  Framing prepare_response(http::Response& rsp, http::Version version, bool is_head,
                           bool& keep_alive);
  asio::awaitable<void> write_parse_failure();
  asio::awaitable<void> write_interim(const http::Response& rsp);

  transport::StreamPtr stream_;
  HttpServiceSharedPtr service_;
  const ServerOptions& options_;
  transport::DrainGroup& drain_group_;
  std::unique_ptr<class MessageReader> reader_;
  /// The response head being written; kept across requests so that its memory is reused.
  std::string head_;
  /// Cancels the connection's coroutine (and so the in-flight request) when the client leaves.
  asio::cancellation_signal cancel_;
  std::uint64_t watch_id_ = 0;
  bool watching_ = false;
  /// When the in-flight request (with its body fully read) was handed to the service.
  std::optional<std::chrono::steady_clock::time_point> watchable_since_;
  char peek_byte_ = 0;
  bool client_gone_ = false;
  bool idle_ = true;
  /// Request heads read so far, and the count and idle ticks the tick last saw.
  std::uint64_t requests_ = 0;
  std::uint64_t requests_at_tick_ = 0;
  unsigned idle_ticks_ = 0;
  bool draining_ = false;
  bool expect_continue_ = false;
};

}  // namespace meshd::http1
