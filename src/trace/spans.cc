#include <algorithm>

#include "meshd/trace/trace.h"
#include "trace/format_internal.h"

// The spans of a router hop with the annotations Finagle and Linkerd 1 record on them
// (docs/tracing.md has the table). Linkerd's server span covers the server stack, the path stack
// and the bound stack (they share the server's trace id); each try through a client stack gets
// its own child span.

namespace meshd::trace {
namespace {

using detail::epoch_us;

/// Finagle's core annotations, and the error annotations its tracing filters record.
constexpr std::string_view kServerRecv = "sr";
constexpr std::string_view kServerSend = "ss";
constexpr std::string_view kClientSend = "cs";
constexpr std::string_view kClientRecv = "cr";
constexpr std::string_view kServerSendError = "Server Send Error";
constexpr std::string_view kClientRecvError = "Client Receive Error";
/// meshd's failure stage for a name that did not bind; Linkerd's path stack records it as a
/// ClientAcquisition failure, with `namer.failure` from the binding.
constexpr std::string_view kBindingStage = "Binding";
constexpr std::string_view kClientAcquisition = "ClientAcquisition";

/// The start of a span: the timestamps, the id and the endpoints.
Span open_span(const TraceId& id, Span::Kind kind, const HttpExchange& ex, std::string name,
               std::string service_name) {
  Span span;
  span.id = id;
  span.kind = kind;
  span.name = std::move(name);
  span.local = Endpoint{std::move(service_name), ex.local};
  span.remote = Endpoint{std::string(), ex.remote};
  span.timestamp_us = epoch_us(ex.start);
  span.duration_us = std::max<std::int64_t>(0, epoch_us(ex.end) - span.timestamp_us);
  return span;
}

void annotate(Span& span, std::int64_t timestamp_us, std::string value) {
  span.annotations.push_back(Annotation{timestamp_us, std::move(value)});
}

void tag(Span& span, std::string key, Tag::Value value) {
  span.tags.push_back(Tag{std::move(key), std::move(value)});
}

void tag_if(Span& span, std::string key, const std::string& value) {
  if (!value.empty()) {
    tag(span, std::move(key), value);
  }
}

/// Linkerd's HTTP `TracingFilter`: the request as sent and the response as received.
void tag_http(Span& span, const HttpExchange& ex) {
  tag_if(span, "http.uri", ex.uri);
  tag_if(span, "http.req.method", ex.method);
  tag_if(span, "http.req.host", ex.host);
  tag_if(span, "http.req.version", ex.request_version);
  if (ex.request_content_length) {
    tag(span, "http.req.content-length", static_cast<std::int64_t>(*ex.request_content_length));
  }
  tag_if(span, "http.req.content-type", ex.request_content_type);
  if (ex.status == 0) {
    return;
  }
  tag(span, "http.rsp.status", std::int64_t{ex.status});
  tag_if(span, "http.rsp.version", ex.response_version);
  if (ex.response_content_length) {
    tag(span, "http.rsp.content-length", static_cast<std::int64_t>(*ex.response_content_length));
  }
  tag_if(span, "http.rsp.content-type", ex.response_content_type);
}

/// Linkerd's `ClassifiedTracing`: a success as a binary annotation, a failure as an event.
void classify(Span& span, const HttpExchange& ex, std::int64_t end_us) {
  if (!ex.success) {
    return;
  }
  if (*ex.success > 0) {
    tag(span, "l5d.success", *ex.success);
  } else {
    annotate(span, end_us, ex.retryable ? "l5d.retryable" : "l5d.failure");
  }
}

/// Finagle's tracing filters on a failure without a response: `<kind>: <error>` before the end
/// annotation; meshd adds Zipkin's `error` tag so the span shows as failed.
void record_error(Span& span, const HttpExchange& ex, std::string_view kind, std::int64_t end_us) {
  if (ex.status != 0 || ex.error.empty()) {
    return;
  }
  annotate(span, end_us, std::string(kind) + ": " + ex.error);
  tag(span, "error", ex.error);
}

/// `<ip>/<port>` of `endpoint` (Linkerd's server label when none was given).
std::string label_of(const boost::asio::ip::tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + "/" + std::to_string(endpoint.port());
}

/// The request path without its query (Finagle's `Request.path`).
std::string_view path_of(std::string_view uri) { return uri.substr(0, uri.find('?')); }

}  // namespace

Span server_span(const TraceId& id, const HttpExchange& ex) {
  std::string name = ex.service.empty() ? ex.method : ex.router + " " + ex.service;
  std::string label = ex.server.empty() ? label_of(ex.local) : ex.server;
  Span span = open_span(id, Span::Kind::server, ex, std::move(name), std::move(label));
  const std::int64_t start_us = span.timestamp_us;
  const std::int64_t end_us = start_us + span.duration_us;

  annotate(span, start_us, std::string(kServerRecv));
  tag_if(span, "router.label", ex.router);
  if (!ex.service.empty()) {
    // DstTracing.Path records both dtabs as shown, even when empty.
    tag(span, "service", ex.service);
    tag(span, "dtab.base", ex.dtab_base);
    tag(span, "dtab.local", ex.dtab_local);
  }
  if (!ex.client.empty()) {
    annotate(span, start_us, "namer.success");
    tag(span, "client", ex.client);
    tag(span, "residual", ex.residual.empty() ? std::string("/") : ex.residual);
  }
  if (ex.failure == kBindingStage) {
    tag(span, "namer.failure", ex.error.empty() ? std::string(kBindingStage) : ex.error);
    tag(span, "io.buoyant.router.Failure", std::string(kClientAcquisition));
  } else {
    tag_if(span, "io.buoyant.router.Failure", ex.failure);
  }
  tag_http(span, ex);
  for (int i = 0; i < ex.retries; ++i) {
    annotate(span, end_us, "finagle.retry");
  }
  classify(span, ex, end_us);
  record_error(span, ex, kServerSendError, end_us);
  annotate(span, end_us, std::string(kServerSend));
  return span;
}

Span client_span(const TraceId& id, const HttpExchange& ex) {
  std::string name = ex.method + " " + std::string(path_of(ex.uri));
  std::string_view client = ex.client;
  if (!client.empty() && client.front() == '/') {
    client.remove_prefix(1);  // Linkerd's client label: the bound id without its leading slash
  }
  Span span = open_span(id, Span::Kind::client, ex, std::move(name), std::string(client));
  const std::int64_t start_us = span.timestamp_us;
  const std::int64_t end_us = start_us + span.duration_us;

  annotate(span, start_us, std::string(kClientSend));
  tag_http(span, ex);
  classify(span, ex, end_us);
  record_error(span, ex, kClientRecvError, end_us);
  annotate(span, end_us, std::string(kClientRecv));
  return span;
}

}  // namespace meshd::trace
