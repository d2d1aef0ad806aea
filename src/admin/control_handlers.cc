#include <boost/asio/post.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "admin/handlers_internal.h"
#include "admin/twitter_duration_internal.h"
#include "meshd/core/log.h"

namespace meshd::admin {

AdminHandler shutdown_handler(std::chrono::milliseconds default_grace,
                              std::function<void(std::chrono::milliseconds)> on_shutdown) {
  return [default_grace, on_shutdown = std::move(on_shutdown)](
             AdminRequest req) -> asio::awaitable<http::Response> {
    if (req.method != "POST") {
      auto rsp = http::Response::text(405, "method not allowed\n");
      rsp.headers.add("Allow", "POST");
      co_return rsp;
    }
    auto grace = default_grace;
    if (auto text = req.param("grace")) {
      auto parsed = parse_twitter_duration(*text);
      if (!parsed) {
        co_return http::Response::text(
            400, "could not parse 'grace' parameter: " + std::string(*text) + "\n");
      }
      grace = *parsed;
    }
    log::get("admin")->info("shutdown requested grace_ms={}", grace.count());
    if (on_shutdown) {
      // Posted so that it runs after this handler returned: it may tear down the admin server.
      asio::post(co_await asio::this_coro::executor, [cb = on_shutdown, grace] { cb(grace); });
    }
    co_return http::Response::text(200, "quitting\n");
  };
}

AdminHandler ready_handler(std::function<bool()> ready) {
  return [ready = std::move(ready)](AdminRequest) -> asio::awaitable<http::Response> {
    if (!ready || ready()) {
      co_return http::Response::text(200, "ready");
    }
    co_return http::Response::text(503, "not ready");
  };
}

AdminHandler listeners_handler(std::function<std::vector<ListenerInfo>()> listeners) {
  return [listeners = std::move(listeners)](AdminRequest) -> asio::awaitable<http::Response> {
    boost::json::array out;
    if (listeners) {
      for (const auto& l : listeners()) {
        out.push_back(boost::json::object{{"router", l.router}, {"ip", l.ip}, {"port", l.port}});
      }
    }
    co_return json_response(200, boost::json::serialize(out));
  };
}

AdminHandler config_json_handler(std::function<std::string()> config_json) {
  return [config_json = std::move(config_json)](AdminRequest) -> asio::awaitable<http::Response> {
    co_return json_response(200, config_json());
  };
}

AdminHandler text_handler(std::string body) {
  return [body = std::move(body)](AdminRequest) -> asio::awaitable<http::Response> {
    co_return http::Response::text(200, body);
  };
}

}  // namespace meshd::admin
