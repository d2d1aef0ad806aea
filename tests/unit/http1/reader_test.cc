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
#include "testing/tcp_pair.h"

namespace meshd::http1 {
namespace {

using tcp = asio::ip::tcp;

using Pair = testing::TcpPair;

TEST(MessageReader, AResetThatCameWithTheFirstBytesOfAMessageEndsItsBody) {
  // A response head and part of its body, then a reset, arriving together: the head's read
  // drains the socket and serves the one readiness event of both, so the body's next read must
  // try the socket before it waits (TcpStream::read_some, which the reader uses for it).
  Pair p;
  MessageReader reader(*p.stream, Parser::Kind::Response, Limits{});

  std::optional<Result<void>> head;
  asio::co_spawn(p.io, reader.read_head(), [&](std::exception_ptr, Result<void> r) { head = r; });
  p.io.poll();  // the head's read now waits for the reactor
  ASSERT_FALSE(head);
  asio::write(p.peer,
              asio::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")));
  ::linger abort{1, 0};
  ::setsockopt(p.peer.native_handle(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  p.peer.close();
  testing::run_until(p.io, [&] { return head.has_value(); });
  ASSERT_TRUE(head);
  ASSERT_TRUE(*head) << head->error().message();
  auto first = testing::run(p.io, reader.read_body());
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(*first, "abc");
  auto rest = testing::run(p.io, reader.read_body());  // fails the test if it waits
  ASSERT_FALSE(rest);
  EXPECT_EQ(rest.error(), make_error_code(errc::upstream_reset));
}

TEST(MessageReader, ABodyThatEndsWithTheConnectionEndsAfterManyReadsInARow) {
  // A close-delimited body of many buffers, then the FIN: the reads in a row pause for the
  // worker's other work every few reads and go on at once, and the last short read's FIN is
  // found by a try, not waited for.
  Pair p;
  MessageReader reader(*p.stream, Parser::Kind::Response, Limits{});
  const std::string body(40 * MessageReader::kBufferSize + 123, 'b');
  const std::string message = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body;
  asio::async_write(p.peer, asio::buffer(message), [&](boost::system::error_code ec, std::size_t) {
    EXPECT_FALSE(ec) << ec.message();
    p.peer.shutdown(tcp::socket::shutdown_send);
  });
  auto head = testing::run(p.io, reader.read_head());
  ASSERT_TRUE(head) << head.error().message();
  std::size_t got = 0;
  for (int i = 0; i < 100000; ++i) {
    auto piece = testing::run(p.io, reader.read_body());  // fails the test if it waits
    ASSERT_TRUE(piece) << piece.error().message();
    if (piece->empty()) {
      break;
    }
    got += piece->size();
  }
  EXPECT_EQ(got, body.size());
  EXPECT_TRUE(reader.message_done());
}

TEST(MessageReader, AClientConnectionFindsAPeerThatClosedAfterItsResponseWhenItWritesAgain) {
  // The response and the peer's FIN arrive together and the response's short read is taken as
  // draining the socket, so the FIN is not seen then (see DrainBuffer). The next request
  // written to the closed peer is answered with a reset, whose event ends the next read.
  Pair p;
  MessageReader reader(*p.stream, Parser::Kind::Response, Limits{});
  asio::write(p.peer, asio::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
  p.peer.close();
  auto head = testing::run(p.io, reader.read_head());
  ASSERT_TRUE(head) << head.error().message();
  auto body = testing::run(p.io, reader.read_body());
  ASSERT_TRUE(body) << body.error().message();
  EXPECT_EQ(*body, "ok");
  ASSERT_TRUE(reader.message_done());

  boost::system::error_code ec;
  asio::write(*p.stream->plain_socket(), asio::buffer(std::string("GET / HTTP/1.1\r\n\r\n")), ec);
  // The write itself succeeds: the reset comes after it.
  EXPECT_FALSE(ec) << ec.message();
  auto next = testing::run(p.io, reader.read_head());  // fails the test if it waits
  ASSERT_FALSE(next);
  EXPECT_TRUE(next.error() == make_error_code(errc::upstream_reset) ||
              next.error() == asio::error::eof)
      << next.error().message();
}

}  // namespace
}  // namespace meshd::http1
