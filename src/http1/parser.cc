#include "meshd/http1/parser.h"

namespace meshd::http1 {
namespace {

Parser& self(llhttp_t* p) { return *static_cast<Parser*>(p->data); }

}  // namespace

Parser::Parser(Kind kind, Limits limits) : kind_(kind), limits_(limits) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = &Parser::on_message_begin;
  settings_.on_url = &Parser::on_url;
  settings_.on_status = &Parser::on_status;
  settings_.on_header_field = &Parser::on_header_field;
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
  field_.clear();
  value_.clear();
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
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (err == HPE_OK) {
    return len;
  }
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    return static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - data);
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
  s.field_.append(at, len);
  if (!s.add_head_bytes(len)) {
    return s.fail(s.kind_ == Kind::Request ? 431 : 502, "headers larger than maxHeadersKB");
  }
  return 0;
}

int Parser::on_header_value(llhttp_t* p, const char* at, std::size_t len) {
  Parser& s = self(p);
  s.value_.append(at, len);
  if (!s.add_head_bytes(len)) {
    return s.fail(s.kind_ == Kind::Request ? 431 : 502, "headers larger than maxHeadersKB");
  }
  return 0;
}

int Parser::on_header_value_complete(llhttp_t* p) {
  Parser& s = self(p);
  (s.head_done_ ? s.trailers_ : s.headers_).add(s.field_, s.value_);
  s.field_.clear();
  s.value_.clear();
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
  s.keep_alive_ = llhttp_should_keep_alive(p) != 0 && !s.upgrade_;
  s.head_done_ = true;
  return s.skip_body_ ? 1 : 0;
}

int Parser::on_body(llhttp_t* p, const char* at, std::size_t len) {
  self(p).pieces_.emplace_back(at, len);
  return 0;
}

int Parser::on_message_complete(llhttp_t* p) {
  Parser& s = self(p);
  s.keep_alive_ = llhttp_should_keep_alive(p) != 0 && !s.upgrade_;
  s.message_done_ = true;
  return HPE_PAUSED;
}

}  // namespace meshd::http1
