#include "meshd/http1/parser.h"

#include <array>

namespace meshd::http1 {
namespace {

Parser& self(llhttp_t* p) { return *static_cast<Parser*>(p->data); }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

/// RFC 9110 §5.6.2 tchar, as a table (every byte of every header name is checked).
constexpr std::array<bool, 256> kTchar = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) {
    t[static_cast<std::size_t>(c)] = true;
  }
  for (int c = 'a'; c <= 'z'; ++c) {
    t[static_cast<std::size_t>(c)] = true;
    t[static_cast<std::size_t>(c - 'a' + 'A')] = true;
  }
  for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) {
    t[c] = true;
  }
  return t;
}();

/// Whether `s` is a token (RFC 9110 §5.6.2): one or more tchars. Every byte of every header name
/// goes through here: four at a time.
bool is_token(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size();
  unsigned all = n > 0 ? 1 : 0;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    all &= static_cast<unsigned>(kTchar[p[i]] & kTchar[p[i + 1]] & kTchar[p[i + 2]] &
                                 kTchar[p[i + 3]]);
  }
  for (; i < n; ++i) {
    all &= static_cast<unsigned>(kTchar[p[i]]);
  }
  return all != 0;
}

}  // namespace

Parser::Parser(Kind kind, Limits limits) : kind_(kind), limits_(limits) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = &Parser::on_message_begin;
  settings_.on_url = &Parser::on_url;
  settings_.on_status = &Parser::on_status;
  settings_.on_header_field = &Parser::on_header_field;
  settings_.on_header_field_complete = &Parser::on_header_field_complete;
  settings_.on_header_value = &Parser::on_header_value;
  settings_.on_header_value_complete = &Parser::on_header_value_complete;
  settings_.on_headers_complete = &Parser::on_headers_complete;
  settings_.on_body = &Parser::on_body;
  settings_.on_message_complete = &Parser::on_message_complete;
  llhttp_init(&parser_, kind == Kind::Request ? HTTP_REQUEST : HTTP_RESPONSE, &settings_);
  parser_.data = this;
}

void Parser::start_message(bool skip_body) {
  if (llhttp_get_errno(&parser_) == HPE_PAUSED) {
    llhttp_resume(&parser_);
  }
  skip_body_ = skip_body;
  started_ = head_done_ = message_done_ = false;
  keep_alive_ = upgrade_ = chunked_ = false;
  header_bytes_ = 0;
  method_.clear();
  target_.clear();
  status_ = 0;
  reason_.clear();
  headers_.clear();
  trailers_.clear();
  content_length_.reset();
  pieces_.clear();
  failure_ = {};
}

std::optional<std::size_t> Parser::feed(const char* data, std::size_t len) {
  if (message_done_ || len == 0) {
    return 0;
  }
  started_ = true;
  feed_begin_ = data;
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (err == HPE_OK) {
    note_last_byte(data, len);
    return len;
  }
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    auto consumed = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - data);
    note_last_byte(data, consumed);
    return consumed;
  }
  if (failure_.reason.empty()) {
    const char* why = llhttp_get_error_reason(&parser_);
    failure_ = {kind_ == Kind::Request ? 400 : 502,
                std::string(kind_ == Kind::Request ? "invalid request: " : "invalid response: ") +
                    (why ? why : llhttp_errno_name(err))};
  }
  return std::nullopt;
}

bool Parser::finish() {
  llhttp_errno_t err = llhttp_finish(&parser_);
  if (err != HPE_OK && err != HPE_PAUSED) {
    return false;
  }
  return message_done_ || !started_;
}

int Parser::fail(int status, std::string reason) {
  failure_ = {status, std::move(reason)};
  return -1;
}

void Parser::note_last_byte(const char* data, std::size_t len) {
  while (len > 0 && is_ows(data[len - 1])) {
    --len;
  }
  if (len > 0) {
    last_non_ows_ = data[len - 1];
  }
}

bool Parser::may_keep_alive() {
  // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing; close after
  // it, as a 1.0 peer ahead of us may have framed it differently (llhttp keeps it alive).
  bool te_in_10 = (parser_.flags & F_TRANSFER_ENCODING) != 0 && parser_.http_major == 1 &&
                  parser_.http_minor == 0;
  return llhttp_should_keep_alive(&parser_) != 0 && !upgrade_ && !te_in_10;
}

bool Parser::add_head_bytes(std::size_t len) {
  header_bytes_ += len;
  return header_bytes_ <= limits_.max_headers;
}

int Parser::on_message_begin(llhttp_t* p) {
  self(p).started_ = true;
  return 0;
}

