#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse_query.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "admin/dashboard_internal.h"
#include "admin/handlers_internal.h"
#include "meshd/core/log.h"

namespace meshd::admin {
namespace {

constexpr std::string_view kLevelNames =
    "ALL, TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL, FATAL, OFF";

boost::json::object logger_json(const log::LoggerLevel& l) {
  return {{"logger", l.name}, {"level", log::level_name(l.level)}};
}

http::Response bad_request(std::string message) {
  return http::Response::text(400, std::move(message) + "\n");
}

// The request's parameters: the query's, then those of an `application/x-www-form-urlencoded`
// body (what an HTML form posts). The first value of a name wins.
std::vector<std::pair<std::string, std::string>> form_params(const AdminRequest& req) {
  auto params = req.params;
  auto type = req.headers.get("Content-Type");
  if (req.body.empty() || !type.starts_with("application/x-www-form-urlencoded")) {
    return params;
  }
  auto parsed = boost::urls::parse_query(req.body);
  if (!parsed) {
    return params;
  }
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  for (auto p : *parsed) {
    params.emplace_back(p.key.decode(opts), p.value.decode(opts));
  }
  return params;
}

std::optional<std::string> first(const std::vector<std::pair<std::string, std::string>>& params,
                                 std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) {
      return v;
    }
  }
  return std::nullopt;
}

http::Response list_loggers() {
  boost::json::array out;
  for (const auto& l : log::loggers()) {
    out.push_back(logger_json(l));
  }
  return json_response(200, boost::json::serialize(out));
}

// Sets one logger's level (Linkerd's LoggingApiHandler POST). Unlike Linkerd, which answers 200
// whatever it was given, an unknown logger or level is a 400 that names it.
http::Response set_level(const AdminRequest& req) {
  auto params = form_params(req);
  auto name = first(params, "logger");
  auto level_text = first(params, "level");
  if (!name) {
    return bad_request("missing parameter: logger");
  }
  if (!level_text) {
    return bad_request("missing parameter: level");
  }
  auto level = log::parse_level(*level_text);
  if (!level) {
    return bad_request("unknown level \"" + *level_text + "\": expected one of " +
                       std::string(kLevelNames));
  }
  if (!log::set_logger_level(*name, *level)) {
    return bad_request("unknown logger \"" + *name + "\": see GET /logging.json");
  }
  log::get("admin")->info("log level changed logger={} level={}", *name, log::level_name(*level));
  return json_response(200, boost::json::serialize(logger_json({*name, *level})));
}

asio::awaitable<http::Response> serve(AdminRequest req) {
  if (req.method == "GET" || req.method == "HEAD") {
    co_return list_loggers();
  }
  if (req.method == "POST") {
    co_return set_level(req);
  }
  auto rsp = http::Response::text(405, "method not allowed\n");
  rsp.headers.add("Allow", "GET, POST");
  co_return rsp;
}

}  // namespace

AdminHandler logging_json_handler() { return &serve; }

}  // namespace meshd::admin
