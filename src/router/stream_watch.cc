#include "router/stream_watch.h"

namespace meshd::router {

void StreamWatch::Handle::response(http::Response& rsp) {
  if (auto* watch = std::exchange(watch_, nullptr)) {
    watch->response(rsp);
  }
}

void StreamWatch::Handle::no_response() {
  if (auto* watch = std::exchange(watch_, nullptr)) {
    watch->part_ended(false);
  }
}

StreamWatch::Handle StreamWatch::start(H2StreamStatsSharedPtr stats, http::Request& req,
                                       Clock::time_point start) {
  if (!stats || !req.body) {
    return Handle();
  }
  auto* watch = new StreamWatch(std::move(stats), start);
  http::observe(req.body, [watch](http::BodyEnd& end) {
    watch->stats_->request.record(!end.error, elapsed_ms(watch->start_), end.bytes);
    watch->part_ended(!end.error);
  });
  return Handle(watch);
}

void StreamWatch::response(http::Response& rsp) {
  if (!rsp.body) {
    stats_->response.record(true, 0, 0);
    part_ended(true);
    return;
  }
  head_ = Clock::now();
  http::observe(rsp.body, [watch = this](http::BodyEnd& end) {
    watch->stats_->response.record(!end.error, elapsed_ms(watch->head_), end.bytes);
    watch->part_ended(!end.error);
  });
}

void StreamWatch::part_ended(bool ok) {
  ok_ = ok_ && ok;
  if (--parts_left_ == 0) {
    stats_->total.record(ok_, elapsed_ms(start_));
    delete this;
  }
}

}  // namespace meshd::router
