#pragma once

// h2 routers: Linkerd's StreamStatsFilter for one stats scope (server, service or client),
// shared by server_service.cc and forward.cc.

#include <chrono>
#include <utility>

#include "meshd/http/message.h"
#include "meshd/router/stats.h"

namespace meshd::router {

/// One exchange watched for one scope's stream stats: the request stream from the start of
/// the exchange, the response stream from the arrival of its head, and the exchange as a whole
/// (`stream/total_latency_ms`) until both have ended. A stream ends well when it ends cleanly;
/// a reset, a lost connection or a reader that went away make it a failure, and a missing
/// response makes the exchange one. A request without a body (its end already arrived) is
/// counted at the start. A watch owns itself: the observers of the two bodies hold it (by a
/// plain pointer, so that they fit in std::function's inline storage), and it goes with the
/// second end. Worker-local: the bodies report on the worker that reads them.
class StreamWatch {
 public:
  using Clock = std::chrono::steady_clock;

  /// The layer's hold on a watch until it knows the response: it must report the response (or
  /// its absence) exactly once, which the destructor does (as no response) for a layer that
  /// unwinds first (a cancelled coroutine). Empty on http routers.
  class Handle {
   public:
    Handle() = default;
    explicit Handle(StreamWatch* watch) : watch_(watch) {}
    ~Handle() { no_response(); }
    Handle(Handle&& other) noexcept : watch_(std::exchange(other.watch_, nullptr)) {}
    Handle& operator=(Handle&&) = delete;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    explicit operator bool() const noexcept { return watch_ != nullptr; }
    /// The response head arrived (`now`: a clock read just before, shared with the caller's
    /// other uses): its stream is watched from then.
    void response(http::Response& rsp, Clock::time_point now);
    /// The exchange ended without a response (an error): a failure once the request stream
    /// ends.
    void no_response();

   private:
    StreamWatch* watch_ = nullptr;
  };

  /// Starts watching `req`'s exchange (begun at `start`) for `stats`; an empty handle when
  /// `stats` is null (an http router's scope).
  static Handle start(H2StreamStatsSharedPtr stats, http::Request& req, Clock::time_point start);

 private:
  StreamWatch(H2StreamStatsSharedPtr stats, Clock::time_point start)
      : stats_(std::move(stats)), start_(start) {}

  void response(http::Response& rsp, Clock::time_point now);
  /// One of the two parts (the request stream, the response stream or its absence) ended at
  /// `now`, cleanly when `ok`; the exchange ends, and the watch goes, with the second.
  void part_ended(bool ok, Clock::time_point now);

  H2StreamStatsSharedPtr stats_;
  Clock::time_point start_;
  Clock::time_point head_{};  ///< when the response head arrived
  int parts_left_ = 2;
  bool ok_ = true;
};

}  // namespace meshd::router
