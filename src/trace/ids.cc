#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <random>

#include "meshd/trace/trace.h"
#include "trace/format_internal.h"
#include "trace/sampling_internal.h"

// Trace ids and their wire forms, after Finagle's `TraceId`, `SpanId`, `Flags` and Linkerd's
// `Sampler` and `LinkerdHeaders.Ctx.Trace` / `Sample`.

namespace meshd::trace {
namespace {

constexpr std::uint64_t kFlagDebug = 1;
constexpr std::uint64_t kFlagSamplingKnown = 2;
constexpr std::uint64_t kFlagSampled = 4;
constexpr std::size_t kCtxBytes = 32;
constexpr std::size_t kCtxBytes128 = 40;
constexpr std::uint64_t kSamplerBuckets = 10000;

std::mt19937_64& generator() {
  thread_local std::mt19937_64 gen = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return gen;
}

// The per-process salt of `sampled_at` (Finagle draws one per JVM).
std::uint64_t process_salt() {
  static const std::uint64_t salt = [] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }();
  return salt;
}

void put64(char* out, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
  }
}

std::uint64_t get64(std::string_view bytes, std::size_t offset) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<std::uint8_t>(bytes[offset + i]);
  }
  return v;
}

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && blank(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && blank(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

namespace detail {

bool sampled_with_salt(double rate, std::uint64_t trace_id, std::uint64_t salt) {
  double r = std::clamp(rate, 0.0, 1.0);
  // Java's math.abs on the signed XOR; the magnitude of Long.MinValue is 2^63 here, where Java
  // would leave it negative (one id in 2^64).
  auto signed_value = static_cast<std::int64_t>(trace_id ^ salt);
  std::uint64_t magnitude = signed_value < 0
                                ? std::uint64_t{0} - static_cast<std::uint64_t>(signed_value)
                                : static_cast<std::uint64_t>(signed_value);
  return static_cast<double>(magnitude % kSamplerBuckets) <
         r * static_cast<double>(kSamplerBuckets);
}

}  // namespace detail

std::uint64_t random_id() {
  std::uint64_t id = 0;
  while (id == 0) {
    id = generator()();
  }
  return id;
}

TraceId new_root() {
  TraceId id;
  id.span_id = random_id();
  id.trace_id = id.span_id;
  return id;
}

TraceId child_of(const TraceId& parent) {
  TraceId id = parent;
  if (parent.span_id == 0) {
    id.span_id = parent.trace_id != 0 ? parent.trace_id : random_id();
    id.trace_id = id.span_id;
    id.parent_id.reset();
    return id;
  }
  id.parent_id = parent.span_id;
  id.span_id = random_id();
  return id;
}

std::string request_id(const TraceId& id) { return detail::hex16(id.trace_id); }

std::string encode_ctx_trace(const TraceId& id) {
  detail::CtxTraceText text;
  return std::string(detail::encode_ctx_trace_into(id, text));
}

std::optional<TraceId> decode_ctx_trace(std::string_view value) {
  auto bytes = detail::base64_decode(value);
  if (!bytes || (bytes->size() != kCtxBytes && bytes->size() != kCtxBytes128)) {
    return std::nullopt;
  }
  TraceId id;
  id.span_id = get64(*bytes, 0);
  std::uint64_t parent = get64(*bytes, 8);
  if (parent != id.span_id) {
    id.parent_id = parent;
  }
  id.trace_id = get64(*bytes, 16);
  std::uint64_t flags = get64(*bytes, 24);
  id.debug = (flags & kFlagDebug) != 0;
  if ((flags & kFlagSamplingKnown) != 0) {
    id.sampled = (flags & kFlagSampled) != 0;
  }
  if (bytes->size() == kCtxBytes128) {
    id.trace_id_high = get64(*bytes, 32);
  }
  return id;
}

std::optional<double> parse_sample_rate(std::string_view value) {
  std::string_view text = trim(value);
  // Java's Float.parseFloat takes a type suffix.
  if (!text.empty() && std::string_view("fFdD").find(text.back()) != std::string_view::npos) {
    text.remove_suffix(1);
  }
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
  }
  double rate = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), rate);
  if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size() ||
      std::isnan(rate)) {
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range) {
    // Well formed but beyond a double: huge numbers clamp to 1, tiny or negative ones to 0.
    bool negative = text.front() == '-';
    bool tiny =
        text.find("e-") != std::string_view::npos || text.find("E-") != std::string_view::npos;
    rate = negative || tiny ? 0.0 : 1.0;
  }
  return std::clamp(rate, 0.0, 1.0);
}

bool sampled_at(double rate, std::uint64_t trace_id) {
  return detail::sampled_with_salt(rate, trace_id, process_salt());
}

namespace detail {

std::string_view encode_ctx_trace_into(const TraceId& id, CtxTraceText& out) noexcept {
  std::uint64_t flags = id.debug ? kFlagDebug : 0;
  if (id.sampled) {
    flags |= *id.sampled ? kFlagSamplingKnown | kFlagSampled : kFlagSamplingKnown;
  }
  std::array<char, kCtxBytes128> bytes;
  put64(bytes.data(), id.span_id);
  put64(bytes.data() + 8, id.parent_id.value_or(id.span_id));
  put64(bytes.data() + 16, id.trace_id);
  put64(bytes.data() + 24, flags);
  std::size_t size = kCtxBytes;
  if (id.trace_id_high != 0) {
    put64(bytes.data() + 32, id.trace_id_high);
    size = kCtxBytes128;
  }
  return {out.data(), base64_encode_into({bytes.data(), size}, out.data())};
}

}  // namespace detail

}  // namespace meshd::trace
