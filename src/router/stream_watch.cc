#include "router/stream_watch.h"

namespace meshd::router {

std::shared_ptr<StreamWatch> StreamWatch::start(H2StreamStatsSharedPtr stats, http::Request& req,
                                                Clock::time_point start) {
  if (!stats || !req.body) {
    return nullptr;
  }
  auto watch = std::make_shared<StreamWatch>(std::move(stats), start);
  http::observe(req.body, [watch](http::BodyEnd& end) {
    watch->stats_->request.record(!end.error, elapsed_ms(watch->start_), end.bytes);
    watch->part_ended(!end.error);
  });
  return watch;
}

void StreamWatch::response(http::Response& rsp) {
  if (!rsp.body) {
    stats_->response.record(true, 0, 0);
    part_ended(true);
    return;
  }
  const auto head = Clock::now();
  http::observe(rsp.body, [watch = shared_from_this(), head](http::BodyEnd& end) {
    watch->stats_->response.record(!end.error, elapsed_ms(head), end.bytes);
    watch->part_ended(!end.error);
  });
}

void StreamWatch::no_response() { part_ended(false); }

void StreamWatch::part_ended(bool ok) {
  ok_ = ok_ && ok;
  if (--parts_left_ == 0) {
    stats_->total.record(ok_, elapsed_ms(start_));
  }
}

}  // namespace meshd::router
