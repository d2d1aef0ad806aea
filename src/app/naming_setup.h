#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "meshd/config/model.h"
#include "meshd/core/asio.h"
#include "meshd/router/router.h"

namespace meshd::app {

/// The configured namers and the interpreter over them, as the routers use them.
struct Naming {
  /// Binds `path` through `dtab`, then the namers, then `/$/`. Thread-safe.
  router::BindFn bind;
  /// The namers' change counter.
  std::function<std::uint64_t()> generation;
  /// Owns the namers and the interpreter (they run on the control executor).
  std::shared_ptr<void> owner;
};

/// Builds and starts the namers of `config` on `control`. On an environment error (an
/// unreadable rootDir) returns null and appends a message naming the key to `errors`.
std::unique_ptr<Naming> start_naming(const config::Config& config, asio::io_context& control,
                                     std::vector<std::string>& errors);

}  // namespace meshd::app
