#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "meshd/config/model.h"

namespace meshd::app {

/// The whole proxy built from a validated config (Linkerd's `Linker`): the control thread
/// (namers, admin server, signals) and N workers, each with its own io_context, an acceptor per
/// router server (SO_REUSEPORT), router state and connection pools.
class Linker {
 public:
  virtual ~Linker() = default;

  /// Builds everything and binds every listener. Returns null and prints the problem to stderr
  /// on an environment error (a port in use, an unreadable rootDir). `config` must be valid.
  static std::unique_ptr<Linker> build(const config::Config& config);

  /// Starts the workers and runs the control thread on the calling thread until shutdown
  /// completes (SIGTERM/SIGINT or `POST /admin/shutdown`). Returns the exit status (0).
  virtual int run() = 0;

  /// Starts a graceful shutdown: stop accepting, close idle connections, let in-flight requests
  /// finish for up to `grace`, then stop. Thread-safe.
  virtual void shutdown(std::chrono::milliseconds grace) = 0;
};

}  // namespace meshd::app
