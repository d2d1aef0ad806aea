// Decoding of the document root: `admin`, `routers`, `namers`, `usage`, `workers`, `telemetry`
// (whose entries and the admin `tls` and `security` objects are in decode_telemetry.cc).

#include <climits>

#include "config/decode_internal.h"

namespace meshd::config::detail {
namespace {

constexpr std::string_view kUnsupportedAdminKeys[] = {
    "httpIdentifierPort",
    "socketOptions",
    "workerThreads",
};

// Upper bound of `workers`: far above any core count, low enough to catch a typo.
constexpr std::int64_t kMaxWorkers = 1024;

void decode_admin(MapReader& m, AdminConfig& out) {
  out.pos = m.pos();
  read_ip(m, "ip", out.ip);
  read_int(m, "port", out.port, 0, 65535);
  read_millis(m, "shutdownGraceMs", out.shutdown_grace, 0, INT_MAX);
  with_map(m, "security", [&](MapReader& s) { decode_admin_security(s, out.security); });
  with_map(m, "tls", [&](MapReader& t) { decode_server_tls(t, out.tls.emplace()); });
  for (auto key : kUnsupportedAdminKeys) {
    m.unsupported(key, out.unsupported);
  }
}

void decode_usage(MapReader& m, UsageConfig& out) {
  out.pos = m.pos();
  read_string(m, "orgId", out.org_id);
  read_bool(m, "enabled", out.enabled);
}

}  // namespace

void decode_config(Decoder& d, const YAML::Node& root, Config& out) {
  out.pos = d.at(root.Mark(), "");
  if (!is_null(root) && !root.IsMap()) {
    d.error(out.pos, "expected a map at the top level, got " + describe(root));
    return;
  }
  // An empty document decodes like an empty map (and fails for want of routers).
  MapReader m(d, is_null(root) ? YAML::Node(YAML::NodeType::Map) : root, "");
  out.admin.pos = m.key_pos("admin");
  with_map(m, "admin", [&](MapReader& a) { decode_admin(a, out.admin); });
  const Position routers = for_each_item(m, "routers", [&](const YAML::Node& n, std::string p) {
    decode_router(d, n, p, out.routers.emplace_back());
  });
  if (out.routers.empty()) {
    d.error(routers, "at least one router must be specified");
  }
  for_each_item(m, "namers", [&](const YAML::Node& n, const std::string& p) {
    decode_namer(d, n, p, out.namers);
  });
  out.usage.pos = m.key_pos("usage");
  with_map(m, "usage", [&](MapReader& u) { decode_usage(u, out.usage); });
  read_int(m, "workers", out.workers, 1, kMaxWorkers);
  for_each_item(m, "telemetry", [&](const YAML::Node& n, const std::string& p) {
    decode_telemeter(d, n, p, out.telemetry);
  });
  m.finish();
}

}  // namespace meshd::config::detail
