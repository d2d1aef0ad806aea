// Decoding of what only h2 routers have (inventory §12.5, §13): the HTTP/2 settings keys of
// their servers and clients (Linkerd's H2EndpointConfig) and the h2 and gRPC response
// classifiers (H2Classifiers.scala, grpc/GrpcClassifierConfig.scala).

#include <climits>
#include <limits>
#include <optional>

#include "config/decode_internal.h"
#include "config/kinds_internal.h"

namespace meshd::config::detail {
namespace {

// RFC 9113 §6.5.2: SETTINGS_MAX_FRAME_SIZE is between 2^14 and 2^24 - 1.
constexpr std::int64_t kMinFrameBytes = 16384;
constexpr std::int64_t kMaxFrameBytes = 16777215;

// An optional window-update ratio, strictly between 0 and 1 (Finagle's FlowControl requires it).
void read_window_update_ratio(MapReader& m, Located<std::optional<double>>& out) {
  Located<double> ratio;
  read_double(m, "windowUpdateRatio", ratio, -std::numeric_limits<double>::max(),
              std::numeric_limits<double>::max());
  out.pos = ratio.pos;
  if (!ratio.present) {
    return;
  }
  if (ratio.value <= 0 || ratio.value >= 1) {
    m.decoder().error(ratio.pos,
                      "must be greater than 0 and less than 1, got " + format_double(ratio.value));
    return;
  }
  out.value = ratio.value;
  out.present = true;
}

}  // namespace

void decode_h2_settings(MapReader& m, H2SettingsConfig& out) {
  read_optional_int(m, "initialStreamWindowBytes", out.initial_stream_window_bytes, 1, INT_MAX);
  read_window_update_ratio(m, out.window_update_ratio);
  read_optional_int(m, "headerTableBytes", out.header_table_bytes, 0, INT_MAX);
  read_optional_int(m, "maxFrameBytes", out.max_frame_bytes, kMinFrameBytes, kMaxFrameBytes);
  read_optional_int(m, "maxHeaderListBytes", out.max_header_list_bytes, 1, INT_MAX);
}

void decode_h2_response_classifier(MapReader& /*m*/, ResponseClassifierConfig& /*out*/) {}

// Every gRPC classifier: `successStatusCodes` (Linkerd 1.6.0+), default [0].
void decode_grpc_classifier(MapReader& m, ResponseClassifierConfig& out) {
  read_int_list(m, "successStatusCodes", out.success_status_codes, 0, INT_MAX);
}

// `io.l5d.h2.grpc.retryableStatusCodes`: `retryableStatusCodes` is a required constructor
// argument in Linkerd.
void decode_grpc_retryable_status_codes_classifier(MapReader& m, ResponseClassifierConfig& out) {
  if (!m.has_value("retryableStatusCodes")) {
    m.missing("retryableStatusCodes");
  }
  read_int_list(m, "retryableStatusCodes", out.retryable_status_codes, 0, INT_MAX);
  decode_grpc_classifier(m, out);
}

}  // namespace meshd::config::detail
