#include "meshd/http1/reader.h"

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <exception>
#include <optional>
#include <string>

#include "meshd/core/errc.h"
#include "meshd/transport/stream.h"
#include "testing/run.h"

namespace meshd::http1 {
namespace {

using tcp = asio::ip::tcp;

TEST(MessageReader, AResetThatCameWithTheFirstBytesOfAMessageEndsItsBody) {
  // A response head and part of its body, then a reset, arriving together: the head's read
  // drains the socket and serves the one readiness event of both, so the body's next read must
  // try the socket before it waits (MessageReader::read_now).
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  tcp::socket peer(io);
  peer.connect(acceptor.local_endpoint());
  transport::TcpStream stream(acceptor.accept());
  MessageReader reader(stream, Parser::Kind::Response, Limits{});

  std::optional<Result<void>> head;
  asio::co_spawn(io, reader.read_head(), [&](std::exception_ptr, Result<void> r) { head = r; });
  io.poll();  // the head's read now waits for the reactor
  ASSERT_FALSE(head);
  asio::write(peer, asio::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")));
  ::linger abort{1, 0};
  ::setsockopt(peer.native_handle(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  peer.close();
  testing::run_until(io, [&] { return head.has_value(); });
  ASSERT_TRUE(head);
  ASSERT_TRUE(*head) << head->error().message();
  auto first = testing::run(io, reader.read_body());
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(*first, "abc");
  auto rest = testing::run(io, reader.read_body());  // fails the test if it waits
  ASSERT_FALSE(rest);
  EXPECT_EQ(rest.error(), make_error_code(errc::upstream_reset));
}

}  // namespace
}  // namespace meshd::http1
