#pragma once

// h2 routers: Linkerd's StreamStatsFilter for one stats scope (server, service or client),
// shared by server_service.cc and forward.cc.

#include <chrono>
#include <memory>

#include "meshd/http/message.h"
#include "meshd/router/stats.h"

namespace meshd::router {

/// One exchange watched for one scope's stream stats: the request stream from the start of
/// the exchange, the response stream from the arrival of its head, and the exchange as a whole
/// (`stream/total_latency_ms`) until both have ended. A stream ends well when it ends cleanly;
/// a reset, a lost connection or a reader that went away make it a failure, and a missing
/// response makes the exchange one. Worker-local: the bodies report on the worker that reads
/// them.
class StreamWatch : public std::enable_shared_from_this<StreamWatch> {
 public:
  using Clock = std::chrono::steady_clock;

  /// Starts watching `req`'s exchange (begun at `start`) for `stats`; null when `stats` is
  /// (an http router's scope), so that callers can skip the rest.
  static std::shared_ptr<StreamWatch> start(H2StreamStatsSharedPtr stats, http::Request& req,
                                            Clock::time_point start);

  /// The response head arrived: its stream is watched from now.
  void response(http::Response& rsp);

  /// The exchange ended without a response (an error): a failure once the request stream ends.
  void no_response();

  StreamWatch(H2StreamStatsSharedPtr stats, Clock::time_point start)
      : stats_(std::move(stats)), start_(start) {}

 private:
  /// One of the two streams ended (`ok`: cleanly, with a response); the exchange ends with the
  /// second.
  void part_ended(bool ok);

  H2StreamStatsSharedPtr stats_;
  Clock::time_point start_;
  int parts_left_ = 2;
  bool ok_ = true;
};

}  // namespace meshd::router
