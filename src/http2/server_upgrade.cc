#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <optional>
#include <vector>

#include "http2/server_upgrade_internal.h"
#include "meshd/core/log.h"
#include "meshd/core/timeout.h"
#include "meshd/http1/parser.h"
#include "meshd/http1/writer.h"

namespace meshd::http2 {
namespace {

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr std::size_t kReadSize = 16 * 1024;
/// After answering an HTTP/1.1 request we will not serve, how long and how much of what the
/// client still sends is read before the close, so that the close does not reset the answer.
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerBytes = 64 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/// The comma-separated tokens of every `name` field.
std::vector<std::string_view> tokens(const http::Headers& headers, std::string_view name) {
  std::vector<std::string_view> out;
  for (std::string_view value : headers.get_all(name)) {
    for (;;) {
      auto comma = value.find(',');
      auto item = trim(value.substr(0, comma));
      if (!item.empty()) {
        out.push_back(item);
      }
      if (comma == std::string_view::npos) {
        break;
      }
      value.remove_prefix(comma + 1);
    }
  }
  return out;
}

bool has_token(const http::Headers& headers, std::string_view name, std::string_view token) {
  auto all = tokens(headers, name);
  return std::any_of(all.begin(), all.end(),
                     [token](std::string_view t) { return http::iequals(t, token); });
}

/// RFC 7540 §3.2: `Upgrade: h2c`, one `HTTP2-Settings`, and a Connection naming both.
bool asks_for_h2c(const http1::Parser& parser, const http::Headers& headers) {
  return parser.version() == http::Version{1, 1} && has_token(headers, "Upgrade", "h2c") &&
         headers.get_all("HTTP2-Settings").size() == 1 &&
         has_token(headers, "Connection", "Upgrade") &&
         has_token(headers, "Connection", "HTTP2-Settings");
}

/// base64url without padding (RFC 4648 §5), as `HTTP2-Settings` is; padding and the standard
/// alphabet are tolerated.
std::optional<std::string> decode_base64url(std::string_view in) {
  while (!in.empty() && in.back() == '=') {
    in.remove_suffix(1);
  }
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    std::uint32_t v = 0;
    if (c >= 'A' && c <= 'Z') {
      v = static_cast<std::uint32_t>(c - 'A');
    } else if (c >= 'a' && c <= 'z') {
      v = static_cast<std::uint32_t>(c - 'a' + 26);
    } else if (c >= '0' && c <= '9') {
      v = static_cast<std::uint32_t>(c - '0' + 52);
    } else if (c == '-' || c == '+') {
      v = 62;
    } else if (c == '_' || c == '/') {
      v = 63;
    } else {
      return std::nullopt;
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
      acc &= (1u << bits) - 1;
    }
  }
  if (bits >= 6) {
    return std::nullopt;  // one character alone cannot encode a byte
  }
  return out;
}

asio::awaitable<Result<std::size_t>> read_more(transport::Stream& stream, std::string& buf) {
  const std::size_t old = buf.size();
  buf.resize(old + kReadSize);
  auto n = co_await stream.read_some(asio::buffer(buf.data() + old, kReadSize));
  buf.resize(old + (n ? *n : 0));
  co_return n;
}


/// Answers over HTTP/1.1 with `Connection: close`; with `linger`, reads what the client still
/// sends for a while so the close does not reset the answer.
asio::awaitable<void> reply(transport::Stream& stream, int status, std::string text, bool linger) {
  auto rsp = http::Response::text(status, std::move(text));
  std::string head;
  http1::serialize_response_head(rsp, http::Version{1, 1}, http1::Framing::Length, false, head);
  auto w = co_await http1::write_message(stream, std::move(head), rsp.body.get(),
                                         http1::Framing::Length);
  if (w && linger) {
    // A FIN tells the client the answer is complete; it closes, and we read until it has.
    boost::system::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    co_await with_timeout(discard_input(stream, kLingerBytes), kLingerTime);
  }
}

std::string not_supported_text(const ServerOptions& options) {
  std::string text =
      "This server speaks HTTP/2 only. Connect with HTTP/2 prior knowledge (send the client "
      "connection preface first)";
  if (options.allow_upgrade) {
    text +=
        ", upgrade an HTTP/1.1 request with `Upgrade: h2c`, `HTTP2-Settings` and "
        "`Connection: Upgrade, HTTP2-Settings`";
  }
  text += ", or use TLS with ALPN h2.\n";
  return text;
}

/// Stream 1's request from the upgrading HTTP/1.1 request: `:authority` from Host, `:scheme`
/// http, lower-case names, without the connection-specific fields.
http::Request upgraded_request(http1::Parser& parser, std::string body) {
  http::Request req;
  req.method = std::string(parser.method());
  req.target = parser.target();
  req.version = http::Version{2, 0};
  const http::Headers& h1 = parser.headers();
  if (h1.contains("Host")) {
    req.headers.add(":authority", h1.get("Host"));
  }
  req.headers.add(":scheme", "http");
  static constexpr std::array<std::string_view, 9> kDropped = {
      "Host", "Connection",     "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade",
      "TE",   "HTTP2-Settings", "Expect"};
  auto named = tokens(h1, "Connection");
  h1.for_each([&](http::Headers::Field f) {
    auto same = [&f](std::string_view n) { return http::iequals(n, f.name); };
    if (std::any_of(kDropped.begin(), kDropped.end(), same) ||
        std::any_of(named.begin(), named.end(), same)) {
      return;
    }
    std::string name(f.name);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return http::ascii_lower(c); });
    req.headers.add(name, f.value);
  });
  req.body = std::make_unique<http::BufferBody>(std::move(body));
  return req;
}

