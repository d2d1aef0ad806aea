#pragma once

// The registries of `protocol:` and `kind:` plugins (STYLE.md §7): which names exist, which are
// implemented (have a decoder) and which are recognised but not supported yet. Filled explicitly
// in kinds.cc; there are no self-registering globals.

#include <string>
#include <string_view>
#include <vector>

#include "config/decoder_internal.h"
#include "meshd/config/model.h"

namespace meshd::config::detail {

/// Decodes the protocol-specific part of a router (the protocol key is already read).
using RouterDecoder = void (*)(MapReader& m, RouterConfig& out);
/// Decodes the kind-specific keys of an identifier (`kind`/`experimental` are already read).
using IdentifierDecoder = void (*)(MapReader& m, IdentifierConfig& out);
/// Decodes the kind-specific keys of a namer (`kind`, `prefix`, … are already read).
using NamerDecoder = void (*)(MapReader& m, NamerConfig& out);
/// Decodes the kind-specific keys of an interpreter, `transformers` included (`kind` and
/// `experimental` are already read).
using InterpreterDecoder = void (*)(MapReader& m, InterpreterConfig& out);
/// Decodes the kind-specific keys of a transformer (`kind` and `experimental` are already read;
/// `prefix` is read afterwards). May replace the default `prefix` text, which is `/<kind>`.
using TransformerDecoder = void (*)(MapReader& m, TransformerConfig& out);

/// Decodes an `io.l5d.global` or `io.l5d.static` router `client` (its `kind` is already read).
using ClientDecoder = void (*)(MapReader& m, ClientConfig& out);
/// Decodes an `io.l5d.global` or `io.l5d.static` router `service` (its `kind` is already read).
using ServiceDecoder = void (*)(MapReader& m, ServiceConfig& out);
/// Decodes the kind-specific keys of a `loadBalancer` (`kind`, `enableProbation` already read).
using LoadBalancerDecoder = void (*)(MapReader& m, LoadBalancerConfig& out);
/// Decodes the kind-specific keys of a `failureAccrual` (`kind`, `backoff` already read).
using FailureAccrualDecoder = void (*)(MapReader& m, FailureAccrualConfig& out);
/// Decodes the kind-specific keys of a `backoff` (`kind` already read).
using BackoffDecoder = void (*)(MapReader& m, BackoffConfig& out);
/// Decodes the kind-specific keys of a `responseClassifier` (`kind` already read); the HTTP
/// and h2 classifiers have none, the gRPC ones have status code lists.
using ResponseClassifierDecoder = void (*)(MapReader& m, ResponseClassifierConfig& out);
/// Decodes the kind-specific keys of a `telemetry[]` entry (`kind`, `experimental` already read).
using TelemeterDecoder = void (*)(MapReader& m, TelemeterConfig& out);

/// The names one `kind:` (or `protocol:`) key may take under one parent.
template <class Decode>
class KindRegistry {
 public:
  struct Kind {
    std::string_view name;
    Decode decode = nullptr;    ///< nullptr: recognised, not supported yet
    bool experimental = false;  ///< must be enabled with `experimental: true`
  };

  /// Registers an implemented kind.
  void add(std::string_view name, Decode decode, bool experimental = false) {
    kinds_.push_back(Kind{name, decode, experimental});
  }
  /// Registers a kind that later issues will implement: accepted by the parser, then rejected
  /// with "not supported yet" rather than "unknown".
  void recognise(std::string_view name, bool experimental = false) {
    kinds_.push_back(Kind{name, nullptr, experimental});
  }
  /// Adds an explanation for a name that is *not* valid here (renamed, other protocol).
  void hint(std::string_view name, std::string_view text) { hints_.push_back({name, text}); }

  /// The kind named `name`, or nullptr.
  const Kind* find(std::string_view name) const {
    for (const auto& k : kinds_) {
      if (k.name == name) {
        return &k;
      }
    }
    return nullptr;
  }
  /// The hint for an invalid `name`, or an empty view.
  std::string_view hint_for(std::string_view name) const {
    for (const auto& [n, text] : hints_) {
      if (n == name) {
        return text;
      }
    }
    return {};
  }
  /// The implemented names, comma-separated, in registration order.
  std::string supported() const {
    std::string out;
    for (const auto& k : kinds_) {
      if (k.decode != nullptr) {
        out += out.empty() ? "" : ", ";
        out += k.name;
      }
    }
    return out;
  }
  const std::vector<Kind>& kinds() const { return kinds_; }

