#include "meshd/router/stream_watch.h"

#include <cstdint>
#include <optional>

namespace meshd::router {

void StreamWatch::Handle::response(http::Response& rsp, Clock::time_point now) {
  if (auto* watch = std::exchange(watch_, nullptr)) {
    watch->response(rsp, now);
  }
}

void StreamWatch::Handle::no_response() {
  if (auto* watch = std::exchange(watch_, nullptr)) {
    watch->part_ended(false, Clock::now());
  }
}

StreamWatch::Handle StreamWatch::start(H2StreamStatsSharedPtr stats, http::Request& req,
                                       Clock::time_point start) {
  if (!stats || !req.body) {
    return Handle();
  }
  auto* watch = new StreamWatch(std::move(stats), start);
  if (req.body->length() == std::optional<std::uint64_t>{0} &&
      req.body->arrived() == std::optional<std::uint64_t>{0}) {
    // A request without a body (HEADERS with END_STREAM, most of them) has ended already, and
    // cleanly however it is read or dropped: its stream is counted now, with no body wrapped to
    // tell (one heap block per request and scope less, and none touched at its end).
    watch->stats_->request.record(true, 0, 0);
    watch->part_ended(true, start);
    return Handle(watch);
  }
  http::observe(req.body, [watch](http::BodyEnd& end) {
    watch->stats_->request.record(!end.error, ms_between(watch->start_, end.at), end.bytes);
    watch->part_ended(!end.error, end.at);
  });
  return Handle(watch);
}

void StreamWatch::response(http::Response& rsp, Clock::time_point now) {
  if (!rsp.body) {
    stats_->response.record(true, 0, 0);
    part_ended(true, now);
    return;
  }
  head_ = now;
  http::observe(rsp.body, [watch = this](http::BodyEnd& end) {
    watch->stats_->response.record(!end.error, ms_between(watch->head_, end.at), end.bytes);
    watch->part_ended(!end.error, end.at);
  });
}

void StreamWatch::part_ended(bool ok, Clock::time_point now) {
  ok_ = ok_ && ok;
  if (--parts_left_ == 0) {
    stats_->total.record(ok_, ms_between(start_, now));
    delete this;
  }
}

}  // namespace meshd::router
