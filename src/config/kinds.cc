#include "config/kinds_internal.h"

namespace meshd::config::detail {
namespace {

constexpr const char* kHttpClassifierKinds[] = {
    "io.l5d.http.nonRetryable5XX",        "io.l5d.http.retryableRead5XX",
    "io.l5d.http.retryableIdempotent5XX", "io.l5d.http.retryableAll5XX",
    "io.l5d.http.allSuccessful",
};
constexpr const char* kH2ClassifierKinds[] = {
    "io.l5d.h2.nonRetryable5XX", "io.l5d.h2.retryableRead5XX", "io.l5d.h2.retryableIdempotent5XX",
    "io.l5d.h2.retryableAll5XX", "io.l5d.h2.allSuccessful",
};
constexpr const char* kGrpcClassifierKinds[] = {
    "io.l5d.h2.grpc.default",         "io.l5d.h2.grpc.neverRetryable",
    "io.l5d.h2.grpc.alwaysRetryable", "io.l5d.h2.grpc.retryableStatusCodes",
    "io.l5d.h2.grpc.compliant",
};

// The h2 and gRPC classifiers (inventory §12.5) are kinds of h2 routers only, and the HTTP ones
// of http routers only (Linkerd's H2SvcConfig and HttpSvcConfig take different config types).
void add_h2_classifier_kinds(Registries& r) {
  auto& h2 = r.h2_response_classifiers;
  for (auto kind : kH2ClassifierKinds) {
    h2.add(kind, &decode_h2_response_classifier);
  }
  h2.add("io.l5d.h2.grpc.default", &decode_grpc_classifier);
  h2.add("io.l5d.h2.grpc.neverRetryable", &decode_grpc_classifier);
  h2.add("io.l5d.h2.grpc.alwaysRetryable", &decode_grpc_classifier);
  h2.add("io.l5d.h2.grpc.retryableStatusCodes", &decode_grpc_retryable_status_codes_classifier);
  // Linkerd 1.7.5's CompliantInitializer decodes a DefaultConfig: it is grpc.default.
  h2.add("io.l5d.h2.grpc.compliant", &decode_grpc_classifier);
  for (auto kind : kHttpClassifierKinds) {
    h2.hint(kind, "io.l5d.http classifiers exist only for http routers");
  }
  auto& http = r.http_response_classifiers;
  for (auto kind : kH2ClassifierKinds) {
    http.hint(kind, "io.l5d.h2 classifiers exist only for h2 routers");
  }
  for (auto kind : kGrpcClassifierKinds) {
    http.hint(kind, "gRPC classifiers exist only for h2 routers");
  }
}

// The kinds of a router's `client` and `service` and of the objects inside them (inventory §3.3,
// §3.4, §12). None is a plugin in Linkerd: no `experimental`, nothing merely recognised.
void add_policy_kinds(Registries& r) {
  r.http_clients.add("io.l5d.global", &decode_global_client);
  r.http_clients.add("io.l5d.static", &decode_static_client);
  r.http_services.add("io.l5d.global", &decode_global_service);
  r.http_services.add("io.l5d.static", &decode_static_service);
  r.h2_clients.add("io.l5d.global", &decode_global_h2_client);
  r.h2_clients.add("io.l5d.static", &decode_static_h2_client);
  r.h2_services.add("io.l5d.global", &decode_global_h2_service);
  r.h2_services.add("io.l5d.static", &decode_static_h2_service);

  auto& lbs = r.load_balancers;
  lbs.add("p2c", &decode_p2c_balancer);
  lbs.add("ewma", &decode_ewma_balancer);
  lbs.add("aperture", &decode_aperture_balancer);
  lbs.add("heap", &decode_heap_balancer);
  lbs.add("roundRobin", &decode_round_robin_balancer);

  auto& accruals = r.failure_accruals;
  accruals.add("io.l5d.consecutiveFailures", &decode_consecutive_failures_accrual);
  accruals.add("io.l5d.successRate", &decode_success_rate_accrual);
  accruals.add("io.l5d.successRateWindowed", &decode_success_rate_windowed_accrual);
  accruals.add("none", &decode_no_accrual);

  r.backoffs.add("constant", &decode_constant_backoff);
  r.backoffs.add("jittered", &decode_jittered_backoff);

  auto& classifiers = r.http_response_classifiers;
  for (auto kind : kHttpClassifierKinds) {
    classifiers.add(kind, &decode_http_response_classifier);
  }
  classifiers.hint("io.l5d.nonRetryable5XX",
                   "renamed io.l5d.http.nonRetryable5XX in Linkerd 1.0.0");
  classifiers.hint("io.l5d.retryableRead5XX",
                   "renamed io.l5d.http.retryableRead5XX in Linkerd 1.0.0");
  classifiers.hint("io.l5d.retryableIdempotent5XX",
                   "renamed io.l5d.http.retryableIdempotent5XX in Linkerd 1.0.0");
  add_h2_classifier_kinds(r);
}

// h2 identifiers (inventory §13, Linkerd's h2 IdentifierInitializer services).
void add_h2_identifier_kinds(Registries& r) {
  auto& ids = r.h2_identifiers;
  ids.add("io.l5d.header.token", &decode_h2_header_token_identifier);
  ids.add("io.l5d.header.path", &decode_header_path_identifier);
  ids.add("io.l5d.ingress", &decode_ingress_identifier);
  ids.recognise("io.l5d.k8s.istio");
  ids.recognise("io.l5d.k8s.istio-ingress");
  ids.hint("io.l5d.methodAndHost", "io.l5d.methodAndHost exists only for http routers");
  ids.hint("io.l5d.path", "io.l5d.path exists only for http routers");
  ids.hint("io.l5d.header", "io.l5d.header exists only for http routers");
  ids.hint("io.l5d.static", "io.l5d.static exists only for http routers");
  ids.hint("io.l5d.headerToken", "renamed io.l5d.header.token in Linkerd 1.0.0");
  ids.hint("io.l5d.headerPath", "renamed io.l5d.header.path in Linkerd 1.0.0");
  ids.hint("io.l5d.h2.ingress", "renamed io.l5d.ingress in Linkerd 1.0.0");
  r.http_identifiers.hint("io.l5d.h2.ingress", "renamed io.l5d.ingress in Linkerd 1.0.0");
}

Registries make_registries() {
  Registries r;

  // Linkerd 1.7.5 router protocols (inventory §3.1). thriftmux is experimental in Linkerd; h2
  // was until 1.3.5. h2 routers decode, then `validate` rejects them while the runtime cannot
  // run them (`h2_routers_runnable`).
  r.protocols.add("http", &decode_http_router);
  r.protocols.add("h2", &decode_h2_router);
  r.protocols.recognise("thrift");
  r.protocols.recognise("thriftmux", /*experimental=*/true);
  r.protocols.recognise("mux");

  // HTTP/1.1 identifiers (inventory §4.3).
  auto& ids = r.http_identifiers;
  ids.add("io.l5d.header.token", &decode_header_token_identifier);
  ids.add("io.l5d.methodAndHost", &decode_method_and_host_identifier);
  ids.add("io.l5d.path", &decode_path_identifier);
  ids.add("io.l5d.header", &decode_header_identifier);
  ids.add("io.l5d.static", &decode_static_identifier);
  ids.add("io.l5d.ingress", &decode_ingress_identifier);
  ids.recognise("io.l5d.k8s.istio");
  ids.recognise("io.l5d.k8s.istio-ingress");
  ids.hint("io.l5d.header.path", "io.l5d.header.path exists only for h2 routers");
  ids.hint("io.l5d.headerToken", "renamed io.l5d.header.token in Linkerd 1.0.0");
  ids.hint("io.l5d.headerPath", "renamed io.l5d.header.path (h2 only) in Linkerd 1.0.0");
  ids.hint("io.l5d.http.ingress", "renamed io.l5d.ingress in Linkerd 1.0.0");
  add_h2_identifier_kinds(r);

  // Namers (inventory §7.1).
  auto& namers = r.namers;
  namers.add("io.l5d.fs", &decode_fs_namer);
  namers.add("io.l5d.rewrite", &decode_rewrite_namer);
  namers.add("io.l5d.k8s", &decode_k8s_namer);
  namers.add("io.l5d.k8s.ns", &decode_k8s_ns_namer);
  namers.recognise("io.l5d.k8s.external", /*experimental=*/true);
  namers.recognise("io.l5d.k8s.istio", /*experimental=*/true);
  namers.recognise("io.l5d.consul");
  namers.recognise("io.l5d.dnssrv", /*experimental=*/true);
  namers.recognise("io.l5d.marathon");
  namers.recognise("io.l5d.serversets");
  namers.recognise("io.l5d.zkLeader");
  namers.recognise("io.l5d.curator", /*experimental=*/true);
  namers.recognise("io.l5d.rancher", /*experimental=*/true);

  // Interpreters (inventory §8). `default` is also what an absent `kind` means.
  auto& interpreters = r.interpreters;
  interpreters.add("default", &decode_default_interpreter);
  interpreters.add("io.l5d.fs", &decode_fs_interpreter);
  interpreters.recognise("io.l5d.namerd");
  interpreters.recognise("io.l5d.namerd.http", /*experimental=*/true);
  interpreters.recognise("io.l5d.mesh");
  interpreters.recognise("io.l5d.k8s.configMap", /*experimental=*/true);
  interpreters.recognise("io.l5d.consul.interpreter");

  // Transformers (inventory §7.3), in interpreters and namers alike.
  auto& transformers = r.transformers;
  transformers.add("io.l5d.port", &decode_port_transformer);
  transformers.add("io.l5d.localhost", &decode_localhost_transformer);
  transformers.add("io.l5d.specificHost", &decode_specific_host_transformer);
  transformers.add("io.l5d.replace", &decode_replace_transformer);
  transformers.add("io.l5d.const", &decode_const_transformer);
  transformers.add("io.l5d.k8s.daemonset", &decode_daemonset_transformer);
  transformers.add("io.l5d.k8s.localnode", &decode_localnode_transformer);
  // Telemeters (inventory §15) and the linkerd-zipkin plugin's HTTP telemeter.
  auto& telemeters = r.telemeters;
  telemeters.add("io.l5d.prometheus", &decode_prometheus_telemeter);
  telemeters.add("io.l5d.recentRequests", &decode_recent_requests_telemeter);
  telemeters.add("io.l5d.zipkin", &decode_zipkin_telemeter);
  telemeters.add("io.zipkin.http", &decode_zipkin_http_telemeter);
  telemeters.add("io.l5d.tracelog", &decode_tracelog_telemeter);
  telemeters.recognise("io.l5d.statsd", /*experimental=*/true);
  telemeters.recognise("io.l5d.influxdb");
  telemeters.recognise("io.zipkin.kafka");
  telemeters.recognise("io.zipkin.scribe");
  add_policy_kinds(r);
  return r;
}

}  // namespace

const Registries& registries() {
  static const Registries r = make_registries();
  return r;
}

}  // namespace meshd::config::detail
