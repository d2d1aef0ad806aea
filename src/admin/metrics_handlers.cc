#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "admin/handlers_internal.h"
#include "meshd/telemetry/json_export.h"
#include "meshd/telemetry/prometheus_export.h"

namespace meshd::admin {

http::Response json_response(int status, std::string body) {
  return http::Response::text(status, std::move(body), "application/json");
}

AdminHandler metrics_json_handler(telemetry::Registry& registry) {
  return [&registry](AdminRequest req) -> asio::awaitable<http::Response> {
    telemetry::MetricsNode root = registry.sample();
    const telemetry::MetricsNode* subtree = &root;
    auto q = req.param("q");
    if (q) {
      subtree = telemetry::find_subtree(root, *q);
    }
    if (subtree == nullptr) {
      // Linkerd's text, with `q` escaped so that the body stays JSON whatever was asked.
      std::string quoted = boost::json::serialize(boost::json::string(*q));
      co_return json_response(
          404, R"({"error": "No such subtree: )" + quoted.substr(1, quoted.size() - 2) + "\"}");
    }
    bool pretty = req.flag("pretty");
    co_return json_response(200, req.flag("tree") ? telemetry::to_json_tree(*subtree, pretty)
                                                  : telemetry::to_json_flat(*subtree, pretty));
  };
}

AdminHandler prometheus_handler(telemetry::Registry& registry, std::string prefix) {
  return [&registry, prefix = std::move(prefix)](AdminRequest) -> asio::awaitable<http::Response> {
    co_return http::Response::text(200, telemetry::to_prometheus(registry.sample(), prefix),
                                   "text/plain; version=0.0.4");
  };
}

}  // namespace meshd::admin
