#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace meshd::log {

/// Returns the named logger of a module (`get("http1")`), creating it on first use. All loggers
/// write to stderr with one format and share the level set by `set_level`. Thread-safe.
std::shared_ptr<spdlog::logger> get(std::string_view module);

/// Sets the level of every logger, present and future. Returns false for an unknown level name
/// (accepted: trace, debug, info, warn, error, off).
bool set_level(std::string_view level);

}  // namespace meshd::log
