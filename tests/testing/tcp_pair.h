#pragma once

// A connected TCP pair on loopback for the transport and codec tests: `stream` is set up as
// meshd sets up the sockets it accepts (a transport::TcpStream), `peer` is a plain socket the
// test drives with blocking calls.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <optional>
#include <string_view>

#include "meshd/core/asio.h"
#include "meshd/transport/stream.h"

namespace meshd::testing {

struct TcpPair {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io,
                                   asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
  asio::ip::tcp::socket peer{io};
  std::optional<transport::TcpStream> stream;

  TcpPair() {
    peer.connect(acceptor.local_endpoint());
    stream.emplace(acceptor.accept());
  }
  void send(std::string_view bytes) { asio::write(peer, asio::buffer(bytes)); }
};

}  // namespace meshd::testing
