#include "meshd/http1/reader.h"

#include <tuple>

#include "meshd/transport/drain_buffer.h"

namespace meshd::http1 {

MessageReader::MessageReader(transport::Stream& stream, Parser::Kind kind, Limits limits)
    : stream_(stream), parser_(kind, limits) {}

asio::mutable_buffer MessageReader::free_space() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  }
  if (!buf_) {
    buf_ = std::make_unique_for_overwrite<char[]>(kBufferSize);
  }
  return asio::buffer(buf_.get() + end_, kBufferSize - end_);
}

// A read for a new message on a plain TCP socket awaits the reactor directly, which tries the
// socket at once only when its last read did not drain it (see DrainBuffer): the peer has
// seldom answered yet. The rest of a message goes through the stream's read_some(), which tries
// the socket at once first (TcpStream::read_some) and so also sees a reset, or a FIN, that came
// with the message's first bytes.

asio::awaitable<Result<void>> MessageReader::read_head(bool skip_body) {
  if (failed_) {
    co_return make_error_code(errc::protocol_error);
  }
  parser_.start_message(skip_body);
  piece_ = 0;
  for (;;) {
    if (begin_ < end_) {
      auto consumed = parser_.feed(buf_.get() + begin_, end_ - begin_);
      if (!consumed) {
        failed_ = true;
        co_return make_error_code(errc::protocol_error);
      }
      begin_ += *consumed;
      if (parser_.head_done()) {
        co_return Result<void>{};
      }
    }
    boost::system::error_code ec;
    std::size_t n = 0;
    auto space = free_space();
    auto* socket = parser_.started() ? nullptr : stream_.plain_socket();
    if (socket != nullptr) {
      std::tie(ec, n) =
          co_await socket->async_read_some(transport::DrainBuffer{space}, transport::direct);
    } else {
      auto r = co_await stream_.read_some(space);
      if (r) {
        n = *r;
      } else {
        ec = r.error();
      }
    }
    if (ec) {
      failed_ = true;
      if (ec == asio::error::eof && !parser_.started()) {
        co_return ec;
      }
      if (ec == asio::error::eof || ec == asio::error::connection_reset) {
        co_return make_error_code(errc::upstream_reset);
      }
      co_return ec;
    }
    end_ += n;
  }
}

std::optional<Result<std::string_view>> MessageReader::poll_body() {
  auto& pieces = parser_.pieces();
  for (;;) {
    if (piece_ < pieces.size()) {
      return pieces[piece_++];
    }
    pieces.clear();
    piece_ = 0;
    if (parser_.message_done()) {
      return std::string_view{};
    }
    if (failed_) {
      return make_error_code(errc::protocol_error);
    }
    if (begin_ == end_) {
      return std::nullopt;
    }
    auto consumed = parser_.feed(buf_.get() + begin_, end_ - begin_);
    if (!consumed) {
      failed_ = true;
      return make_error_code(errc::protocol_error);
    }
    begin_ += *consumed;
  }
}

asio::awaitable<Result<std::string_view>> MessageReader::read_body() {
  for (;;) {
    auto polled = poll_body();
    if (polled) {
      co_return *polled;
    }
    boost::system::error_code ec;
    std::size_t n = 0;
    auto space = free_space();
    auto r = co_await stream_.read_some(space);
    if (r) {
      n = *r;
    } else {
      ec = r.error();
    }
    if (ec) {
      failed_ = true;
      if (ec == asio::error::eof && parser_.finish() && parser_.message_done()) {
        continue;  // a close-delimited body ended normally
      }
      if (ec == asio::error::eof || ec == asio::error::connection_reset) {
        co_return make_error_code(errc::upstream_reset);
      }
      co_return ec;
    }
    end_ += n;
  }
}

}  // namespace meshd::http1
