#include <array>
#include <limits>

#include "meshd/core/timeout.h"
#include "trace/batching_sink_internal.h"
#include "trace/format_internal.h"
#include "trace/thrift_internal.h"

// `io.l5d.zipkin`: Finagle's ScribeRawZipkinTracer as Linkerd configures it — each span a
// Base64 line of its Thrift encoding in a Scribe LogEntry of category "zipkin", many per
// `Scribe.Log` call, over a framed TBinaryProtocol connection with a 100 ms request timeout.

namespace meshd::trace {
namespace {

using detail::Delivery;

constexpr std::string_view kCategory = "zipkin";

/// Reads exactly `out.size()` bytes.
asio::awaitable<Result<void>> read_exact(transport::Stream* stream, std::string& out) {
  std::size_t got = 0;
  while (got < out.size()) {
    auto n = co_await stream->read_some(asio::buffer(out.data() + got, out.size() - got));
    if (!n) {
      co_return n.error();
    }
    got += *n;
  }
  co_return Result<void>();
}

/// One Scribe call on `stream` (owned by the sink, which outlives the call): writes `frame`,
/// reads the reply frame and parses it.
asio::awaitable<Result<detail::ScribeResult>> call(transport::Stream* stream, std::string frame,
                                                   std::int32_t seqid, std::string* why) {
  std::array<asio::const_buffer, 1> buffers{asio::buffer(frame)};
  auto written = co_await stream->write(buffers);
  if (!written) {
    co_return written.error();
  }
  std::string length(4, '\0');
  auto head = co_await read_exact(stream, length);
  if (!head) {
    co_return head.error();
  }
  std::uint32_t size = 0;
  for (char c : length) {
    size = (size << 8) | static_cast<std::uint8_t>(c);
  }
  if (size == 0 || size > detail::kMaxScribeReplyFrame) {
    *why = "reply frame of " + std::to_string(size) + " bytes";
    co_return make_error_code(errc::protocol_error);
  }
  std::string message(size, '\0');
  auto body = co_await read_exact(stream, message);
  if (!body) {
    co_return body.error();
  }
  co_return detail::parse_scribe_reply(message, seqid, why);
}

class ScribeSink final : public detail::BatchingSink {
 public:
  ScribeSink(std::string host, std::uint16_t port, double sample_rate,
             detail::SenderOptions options, telemetry::Registry* registry)
      : BatchingSink("io.l5d.zipkin", "zipkin", sample_rate, options, registry),
        host_(std::move(host)),
        port_(port) {}

 protected:
  // detail::BatchingSink
  std::string encode(const std::vector<Span>& batch) override {
    std::vector<std::string> messages;
    messages.reserve(batch.size());
    for (const auto& span : batch) {
      // Finagle ends each message with a newline (Scribe's line-oriented heritage).
      messages.push_back(detail::base64_encode(detail::encode_zipkin_span(span)) + "\n");
    }
    return detail::encode_scribe_log_args(messages, kCategory);
  }

  asio::awaitable<Delivery> deliver(const std::string& payload, std::string* why) override {
    // A kept connection the collector has closed meanwhile fails at once: then one fresh
    // connection is tried straight away (a duplicate batch is harmless for tracing).
    for (int tries = 0; tries < 2; ++tries) {
      if (stream_ && !stream_->idle_alive()) {
        disconnect();
      }
      const bool reused = stream_ != nullptr;
      if (!stream_) {
        auto stream = co_await detail::connect_any(host_, port_, options().connect_timeout, why);
        if (!stream) {
          co_return Delivery::Retry;
        }
        stream_ = std::move(*stream);
      }
      seqid_ = seqid_ == std::numeric_limits<std::int32_t>::max() ? 1 : seqid_ + 1;
      why->clear();
      auto reply = co_await with_timeout(
          call(stream_.get(), detail::frame_scribe_call(payload, seqid_), seqid_, why),
          options().request_timeout);
      if (!reply) {
        if (why->empty()) {
          *why = reply.error().message();
        }
        disconnect();  // a late reply would put this connection out of step
        if (reused) {
          continue;
        }
        co_return Delivery::Retry;
      }
      if (*reply == detail::ScribeResult::TryLater) {
        *why = "collector answered TRY_LATER";
        co_return Delivery::Retry;
      }
      co_return Delivery::Sent;
    }
    co_return Delivery::Retry;
  }

  void disconnect() override {
    if (stream_) {
      stream_->close();
      stream_.reset();
    }
  }

 private:
  const std::string host_;
  const std::uint16_t port_;
  std::int32_t seqid_ = 0;
  transport::StreamPtr stream_;
};

}  // namespace

namespace detail {

std::shared_ptr<Sink> make_scribe_sink(std::string host, int port, double sample_rate,
                                       telemetry::Registry* registry, SenderOptions options) {
  if (port <= 0 || port > std::numeric_limits<std::uint16_t>::max()) {
    return nullptr;
  }
  return std::make_shared<ScribeSink>(std::move(host), static_cast<std::uint16_t>(port),
                                      sample_rate, options, registry);
}

}  // namespace detail

std::shared_ptr<Sink> make_zipkin_scribe_sink(std::string host, int port, double sample_rate,
                                              telemetry::Registry* registry) {
  return detail::make_scribe_sink(std::move(host), port, sample_rate, registry, {});
}

}  // namespace meshd::trace
