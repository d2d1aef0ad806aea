#pragma once

// A read buffer that tells Asio's reactor when a TCP socket has been read dry.
//
// Asio's epoll reactor tries a read at once when `async_read_some` starts ("speculative"), and
// waits for readiness only if that read would block. It stops trying at once only after a read
// that returned nothing (end of stream), so on a keep-alive connection every read after the
// first starts with a `recv` that fails with EAGAIN whenever the peer has not answered yet: the
// next request after a response, the response after a request. That is one failed system call
// per message, more than a third of a proxy's receives.
//
// A read that does not fill its buffer took every byte the kernel held, and bytes that arrive
// later raise a new edge-triggered readiness event. So `async_read_some(DrainBuffer{buf}, ...)`
// reads with one plain `recv` and reports a short read as having drained the socket: the next
// read waits for the next event before it tries (as Asio already does after a short write).
// Otherwise it is Asio's own operation (allocation, cancellation, completion).
//
// What a short read cannot show is a FIN or a reset that came with the last bytes: its event
// was the one being served, and no other follows. Each reader covers that itself, without a
// system call on its fast path:
// - a reader that waits for the rest of a message, or for more of a stream, tries the socket
//   itself first (`http1::MessageReader::read_more`, `TcpStream::read_some`);
// - an HTTP/1 client connection writes its next request before it waits for a response, and a
//   peer that closed resets that write, which raises an event;
// - an HTTP/1 server connection peeks at the socket from the worker's tick once it has been
//   idle a while, and before it watches a request in flight (`http1::ServerConnection`).
// (TCP_INQ would report the FIN with every read, but asking for it with `recvmsg` took the
// kernel 300 to 800 ns more per receive than a plain `recv` here, as much as the failed read.)

#include <sys/socket.h>

#include <cerrno>

// The socket header brings the operation's template with all it needs (the detail headers
// are not self-contained).
#include <boost/asio/ip/tcp.hpp>

#include <boost/asio/detail/reactive_socket_recv_op.hpp>

namespace meshd::transport {

/// One buffer for `async_read_some` on a plain TCP socket (see the top of this file).
struct DrainBuffer {
  boost::asio::mutable_buffer buffer;

  const boost::asio::mutable_buffer* begin() const noexcept { return &buffer; }
  const boost::asio::mutable_buffer* end() const noexcept { return &buffer + 1; }
};

}  // namespace meshd::transport

namespace boost::asio::detail {

// The reactor's receive operation for a `DrainBuffer`: one `recv`, reporting a short read as
// "exhausted" (the reactor then waits for the next event before it tries again).
template <>
class reactive_socket_recv_op_base<meshd::transport::DrainBuffer> : public reactor_op {
 public:
  reactive_socket_recv_op_base(const boost::system::error_code& success_ec, socket_type socket,
                               socket_ops::state_type /*state*/,
                               const meshd::transport::DrainBuffer& buffers,
                               socket_base::message_flags flags, func_type complete_func)
      : reactor_op(success_ec, &reactive_socket_recv_op_base::do_perform, complete_func),
        socket_(socket),
        buffer_(buffers.buffer),
        flags_(flags) {}

  static status do_perform(reactor_op* base) {
    auto* self = static_cast<reactive_socket_recv_op_base*>(base);
    for (;;) {
      const ssize_t n =
          ::recv(self->socket_, self->buffer_.data(), self->buffer_.size(), self->flags_);
      if (n > 0) {
        self->ec_ = boost::system::error_code();
        self->bytes_transferred_ = static_cast<std::size_t>(n);
        return self->bytes_transferred_ < self->buffer_.size() ? done_and_exhausted : done;
      }
      self->bytes_transferred_ = 0;
      if (n == 0) {
        self->ec_ = boost::asio::error::eof;
        return done_and_exhausted;
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return not_done;  // the reactor waits for readiness
      }
      self->ec_ = boost::system::error_code(errno, boost::asio::error::get_system_category());
      return done_and_exhausted;
    }
  }

 private:
  socket_type socket_;
  boost::asio::mutable_buffer buffer_;
  socket_base::message_flags flags_;
};

}  // namespace boost::asio::detail
