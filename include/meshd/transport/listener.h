#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/transport/stream.h"

namespace meshd::transport {

/// Opens a listening TCP socket on `endpoint` with SO_REUSEADDR and SO_REUSEPORT, so every
/// worker can own an acceptor on the same address and the kernel spreads connections across
/// them. Port 0 picks a free port (then bind the other workers to the port it got).
Result<asio::ip::tcp::acceptor> open_acceptor(asio::io_context& io,
                                              const asio::ip::tcp::endpoint& endpoint);

/// Accepts connections on one worker and hands each to `on_accept` (on the same executor)
/// until `stop()`. Accept errors other than cancellation are logged and retried after a short
/// pause (EMFILE must not spin).
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  using Handler = std::function<void(StreamPtr)>;

  Listener(asio::ip::tcp::acceptor acceptor, Handler on_accept);

  /// Starts the accept loop. Call once, on the acceptor's executor.
  void start();
  /// Closes the acceptor; pending accepts end. Thread: the acceptor's executor.
  void stop() noexcept;

  asio::ip::tcp::endpoint local_endpoint() const noexcept { return local_; }

 private:
  static asio::awaitable<void> accept_loop(std::shared_ptr<Listener> self);
  asio::awaitable<void> accept_all();

  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::endpoint local_;
  Handler on_accept_;
};

}  // namespace meshd::transport
