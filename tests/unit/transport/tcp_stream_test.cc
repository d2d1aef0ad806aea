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
#include "testing/tcp_pair.h"

namespace meshd::transport {
namespace {

struct Pair : testing::TcpPair {
  char buf[64];
  std::optional<Result<std::size_t>> started;

  // One read_some to its end (fails the test if it waits more than the limit).
  Result<std::string> read() {
    auto r = testing::run(io, stream->read_some(asio::buffer(buf)));
    if (!r) {
      return r.error();
    }
    return std::string(buf, *r);
  }
  // Starts a read_some and runs what is ready: on an empty socket it waits for the reactor.
  void start_read() {
    started.reset();
    asio::co_spawn(io, stream->read_some(asio::buffer(buf)),
                   [this](std::exception_ptr, Result<std::size_t> r) { started = r; });
    io.restart();
    io.poll();
  }
  // Runs until the started read ends: its bytes or its error.
  Result<std::string> finish_read() {
    testing::run_until(io, [this] { return started.has_value(); });
    if (!started) {
      ADD_FAILURE() << "the read still waits";
      return boost::system::error_code(asio::error::timed_out);
    }
    if (!*started) {
      return started->error();
    }
    return std::string(buf, **started);
  }
};

TEST(TcpStream, ReadsWhatArrivedAndWaitsForWhatComesLater) {
  Pair p;
  p.send("abc");
  auto first = p.read();
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(*first, "abc");
  // The socket is empty now: the read waits for the reactor and gets what is sent meanwhile.
  p.start_read();
  EXPECT_FALSE(p.started);
  p.send("def");
  auto second = p.finish_read();
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(*second, "def");
}

TEST(TcpStream, AFinThatCameWithTheLastBytesEndsTheNextRead) {
  Pair p;
  // The first read waits for the reactor; bytes and FIN then arrive in one readiness event.
  p.start_read();
  ASSERT_FALSE(p.started);
  p.send("abc");
  p.peer.shutdown(asio::ip::tcp::socket::shutdown_send);
  auto first = p.finish_read();
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(*first, "abc");
  auto end = p.read();
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error(), asio::error::eof);
}

TEST(TcpStream, AResetThatCameWithTheLastBytesFailsTheNextRead) {
  Pair p;
  p.start_read();
  ASSERT_FALSE(p.started);
  p.send("abc");
  ::linger abort{1, 0};
  ::setsockopt(p.peer.native_handle(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  p.peer.close();
  auto first = p.finish_read();
  if (first) {  // the bytes, unless the reset overtook them
    auto next = p.read();
    ASSERT_FALSE(next);
  }
}

}  // namespace
}  // namespace meshd::transport
