#include "meshd/admin/admin_service.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>

#include "admin/handlers_internal.h"
#include "meshd/core/log.h"
#include "meshd/http/body.h"

namespace meshd::admin {
namespace {

bool iequals_ascii(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// `target` with the characters RFC 3986 forbids but clients send raw anyway (curl with a dtab in
// the query: `dtab=/svc=>/#/io.l5d.fs`) percent-encoded, as lenient servers (Netty) accept them.
std::string encode_lenient(std::string_view target) {
  static constexpr std::string_view kRaw = "\"<>\\^`{|}";
  std::string out;
  for (char c : target) {
    if (kRaw.find(c) != std::string_view::npos) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out.push_back('%');
      out.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xF]);
      out.push_back(kHex[static_cast<unsigned char>(c) & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Fills `out.path` and `out.params` from an origin-form (`/a?b=c`) or absolute-form target.
bool parse_target(std::string_view target, AdminRequest& out) {
  const std::string lenient = encode_lenient(target);
  auto url = boost::urls::parse_origin_form(lenient);
  if (!url) {
    url = boost::urls::parse_absolute_uri(lenient);
  }
  if (!url) {
    return false;
  }
  out.path = url->path();
  if (out.path.empty()) {
    out.path = "/";
  }
  for (auto p : url->params()) {
    out.params.emplace_back(p.key, p.value);
  }
  return true;
}

}  // namespace

std::optional<std::string_view> AdminRequest::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) {
      return std::string_view(v);
    }
  }
  return std::nullopt;
}

bool AdminRequest::flag(std::string_view name, bool fallback) const {
  auto v = param(name);
  if (!v) {
    return fallback;
  }
  return *v == "1" || iequals_ascii(*v, "true");
}

AdminService::AdminService(telemetry::Registry& registry, Options options)
    : registry_(registry),
      max_body_bytes_(options.max_body_bytes),
      security_(std::move(options.security)) {
  add_routes(std::move(options));
}

void AdminService::add_routes(Options options) {
  routes_["/admin/ping"] = text_handler("pong");
  routes_["/admin/metrics.json"] = metrics_json_handler(registry_);
  if (!options.prometheus_path.empty()) {
    routes_[options.prometheus_path] =
        prometheus_handler(registry_, std::move(options.prometheus_prefix));
  }
  routes_["/admin/shutdown"] =
      shutdown_handler(options.shutdown_grace, std::move(options.on_shutdown));
  routes_["/admin/ready"] = ready_handler(std::move(options.ready));
  routes_["/admin/listeners.json"] = listeners_handler(std::move(options.listeners));
  if (options.config_json) {
    routes_["/config.json"] = config_json_handler(std::move(options.config_json));
  }
  for (auto& [path, handler] : options.handlers) {
    routes_[path] = std::move(handler);
  }
  // The index lists itself too, so it is built last.
  routes_["/admin"] = nullptr;
  routes_["/admin/index.txt"] = nullptr;
  std::string index;
  for (const auto& path : paths()) {
    index.append(path).append("\n");
  }
  routes_["/admin"] = text_handler(index);
  routes_["/admin/index.txt"] = text_handler(std::move(index));
}

std::vector<std::string> AdminService::paths() const {
  std::vector<std::string> out;
  for (const auto& [path, _] : routes_) {
    out.push_back(path);
  }
  return out;  // std::map keeps them sorted
}

asio::awaitable<Result<http::Response>> AdminService::call(http::Request& req) {
  AdminRequest admin_req;
  if (!parse_target(req.target, admin_req)) {
    co_return http::Response::text(400, "bad request target\n");
  }
  // Linkerd's SecurityFilter sits in front of every admin handler: a refused request is
  // answered before its body is read (the connection then closes if one was sent).
  if (security_ && !security_->allows(admin_req.path)) {
    log::get("admin")->debug("admin path refused by admin.security path={}", admin_req.path);
    co_return http::Response::text(404, "");
  }
  if (req.body) {
    auto read = co_await http::read_all(*req.body, admin_req.body, max_body_bytes_);
    if (!read) {
      if (read.error() != errc::body_too_large) {
        co_return read.error();
      }
      // The rest of the body was not read: the connection cannot carry another request.
      auto rsp = http::Response::text(413, "request body too large\n");
      rsp.headers.add("Connection", "close");
      co_return rsp;
    }
  }
  auto route = routes_.find(admin_req.path);
  if (route == routes_.end()) {
    co_return http::Response::text(404, "");
  }
  admin_req.method = std::move(req.method);
  admin_req.headers = std::move(req.headers);
  // routes_ is never modified after construction, so the handler outlives the coroutine.
  co_return co_await route->second(std::move(admin_req));
}

}  // namespace meshd::admin
