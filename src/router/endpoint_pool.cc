#include "meshd/router/endpoint_pool.h"

#include "meshd/transport/stream.h"

namespace meshd::router {

EndpointPool::EndpointPool(asio::ip::tcp::endpoint endpoint, PoolOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {
  label_ = endpoint_.address().to_string() + ":" + std::to_string(endpoint_.port());
}

asio::awaitable<Result<http1::ClientConnectionPtr>> EndpointPool::acquire(bool* reused,
                                                                          bool fresh) {
  auto now = std::chrono::steady_clock::now();
  while (!fresh && !idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    // A connection that rested long may have been closed by the endpoint: peek before reuse.
    // One that was used a moment ago is taken as it is (a close racing us is covered by the
    // replay of bodiless requests), saving a syscall per request under load.
    auto idle = now - conn->idle_since();
    bool fresh = idle < std::chrono::seconds(1);
    if (idle < options_.idle_timeout && (fresh || conn->stream().idle_alive())) {
      *reused = true;
      co_return conn;
    }
    conn->stream().close();
  }
  *reused = false;
  auto stream = co_await transport::connect(endpoint_, options_.connect_timeout);
  if (!stream) {
    co_return stream.error();
  }
  co_return std::make_unique<http1::ClientConnection>(std::move(*stream), options_.limits);
}

http1::Release EndpointPool::releaser() {
  return [weak = weak_from_this()](http1::ClientConnectionPtr conn) {
    if (auto self = weak.lock()) {
      self->release(std::move(conn));
    }
  };
}

void EndpointPool::release(http1::ClientConnectionPtr conn) {
  if (idle_.size() >= options_.max_idle) {
    return;  // conn closes as it goes out of scope
  }
  // Reuse is LIFO (the warmest connection first); connections idle too long are dropped here.
  auto now = std::chrono::steady_clock::now();
  std::erase_if(idle_, [&](const http1::ClientConnectionPtr& c) {
    return now - c->idle_since() >= options_.idle_timeout;
  });
  conn->mark_idle();
  idle_.push_back(std::move(conn));
}

}  // namespace meshd::router
