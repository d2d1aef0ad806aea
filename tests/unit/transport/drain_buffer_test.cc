#include "meshd/transport/drain_buffer.h"

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <string>
#include <tuple>

#include "meshd/transport/stream.h"
#include "testing/run.h"

namespace meshd::transport {
namespace {

using tcp = asio::ip::tcp;

// A connected pair on loopback: `reader` is set up as TcpStream sets up its sockets
// (non-blocking), `peer` is driven with blocking calls from the test.
struct Pair {
  asio::io_context io;
  tcp::socket reader{io};
  tcp::socket peer{io};

  Pair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    peer.connect(acceptor.local_endpoint());
    reader = acceptor.accept();
    reader.non_blocking(true);
  }

  void send(std::string_view bytes) { asio::write(peer, asio::buffer(bytes)); }

  // One read through DrainBuffer, to its end: (error, bytes read).
  std::tuple<boost::system::error_code, std::string> read() {
    start_read();
    wait_read();
    EXPECT_FALSE(pending) << "the read waits";
    return {ec, got};
  }

  // Starts a read through DrainBuffer, which waits for the reactor until `send` and `wait_read`;
  // so the bytes are read when their readiness event is served, as in a running proxy.
  void start_read() {
    pending = true;
    reader.async_read_some(DrainBuffer{asio::buffer(buf)},
                           [this](boost::system::error_code e, std::size_t n) {
                             pending = false;
                             ec = e;
                             got.assign(buf, n);
                           });
  }
  void wait_read() {
    testing::run_until(io, [this] { return !pending; });
  }

  char buf[64];
  bool pending = false;
  boost::system::error_code ec;
  std::string got;
};

TEST(DrainBuffer, ReadsWhatArrivedAndThenWaitsForMore) {
  Pair p;
  p.start_read();
  p.send("abc");
  p.wait_read();
  ASSERT_FALSE(p.ec) << p.ec.message();
  EXPECT_EQ(p.got, "abc");

  // The short read left the socket dry: the next read waits for the reactor, and gets bytes
  // sent while it waits.
  p.start_read();
  p.io.restart();
  p.io.poll();
  EXPECT_TRUE(p.pending);
  p.send("def");
  p.wait_read();
  ASSERT_FALSE(p.ec) << p.ec.message();
  EXPECT_EQ(p.got, "def");
}

TEST(DrainBuffer, BytesThatArriveBetweenReadsAreFound) {
  Pair p;
  p.send("abc");
  EXPECT_EQ(std::get<1>(p.read()), "abc");
  // The readiness event of these bytes is served while no read is pending.
  p.send("def");
  p.io.restart();
  p.io.poll();
  auto [ec, got] = p.read();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(got, "def");
}

TEST(DrainBuffer, AFinThatCameWithTheLastBytesIsLeftToATry) {
  // What a reader must cover itself (see drain_buffer.h): after the short read, the reactor
  // waits for an event that the FIN will not raise again, and a read tried at once finds the
  // end.
  Pair p;
  p.start_read();
  p.send("abc");
  p.peer.shutdown(tcp::socket::shutdown_send);
  p.wait_read();
  EXPECT_EQ(p.got, "abc");
  p.start_read();
  p.io.restart();
  p.io.poll();
  EXPECT_TRUE(p.pending);
  boost::system::error_code ec;
  char byte;
  EXPECT_EQ(p.reader.read_some(asio::buffer(&byte, 1), ec), 0U);
  EXPECT_EQ(ec, asio::error::eof);
  p.reader.cancel();  // ends the waiting read
  p.wait_read();
  EXPECT_EQ(p.ec, asio::error::operation_aborted);
}

TEST(DrainBuffer, AFullBufferIsReadAgainAtOnce) {
  Pair p;
  const std::string bytes(100, 'x');
  p.send(bytes);
  EXPECT_EQ(std::get<1>(p.read()), bytes.substr(0, 64));
  EXPECT_EQ(std::get<1>(p.read()), bytes.substr(64));
}

}  // namespace
}  // namespace meshd::transport
