// TcpStream::read_some (src/transport/stream.cc): what arrived is read at once, an empty socket
// waits for the reactor, and the end of the stream is found however it arrived.

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <optional>
#include <string>

#include "meshd/transport/stream.h"
#include "testing/run.h"

namespace meshd::transport {
namespace {

using tcp = asio::ip::tcp;

struct Pair {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
  tcp::socket peer{io};
  std::optional<TcpStream> stream;
  char buf[64];

  Pair() {
    peer.connect(acceptor.local_endpoint());
    stream.emplace(acceptor.accept());
  }
  void send(std::string_view bytes) { asio::write(peer, asio::buffer(bytes)); }
  // One read_some to its end (fails the test if it waits more than the limit).
  Result<std::string> read() {
    auto r = testing::run(io, stream->read_some(asio::buffer(buf)));
    if (!r) {
      return r.error();
    }
    return std::string(buf, *r);
  }
};

TEST(TcpStream, ReadsWhatArrivedAndWaitsForWhatComesLater) {
  Pair p;
  p.send("abc");
  auto first = p.read();
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(*first, "abc");
  // The socket is empty now: the read waits for the reactor and gets what is sent meanwhile.
  std::optional<Result<std::size_t>> second;
  asio::co_spawn(p.io, p.stream->read_some(asio::buffer(p.buf)),
                 [&](std::exception_ptr, Result<std::size_t> r) { second = r; });
  p.io.poll();
  EXPECT_FALSE(second);
  p.send("def");
  testing::run_until(p.io, [&] { return second.has_value(); });
  ASSERT_TRUE(second && *second);
  EXPECT_EQ(std::string(p.buf, **second), "def");
}

TEST(TcpStream, AFinThatCameWithTheLastBytesEndsTheNextRead) {
  Pair p;
  // The first read waits for the reactor; bytes and FIN then arrive in one readiness event.
  std::optional<Result<std::size_t>> first;
  asio::co_spawn(p.io, p.stream->read_some(asio::buffer(p.buf)),
                 [&](std::exception_ptr, Result<std::size_t> r) { first = r; });
  p.io.poll();
  ASSERT_FALSE(first);
  p.send("abc");
  p.peer.shutdown(tcp::socket::shutdown_send);
  testing::run_until(p.io, [&] { return first.has_value(); });
  ASSERT_TRUE(first && *first);
  EXPECT_EQ(std::string(p.buf, **first), "abc");
  auto end = p.read();
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error(), asio::error::eof);
}

TEST(TcpStream, AResetThatCameWithTheLastBytesFailsTheNextRead) {
  Pair p;
  std::optional<Result<std::size_t>> first;
  asio::co_spawn(p.io, p.stream->read_some(asio::buffer(p.buf)),
                 [&](std::exception_ptr, Result<std::size_t> r) { first = r; });
  p.io.poll();
  ASSERT_FALSE(first);
  p.send("abc");
  ::linger abort{1, 0};
  ::setsockopt(p.peer.native_handle(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  p.peer.close();
  testing::run_until(p.io, [&] { return first.has_value(); });
  ASSERT_TRUE(first);
  if (*first) {  // the bytes, unless the reset overtook them
    auto next = p.read();
    ASSERT_FALSE(next);
  }
}

}  // namespace
}  // namespace meshd::transport
