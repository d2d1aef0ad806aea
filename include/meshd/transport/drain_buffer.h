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
        flags_(flags) {}

  static status do_perform(reactor_op* base) {
    auto* self = static_cast<reactive_socket_recv_op_base*>(base);
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
      if (n > 0) {
        self->ec_ = boost::system::error_code();
        self->bytes_transferred_ = static_cast<std::size_t>(n);
        if (self->bytes_transferred_ < self->buffer_.size() && left_nothing(msg)) {
          return done_and_exhausted;
        }
        return done;
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
};

}  // namespace boost::asio::detail
