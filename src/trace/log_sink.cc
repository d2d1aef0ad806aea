#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "meshd/core/log.h"
#include "trace/format_internal.h"

// `io.l5d.tracelog`: Linkerd logs every trace record of a kept trace at the configured level;
// meshd logs one line per span with the same content.

namespace meshd::trace {
namespace {

struct LevelName {
  std::string_view linkerd;
  spdlog::level::level_enum level;
};

// com.twitter.logging.Level names, and the spdlog level each maps to.
constexpr std::array<LevelName, 9> kLevels = {{
    {"ALL", spdlog::level::trace},
    {"TRACE", spdlog::level::trace},
    {"DEBUG", spdlog::level::debug},
    {"INFO", spdlog::level::info},
    {"WARNING", spdlog::level::warn},
    {"ERROR", spdlog::level::err},
    {"CRITICAL", spdlog::level::critical},
    {"FATAL", spdlog::level::critical},
    {"OFF", spdlog::level::off},
}};

std::optional<spdlog::level::level_enum> level_of(std::string_view name) {
  for (const auto& entry : kLevels) {
    if (http::iequals(entry.linkerd, name)) {
      return entry.level;
    }
  }
  return std::nullopt;
}

/// One line: ids, kind, name, endpoints, timing, annotations (as offsets from the start, in
/// microseconds) and tags.
std::string format_span(const Span& span) {
  std::string line = "span trace_id=" + detail::trace_id_hex(span.id) +
                     " span_id=" + detail::hex16(span.id.span_id) + " parent_id=" +
                     (span.id.parent_id ? detail::hex16(*span.id.parent_id) : std::string("-"));
  line += span.kind == Span::Kind::server ? " kind=server" : " kind=client";
  line += " name=\"" + span.name + "\" service=\"" + span.local.service_name + "\"";
  line += " local=" + detail::endpoint_text(span.local.address);
  if (span.remote) {
    line += " remote=" + detail::endpoint_text(span.remote->address);
  }
  line += " start_us=" + std::to_string(span.timestamp_us) +
          " duration_us=" + std::to_string(span.duration_us) + " annotations=[";
  for (std::size_t i = 0; i < span.annotations.size(); ++i) {
    const auto& a = span.annotations[i];
    line +=
        (i == 0 ? "" : " ") + a.value + "@" + std::to_string(a.timestamp_us - span.timestamp_us);
  }
  line += "] tags={";
  for (std::size_t i = 0; i < span.tags.size(); ++i) {
    const auto& t = span.tags[i];
    line += (i == 0 ? "" : ", ") + t.key + "=\"" + detail::tag_text(t.value) + "\"";
  }
  line += "}";
  return line;
}

class TraceLogSink final : public Sink {
 public:
  TraceLogSink(double sample_rate, spdlog::level::level_enum level)
      : sample_rate_(sample_rate), level_(level), logger_(log::get("trace")) {}

  // trace::Sink
  std::optional<bool> sample(const TraceId&) const override { return std::nullopt; }
  bool keeps(const TraceId& id) const override {
    return id.debug || id.sampled.value_or(sampled_at(sample_rate_, id.trace_id));
  }
  void record(Span span) override {
    // `off` is a level no message may have: spdlog would print it as one.
    if (level_ != spdlog::level::off && logger_->should_log(level_)) {
      logger_->log(level_, "{}", format_span(span));
    }
  }
  void start(asio::any_io_executor) override {}
  void stop() override {}

 private:
  const double sample_rate_;
  const spdlog::level::level_enum level_;
  const std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace

std::shared_ptr<Sink> make_trace_log_sink(double sample_rate, std::string level) {
  auto parsed = level_of(level);
  if (!parsed) {
    return nullptr;
  }
  return std::make_shared<TraceLogSink>(sample_rate, *parsed);
}

}  // namespace meshd::trace
