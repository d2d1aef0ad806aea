#include "meshd/transport/stream.h"

#include <sys/socket.h>

#include <cerrno>
#include <tuple>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "meshd/core/timeout.h"
#include "meshd/transport/drain_buffer.h"

namespace meshd::transport {

TcpStream::TcpStream(asio::ip::tcp::socket socket) : Stream(&socket_), socket_(std::move(socket)) {
  boost::system::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  // Reads and writes are tried at once (see `read_some`, `write`): never block the worker.
  socket_.non_blocking(true, ec);
  remote_ = socket_.remote_endpoint(ec);
  local_ = socket_.local_endpoint(ec);
}

asio::awaitable<Result<std::size_t>> TcpStream::read_some(asio::mutable_buffer buf) {
  // What has arrived already is taken at once; only an empty socket waits for the reactor,
  // which then need not try first (see DrainBuffer); this try also finds a FIN or a reset that
  // came with the last bytes. Every few immediate operations yield to the scheduler first, so
  // that a peer that keeps the socket full cannot hold the worker from its other connections.
  if (++immediate_ >= kImmediateLimit) {
    immediate_ = 0;
    co_await asio::post(socket_.get_executor(), direct);
  }
  boost::system::error_code ec;
  std::size_t n = socket_.read_some(buf, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    std::tie(ec, n) = co_await socket_.async_read_some(DrainBuffer{buf}, direct);
  }
  if (ec) {
    co_return ec;
  }
  co_return n;
}

std::size_t send_now(asio::ip::tcp::socket& socket, asio::const_buffer buf,
                     boost::system::error_code& ec) noexcept {
  std::size_t sent = socket.write_some(buf, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ec.clear();
    sent = 0;
  }
  return sent;
}

asio::awaitable<Result<void>> TcpStream::write(std::span<const asio::const_buffer> bufs) {
  // Most writes fit the socket's send buffer: sent at once, without an operation and a trip
  // through the scheduler. The rest (a full buffer) is awaited.
  boost::system::error_code ec;
  std::size_t sent = 0;
  if (++immediate_ < kImmediateLimit) {
    sent = socket_.write_some(bufs, ec);
  } else {
    immediate_ = 0;
  }
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    co_return ec;
  }
  const std::size_t total = asio::buffer_size(bufs);
  if (sent < total) {
    std::vector<asio::const_buffer> rest;
    for (const auto& b : bufs) {
      if (sent >= b.size()) {
        sent -= b.size();
        continue;
      }
      rest.push_back(b + sent);
      sent = 0;
    }
    std::size_t n = 0;
    std::tie(ec, n) = co_await asio::async_write(socket_, rest, direct);
    if (ec) {
      co_return ec;
    }
  }
  co_return Result<void>{};
}

void TcpStream::close() noexcept {
  boost::system::error_code ec;
  if (socket_.is_open()) {
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }
}

void TcpStream::cancel() noexcept {
  boost::system::error_code ec;
  socket_.cancel(ec);
}

bool TcpStream::idle_alive() noexcept {
  if (!socket_.is_open()) {
    return false;
  }
  char byte;
  ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

namespace {

asio::awaitable<Result<StreamPtr>> connect_once(asio::ip::tcp::endpoint endpoint) {
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  auto [ec] = co_await socket.async_connect(endpoint, use_nothrow);
  if (ec) {
    co_return make_error_code(errc::connect_failed);
  }
  co_return std::make_unique<TcpStream>(std::move(socket));
}

}  // namespace

asio::awaitable<Result<StreamPtr>> connect(asio::ip::tcp::endpoint endpoint,
                                           std::chrono::milliseconds timeout) {
  co_return co_await with_timeout(connect_once(endpoint), timeout);
}

}  // namespace meshd::transport
