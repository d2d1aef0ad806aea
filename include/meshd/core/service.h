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
  /// `call`, with the outcome put in `out` (the caller's, which must outlive the call) instead
  /// of returned: a caller that keeps it in place holds no copy of it in its coroutine frame,
  /// and the service's frame none to return. A service built for it overrides this and makes
  /// `call` the wrapper; this default awaits `call`. `out` holds what the caller put there until
  /// the call sets it, and whatever it got so far if the call is abandoned.
  virtual boost::asio::awaitable<void> call_into(Req& req, Result<Rep>& out) {
    out = co_await call(req);
  }
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
