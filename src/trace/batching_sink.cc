#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <utility>

#include "meshd/core/log.h"
#include "meshd/core/spawn.h"
#include "trace/batching_sink_internal.h"

namespace meshd::trace::detail {
namespace {

std::shared_ptr<spdlog::logger> logger() { return log::get("trace"); }

}  // namespace

asio::awaitable<Result<transport::StreamPtr>> connect_any(std::string host, std::uint16_t port,
                                                          std::chrono::milliseconds timeout,
                                                          std::string* why) {
  std::vector<asio::ip::tcp::endpoint> endpoints;
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoints.emplace_back(ip, port);
  } else {
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    auto [rec, results] = co_await resolver.async_resolve(host, std::to_string(port), use_nothrow);
    if (rec) {
      *why = "cannot resolve " + host + ": " + rec.message();
      co_return make_error_code(errc::connect_failed);
    }
    for (const auto& entry : results) {
      endpoints.push_back(entry.endpoint());
    }
  }
  boost::system::error_code last = make_error_code(errc::connect_failed);
  for (const auto& endpoint : endpoints) {
    auto stream = co_await transport::connect(endpoint, timeout);
    if (stream) {
      co_return stream;
    }
    last = stream.error();
  }
  *why = "cannot connect to " + host + ":" + std::to_string(port) + ": " + last.message();
  co_return last;
}

BatchingSink::BatchingSink(std::string name, std::string metrics_scope, double sample_rate,
                           SenderOptions options, telemetry::Registry* registry)
    : name_(std::move(name)),
      sample_rate_(sample_rate),
      options_(options),
      backoff_(options.backoff),
      rng_(std::random_device{}()) {
  if (registry != nullptr) {
    auto scope = registry->scope({"telemetry", std::move(metrics_scope)});
    spans_sent_ = scope.counter("spans_sent");
    spans_dropped_ = scope.counter("spans_dropped");
    send_failures_ = scope.counter("send_failures");
    queued_ = scope.gauge("queued");
  } else {
    spans_sent_ = std::make_shared<telemetry::Counter>();
    spans_dropped_ = std::make_shared<telemetry::Counter>();
    send_failures_ = std::make_shared<telemetry::Counter>();
    queued_ = std::make_shared<telemetry::Gauge>();
  }
}

std::optional<bool> BatchingSink::sample(const TraceId& id) const {
  return sampled_at(sample_rate_, id.trace_id);
}

bool BatchingSink::keeps(const TraceId& id) const {
  return id.debug || id.sampled.value_or(sampled_at(sample_rate_, id.trace_id));
}

void BatchingSink::record(Span span) {
  std::optional<asio::any_io_executor> wake;
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || queue_.size() >= options_.max_queued) {
      spans_dropped_->incr();
      return;
    }
    queue_.push_back(std::move(span));
    queued_->set(static_cast<double>(queue_.size()));
    if (queue_.size() >= options_.max_batch && !wake_pending_ && control_) {
      wake_pending_ = true;
      wake = control_;
    }
  }
  if (wake) {
    // A full batch: end the sender's wait now rather than at the flush interval.
    asio::post(*wake, [self = shared_from_this()] {
      if (self->timer_) {
        self->timer_->cancel();
      }
    });
  }
}

void BatchingSink::start(asio::any_io_executor control) {
  {
    std::lock_guard lock(mutex_);
    if (control_ || stopped_) {
      return;
    }
    control_ = control;
  }
  spawn(control, run(shared_from_this()), "trace sink sender");
}

void BatchingSink::stop() {
  std::optional<asio::any_io_executor> control;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) {
      return;
    }
    stopped_ = true;
    control = control_;
  }
  if (control) {
    asio::post(*control, [self = shared_from_this()] {
      self->stopping_ = true;
      if (self->timer_) {
        self->timer_->cancel();
      }
    });
  }
}

asio::awaitable<void> BatchingSink::run(std::shared_ptr<BatchingSink> self) {
  auto executor = co_await asio::this_coro::executor;
  self->timer_.emplace(executor);
  for (;;) {
    bool full = false;
    {
      std::lock_guard lock(self->mutex_);
      full = self->queue_.size() >= self->options_.max_batch;
      self->wake_pending_ = false;
    }
    if (!full && !self->stopping_) {
      co_await self->sleep(self->options_.flush_interval);
    }
    std::vector<Span> batch = self->take_batch();
    if (batch.empty()) {
      if (self->stopping_) {
        break;
      }
      continue;
    }
    bool sent = co_await self->send(std::move(batch));
    if (!sent && self->stopping_) {
      // The collector is down at shutdown: the rest would fail the same way.
      std::size_t rest = 0;
      {
        std::lock_guard lock(self->mutex_);
        rest = self->queue_.size();
        self->queue_.clear();
        self->queued_->set(0);
      }
      self->drop(rest);
      break;
    }
  }
  self->disconnect();
  self->timer_.reset();
}

asio::awaitable<bool> BatchingSink::send(std::vector<Span> batch) {
  const std::string payload = encode(batch);
  for (int attempt = 1;; ++attempt) {
    std::string why;
    Delivery delivery = co_await deliver(payload, &why);
    if (delivery == Delivery::Sent) {
      spans_sent_->incr(batch.size());
      backoff_.reset();
      if (!healthy_) {
        healthy_ = true;
        logger()->info("collector reachable again telemeter={}", name_);
      }
      co_return true;
    }
    send_failures_->incr();
    if (healthy_) {
      healthy_ = false;
      logger()->warn("span send failed telemeter={} error=\"{}\"", name_, why);
    } else {
      logger()->debug("span send failed telemeter={} error=\"{}\"", name_, why);
    }
    if (delivery == Delivery::Rejected || attempt >= options_.max_attempts || stopping_) {
      drop(batch.size());
      logger()->warn("spans dropped telemeter={} count={} attempts={} error=\"{}\"", name_,
                     batch.size(), attempt, why);
      co_return false;
    }
    co_await sleep(backoff_.next(rng_));
  }
}

asio::awaitable<void> BatchingSink::sleep(std::chrono::milliseconds d) {
  if (stopping_) {
    co_return;
  }
  timer_->expires_after(d);
  co_await timer_->async_wait(use_nothrow);
}

std::vector<Span> BatchingSink::take_batch() {
  std::lock_guard lock(mutex_);
  std::size_t n = std::min(queue_.size(), options_.max_batch);
  std::vector<Span> batch;
  batch.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  queued_->set(static_cast<double>(queue_.size()));
  return batch;
}

void BatchingSink::drop(std::size_t n) { spans_dropped_->incr(n); }

}  // namespace meshd::trace::detail
