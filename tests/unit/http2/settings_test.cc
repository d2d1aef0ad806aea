// http2::reset_code_for: the RST_STREAM code the server answers a failed call with.

#include "meshd/http2/settings.h"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>

#include "meshd/core/errc.h"

namespace meshd::http2 {
namespace {

TEST(ResetCodeFor, FollowsLinkerdsErrorReseter) {
  EXPECT_EQ(reset_code_for(make_error_code(errc::identification_failed)), ErrorCode::RefusedStream);
  EXPECT_EQ(reset_code_for(make_error_code(errc::overloaded)), ErrorCode::RefusedStream);
  EXPECT_EQ(reset_code_for(make_error_code(errc::client_gone)), ErrorCode::Cancel);
  EXPECT_EQ(reset_code_for(boost::asio::error::operation_aborted), ErrorCode::Cancel);
  EXPECT_EQ(reset_code_for(make_error_code(errc::timeout)), ErrorCode::InternalError);
  EXPECT_EQ(reset_code_for(make_error_code(errc::upstream_reset)), ErrorCode::InternalError);
}

TEST(ResetCodeFor, PassesOnHowTheEndpointEndedTheLastTry) {
  http::RequestContext ctx;
  const auto reset = make_error_code(errc::upstream_reset);
  // A connection that closed under the stream: nothing to pass on.
  EXPECT_EQ(reset_code_for(reset, ctx), ErrorCode::InternalError);
  // The endpoint reset the stream before answering: its code.
  ctx.upstream_reset = static_cast<std::uint8_t>(ErrorCode::Cancel);
  EXPECT_EQ(reset_code_for(reset, ctx), ErrorCode::Cancel);
  // Refused unprocessed (REFUSED_STREAM, or above a GOAWAY's last stream id): refused.
  ctx.upstream_reset.reset();
  ctx.unprocessed = true;
  EXPECT_EQ(reset_code_for(reset, ctx), ErrorCode::RefusedStream);
  // Only the exchange's own failure is the endpoint's: a timeout stays as it was.
  EXPECT_EQ(reset_code_for(make_error_code(errc::timeout), ctx), ErrorCode::InternalError);
  EXPECT_EQ(reset_code_for(make_error_code(errc::client_gone), ctx), ErrorCode::Cancel);
}

}  // namespace
}  // namespace meshd::http2
