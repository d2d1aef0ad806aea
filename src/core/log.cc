#include "meshd/core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace meshd::log {
namespace {

// The module loggers (STYLE.md §8: one per module, named after it), listed by `loggers()` even
// before their first message. k8s_naming logs as `k8s`.
constexpr std::array<std::string_view, 15> kModules = {
    "admin", "app", "config", "core",   "dtab",      "filters", "http",     "http1",
    "k8s",   "lb",  "naming", "router", "telemetry", "trace",   "transport"};

struct State {
  std::mutex mutex;
  spdlog::level::level_enum level = spdlog::level::info;  // of new loggers: the root level
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

State& state() {
  static State s;
  return s;
}

// Returns logger `name`, creating it at the root level. Requires `s.mutex`.
std::shared_ptr<spdlog::logger> get_locked(State& s, std::string_view name) {
  if (auto it = s.loggers.find(name); it != s.loggers.end()) {
    return it->second;
  }
  std::string key(name);
  auto logger = spdlog::get(key);  // registered by someone else: adopt it
  if (!logger) {
    static auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    logger = std::make_shared<spdlog::logger>(key, sink);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ %n: %v");
    logger->set_level(s.level);
    spdlog::register_logger(logger);
  }
  s.loggers.emplace(std::move(key), logger);
  return logger;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::shared_ptr<spdlog::logger> get(std::string_view module) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return get_locked(s, module);
}

bool set_level(std::string_view level) {
  auto parsed = parse_level(level);
  if (!parsed) {
    return false;
  }
  return set_logger_level(kRootLogger, *parsed);
}

std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
  using L = spdlog::level::level_enum;
  static constexpr std::pair<std::string_view, L> kNames[] = {
      {"all", L::trace},         {"trace", L::trace},    {"debug", L::debug}, {"info", L::info},
      {"warn", L::warn},         {"warning", L::warn},   {"err", L::err},     {"error", L::err},
      {"critical", L::critical}, {"fatal", L::critical}, {"off", L::off},
  };
  for (const auto& [text, level] : kNames) {
    if (iequals(name, text)) {
      return level;
    }
  }
  return std::nullopt;
}

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "TRACE";
    case spdlog::level::debug:
      return "DEBUG";
    case spdlog::level::info:
      return "INFO";
    case spdlog::level::warn:
      return "WARNING";
    case spdlog::level::err:
      return "ERROR";
    case spdlog::level::critical:
      return "CRITICAL";
    default:
      return "OFF";
  }
}

std::vector<LoggerLevel> loggers() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  for (auto module : kModules) {
    get_locked(s, module);
  }
  std::vector<LoggerLevel> out;
  out.reserve(s.loggers.size() + 1);
  out.push_back({std::string(kRootLogger), s.level});
  for (const auto& [name, logger] : s.loggers) {  // std::map: sorted by name
    out.push_back({name, logger->level()});
  }
  return out;
}

bool set_logger_level(std::string_view name, spdlog::level::level_enum level) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (name == kRootLogger) {
    s.level = level;
    spdlog::set_level(level);  // every registered logger, ours and any adopted
    return true;
  }
  auto it = s.loggers.find(name);
  if (it == s.loggers.end()) {
    if (std::find(kModules.begin(), kModules.end(), name) == kModules.end()) {
      return false;
    }
    it = s.loggers.find(get_locked(s, name)->name());
  }
  it->second->set_level(level);
  return true;
}

}  // namespace meshd::log
