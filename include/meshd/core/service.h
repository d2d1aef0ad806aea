#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>

#include "meshd/core/result.h"

namespace meshd {

/// Availability hint used by balancers (Finagle's Open/Busy/Closed).
enum class Status { Open, Busy, Closed };

/// Something that turns a request into a response, asynchronously (Finagle's Service).
template <class Req, class Rep>
class Service {
 public:
  virtual ~Service() = default;
  /// Handles one request. Expected failures are returned as errors, never thrown. Runs on the
  /// caller's executor (a worker); cancellation abandons the request. `req` is the caller's and
  /// must outlive the call, which may change it (a router rewrites its headers, takes its body).
  /// By reference, so that the call's coroutine frame holds no copy of it.
  virtual boost::asio::awaitable<Result<Rep>> call(Req& req) = 0;
  /// Cheap availability hint.
  virtual Status status() const { return Status::Open; }
};

/// A decoration around a service (Finagle's Filter): timeouts, retries, stats, header rewrites.
template <class Req, class Rep>
class Filter {
 public:
  virtual ~Filter() = default;
  /// Handles `req`, usually by calling `next`; both outlive the call.
  virtual boost::asio::awaitable<Result<Rep>> call(Req& req, Service<Req, Rep>& next) = 0;
};

}  // namespace meshd
