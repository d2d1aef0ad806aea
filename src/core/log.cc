#include "meshd/core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>
#include <string>

namespace meshd::log {
namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

spdlog::level::level_enum& current_level() {
  static spdlog::level::level_enum level = spdlog::level::info;
  return level;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(std::string_view module) {
  std::lock_guard lock(registry_mutex());
  std::string name(module);
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  static auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(name, sink);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ %n: %v");
  logger->set_level(current_level());
  spdlog::register_logger(logger);
  return logger;
}

bool set_level(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return false;
  }
  std::lock_guard lock(registry_mutex());
  current_level() = parsed;
  spdlog::set_level(parsed);
  return true;
}

}  // namespace meshd::log
