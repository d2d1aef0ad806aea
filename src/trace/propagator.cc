#include <cctype>
#include <charconv>

#include "meshd/trace/trace.h"
#include "trace/format_internal.h"

// The two `tracePropagator` kinds of Linkerd's HTTP router: `io.l5d.default`
// (LinkerdTracePropagator: `l5d-ctx-trace`, `l5d-sample`, `l5d-reqid`) and `io.l5d.zipkin`
// (ZipkinTracePropagator: B3 headers).

namespace meshd::trace {
namespace {

constexpr std::string_view kCtxTrace = "l5d-ctx-trace";
constexpr std::string_view kSample = "l5d-sample";
constexpr std::string_view kRequestId = "l5d-reqid";
constexpr std::string_view kB3TraceId = "x-b3-traceid";
constexpr std::string_view kB3SpanId = "x-b3-spanid";
constexpr std::string_view kB3ParentSpanId = "x-b3-parentspanid";
constexpr std::string_view kB3Sampled = "x-b3-sampled";
constexpr std::string_view kB3Flags = "x-b3-flags";
constexpr std::size_t kHex64Digits = 16;
constexpr std::size_t kHex128Digits = 32;

/// The value of `name` if present.
std::optional<std::string_view> find(const http::Headers& headers, std::string_view name) {
  if (!headers.contains(name)) {
    return std::nullopt;
  }
  return headers.get(name);
}

/// A context that carries only a sampling decision taken at `rate` (see Propagator::read).
TraceId decision_only(double rate) {
  TraceId id;
  id.trace_id = random_id();
  id.sampled = sampled_at(rate, id.trace_id);
  return id;
}

/// Finagle's `StringUtil.toBoolean`: `1`, `t` and `true` in any case are true, all else false.
bool to_boolean(std::string_view s) {
  std::string lower;
  for (char c : s) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return lower == "1" || lower == "t" || lower == "true";
}

/// Finagle's `StringUtil.toSomeLong`: leading blanks skipped, an optional `-` and digits, the
/// rest ignored; 0 when there are no digits or they overflow.
std::int64_t to_some_long(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) {
    ++i;
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data() + i, s.data() + s.size(), value);
  return ec == std::errc() ? value : 0;
}

/// `x-b3-traceid`: 64 or 128 bits (Finagle reads the right-most 16 digits as the low half).
struct B3TraceId {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
};
std::optional<B3TraceId> parse_b3_trace_id(std::string_view text) {
  if (text.size() > kHex128Digits) {
    return std::nullopt;
  }
  if (text.size() <= kHex64Digits) {
    auto low = detail::parse_hex64(text);
    return low ? std::optional<B3TraceId>(B3TraceId{*low, 0}) : std::nullopt;
  }
  auto split = text.size() - kHex64Digits;
  auto high = detail::parse_hex64(text.substr(0, split));
  auto low = detail::parse_hex64(text.substr(split));
  if (!high || !low) {
    return std::nullopt;
  }
  return B3TraceId{*low, *high};
}

class LinkerdPropagator final : public Propagator {
 public:
  // trace::Propagator
  std::optional<TraceId> read(http::Headers& headers) const override {
    std::optional<TraceId> id;
    if (auto value = find(headers, kCtxTrace)) {
      id = decode_ctx_trace(*value);
    }
    std::optional<double> rate;
    if (auto value = find(headers, kSample)) {
      rate = parse_sample_rate(*value);
    }
    headers.remove(kCtxTrace);
    headers.remove(kSample);
    if (rate && !id) {
      return decision_only(*rate);
    }
    if (rate) {
      id->sampled = sampled_at(*rate, id->trace_id);
    }
    return id;
  }

  void write(http::Headers& headers, const TraceId& id) const override {
    // Once per request and try: encoded on the stack.
    detail::CtxTraceText ctx;
    headers.set(kCtxTrace, detail::encode_ctx_trace_into(id, ctx));
    std::array<char, 16> reqid;
    detail::hex16_into(id.trace_id, reqid.data());
    headers.set(kRequestId, std::string_view(reqid.data(), reqid.size()));
  }
};

class ZipkinPropagator final : public Propagator {
 public:
  // trace::Propagator
  std::optional<TraceId> read(http::Headers& headers) const override {
    std::optional<std::uint64_t> span;
    std::optional<std::uint64_t> parent;
    std::optional<B3TraceId> trace;
    if (auto value = find(headers, kB3SpanId)) {
      span = detail::parse_hex64(*value);
    }
    if (auto value = find(headers, kB3ParentSpanId)) {
      parent = detail::parse_hex64(*value);
    }
    if (auto value = find(headers, kB3TraceId)) {
      trace = parse_b3_trace_id(*value);
    }
    // A numeric `x-b3-sampled` is a sample rate (Linkerd's ZipkinTrace.getSampler); any other
    // value is a boolean.
    std::optional<std::string> sampled_text;
    std::optional<double> rate;
    if (auto value = find(headers, kB3Sampled)) {
      sampled_text.emplace(*value);
      rate = parse_sample_rate(*value);
    }
    bool debug = false;
    if (auto value = find(headers, kB3Flags)) {
      debug = (to_some_long(*value) & 1) != 0;
    }
    for (auto name :
         {kB3TraceId, kB3SpanId, kB3ParentSpanId, kB3Sampled, kB3Flags, kCtxTrace, kSample}) {
      headers.remove(name);
    }
    if (!span) {
      return rate ? std::optional<TraceId>(decision_only(*rate)) : std::nullopt;
    }
    TraceId id;
    id.span_id = *span;
    if (parent && *parent != *span) {
      id.parent_id = parent;
    }
    id.trace_id = trace ? trace->low : parent.value_or(*span);
    id.trace_id_high = trace ? trace->high : 0;
    id.debug = debug;
    if (rate) {
      id.sampled = sampled_at(*rate, id.trace_id);
    } else if (sampled_text) {
      id.sampled = to_boolean(*sampled_text);
    }
    return id;
  }

  void write(http::Headers& headers, const TraceId& id) const override {
    headers.set(kB3SpanId, detail::hex16(id.span_id));
    headers.set(kB3TraceId, detail::trace_id_hex(id));
    headers.set(kB3ParentSpanId, detail::hex16(id.parent_id.value_or(id.span_id)));
    headers.set(kB3Sampled, id.debug || id.sampled.value_or(false) ? "1" : "0");
    headers.set(kB3Flags, id.debug ? "1" : "0");
  }
};

}  // namespace

std::shared_ptr<const Propagator> make_propagator(std::string_view kind) {
  if (kind == "io.l5d.default") {
    return std::make_shared<LinkerdPropagator>();
  }
  if (kind == "io.l5d.zipkin") {
    return std::make_shared<ZipkinPropagator>();
  }
  return nullptr;
}

}  // namespace meshd::trace
