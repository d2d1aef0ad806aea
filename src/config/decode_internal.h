#pragma once

// Entry points of the config decoders, split across decode_*.cc and validate.cc.

#include <string>
#include <vector>

#include "config/decoder_internal.h"
#include "meshd/config/model.h"

namespace meshd::config::detail {

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

/// Decodes the router key `client` (inventory §3.3). Absent, it is `io.l5d.global` with one
/// entry that writes nothing, positions at the router.
void decode_client(MapReader& router, ClientConfig& out);

/// Decodes one `telemetry[]` entry into a new element of `out`.
void decode_telemeter(Decoder& d, const YAML::Node& node, const std::string& path,
                      std::vector<TelemeterConfig>& out);
/// Decodes a server `tls` object (`admin.tls`).
void decode_server_tls(MapReader& m, ServerTlsConfig& out);
/// Decodes `admin.security`, checking its regexes.
void decode_admin_security(MapReader& m, AdminSecurityConfig& out);
/// Reads the router key `tracePropagator` (`{kind: …}`).
void decode_trace_propagator(MapReader& router, Located<std::string>& out);
/// Reads the router keys `httpAccessLog`, `httpAccessLogRollPolicy`, `httpAccessLogAppend`,
/// `httpAccessLogRotateCount`, checking the roll policy.
void decode_access_log(MapReader& router, HttpAccessLogConfig& out);

/// Decodes the router key `service` (inventory §3.4), like `decode_client`.
void decode_service(MapReader& router, ServiceConfig& out);

/// Checks a written PathMatcher pattern (inventory §3.6: `io.l5d.rewrite` `pattern`, static
/// `client`/`service` `prefix`): it starts with `/` and its `{captures}` are well formed. Returns
/// false after reporting an error at `pattern.pos`.
bool check_path_matcher(Decoder& d, const Located<std::string>& pattern);

/// Checks what needs the whole config: unique router labels and listener address conflicts.
void validate(Decoder& d, const Config& config);

}  // namespace meshd::config::detail
