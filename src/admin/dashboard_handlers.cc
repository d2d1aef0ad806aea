#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "admin/dashboard_internal.h"
#include "admin/handlers_internal.h"
#include "meshd/admin/dashboard.h"
#include "meshd/core/log.h"

namespace meshd::admin {
namespace {

using std::chrono::system_clock;

constexpr std::string_view kHtml = "text/html; charset=utf-8";

std::string_view content_type_of(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", kHtml},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
  };
  for (const auto& [suffix, type] : kTypes) {
    if (name.ends_with(suffix)) {
      return type;
    }
  }
  return "application/octet-stream";
}

// A strong validator of `content`: its 64-bit FNV-1a hash, quoted.
std::string etag_of(std::string_view content) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : content) {
    h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

// Whether an `If-None-Match` value (`"a", W/"b"` or `*`) matches `etag` (weak comparison).
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    auto item = if_none_match.substr(0, comma);
    if_none_match = comma == std::string_view::npos ? "" : if_none_match.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
      item.remove_prefix(1);
    }
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
      item.remove_suffix(1);
    }
    if (item.starts_with("W/")) {
      item.remove_prefix(2);
    }
    if (item == "*" || item == etag) {
      return true;
    }
  }
  return false;
}

// The embedded file `name`. The pages are part of the source tree, so a missing one is a
// packaging bug: it is logged and served empty (and the unit tests fail).
std::string_view asset(std::string_view name) {
  for (const auto& a : embedded_assets()) {
    if (a.name == name) {
      return a.content;
    }
  }
  log::get("admin")->error("embedded admin file missing name={}", name);
  return {};
}

AdminHandler file_handler(const EmbeddedAsset& file) {
  struct File {
    std::string_view content;
    std::string_view type;
    std::string etag;
  };
  auto f = std::make_shared<const File>(
      File{file.content, content_type_of(file.name), etag_of(file.content)});
  return [f](AdminRequest req) -> asio::awaitable<http::Response> {
    bool fresh = etag_matches(req.headers.get("If-None-Match"), f->etag);
    auto rsp =
        http::Response::text(fresh ? 304 : 200, fresh ? "" : std::string(f->content), f->type);
    rsp.headers.add("ETag", f->etag);
    rsp.headers.add("Cache-Control", "no-cache");
    rsp.headers.add("X-Content-Type-Options", "nosniff");
    co_return rsp;
  };
}

