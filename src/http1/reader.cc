#include "meshd/http1/reader.h"

namespace meshd::http1 {

MessageReader::MessageReader(transport::Stream& stream, Parser::Kind kind, Limits limits)
    : stream_(stream), parser_(kind, limits) {}

asio::awaitable<Result<std::size_t>> MessageReader::fill() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  }
  if (!buf_) {
    buf_ = std::make_unique<char[]>(kBufferSize);
  }
  auto n = co_await stream_.read_some(asio::buffer(buf_.get() + end_, kBufferSize - end_));
  if (!n) {
    co_return n.error();
  }
  end_ += *n;
  co_return *n;
}

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
    auto n = co_await fill();
    if (!n) {
      failed_ = true;
      if (n.error() == asio::error::eof && !parser_.started()) {
        co_return n.error();
      }
      if (n.error() == asio::error::eof || n.error() == asio::error::connection_reset) {
        co_return make_error_code(errc::upstream_reset);
      }
      co_return n.error();
    }
  }
}

asio::awaitable<Result<std::string_view>> MessageReader::read_body() {
  auto& pieces = parser_.pieces();
  for (;;) {
    if (piece_ < pieces.size()) {
      co_return pieces[piece_++];
    }
    pieces.clear();
    piece_ = 0;
    if (parser_.message_done()) {
      co_return std::string_view{};
    }
    if (failed_) {
      co_return make_error_code(errc::protocol_error);
    }
    if (begin_ < end_) {
      auto consumed = parser_.feed(buf_.get() + begin_, end_ - begin_);
      if (!consumed) {
        failed_ = true;
        co_return make_error_code(errc::protocol_error);
      }
      begin_ += *consumed;
      continue;
    }
    auto n = co_await fill();
    if (!n) {
      failed_ = true;
      if (n.error() == asio::error::eof && parser_.finish() && parser_.message_done()) {
        continue;  // a close-delimited body ended normally
      }
      if (n.error() == asio::error::eof || n.error() == asio::error::connection_reset) {
        co_return make_error_code(errc::upstream_reset);
      }
      co_return n.error();
    }
  }
}


}  // namespace meshd::http1
