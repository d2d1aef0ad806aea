#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meshd/http/headers.h"
#include "meshd/http/message.h"

namespace meshd::http1 {

/// Why a message could not be parsed, with the status a server answers it with.
struct ParseFailure {
  int status = 400;     ///< 400 malformed, 414 request line too long, 431 headers too large
  std::string reason;   ///< one line naming what was wrong (logged and sent in the 400 body)
};

/// Size limits of one message head (router `maxInitialLineKB`, `maxHeadersKB`).
struct Limits {
  std::size_t max_initial_line = 4 * 1024;
  std::size_t max_headers = 8 * 1024;
};

/// A strict HTTP/1.x message parser on llhttp that turns bytes into one message head and body
/// pieces. It never copies body bytes: `pieces()` are views into the caller's buffer, valid until
/// the caller reuses that memory. It stops (pauses) after each complete message so pipelined
/// messages are handled one at a time. Smuggling vectors (CL with TE, duplicate Content-Length,
/// bad chunk sizes, obs-fold, invalid characters) are rejected. Single-threaded.
class Parser {
 public:
  enum class Kind { Request, Response };

  Parser(Kind kind, Limits limits);
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  /// Prepares for the next message (call before feeding it; keeps nothing of the previous one).
  /// `skip_body` is for responses to HEAD: the head is the whole message.
  void start_message(bool skip_body = false);

  /// Hands the parser storage for the next message's header fields: a message's `Headers` once
  /// used (its fields are dropped, its memory is kept). Call between messages, after the current
  /// head's fields were taken (moved out of `headers()`).
  void reuse_headers(http::Headers headers) noexcept {
    headers.clear();
    headers_ = std::move(headers);
  }

  /// Parses as much of `data` as belongs to the current message; returns how many bytes were
  /// consumed (the rest belongs to the next, pipelined, message), or nullopt on a parse error
  /// (see `failure()`).
  std::optional<std::size_t> feed(const char* data, std::size_t len);

  /// Signals end of input: completes a close-delimited response body. Returns false if the
  /// message was incomplete (truncated).
  bool finish();

  bool head_done() const noexcept { return head_done_; }
  bool message_done() const noexcept { return message_done_; }
  /// True when bytes of the current message have been seen (so EOF now is a truncation).
  bool started() const noexcept { return started_; }
  const ParseFailure& failure() const noexcept { return failure_; }

  // The head, valid once `head_done()`.
  std::string_view method() const noexcept { return method_; }
  const std::string& target() const noexcept { return target_; }
  int status() const noexcept { return status_; }
  const std::string& reason() const noexcept { return reason_; }
  http::Version version() const noexcept { return version_; }
  http::Headers& headers() noexcept { return headers_; }
  http::Headers& trailers() noexcept { return trailers_; }
  /// Content-Length if the message has one.
  std::optional<std::uint64_t> content_length() const noexcept { return content_length_; }
  bool chunked() const noexcept { return chunked_; }
  /// Whether the connection may carry another message after this one (from the head; final
  /// once the message is done).
  bool keep_alive() const noexcept { return keep_alive_; }
  /// Whether the message asked for `Upgrade` (we do not tunnel upgrades yet).
  bool upgrade() const noexcept { return upgrade_; }

  /// Body bytes parsed by the last `feed` calls and not yet taken.
  std::vector<std::string_view>& pieces() noexcept { return pieces_; }

 private:
  static int on_message_begin(llhttp_t* p);
  static int on_url(llhttp_t* p, const char* at, std::size_t len);
  static int on_status(llhttp_t* p, const char* at, std::size_t len);
  static int on_header_field(llhttp_t* p, const char* at, std::size_t len);
  static int on_header_field_complete(llhttp_t* p);
  static int on_header_value(llhttp_t* p, const char* at, std::size_t len);
  static int on_header_value_complete(llhttp_t* p);
  static int on_headers_complete(llhttp_t* p);
  static int on_body(llhttp_t* p, const char* at, std::size_t len);
  static int on_message_complete(llhttp_t* p);
  int fail(int status, std::string reason);
  bool add_head_bytes(std::size_t len);
  void note_last_byte(const char* data, std::size_t len);
  bool may_keep_alive();
  /// Where the field being parsed goes: the head's fields, then the trailers. Each field is
  /// built in place there (no copy of its pieces elsewhere first).
  http::Headers& fields() noexcept { return head_done_ ? trailers_ : headers_; }

  Kind kind_;
  Limits limits_;
  llhttp_settings_t settings_{};
  llhttp_t parser_{};
  bool skip_body_ = false;
  bool started_ = false;
  bool head_done_ = false;
  bool message_done_ = false;
  bool keep_alive_ = false;
  bool upgrade_ = false;
  bool chunked_ = false;
  std::size_t header_bytes_ = 0;
  const char* feed_begin_ = nullptr;  ///< start of the bytes being fed
  char last_non_ows_ = '\0';          ///< last non-SP/HT byte consumed by earlier feeds
  std::string method_;
  std::string target_;
  int status_ = 0;
  std::string reason_;
  http::Version version_;
  http::Headers headers_;
  http::Headers trailers_;
  std::optional<std::uint64_t> content_length_;
  std::vector<std::string_view> pieces_;
  ParseFailure failure_;
};

}  // namespace meshd::http1
