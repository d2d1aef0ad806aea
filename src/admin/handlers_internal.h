#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "meshd/admin/admin_service.h"

// The built-in admin endpoints, one factory each; AdminService wires them to their paths.
namespace meshd::admin {

/// A complete response with `body` and Content-Type `application/json`.
http::Response json_response(int status, std::string body);

/// `/admin/metrics.json` over `registry`, which must outlive the handler.
AdminHandler metrics_json_handler(telemetry::Registry& registry);

/// Prometheus text over `registry` (which must outlive the handler), names prefixed by `prefix`.
AdminHandler prometheus_handler(telemetry::Registry& registry, std::string prefix);

/// `/admin/shutdown`: POST only; posts `on_shutdown(grace)` to the executor after answering.
AdminHandler shutdown_handler(std::chrono::milliseconds default_grace,
                              std::function<void(std::chrono::milliseconds)> on_shutdown);

/// `/admin/ready`: 200 `ready` when `ready` is unset or returns true, else 503 `not ready`.
AdminHandler ready_handler(std::function<bool()> ready);

/// `/admin/listeners.json`: `[{"router":..., "ip":..., "port":...}]`.
AdminHandler listeners_handler(std::function<std::vector<ListenerInfo>()> listeners);

/// `/config.json`: the callback's JSON text.
AdminHandler config_json_handler(std::function<std::string()> config_json);

/// A handler answering 200 with `body` as text/plain.
AdminHandler text_handler(std::string body);

}  // namespace meshd::admin
