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
// later raise a new edge-triggered readiness event; but a FIN that came with the bytes does not
// (its event was the one being served). With TCP_INQ on (see `enable_inq`), the kernel says
// after each read how many bytes are left, and counts a received FIN as one. So a read that
// was short and left nothing, FIN included, can tell the reactor what a failed one would: wait
// for the next event before trying again (as Asio already does after a short write).
// `async_read_some(DrainBuffer{buf}, token)` does that; otherwise it is Asio's own operation
// (allocation, cancellation, completion). Without TCP_INQ it behaves like a plain read.
//
// What the count cannot show is a reset that came with the last bytes: a reader that waits for
// the rest of a message must try the socket itself first after such a read (a try that sees
// the reset), as `http1::MessageReader` and `TcpStream::read_some` do. A reader that waits for a
// new message has written to the socket since, and that write has seen any reset.
//
// Asking costs: `recvmsg` with the count as ancillary data takes the kernel 300 to 800 ns more
// than a plain `recv` here, as much as the failed read it saves. A reader that can do without
// the FIN's part sets `short_read_drains`: a plain `recv`, and a short read counts as drained.
// That holds for a reader that, after a short read, always tries the socket itself before
// waiting for the rest of a message, and writes to the socket before it waits for a new one (a
// peer that closed then resets that write, which raises an event): an HTTP/1 client connection
// (`http1::MessageReader` with `ShortReads::Drain`). It does not hold for a server connection,
// whose client may send a request and its FIN together and wait for the answer: the server,
// having answered, would wait for an event that never comes.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

// The socket header brings the operation's template with all it needs (the detail headers
// are not self-contained).
#include <boost/asio/ip/tcp.hpp>

#include <boost/asio/detail/reactive_socket_recv_op.hpp>

namespace meshd::transport {

/// One buffer for `async_read_some` on a plain TCP socket (see the top of this file).
struct DrainBuffer {
  boost::asio::mutable_buffer buffer;
  /// A short read is taken as having drained the socket, without asking the kernel (see the
  /// top of this file for when a reader may).
  bool short_read_drains = false;

  const boost::asio::mutable_buffer* begin() const noexcept { return &buffer; }
  const boost::asio::mutable_buffer* end() const noexcept { return &buffer + 1; }
};

/// Asks the kernel to report, after each read of `fd`, the bytes left to read (TCP_INQ, Linux
/// 4.18); what `DrainBuffer` needs to tell a drained socket. False where it is not supported.
inline bool enable_inq(int fd) noexcept {
#ifdef TCP_INQ
  int on = 1;
  return ::setsockopt(fd, IPPROTO_TCP, TCP_INQ, &on, sizeof on) == 0;
#else
  static_cast<void>(fd);
  return false;
#endif
}

}  // namespace meshd::transport

namespace boost::asio::detail {

// The reactor's receive operation for a `DrainBuffer`: one `recvmsg` that also asks how much
// is left, reporting a read that left nothing as "exhausted".
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
        flags_(flags),
        short_read_drains_(buffers.short_read_drains) {}

  static status do_perform(reactor_op* base) {
    auto* self = static_cast<reactive_socket_recv_op_base*>(base);
    if (self->short_read_drains_) {
      return self->perform_recv();
    }
    iovec iov{self->buffer_.data(), self->buffer_.size()};
#ifdef TCP_CM_INQ
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
#endif
    for (;;) {
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
#ifdef TCP_CM_INQ
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
#endif
      const ssize_t n = ::recvmsg(self->socket_, &msg, self->flags_);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      return self->finish(n, n > 0 && left_nothing(msg));
    }
  }

 private:
  // `short_read_drains`: one plain `recv`, a short read counting as drained.
  status perform_recv() {
    for (;;) {
      const ssize_t n = ::recv(socket_, buffer_.data(), buffer_.size(), flags_);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      return finish(n, true);
    }
  }

  // The outcome of a read that returned `n`: `drained` when nothing may be left after a short
  // read (the reactor then waits for the next event before reading again).
  status finish(ssize_t n, bool drained) {
    if (n > 0) {
      ec_ = boost::system::error_code();
      bytes_transferred_ = static_cast<std::size_t>(n);
      return bytes_transferred_ < buffer_.size() && drained ? done_and_exhausted : done;
    }
    bytes_transferred_ = 0;
    if (n == 0) {
      ec_ = boost::asio::error::eof;
      return done_and_exhausted;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return not_done;  // the reactor waits for readiness
    }
    ec_ = boost::system::error_code(errno, boost::asio::error::get_system_category());
    return done_and_exhausted;
  }

  // True when the kernel reported that nothing, not even a FIN, is left to read.
  static bool left_nothing(msghdr& msg) noexcept {
#ifdef TCP_CM_INQ
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_TCP && c->cmsg_type == TCP_CM_INQ) {
        int left = 0;
        std::memcpy(&left, CMSG_DATA(c), sizeof left);
        return left == 0;
      }
    }
#else
    static_cast<void>(msg);
#endif
    return false;
  }

  socket_type socket_;
  boost::asio::mutable_buffer buffer_;
  socket_base::message_flags flags_;
  bool short_read_drains_;
};

}  // namespace boost::asio::detail