 private:
  std::vector<Kind> kinds_;
  std::vector<std::pair<std::string_view, std::string_view>> hints_;
};

/// Every plugin registry.
struct Registries {
  KindRegistry<RouterDecoder> protocols;                 ///< `routers[].protocol`
  KindRegistry<IdentifierDecoder> http_identifiers;      ///< `routers[].identifier[].kind` (http)
  KindRegistry<IdentifierDecoder> h2_identifiers;        ///< `routers[].identifier[].kind` (h2)
  KindRegistry<NamerDecoder> namers;                     ///< `namers[].kind`
  KindRegistry<InterpreterDecoder> interpreters;         ///< `routers[].interpreter.kind`
  KindRegistry<TransformerDecoder> transformers;         ///< `….transformers[].kind`
  KindRegistry<ClientDecoder> http_clients;              ///< `routers[].client.kind` (http)
  KindRegistry<ServiceDecoder> http_services;            ///< `routers[].service.kind` (http)
  KindRegistry<ClientDecoder> h2_clients;                ///< `routers[].client.kind` (h2)
  KindRegistry<ServiceDecoder> h2_services;              ///< `routers[].service.kind` (h2)
  KindRegistry<LoadBalancerDecoder> load_balancers;      ///< `client….loadBalancer.kind`
  KindRegistry<FailureAccrualDecoder> failure_accruals;  ///< `client….failureAccrual.kind`
  KindRegistry<BackoffDecoder> backoffs;                 ///< `….backoff.kind`
  /// `service….responseClassifier.kind` (http)
  KindRegistry<ResponseClassifierDecoder> http_response_classifiers;
  /// `service….responseClassifier.kind` (h2: `io.l5d.h2.*`, `io.l5d.h2.grpc.*`)
  KindRegistry<ResponseClassifierDecoder> h2_response_classifiers;
  KindRegistry<TelemeterDecoder> telemeters;  ///< `telemetry[].kind`
};

/// The registries, built on first use (thread-safe function-local static).
const Registries& registries();

/// The registered kind named by `kind` (already read from `key`), or nullptr when it is missing,
/// unknown or not supported yet (each reported). `errors_before` is the error count before `kind`
/// was read: a kind that failed to read is not reported missing too. Shared by `read_kind` and
/// `read_plain_kind`.
template <class Decode>
const typename KindRegistry<Decode>::Kind* resolve_kind(
    MapReader& m, const KindRegistry<Decode>& registry, std::string_view key, std::string_view noun,
    Located<std::string>& kind, std::string_view default_name, std::size_t errors_before) {
  Decoder& d = m.decoder();
  if (!kind.present && (default_name.empty() || m.has_value(key))) {
    if (d.errors().size() == errors_before && !m.has_value(key)) {
      m.missing(key);
    }
    return nullptr;
  }
  if (!kind.present) {
    kind.value = std::string{default_name};
  }
  const std::string& name = kind.value;
  const auto* k = registry.find(name);
  if (k == nullptr) {
    std::string msg = "unknown " + std::string{noun} + " \"" + name + "\"";
    const std::string_view hint = registry.hint_for(name);
    msg += hint.empty() ? " (supported: " + registry.supported() + ")"
                        : " (" + std::string{hint} + ")";
    d.error(kind.pos, std::move(msg));
    return nullptr;
  }
  if (k->decode == nullptr) {
    d.error(kind.pos, std::string{noun} + " \"" + name + "\" is not supported yet");
    return nullptr;
  }
  return k;
}

/// Reads the selector of a plugin object (`key` is `kind` or `protocol`; `noun` names it in
/// messages: "namer kind", "protocol") and its `experimental` flag. Returns the decoder to run,
/// or nullptr when the selector is missing, unknown or not supported yet (each reported). When
/// `default_name` is not empty, an absent selector means that kind (`kind.present` stays false)
/// instead of a missing required key.
template <class Decode>
Decode read_kind(MapReader& m, const KindRegistry<Decode>& registry, std::string_view key,
                 std::string_view noun, Located<std::string>& kind, Located<bool>& experimental,
                 std::string_view default_name = {}) {
  Decoder& d = m.decoder();
  const std::size_t errors_before = d.errors().size();
  read_string(m, key, kind);
  read_bool(m, "experimental", experimental);
  const auto* k = resolve_kind(m, registry, key, noun, kind, default_name, errors_before);
  if (k == nullptr) {
    return nullptr;
  }
  if (k->experimental && !experimental.value) {
    d.error(kind.pos, "\"" + kind.value +
                          "\" is experimental and must be enabled with \"experimental: true\"");
  }
  return k->decode;
}

/// Like `read_kind` for the `kind` of objects that are not plugins in Linkerd (load balancers,
/// failure accrual, backoffs, response classifiers, `client`, `service`): they have no
/// `experimental` key, so it stays an unknown key there.
template <class Decode>
Decode read_plain_kind(MapReader& m, const KindRegistry<Decode>& registry, std::string_view noun,
                       Located<std::string>& kind, std::string_view default_name = {}) {
  const std::size_t errors_before = m.decoder().errors().size();
  read_string(m, "kind", kind);
  const auto* k = resolve_kind(m, registry, "kind", noun, kind, default_name, errors_before);
  return k == nullptr ? nullptr : k->decode;
}

// Decoders registered in kinds.cc, defined next to the structs they fill.
void decode_http_router(MapReader& m, RouterConfig& out);
void decode_h2_router(MapReader& m, RouterConfig& out);
void decode_header_token_identifier(MapReader& m, IdentifierConfig& out);
void decode_h2_header_token_identifier(MapReader& m, IdentifierConfig& out);
void decode_header_path_identifier(MapReader& m, IdentifierConfig& out);
void decode_method_and_host_identifier(MapReader& m, IdentifierConfig& out);
void decode_path_identifier(MapReader& m, IdentifierConfig& out);
void decode_header_identifier(MapReader& m, IdentifierConfig& out);
void decode_static_identifier(MapReader& m, IdentifierConfig& out);
void decode_fs_namer(MapReader& m, NamerConfig& out);
void decode_rewrite_namer(MapReader& m, NamerConfig& out);
void decode_default_interpreter(MapReader& m, InterpreterConfig& out);
void decode_prometheus_telemeter(MapReader& m, TelemeterConfig& out);
void decode_recent_requests_telemeter(MapReader& m, TelemeterConfig& out);
void decode_zipkin_telemeter(MapReader& m, TelemeterConfig& out);
void decode_zipkin_http_telemeter(MapReader& m, TelemeterConfig& out);
void decode_tracelog_telemeter(MapReader& m, TelemeterConfig& out);
void decode_fs_interpreter(MapReader& m, InterpreterConfig& out);
void decode_port_transformer(MapReader& m, TransformerConfig& out);
void decode_localhost_transformer(MapReader& m, TransformerConfig& out);
void decode_specific_host_transformer(MapReader& m, TransformerConfig& out);
void decode_replace_transformer(MapReader& m, TransformerConfig& out);
void decode_const_transformer(MapReader& m, TransformerConfig& out);
void decode_k8s_namer(MapReader& m, NamerConfig& out);
void decode_k8s_ns_namer(MapReader& m, NamerConfig& out);
void decode_daemonset_transformer(MapReader& m, TransformerConfig& out);
void decode_localnode_transformer(MapReader& m, TransformerConfig& out);
void decode_ingress_identifier(MapReader& m, IdentifierConfig& out);
void decode_global_client(MapReader& m, ClientConfig& out);
void decode_static_client(MapReader& m, ClientConfig& out);
void decode_global_service(MapReader& m, ServiceConfig& out);
void decode_static_service(MapReader& m, ServiceConfig& out);
void decode_global_h2_client(MapReader& m, ClientConfig& out);
void decode_static_h2_client(MapReader& m, ClientConfig& out);
void decode_global_h2_service(MapReader& m, ServiceConfig& out);
void decode_static_h2_service(MapReader& m, ServiceConfig& out);
void decode_p2c_balancer(MapReader& m, LoadBalancerConfig& out);
void decode_ewma_balancer(MapReader& m, LoadBalancerConfig& out);
void decode_aperture_balancer(MapReader& m, LoadBalancerConfig& out);
void decode_heap_balancer(MapReader& m, LoadBalancerConfig& out);
void decode_round_robin_balancer(MapReader& m, LoadBalancerConfig& out);
void decode_consecutive_failures_accrual(MapReader& m, FailureAccrualConfig& out);
void decode_success_rate_accrual(MapReader& m, FailureAccrualConfig& out);
void decode_success_rate_windowed_accrual(MapReader& m, FailureAccrualConfig& out);
void decode_no_accrual(MapReader& m, FailureAccrualConfig& out);
void decode_constant_backoff(MapReader& m, BackoffConfig& out);
void decode_jittered_backoff(MapReader& m, BackoffConfig& out);
void decode_http_response_classifier(MapReader& m, ResponseClassifierConfig& out);
void decode_h2_response_classifier(MapReader& m, ResponseClassifierConfig& out);
void decode_grpc_classifier(MapReader& m, ResponseClassifierConfig& out);
void decode_grpc_retryable_status_codes_classifier(MapReader& m, ResponseClassifierConfig& out);

}  // namespace meshd::config::detail
