// Decoding of the document root: `admin`, `routers`, `namers`, `usage`, `workers`, `telemetry`.

#include <climits>

#include "config/decode_internal.h"
#include "config/kinds_internal.h"

namespace meshd::config::detail {
namespace {

constexpr std::string_view kUnsupportedAdminKeys[] = {
    "httpIdentifierPort", "security", "tls", "socketOptions", "workerThreads",
};

// Upper bound of `workers`: far above any core count, low enough to catch a typo.
constexpr std::int64_t kMaxWorkers = 1024;

// Calls `decode(MapReader&)` when `key` holds a map; reports a type error for anything else
// but null.
template <class F>
void with_map(MapReader& parent, std::string_view key, F decode) {
  const Position pos = parent.key_pos(key);
  auto node = parent.take(key);
  if (!node || is_null(*node)) {
    return;
  }
  if (!node->IsMap()) {
    parent.decoder().error(pos, "expected a map, got " + describe(*node));
    return;
  }
  MapReader m(parent.decoder(), *node, pos.path);
  decode(m);
  m.finish();
}

// Calls `decode(item, path)` for each element when `key` holds a list; returns the key's
// position, whether it is present or not.
template <class F>
Position for_each_item(MapReader& parent, std::string_view key, F decode) {
  const Position pos = parent.key_pos(key);
  auto node = parent.take(key);
  if (!node || is_null(*node)) {
    return pos;
  }
  if (!node->IsSequence()) {
    parent.decoder().error(pos, "expected a list, got " + describe(*node));
    return pos;
  }
  std::size_t i = 0;
  for (const auto& item : *node) {
    decode(item, index(pos.path, i++));
  }
  return pos;
}

void decode_admin(MapReader& m, AdminConfig& out) {
  out.pos = m.pos();
  read_ip(m, "ip", out.ip);
  read_int(m, "port", out.port, 0, 65535);
  read_millis(m, "shutdownGraceMs", out.shutdown_grace, 0, INT_MAX);
  for (auto key : kUnsupportedAdminKeys) {
    m.unsupported(key, out.unsupported);
  }
}

void decode_usage(MapReader& m, UsageConfig& out) {
  out.pos = m.pos();
  read_string(m, "orgId", out.org_id);
  read_bool(m, "enabled", out.enabled);
}

void decode_namer(Decoder& d, const YAML::Node& node, const std::string& path,
                  std::vector<NamerConfig>& namers) {
  if (!node.IsMap()) {
    d.error(node.Mark(), path, "expected a map, got " + describe(node));
    return;
  }
  MapReader m(d, node, path);
  NamerConfig& out = namers.emplace_back();
  out.pos = m.pos();
  auto decode = read_kind(m, registries().namers, "kind", "namer kind", out.kind, out.experimental);
  if (decode == nullptr) {
    out.settings = UnsupportedPluginConfig{m.raw()};
    return;
  }
  // Linkerd's default prefix is the kind itself; names are bound under /# ++ prefix.
  out.prefix.value.text = "/" + out.kind.value;
  read_path(m, "prefix", out.prefix);
  m.unsupported("transformers", out.unsupported);
  decode(m, out);
  m.finish();
}

}  // namespace

void decode_fs_namer(MapReader& m, NamerConfig& out) {
  FsNamerConfig fs;
  if (!m.has_value("rootDir")) {
    m.missing("rootDir");
  }
  read_string(m, "rootDir", fs.root_dir);
  if (fs.root_dir.present && fs.root_dir.value.empty()) {
    m.decoder().error(fs.root_dir.pos, "must not be empty");
  }
  out.settings = std::move(fs);
}

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
  m.unsupported("telemetry", out.unsupported);
  m.finish();
}

}  // namespace meshd::config::detail
