#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshd::log {

/// Returns the named logger of a module (`get("http1")`), creating it on first use. All loggers
/// write to stderr with one format and share the level set by `set_level`. Thread-safe.
///
/// Cold: meshd logs on errors and rare events, never per request, so the compiler moves every
/// branch that logs out of the way of the code around it (a request's path stays dense in the
/// instruction cache).
[[gnu::cold]] std::shared_ptr<spdlog::logger> get(std::string_view module);

/// Sets the level of every logger, present and future. Returns false for an unknown level name
/// (any name `parse_level` accepts).
bool set_level(std::string_view level);

/// The name under which the level of every logger is listed and set (`/logging.json`), as
/// Linkerd calls its root logger.
inline constexpr std::string_view kRootLogger = "root";

/// A logger and its current level, as `loggers()` lists them.
struct LoggerLevel {
  std::string name;
  spdlog::level::level_enum level = spdlog::level::info;
};

/// Parses a level name, in any case: spdlog's (`trace`, `debug`, `info`, `warn`, `warning`,
/// `err`, `error`, `critical`, `off`) and TwitterServer's, which Linkerd's `/logging.json`
/// takes (`ALL` and `TRACE` → trace, `DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL` and `FATAL`
/// → critical, `OFF`). nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_level(std::string_view name);

/// The TwitterServer name of `level`, as `/logging.json` shows it: `TRACE`, `DEBUG`, `INFO`,
/// `WARNING`, `ERROR`, `CRITICAL` or `OFF`.
std::string_view level_name(spdlog::level::level_enum level);

/// Every logger with its level: `kRootLogger` first (the level new loggers get), then each
/// module's logger sorted by name. The loggers of all of meshd's modules are listed (created if
/// no message was logged yet), so that a level can be set before a module first logs.
/// Thread-safe.
std::vector<LoggerLevel> loggers();

/// Sets the level of logger `name` alone (a later `set_level` overrides it); `kRootLogger` does
/// what `set_level` does. Returns false, changing nothing, when `name` is neither `kRootLogger`
/// nor one of `loggers()`. Thread-safe.
bool set_logger_level(std::string_view name, spdlog::level::level_enum level);

}  // namespace meshd::log
