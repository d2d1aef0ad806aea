#include "meshd/transport/listener.h"

#include <sys/socket.h>

#include "meshd/core/log.h"
#include "meshd/core/spawn.h"

namespace meshd::transport {

Result<asio::ip::tcp::acceptor> open_acceptor(asio::io_context& io,
                                              const asio::ip::tcp::endpoint& endpoint) {
  asio::ip::tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) {
    return ec;
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  int one = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    return boost::system::error_code(errno, boost::system::system_category());
  }
  acceptor.bind(endpoint, ec);
  if (ec) {
    return ec;
  }
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return ec;
  }
  return acceptor;
}

Listener::Listener(asio::ip::tcp::acceptor acceptor, Handler on_accept)
    : acceptor_(std::move(acceptor)), on_accept_(std::move(on_accept)) {
  boost::system::error_code ec;
  local_ = acceptor_.local_endpoint(ec);
}

void Listener::start() {
  spawn(acceptor_.get_executor(), accept_loop(shared_from_this()), "accept");
}

void Listener::stop() noexcept {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

asio::awaitable<void> Listener::accept_loop(std::shared_ptr<Listener> self) {
  co_await self->accept_all();
}

asio::awaitable<void> Listener::accept_all() {
  auto logger = log::get("transport");
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
      break;
    }
    if (ec) {
      logger->warn("accept failed addr={} error={}", local_.address().to_string(), ec.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    on_accept_(std::make_unique<TcpStream>(std::move(socket)));
  }
}

}  // namespace meshd::transport