int Parser::on_url(llhttp_t* p, const char* at, std::size_t len) {
  Parser& s = self(p);
  s.target_.append(at, len);
  if (s.target_.size() > s.limits_.max_initial_line) {
    return s.fail(414, "request line longer than maxInitialLineKB");
  }
  return 0;
}

int Parser::on_status(llhttp_t* p, const char* at, std::size_t len) {
  Parser& s = self(p);
  s.reason_.append(at, len);
  if (s.reason_.size() > s.limits_.max_initial_line) {
    return s.fail(502, "invalid response: status line too long");
  }
  return 0;
}

int Parser::on_header_field(llhttp_t* p, const char* at, std::size_t len) {
  Parser& s = self(p);
  s.fields().append_pending(std::string_view(at, len));
  if (!s.add_head_bytes(len)) {
    return s.fail(s.kind_ == Kind::Request ? 431 : 502, "headers larger than maxHeadersKB");
  }
  return 0;
}

int Parser::on_header_field_complete(llhttp_t* p) {
  // llhttp accepts an empty name, and without LLHTTP_STRICT_MODE also spaces ("Host : h").
  Parser& s = self(p);
  http::Headers& fields = s.fields();
  if (!is_token(fields.pending_part())) {
    return s.fail(s.kind_ == Kind::Request ? 400 : 502,
                  s.kind_ == Kind::Request ? "invalid request: invalid header name"
                                           : "invalid response: invalid header name");
  }
  fields.end_pending_name();
  return 0;
}

int Parser::on_header_value(llhttp_t* p, const char* at, std::size_t len) {
  Parser& s = self(p);
  if (len == 0) {
    return 0;  // llhttp reports an empty value as an empty span at the start of the next line
  }
  // llhttp joins obs-fold continuation lines into the value; RFC 9112 §5.2 lets us reject them,
  // which we must, since other parsers may read the line as a header of its own. A value piece
  // that follows a line break (skipping whitespace, maybe across feeds) is such a continuation.
  const char* q = at;
  while (q > s.feed_begin_ && is_ows(q[-1])) {
    --q;
  }
  if ((q > s.feed_begin_ ? q[-1] : s.last_non_ows_) == '\n') {
    return s.fail(s.kind_ == Kind::Request ? 400 : 502,
                  s.kind_ == Kind::Request ? "invalid request: obsolete line folding"
                                           : "invalid response: obsolete line folding");
  }
  s.fields().append_pending(std::string_view(at, len));
  if (!s.add_head_bytes(len)) {
    return s.fail(s.kind_ == Kind::Request ? 431 : 502, "headers larger than maxHeadersKB");
  }
  return 0;
}

int Parser::on_header_value_complete(llhttp_t* p) {
  http::Headers& fields = self(p).fields();
  std::string_view value = fields.pending_part();
  while (!value.empty() && is_ows(value.back())) {
    value.remove_suffix(1);  // trailing OWS is not part of the value (RFC 9110 §5.5)
  }
  fields.commit_pending(value.size());
  return 0;
}

int Parser::on_headers_complete(llhttp_t* p) {
  Parser& s = self(p);
  if (s.kind_ == Kind::Request) {
    s.method_ = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    if (s.target_.empty()) {
      return s.fail(400, "invalid request: empty request target");
    }
  } else {
    s.status_ = p->status_code;
  }
  s.version_ = {p->http_major, p->http_minor};
  if ((p->flags & F_CONTENT_LENGTH) != 0) {
    s.content_length_ = p->content_length;
  }
  s.chunked_ = (p->flags & F_CHUNKED) != 0;
  s.upgrade_ = p->upgrade != 0;
  s.keep_alive_ = s.may_keep_alive();
  s.head_done_ = true;
  // llhttp 8.1 reads a body of Content-Length bytes after a 204 or 304 (and 1xx); RFC 9112 §6.3
  // says these responses end with their head whatever their fields say.
  bool bodiless = s.kind_ == Kind::Response &&
                  (s.status_ / 100 == 1 || s.status_ == 204 || s.status_ == 304);
  return s.skip_body_ || bodiless ? 1 : 0;
}

int Parser::on_body(llhttp_t* p, const char* at, std::size_t len) {
  self(p).pieces_.emplace_back(at, len);
  return 0;
}

int Parser::on_message_complete(llhttp_t* p) {
  Parser& s = self(p);
  s.keep_alive_ = s.may_keep_alive();
  s.message_done_ = true;
  return HPE_PAUSED;
}

}  // namespace meshd::http1