// Replaces each `{{key}}` of `page` by its value, in one pass (values are not searched).
std::string fill(std::string_view page,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  std::string out;
  out.reserve(page.size());
  while (!page.empty()) {
    auto open = page.find("{{");
    out.append(page.substr(0, open));
    if (open == std::string_view::npos) {
      break;
    }
    page.remove_prefix(open);
    bool replaced = false;
    for (const auto& [key, value] : values) {
      if (!key.empty() && page.size() >= key.size() + 4 && page.substr(2, key.size()) == key &&
          page.substr(2 + key.size(), 2) == "}}") {
        out.append(value);
        page.remove_prefix(key.size() + 4);
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out.append(page.substr(0, 2));
      page.remove_prefix(2);
    }
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// `value` as JSON that can sit in a <script> element: no `<`, so no `</script>` or `<!--`.
std::string script_json(const boost::json::value& value) {
  std::string out;
  for (char c : boost::json::serialize(value)) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

struct Ui {
  DashboardOptions options;
  std::string_view head;               // the head.html fragment (shared <head> elements)
  std::string_view topbar;             // the topbar.html fragment
  std::vector<std::string> own_paths;  // what /help lists without `options.paths`

  // The JSON every page reads from its `meshd-config` script element.
  std::string config_json() const {
    auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(system_clock::now() -
                                                                        options.started);
    boost::json::array routers;
    for (const auto& r : options.routers) {
      routers.emplace_back(r);
    }
    boost::json::object config{{"version", options.version},
                               {"routers", std::move(routers)},
                               {"uptimeMs", uptime.count()}};
    if (!options.requests_json_path.empty()) {
      config["requestsJson"] = options.requests_json_path;
    }
    return script_json(config);
  }

  // `page` with its placeholders filled: the shared head (with the configuration), the top bar
  // and `extra`.
  std::string render(std::string_view page,
                     std::pair<std::string_view, std::string_view> extra = {}) const {
    std::string version = html_escape(options.version);
    std::string bar =
        fill(topbar, {{"version", version},
                      {"requests_hidden", options.requests_json_path.empty() ? " hidden" : ""}});
    std::string config = config_json();
    std::string shared_head = fill(head, {{"config", config}});
    return fill(page, {{"head", shared_head}, {"topbar", bar}, extra});
  }
};

using UiConstSharedPtr = std::shared_ptr<const Ui>;

http::Response page_response(std::string body) {
  auto rsp = http::Response::text(200, std::move(body), kHtml);
  rsp.headers.add("Cache-Control", "no-cache");
  return rsp;
}

AdminHandler page_handler(UiConstSharedPtr ui, std::string_view page) {
  return [ui, page](AdminRequest) -> asio::awaitable<http::Response> {
    co_return page_response(ui->render(page));
  };
}

// What /help says of the paths it knows; others are listed bare.
std::string_view describe(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kKnown[] = {
      {"/", "dashboard: live request rates, success rates and latencies per router"},
      {"/services", "dashboard (same as /)"},
      {"/requests", "recent requests (io.l5d.recentRequests)"},
      {"/requests.json", "recent requests, JSON"},
      {"/logging", "log levels, changeable at run time"},
      {"/logging.json", "log levels, JSON; POST logger=<name>&level=<LEVEL> to change one"},
      {"/help", "this page"},
      {"/delegator", "dtab playground: how a path delegates"},
      {"/delegator.json", "delegation API"},
      {"/config.json", "the parsed configuration"},
      {"/client_state.json", "each client's bound addresses"},
      {"/bound-names.json", "names the namers know"},
      {"/admin", "every admin path, as text"},
      {"/admin/index.txt", "every admin path, as text"},
      {"/admin/ping", "liveness: pong"},
      {"/admin/ready", "readiness: 200 once every router listens"},
      {"/admin/metrics.json", "every metric; ?tree=1 nests, ?pretty=1 indents, ?q=a/b subtree"},
      {"/admin/metrics/prometheus", "every metric in Prometheus text format"},
      {"/admin/listeners.json", "the bound listeners and their ports"},
      {"/admin/server_info", "name, version, start time and uptime"},
      {"/admin/shutdown", "graceful shutdown (POST, ?grace=10.seconds)"},
  };
  for (const auto& [known, text] : kKnown) {
    if (known == path) {
      return text;
    }
  }
  return {};
}

bool is_static_file(std::string_view path) {
  return path.starts_with("/files/") || path.starts_with("/admin/files/");
}

// The rows of /help's table. Static files are left out: they are not pages to visit.
std::string help_rows(const std::vector<std::string>& paths) {
  std::string rows;
  for (const auto& path : paths) {
    if (is_static_file(path)) {
      continue;
    }
    std::string p = html_escape(path);
    bool post_only = path == "/admin/shutdown";
    rows += "<tr><td><code>";
    rows += post_only ? p : "<a href=\"" + p + "\">" + p + "</a>";
    rows += "</code></td><td>" + html_escape(describe(path)) + "</td></tr>\n";
  }
  return rows;
}

AdminHandler help_handler(UiConstSharedPtr ui, std::string_view page) {
  return [ui, page](AdminRequest) -> asio::awaitable<http::Response> {
    auto paths = ui->options.paths ? ui->options.paths() : ui->own_paths;
    co_return page_response(ui->render(page, {"paths", help_rows(paths)}));
  };
}

std::string iso8601(system_clock::time_point t) {
  std::time_t secs = system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// TwitterServer's `/admin/server_info`, with the fields meshd has.
AdminHandler server_info_handler(UiConstSharedPtr ui) {
  return [ui](AdminRequest) -> asio::awaitable<http::Response> {
    auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(system_clock::now() -
                                                                        ui->options.started);
    boost::json::object info{{"name", "meshd"},
                             {"version", ui->options.version},
                             {"start_time", iso8601(ui->options.started)},
                             {"uptime", uptime.count()}};
    co_return json_response(200, boost::json::serialize(info));
  };
}

}  // namespace

std::map<std::string, AdminHandler, std::less<>> dashboard_handlers(DashboardOptions options) {
  auto ui = std::make_shared<Ui>();
  ui->options = std::move(options);
  ui->head = asset("head.html");
  ui->topbar = asset("topbar.html");
  std::map<std::string, AdminHandler, std::less<>> out;
  out["/"] = page_handler(ui, asset("dashboard.html"));
  out["/services"] = out["/"];
  out["/logging"] = page_handler(ui, asset("logging.html"));
  out["/logging.json"] = logging_json_handler();
  out["/help"] = help_handler(ui, asset("help.html"));
  out["/admin/server_info"] = server_info_handler(ui);
  if (!ui->options.requests_json_path.empty()) {
    out["/requests"] = page_handler(ui, asset("requests.html"));
  }
  for (const auto& file : embedded_assets()) {
    if (file.name.ends_with(".html")) {
      continue;  // page templates, served filled in above
    }
    auto handler = file_handler(file);
    out["/files/" + std::string(file.name)] = handler;
    out["/admin/files/" + std::string(file.name)] = std::move(handler);
  }
  for (const auto& [path, _] : out) {
    ui->own_paths.push_back(path);
  }
  return out;
}

}  // namespace meshd::admin
