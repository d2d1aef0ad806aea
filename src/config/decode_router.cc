// Decoding of `routers[]`: the HTTP and h2 routers (inventory §3, §4, §13), their servers,
// identifiers and binding cache.

#include <climits>

#include "config/decode_internal.h"
#include "config/kinds_internal.h"

namespace meshd::config::detail {
namespace {

// Body sizes are kept in bytes as 32-bit values at runtime (Linkerd: Int KB, 2 GB max body).
constexpr std::int64_t kMaxKb = (std::int64_t{INT_MAX} + 1) / 1024 - 1;

// Router keys a later issue will implement (inventory §3.1, §4.1; H2Config has none of its own).
constexpr std::string_view kUnsupportedRouterKeys[] = {"originator", "announcers"};
constexpr std::string_view kUnsupportedHttpRouterKeys[] = {
    "streamingEnabled",
    "compressionLevel",
    "maxErrResponseKB",
};
// Router keys of HttpConfig that H2Config does not have, and the other way round.
constexpr std::string_view kHttpOnlyRouterKeys[] = {
    "maxHeadersKB",
    "maxInitialLineKB",
    "streamAfterContentLengthKB",
    "streamingEnabled",
    "compressionLevel",
    "maxErrResponseKB",
    "httpAccessLog",
    "httpAccessLogRollPolicy",
    "httpAccessLogAppend",
    "httpAccessLogRotateCount",
};
constexpr std::string_view kH2OnlyRouterKeys[] = {
    "h2AccessLog",
    "h2AccessLogRollPolicy",
    "h2AccessLogAppend",
    "h2AccessLogRotateCount",
};

// Server keys a later issue will implement (inventory §3.2, §4.2, §13).
constexpr std::string_view kUnsupportedServerKeys[] = {
    "timeoutMs", "addForwardedHeader", "maxCallDepth", "socketOptions", "serverSession",
    "label",     "announce",
};
// HttpServerConfig's key that H2ServerConfig lacks (on http servers: not supported yet).
constexpr std::string_view kHttpOnlyServerKeys[] = {"timestampHeader"};
// Server keys of H2ServerConfig that HttpServerConfig does not have.
constexpr std::string_view kH2OnlyServerKeys[] = {
    "maxConcurrentStreamsPerConnection",
    "initialStreamWindowBytes",
    "windowUpdateRatio",
    "headerTableBytes",
    "maxFrameBytes",
    "maxHeaderListBytes",
};

void decode_server(MapReader& m, ServerConfig& out, Protocol protocol) {
  out.pos = m.pos();
  out.port.value = protocol == Protocol::H2 ? 4142 : 4140;  // Linkerd's defaultServerPort
  read_ip(m, "ip", out.ip);
  read_int(m, "port", out.port, 0, 65535);
  read_bool(m, "clearContext", out.clear_context);
  read_optional_int(m, "maxConcurrentRequests", out.max_concurrent_requests, 1, INT_MAX);
  with_map(m, "tls", [&](MapReader& t) { decode_server_tls(t, out.tls.emplace()); });
  out.max_concurrent_streams_per_connection.pos = m.key_pos("maxConcurrentStreamsPerConnection");
  if (protocol == Protocol::H2) {
    read_int(m, "maxConcurrentStreamsPerConnection", out.max_concurrent_streams_per_connection, 1,
             INT_MAX);
    decode_h2_settings(m, out.h2);
    reject_other_protocol_keys(m, kHttpOnlyServerKeys, Protocol::Http, out.unsupported);
  } else {
    reject_other_protocol_keys(m, kH2OnlyServerKeys, Protocol::H2, out.unsupported);
    for (auto key : kHttpOnlyServerKeys) {
      m.unsupported(key, out.unsupported);
    }
  }
  for (auto key : kUnsupportedServerKeys) {
    m.unsupported(key, out.unsupported);
  }
  m.removed("engine", "1.3.0 (netty4 is the only engine)");
  m.finish();
}

void decode_servers(MapReader& router, RouterConfig& out, Protocol protocol) {
  Decoder& d = router.decoder();
  const Position pos = router.key_pos("servers");
  auto node = router.take("servers");
  if (!node || is_null(*node) || (node->IsSequence() && node->size() == 0)) {
    d.error(pos, "router \"" + out.label.value + "\" has no servers");
    return;
  }
  if (!node->IsSequence()) {
    d.error(pos, "expected a list of servers, got " + describe(*node));
    return;
  }
  std::size_t i = 0;
  for (const auto& item : *node) {
    const std::string path = index(pos.path, i++);
    if (!item.IsMap()) {
      d.error(item.Mark(), path, "expected a map, got " + describe(item));
      continue;
    }
    MapReader m(d, item, path);
    decode_server(m, out.servers.emplace_back(), protocol);
  }
}

// Linkerd's DstBindingFactory.Capacity and IdleTtl (inventory §6.5).
void decode_binding_cache(MapReader& router, BindingCacheConfig& out) {
  out.pos = router.key_pos("bindingCache");
  out.paths.pos = child_pos(out.pos, "paths");
  out.trees.pos = child_pos(out.pos, "trees");
  out.bounds.pos = child_pos(out.pos, "bounds");
  out.clients.pos = child_pos(out.pos, "clients");
  out.idle_ttl.pos = child_pos(out.pos, "idleTtlSecs");
  with_map(router, "bindingCache", [&](MapReader& m) {
    out.pos = m.pos();
    read_int(m, "paths", out.paths, 1, INT_MAX);
    read_int(m, "trees", out.trees, 1, INT_MAX);
    read_int(m, "bounds", out.bounds, 1, INT_MAX);
    read_int(m, "clients", out.clients, 1, INT_MAX);
    read_seconds(m, "idleTtlSecs", out.idle_ttl, 1, INT_MAX);
  });
}

void decode_identifier(Decoder& d, const YAML::Node& node, const std::string& path,
                       RouterConfig& out, Protocol protocol) {
  if (!node.IsMap()) {
    d.error(node.Mark(), path, "expected a map, got " + describe(node));
    return;
  }
  MapReader m(d, node, path);
  IdentifierConfig& id = out.identifiers.emplace_back();
  id.pos = m.pos();
  const auto& registry =
      protocol == Protocol::H2 ? registries().h2_identifiers : registries().http_identifiers;
  auto decode = read_kind(m, registry, "kind", "identifier kind", id.kind, id.experimental);
  if (decode == nullptr) {
    id.settings = UnsupportedPluginConfig{m.raw()};
    return;
  }
  decode(m, id);
  m.finish();
}

void decode_identifiers(MapReader& router, RouterConfig& out, Protocol protocol) {
  Decoder& d = router.decoder();
  out.identifier_pos = router.key_pos("identifier");
  auto node = router.take("identifier");
  if (!node || is_null(*node)) {
    // Linkerd's default: the Host header (http) or `:authority` (h2) as one path segment.
    IdentifierConfig id;
    id.pos = out.identifier_pos;
    id.kind = {"io.l5d.header.token", out.identifier_pos, false};
    HeaderTokenIdentifierConfig token;
    token.header.pos = Position{id.pos.line, id.pos.column, join(id.pos.path, "header")};
    if (protocol == Protocol::H2) {
      token.header.value = ":authority";
    }
    id.settings = token;
    out.identifiers.push_back(std::move(id));
    return;
  }
  if (node->IsMap()) {
    decode_identifier(d, *node, out.identifier_pos.path, out, protocol);
    return;
  }
  if (!node->IsSequence()) {
    d.error(out.identifier_pos,
            "expected an identifier or a list of identifiers, got " + describe(*node));
    return;
  }
  if (node->size() == 0) {
    d.error(out.identifier_pos, "at least one identifier is required");
    return;
  }
  std::size_t i = 0;
  for (const auto& item : *node) {
    decode_identifier(d, item, index(out.identifier_pos.path, i++), out, protocol);
  }
}

// The keys every router has (Linkerd's RouterConfig) and those http and h2 share.
void decode_router_keys(MapReader& m, RouterConfig& out, Protocol protocol) {
  Decoder& d = m.decoder();
  read_string(m, "label", out.label);
  if (!out.label.present) {
    out.label.value = out.protocol.value;
  } else if (out.label.value.empty()) {
    d.error(out.label.pos, "must not be empty");
  }
  read_dtab(m, "dtab", out.dtab);
  read_path(m, "dstPrefix", out.dst_prefix);
  decode_identifiers(m, out, protocol);
  decode_servers(m, out, protocol);
  decode_interpreter(m, out.interpreter);
  read_millis(m, "bindingTimeoutMs", out.binding_timeout, 1, INT_MAX);
  decode_binding_cache(m, out.binding_cache);
  decode_client(m, out.client, protocol);
  decode_service(m, out.service, protocol);
  decode_trace_propagator(m, out.trace_propagator);
  decode_access_log(m, out.access_log, protocol);
  for (auto key : kUnsupportedRouterKeys) {
    m.unsupported(key, out.unsupported);
  }
  m.removed("loggers", "1.4.0 (renamed requestAuthorizers, now under client)");
  m.removed("requestAuthorizers", "1.6.0 (moved under client)");
  m.removed("timeoutMs", "1.0.0 (use client.requestAttemptTimeoutMs and service.totalTimeoutMs)");
  m.removed("baseDtab", "0.9.0 (renamed dtab)");
}

}  // namespace

void decode_router(Decoder& d, const YAML::Node& node, const std::string& path, RouterConfig& out) {
  out.pos = d.at(node.Mark(), path);
  if (!node.IsMap()) {
    d.error(out.pos, "expected a map, got " + describe(node));
    return;
  }
  MapReader m(d, node, path);
  auto decode =
      read_kind(m, registries().protocols, "protocol", "protocol", out.protocol, out.experimental);
  if (decode == nullptr) {
    // Missing, unknown or not yet supported protocol (reported): keep the rest as captured.
    out.raw = m.raw();
    return;
  }
  decode(m, out);
  m.finish();
}

void reject_other_protocol_keys(MapReader& m, std::span<const std::string_view> keys,
                                Protocol owner, std::vector<UnsupportedValue>& out) {
  for (auto key : keys) {
    auto v = m.take(key);
    if (!v) {
      continue;
    }
    const Position pos = m.key_pos(key);
    out.push_back(
        UnsupportedValue{std::string{key}, pos, to_json_value(m.decoder(), *v, pos.path)});
    m.decoder().error(pos, "\"" + std::string{key} + "\" exists only for " +
                               std::string{protocol_name(owner)} + " routers");
  }
}

void decode_http_router(MapReader& m, RouterConfig& out) {
  decode_router_keys(m, out, Protocol::Http);
  read_int(m, "maxHeadersKB", out.max_headers_kb, 1, kMaxKb);
  read_int(m, "maxInitialLineKB", out.max_initial_line_kb, 1, kMaxKb);
  read_int(m, "streamAfterContentLengthKB", out.stream_after_content_length_kb, 0, kMaxKb);
  for (auto key : kUnsupportedHttpRouterKeys) {
    m.unsupported(key, out.unsupported);
  }
  reject_other_protocol_keys(m, kH2OnlyRouterKeys, Protocol::H2, out.unsupported);
  m.removed("maxRequestKB", "1.7.0 (bodies are streamed; the limit is 2 GB)");
  m.removed("maxResponseKB", "1.7.0 (bodies are streamed; the limit is 2 GB)");
  m.removed("maxChunkKB", "1.6.0");
}

// Linkerd's H2Config: no size or streaming keys; `h2AccessLog*` instead of `httpAccessLog*`.
// Not experimental since Linkerd 1.3.5 (`experimental: true` is accepted, not required).
void decode_h2_router(MapReader& m, RouterConfig& out) {
  decode_router_keys(m, out, Protocol::H2);
  reject_other_protocol_keys(m, kHttpOnlyRouterKeys, Protocol::Http, out.unsupported);
}

void decode_header_token_identifier(MapReader& m, IdentifierConfig& out) {
  HeaderTokenIdentifierConfig c;
  read_header_name(m, "header", c.header);
  out.settings = std::move(c);
}

void decode_h2_header_token_identifier(MapReader& m, IdentifierConfig& out) {
  HeaderTokenIdentifierConfig c;
  c.header.value = ":authority";
  read_header_name(m, "header", c.header, /*allow_pseudo=*/true);
  out.settings = std::move(c);
}

// Linkerd's HeaderPathIdentifierConfig: `segments` must be ≥ 1 when written.
void decode_header_path_identifier(MapReader& m, IdentifierConfig& out) {
  HeaderPathIdentifierConfig c;
  read_header_name(m, "header", c.header, /*allow_pseudo=*/true);
  read_optional_int(m, "segments", c.segments, 1, INT_MAX);
  out.settings = std::move(c);
}

void decode_method_and_host_identifier(MapReader& m, IdentifierConfig& out) {
  MethodAndHostIdentifierConfig c;
  read_bool(m, "httpUriInDst", c.http_uri_in_dst);
  out.settings = std::move(c);
}

void decode_path_identifier(MapReader& m, IdentifierConfig& out) {
  PathIdentifierConfig c;
  read_int(m, "segments", c.segments, 1, INT_MAX);
  read_bool(m, "consume", c.consume);
  out.settings = std::move(c);
}

void decode_header_identifier(MapReader& m, IdentifierConfig& out) {
  HeaderIdentifierConfig c;
  read_header_name(m, "header", c.header);
  out.settings = std::move(c);
}

void decode_static_identifier(MapReader& m, IdentifierConfig& out) {
  StaticIdentifierConfig c;
  if (!m.has_value("path")) {
    m.missing("path");
  }
  read_path(m, "path", c.path);
  out.settings = std::move(c);
}

}  // namespace meshd::config::detail
