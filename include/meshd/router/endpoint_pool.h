#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/http1/client.h"

namespace meshd::router {

/// Connection settings of an endpoint's pool.
struct PoolOptions {
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds idle_timeout{60000};  ///< idle connections older than this close
  std::size_t max_idle = 64;                      ///< idle connections kept per endpoint
  http1::Limits limits;
};

/// The keep-alive HTTP/1.1 connections of one worker to one endpoint. Idle connections are
/// checked before reuse (a peer that closed one is noticed without a failed request) and closed
/// when they have rested longer than `idle_timeout`. Worker-local: no locks.
class EndpointPool : public std::enable_shared_from_this<EndpointPool> {
 public:
  EndpointPool(asio::ip::tcp::endpoint endpoint, PoolOptions options);

  /// A connection from the idle set (unless `fresh`), or a new one. Errors:
  /// `errc::connect_failed`, `errc::timeout` (connect timeout). Sets `*reused` when it came from
  /// the idle set.
  asio::awaitable<Result<http1::ClientConnectionPtr>> acquire(bool* reused, bool fresh = false);

  /// A `Release` that returns connections here (or closes them once the pool is gone).
  http1::Release releaser();

  const asio::ip::tcp::endpoint& endpoint() const noexcept { return endpoint_; }
  /// `ip:port`, as error messages and metrics print it.
  const std::string& label() const noexcept { return label_; }
  std::size_t idle() const noexcept { return idle_.size(); }
  /// Requests in flight through this pool (for balancers).
  std::size_t& outstanding() noexcept { return outstanding_; }

 private:
  void release(http1::ClientConnectionPtr conn);

  asio::ip::tcp::endpoint endpoint_;
  std::string label_;
  PoolOptions options_;
  std::vector<http1::ClientConnectionPtr> idle_;
  std::size_t outstanding_ = 0;
};

using EndpointPoolSharedPtr = std::shared_ptr<EndpointPool>;

}  // namespace meshd::router
