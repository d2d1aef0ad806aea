#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/http1/parser.h"
#include "meshd/transport/stream.h"

namespace meshd::http1 {

/// Reads HTTP/1.x messages from a stream through a fixed read buffer: heads are parsed into the
/// parser's fields, body pieces are handed out as views into the buffer (no copy) and the next
/// socket read happens only after the previous piece was taken (backpressure). Pipelined bytes
/// that belong to the next message stay buffered. One owner, one executor.
class MessageReader {
 public:
  static constexpr std::size_t kBufferSize = 16 * 1024;

  /// A read for a new message waits for the reactor when the last read drained the socket, and
  /// so does not see a FIN that came with the last message (see DrainBuffer): the owner covers
  /// that (a client writes its next request first; a server checks idle connections).
  MessageReader(transport::Stream& stream, Parser::Kind kind, Limits limits);

  /// Reads the next message head. Errors: `asio::error::eof` when the peer closed cleanly before
  /// any byte of a message; `errc::protocol_error` for malformed bytes or limits (details in
  /// `parser().failure()`); `errc::upstream_reset`/`client_gone` for a close mid-head; I/O errors.
  asio::awaitable<Result<void>> read_head(bool skip_body = false);

  /// Reads the next body piece of the current message; an empty view at its end. A body cut
  /// short by the peer returns `errc::upstream_reset` (never a clean end).
  asio::awaitable<Result<std::string_view>> read_body();

  /// What `read_body()` would return when it can be had from the bytes already buffered, without
  /// reading the stream (no coroutine); nullopt when a read is needed.
  std::optional<Result<std::string_view>> poll_body();

  /// True once the current message has been read to its end.
  bool message_done() const noexcept { return parser_.message_done(); }
  /// True when bytes of a following (pipelined) message are already buffered.
  bool has_buffered() const noexcept { return begin_ < end_; }
  Parser& parser() noexcept { return parser_; }

 private:
  /// Where the next read goes (the buffer is allocated on first use).
  asio::mutable_buffer free_space();
  transport::Stream& stream_;
  Parser parser_;
  std::unique_ptr<char[]> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t piece_ = 0;
  bool failed_ = false;
};

}  // namespace meshd::http1