/// Decides on a complete request head: true to read its body and upgrade; false once it has
/// been answered.
asio::awaitable<bool> accept_head(transport::Stream& stream, const ServerOptions& options,
                                  http1::Parser& parser, bool more_buffered) {
  const http::Headers& headers = parser.headers();
  const bool has_body = parser.chunked() || parser.content_length().value_or(0) > 0;
  if (!options.allow_upgrade || !asks_for_h2c(parser, headers)) {
    log::get("http2")->debug("http/1.x request refused peer={} method={} target={}",
                             stream.remote_endpoint().address().to_string(), parser.method(),
                             parser.target());
    co_await reply(stream, 505, not_supported_text(options), has_body || more_buffered);
    co_return false;
  }
  if (parser.content_length().value_or(0) > options.max_upgrade_body) {
    co_await reply(stream, 413, "request body too large for an h2c upgrade\n", true);
    co_return false;
  }
  if (has_body && http::iequals(headers.get("Expect"), "100-continue")) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    std::array<asio::const_buffer, 1> bufs{asio::buffer(kContinue.data(), kContinue.size())};
    auto w = co_await stream.write(bufs);
    co_return static_cast<bool>(w);
  }
  co_return true;
}

/// Reads an HTTP/1.x request whose first bytes are in `buf`.
asio::awaitable<ServerDetection> read_http1(transport::Stream& stream, const ServerOptions& options,
                                            std::string buf) {
  ServerDetection d;
  http1::Parser parser(http1::Parser::Kind::Request, http1::Limits{});
  parser.start_message();
  std::string body;
  std::size_t pos = 0;
  bool accepted = false;
  for (;;) {
    if (pos < buf.size()) {
      auto consumed = parser.feed(buf.data() + pos, buf.size() - pos);
      if (!consumed) {
        log::get("http2")->debug("neither http/2 nor http/1.x peer={} reason={}",
                                 stream.remote_endpoint().address().to_string(),
                                 parser.failure().reason);
        co_return d;
      }
      pos += *consumed;
      if (parser.head_done() && !accepted) {
        bool ok = co_await accept_head(stream, options, parser, pos < buf.size());
        if (!ok) {
          co_return d;
        }
        accepted = true;
      }
      for (std::string_view piece : parser.pieces()) {
        if (body.size() + piece.size() > options.max_upgrade_body) {
          co_await reply(stream, 413, "request body too large for an h2c upgrade\n", true);
          co_return d;
        }
        body.append(piece);
      }
      parser.pieces().clear();
      if (parser.message_done()) {
        break;
      }
    }
    buf.erase(0, pos);
    pos = 0;
    auto n = co_await read_more(stream, buf);
    if (!n) {
      co_return d;
    }
  }
  auto settings = decode_base64url(parser.headers().get("HTTP2-Settings"));
  if (!settings || settings->size() % 6 != 0) {
    co_await reply(stream, 400, "invalid HTTP2-Settings\n", pos < buf.size());
    co_return d;
  }
  d.kind = ServerDetection::Kind::Upgrade;
  d.settings = std::move(*settings);
  d.head = parser.method() == "HEAD";
  d.request = upgraded_request(parser, std::move(body));
  d.initial = buf.substr(pos);
  co_return d;
}

}  // namespace

asio::awaitable<Result<void>> discard_input(transport::Stream& stream, std::size_t limit) {
  std::array<char, 4096> buf;
  std::size_t total = 0;
  while (total < limit) {
    auto n = co_await stream.read_some(asio::buffer(buf));
    if (!n) {
      break;
    }
    total += *n;
  }
  co_return Result<void>{};
}

asio::awaitable<ServerDetection> detect_protocol(transport::Stream& stream,
                                                 const ServerOptions& options, std::string first) {
  std::string buf = std::move(first);
  while (buf.size() < kPreface.size() && kPreface.starts_with(buf)) {
    auto n = co_await read_more(stream, buf);
    if (!n) {
      co_return ServerDetection{};
    }
  }
  if (buf.starts_with(kPreface)) {
    ServerDetection d;
    d.kind = ServerDetection::Kind::PriorKnowledge;
    d.initial = std::move(buf);
    co_return d;
  }
  co_return co_await read_http1(stream, options, std::move(buf));
}

}  // namespace meshd::http2
