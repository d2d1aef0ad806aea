#pragma once

#include <boost/asio/executor_work_guard.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "meshd/core/asio.h"
#include "meshd/http1/server.h"
#include "meshd/http2/server.h"
#include "meshd/router/router.h"
#include "meshd/transport/drain.h"
#include "meshd/transport/listener.h"

namespace meshd::app {

/// One worker thread and everything that lives on it. Built on the main thread before the
/// thread starts; afterwards touched only from its own thread (posts from the control thread).
struct Worker {
  explicit Worker(std::size_t index) : index(index) {}
  /// Runs after the thread stopped. Closes what holds sockets outside coroutine frames (the
  /// routers' pooled connections, the acceptors) while `io` still exists; the frames still in
  /// `io` are destroyed with it.
  ~Worker() {
    listeners.clear();
    for (auto& r : routers) {
      r->clear();
    }
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Declaration order is destruction order in reverse, and it matters: the io_context must go
  // after the listeners (acceptors are bound to it) and before what its pending coroutine frames
  // refer to (drain group, server options, services, routers).
  std::size_t index;
  transport::DrainGroup drain;
  std::vector<std::unique_ptr<router::RouterWorker>> routers;
  std::vector<std::shared_ptr<router::ServerService>> services;
  std::deque<http1::ServerOptions> server_options;  // stable addresses: connections refer to them
  std::deque<http2::ServerOptions> h2_server_options;  // likewise, for h2 routers' servers
  // One thread runs it and only that thread touches its sockets (the control thread posts), so
  // the reactor's per-socket locks are off; posting from other threads stays safe.
  asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  asio::steady_timer tick_timer{io};
  std::thread thread;
  std::vector<std::shared_ptr<transport::Listener>> listeners;
};

}  // namespace meshd::app
