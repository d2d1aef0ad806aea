// Decoding of a client `tls` object (inventory §3.8; Linkerd's `TlsClientConfig` in
// linkerd/core ClientConfig.scala and finagle/buoyant TlsClientConfig.scala). The files it names
// are read when meshd starts, not here.

#include "config/decode_internal.h"

namespace meshd::config::detail {
namespace {

void decode_client_auth(MapReader& m, ClientAuthConfig& out) {
  out.pos = m.pos();
  read_required_string(m, "certPath", out.cert_path);
  read_required_string(m, "keyPath", out.key_path);
  read_string(m, "intermediateCertsPath", out.intermediate_certs_path);
  if (out.intermediate_certs_path.present && out.intermediate_certs_path.value.empty()) {
    m.decoder().error(out.intermediate_certs_path.pos, "must not be empty");
  }
}

// The rules Linkerd enforces when it builds the client (`require` in TlsClientConfig and the
// match in Finagle's TlsClientConfig.params): a validating client needs a name to verify.
void check_client_tls(MapReader& m, const ClientTlsConfig& out) {
  Decoder& d = m.decoder();
  const bool validating = out.enabled.value && !out.disable_validation.value;
  if (validating && !out.common_name.present) {
    d.error(out.pos,
            "missing required key \"commonName\" (the name the server certificate is verified "
            "against; or set \"disableValidation: true\")");
  }
  if (out.disable_validation.value && out.client_auth) {
    d.error(out.client_auth->pos, "disableValidation: true is incompatible with clientAuth");
  }
  if (out.trust_certs_bundle.present && !out.trust_certs.empty()) {
    d.error(m.key_pos("trustCerts"),
            "\"trustCerts\" and \"trustCertsBundle\" cannot both be set (use only "
            "trustCertsBundle)");
  }
}

}  // namespace

void decode_client_tls(MapReader& m, ClientTlsConfig& out) {
  out.pos = m.pos();
  read_bool(m, "enabled", out.enabled);
  read_bool(m, "disableValidation", out.disable_validation);
  read_string(m, "commonName", out.common_name);
  if (out.common_name.present && out.common_name.value.empty()) {
    m.decoder().error(out.common_name.pos, "must not be empty");
  }
  read_string(m, "trustCertsBundle", out.trust_certs_bundle);
  if (out.trust_certs_bundle.present && out.trust_certs_bundle.value.empty()) {
    m.decoder().error(out.trust_certs_bundle.pos, "must not be empty");
  }
  read_string_list(m, "trustCerts", out.trust_certs);
  with_map(m, "clientAuth",
           [&](MapReader& a) { decode_client_auth(a, out.client_auth.emplace()); });
  read_string_list(m, "protocols", out.protocols);
  check_tls_protocols(m.decoder(), out.protocols);
  check_client_tls(m, out);
}

}  // namespace meshd::config::detail
