#pragma once

// Entry points of the config decoders, split across decode_*.cc and validate.cc.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/decoder_internal.h"
#include "meshd/config/model.h"

namespace meshd::config::detail {

/// The router protocols meshd decodes. Keys, kinds and defaults that differ between them
/// (inventory §13) are chosen by it.
enum class Protocol { Http, H2 };

/// `http` or `h2`, as the `protocol` key spells it.
inline std::string_view protocol_name(Protocol p) { return p == Protocol::H2 ? "h2" : "http"; }

/// Decodes the document root into `out`, reporting every local error (types, ranges, unknown,
/// duplicate, unsupported and removed keys, bad dtabs and paths, missing routers and servers).
void decode_config(Decoder& d, const YAML::Node& root, Config& out);

/// Decodes one `routers[]` element at `path`.
void decode_router(Decoder& d, const YAML::Node& node, const std::string& path, RouterConfig& out);

/// Decodes one `namers[]` element at `path`, appending it to `namers` (unless it is not a map).
void decode_namer(Decoder& d, const YAML::Node& node, const std::string& path,
                  std::vector<NamerConfig>& namers);

/// Decodes the router key `interpreter` into `out`; when it is absent, `out` keeps the default
/// (`kind: default`, no transformers) with positions at the router.
void decode_interpreter(MapReader& router, InterpreterConfig& out);

/// Decodes the key `transformers` of `parent` (an interpreter or a namer), a list of transformer
/// objects, appending them to `out` in file order.
void decode_transformers(MapReader& parent, std::vector<TransformerConfig>& out);

/// Decodes the router key `client` (inventory §3.3) of a `protocol` router. Absent, it is
/// `io.l5d.global` with one entry that writes nothing, positions at the router.
void decode_client(MapReader& router, ClientConfig& out, Protocol protocol);

/// Decodes one `telemetry[]` entry into a new element of `out`.
void decode_telemeter(Decoder& d, const YAML::Node& node, const std::string& path,
                      std::vector<TelemeterConfig>& out);
/// Decodes a server `tls` object (`admin.tls`).
void decode_server_tls(MapReader& m, ServerTlsConfig& out);
/// Decodes a client `tls` object (`client.tls`, static `configs[].tls`; inventory §3.8) and
/// checks how its keys combine. Files are not opened.
void decode_client_tls(MapReader& m, ClientTlsConfig& out);
/// Reports each entry of a TLS `protocols` list that is not `TLSv1.2` or `TLSv1.3`.
void check_tls_protocols(Decoder& d, const StringList& protocols);
/// Decodes the HTTP/2 settings keys of an h2 server or client (`H2EndpointConfig`).
void decode_h2_settings(MapReader& m, H2SettingsConfig& out);
/// Decodes `admin.security`, checking its regexes.
void decode_admin_security(MapReader& m, AdminSecurityConfig& out);
/// Reads the router key `tracePropagator` (`{kind: …}`).
void decode_trace_propagator(MapReader& router, Located<std::string>& out);
/// Reads the router keys `httpAccessLog`, `httpAccessLogRollPolicy`, `httpAccessLogAppend`,
/// `httpAccessLogRotateCount` (`h2AccessLog…` for h2), checking the roll policy.
void decode_access_log(MapReader& router, HttpAccessLogConfig& out, Protocol protocol);

/// Decodes the router key `service` (inventory §3.4), like `decode_client`.
void decode_service(MapReader& router, ServiceConfig& out, Protocol protocol);

/// The router keys of one protocol written on a router of the other (`maxHeadersKB` on h2,
/// `h2AccessLog` on http): each is kept in `out` (so /config.json shows it) and reported as
/// `"<key>" exists only for <protocol> routers`. `keys` exist only for `owner` routers.
void reject_other_protocol_keys(MapReader& m, std::span<const std::string_view> keys,
                                Protocol owner, std::vector<UnsupportedValue>& out);

/// Checks a written PathMatcher pattern (inventory §3.6: `io.l5d.rewrite` `pattern`, static
/// `client`/`service` `prefix`): it starts with `/` and its `{captures}` are well formed. Returns
/// false after reporting an error at `pattern.pos`.
bool check_path_matcher(Decoder& d, const Located<std::string>& pattern);

/// Checks what needs the whole config: unique router labels and listener address conflicts;
/// last, while `h2_routers_runnable()` is false, rejects every decoded h2 router.
void validate(Decoder& d, const Config& config);

}  // namespace meshd::config::detail
