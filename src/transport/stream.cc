#include "meshd/transport/stream.h"

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include "meshd/core/timeout.h"

namespace meshd::transport {

TcpStream::TcpStream(asio::ip::tcp::socket socket) : Stream(&socket_), socket_(std::move(socket)) {
  boost::system::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  remote_ = socket_.remote_endpoint(ec);
  local_ = socket_.local_endpoint(ec);
}

asio::awaitable<Result<std::size_t>> TcpStream::read_some(asio::mutable_buffer buf) {
  auto [ec, n] = co_await socket_.async_read_some(buf, direct);
  if (ec) {
    co_return ec;
  }
  co_return n;
}

asio::awaitable<Result<void>> TcpStream::write(std::span<const asio::const_buffer> bufs) {
  auto [ec, n] = co_await asio::async_write(socket_, bufs, direct);
  (void)n;
  if (ec) {
    co_return ec;
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
