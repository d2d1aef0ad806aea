#include "meshd/http2/settings.h"

#include <boost/asio/error.hpp>

#include <array>
#include <cstdio>
#include <string_view>

#include "meshd/core/errc.h"

namespace meshd::http2 {

ErrorCode reset_code_for(boost::system::error_code ec) noexcept {
  if (ec == errc::identification_failed || ec == errc::overloaded) {
    return ErrorCode::RefusedStream;
  }
  if (ec == boost::asio::error::operation_aborted || ec == errc::client_gone) {
    return ErrorCode::Cancel;
  }
  return ErrorCode::InternalError;
}

ErrorCode reset_code_for(boost::system::error_code ec, const http::RequestContext& ctx) noexcept {
  if (ec == errc::upstream_reset) {
    if (ctx.unprocessed) {
      return ErrorCode::RefusedStream;
    }
    if (ctx.upstream_reset) {
      return static_cast<ErrorCode>(*ctx.upstream_reset);
    }
  }
  return reset_code_for(ec);
}

std::string error_code_name(std::uint32_t code) {
  // RFC 9113 §7, in code order.
  static constexpr std::array<std::string_view, 14> kNames = {
      "NO_ERROR",
      "PROTOCOL_ERROR",
      "INTERNAL_ERROR",
      "FLOW_CONTROL_ERROR",
      "SETTINGS_TIMEOUT",
      "STREAM_CLOSED",
      "FRAME_SIZE_ERROR",
      "REFUSED_STREAM",
      "CANCEL",
      "COMPRESSION_ERROR",
      "CONNECT_ERROR",
      "ENHANCE_YOUR_CALM",
      "INADEQUATE_SECURITY",
      "HTTP_1_1_REQUIRED",
  };
  if (code < kNames.size()) {
    return std::string{kNames[code]};
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", code);
  return buf;
}

}  // namespace meshd::http2
