#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "meshd/admin/admin_service.h"

// The admin UI (inventory §10.1): the dashboard at `/`, the `/requests`, `/logging` and `/help`
// pages, the `/logging.json` API, `/admin/server_info` and the static files they load. The pages
// are self-contained (no external assets, no CDN) and embedded in the binary. docs/admin.md
// describes every path; the lead registers them in `AdminService::Options::handlers`.
namespace meshd::admin {

/// What the admin UI needs to know about the process (outside the function so `= {}` defaults
/// work with GCC).
struct DashboardOptions {
  /// The routers' labels in config order: the dashboard shows one section each.
  std::vector<std::string> routers;
  /// The version the pages and `/admin/server_info` show.
  std::string version = MESHD_VERSION;
  /// When the process started (uptime).
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  /// Every admin path (`AdminService::paths`), listed by `/help`. Called on the admin executor
  /// at each request, so it may read the service built after the handlers. Unset: `/help` lists
  /// the UI's own paths.
  std::function<std::vector<std::string>()> paths;
  /// The recent requests API the `/requests` page polls (`/requests.json`, served by the
  /// `io.l5d.recentRequests` telemeter). Empty: no `/requests` page and no link to it.
  std::string requests_json_path;
};

/// The admin UI's handlers by exact path:
/// - `/` and `/services`: the dashboard (`?router=<label>` shows that router alone), polling
///   `/admin/metrics.json?tree=1` every second;
/// - `/requests`: recent requests from `requests_json_path` (only when that is set);
/// - `/logging`: every logger with a level selector;
/// - `/logging.json`: GET → `[{"logger":"root","level":"INFO"}, …]`; POST with `logger` and
///   `level` (query or `application/x-www-form-urlencoded` body) sets a level: 200 with the
///   logger's new entry, 400 naming an unknown or missing logger or level; 405 otherwise;
/// - `/help`: an HTML index linking every path of `paths()`;
/// - `/admin/server_info`: `{"name":"meshd","version":…,"start_time":…,"uptime":<ms>}`;
/// - `/files/<name>` and `/admin/files/<name>`: the embedded scripts, styles and images, with
///   their Content-Type, `Cache-Control: no-cache` and an ETag (304 on `If-None-Match`).
/// Pages are `text/html; charset=utf-8`. Every handler runs on the admin executor and answers
/// at once (no I/O); the returned handlers own everything they use.
std::map<std::string, AdminHandler, std::less<>> dashboard_handlers(DashboardOptions options);

}  // namespace meshd::admin
