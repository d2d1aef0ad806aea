#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "trace/format_internal.h"
#include "trace/json_v2_internal.h"

namespace meshd::trace::detail {
namespace {

bool is_core_annotation(std::string_view value) {
  return value == "sr" || value == "ss" || value == "cs" || value == "cr";
}

boost::json::object endpoint_json(const Endpoint& endpoint) {
  boost::json::object out;
  if (!endpoint.service_name.empty()) {
    out["serviceName"] = endpoint.service_name;
  }
  auto address = endpoint.address.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  out[address.is_v4() ? "ipv4" : "ipv6"] = address.to_string();
  if (endpoint.address.port() != 0) {
    out["port"] = endpoint.address.port();
  }
  return out;
}

boost::json::object span_json(const Span& span) {
  boost::json::object out;
  out["traceId"] = trace_id_hex(span.id);
  out["id"] = hex16(span.id.span_id);
  if (span.id.parent_id) {
    out["parentId"] = hex16(*span.id.parent_id);
  }
  out["kind"] = span.kind == Span::Kind::server ? "SERVER" : "CLIENT";
  out["name"] = span.name;
  out["timestamp"] = span.timestamp_us;
  if (span.duration_us > 0) {
    out["duration"] = span.duration_us;
  }
  out["localEndpoint"] = endpoint_json(span.local);
  if (span.remote) {
    out["remoteEndpoint"] = endpoint_json(*span.remote);
  }
  boost::json::array annotations;
  for (const auto& a : span.annotations) {
    if (!is_core_annotation(a.value)) {
      annotations.push_back(boost::json::object{{"timestamp", a.timestamp_us}, {"value", a.value}});
    }
  }
  if (!annotations.empty()) {
    out["annotations"] = std::move(annotations);
  }
  if (!span.tags.empty()) {
    boost::json::object tags;
    for (const auto& t : span.tags) {
      tags[t.key] = tag_text(t.value);
    }
    out["tags"] = std::move(tags);
  }
  if (span.id.debug) {
    out["debug"] = true;
  }
  return out;
}

}  // namespace

std::string encode_spans_json_v2(const std::vector<Span>& spans) {
  boost::json::array out;
  out.reserve(spans.size());
  for (const auto& span : spans) {
    out.push_back(span_json(span));
  }
  return boost::json::serialize(out);
}

}  // namespace meshd::trace::detail
