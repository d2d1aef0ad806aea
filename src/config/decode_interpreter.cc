// Decoding of a router's `interpreter` and of the `transformers` lists that interpreters and
// namers hold (inventory §3.5, §7.3, §8).

#include "config/decode_internal.h"
#include "config/kinds_internal.h"

namespace meshd::config::detail {
namespace {

void decode_transformer(Decoder& d, const YAML::Node& node, const std::string& path,
                        std::vector<TransformerConfig>& transformers) {
  if (!node.IsMap()) {
    d.error(node.Mark(), path, "expected a map, got " + describe(node));
    return;
  }
  MapReader m(d, node, path);
  TransformerConfig& out = transformers.emplace_back();
  out.pos = m.pos();
  auto decode = read_kind(m, registries().transformers, "kind", "transformer kind", out.kind,
                          out.experimental);
  if (decode == nullptr) {
    out.settings = UnsupportedPluginConfig{m.raw()};
    return;
  }
  // Linkerd's default prefix is the kind; a decoder may make it more specific (io.l5d.port).
  out.prefix.value.text = "/" + out.kind.value;
  decode(m, out);
  read_path(m, "prefix", out.prefix);
  m.finish();
}

// Reports `key` missing when it has no value (for required keys read afterwards).
void require(MapReader& m, std::string_view key) {
  if (!m.has_value(key)) {
    m.missing(key);
  }
}

}  // namespace

void decode_interpreter(MapReader& router, InterpreterConfig& out) {
  out.pos = router.key_pos("interpreter");
  out.kind.pos = child_pos(out.pos, "kind");
  out.experimental.pos = child_pos(out.pos, "experimental");
  out.dtab_file.pos = child_pos(out.pos, "dtabFile");
  with_map(router, "interpreter", [&](MapReader& m) {
    out.pos = m.pos();
    auto decode = read_kind(m, registries().interpreters, "kind", "interpreter kind", out.kind,
                            out.experimental, "default");
    if (decode == nullptr) {
      out.raw = m.raw();
      return;
    }
    decode(m, out);
  });
}

void decode_transformers(MapReader& parent, std::vector<TransformerConfig>& out) {
  Decoder& d = parent.decoder();
  for_each_item(parent, "transformers", [&](const YAML::Node& n, const std::string& p) {
    decode_transformer(d, n, p, out);
  });
}

void decode_default_interpreter(MapReader& m, InterpreterConfig& out) {
  decode_transformers(m, out.transformers);
}

void decode_fs_interpreter(MapReader& m, InterpreterConfig& out) {
  require(m, "dtabFile");
  read_string(m, "dtabFile", out.dtab_file);
  if (out.dtab_file.present && out.dtab_file.value.empty()) {
    m.decoder().error(out.dtab_file.pos, "must not be empty");
  }
  decode_transformers(m, out.transformers);
}

void decode_port_transformer(MapReader& m, TransformerConfig& out) {
  PortTransformerConfig c;
  require(m, "port");
  read_int(m, "port", c.port, 1, 65535);
  if (c.port.present) {
    out.prefix.value.text += "/" + std::to_string(c.port.value);
  }
  out.settings = std::move(c);
}

void decode_localhost_transformer(MapReader& /*m*/, TransformerConfig& out) {
  out.settings = LocalhostTransformerConfig{};
}

void decode_specific_host_transformer(MapReader& m, TransformerConfig& out) {
  SpecificHostTransformerConfig c;
  require(m, "host");
  read_string(m, "host", c.host);
  if (c.host.present && c.host.value.empty()) {
    m.decoder().error(c.host.pos, "must not be empty");
  }
  out.settings = std::move(c);
}

void decode_replace_transformer(MapReader& m, TransformerConfig& out) {
  ReplaceTransformerConfig c;
  require(m, "path");
  read_path(m, "path", c.path);
  out.settings = std::move(c);
}

void decode_const_transformer(MapReader& m, TransformerConfig& out) {
  ConstTransformerConfig c;
  require(m, "path");
  read_path(m, "path", c.path);
  out.settings = std::move(c);
}

}  // namespace meshd::config::detail
