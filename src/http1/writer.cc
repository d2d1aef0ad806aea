#include "meshd/http1/writer.h"

#include <array>
#include <charconv>

namespace meshd::http1 {
namespace {

void append_version(http::Version v, std::string& out) {
  out.append("HTTP/");
  out.push_back(static_cast<char>('0' + v.major));
  out.push_back('.');
  out.push_back(static_cast<char>('0' + v.minor));
}

void append_number(std::uint64_t n, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), n);
  (void)ec;
  out.append(buf, end);
}

void append_framing(Framing framing, std::optional<std::uint64_t> length, std::string& out) {
  if (framing == Framing::Length) {
    out.append("Content-Length: ");
    append_number(length.value_or(0), out);
    out.append("\r\n");
  } else if (framing == Framing::Chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
}

std::size_t hex_size(std::size_t n, char* out) {
  auto [end, ec] = std::to_chars(out, out + 16, n, 16);
  (void)ec;
  return static_cast<std::size_t>(end - out);
}

asio::awaitable<Result<void>> write_trailers(transport::Stream& stream, const http::Headers& t) {
  std::string last = "0\r\n";
  t.serialize(last);
  last.append("\r\n");
  std::array<asio::const_buffer, 1> bufs{asio::buffer(last)};
  co_return co_await stream.write(bufs);
}

}  // namespace

void serialize_request_head(const http::Request& req, Framing framing, std::string& out) {
  out.append(req.method);
  out.push_back(' ');
  out.append(req.target);
  out.push_back(' ');
  append_version(req.version, out);
  out.append("\r\n");
  req.headers.serialize(out);
  append_framing(framing, req.body ? req.body->length() : std::nullopt, out);
  out.append("\r\n");
}

void serialize_response_head(const http::Response& rsp, http::Version version, Framing framing,
                             bool keep_alive, std::string& out) {
  append_version(version, out);
  out.push_back(' ');
  append_number(static_cast<std::uint64_t>(rsp.status), out);
  out.push_back(' ');
  out.append(rsp.reason.empty() ? http::reason_phrase(rsp.status) : std::string_view(rsp.reason));
  out.append("\r\n");
  rsp.headers.serialize(out);
  append_framing(framing, rsp.body ? rsp.body->length() : std::nullopt, out);
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (version.minor == 0) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

asio::awaitable<Result<void>> write_message(transport::Stream& stream, std::string head,
                                            http::Body* body, Framing framing) {
  if (framing == Framing::None || body == nullptr) {
    std::array<asio::const_buffer, 1> bufs{asio::buffer(head)};
    co_return co_await stream.write(bufs);
  }
  bool head_pending = !head.empty();
  char chunk_head[20];
  for (;;) {
    auto piece = co_await body->read();
    if (!piece) {
      co_return piece.error();
    }
    if (piece->empty()) {
      break;
    }
    std::array<asio::const_buffer, 4> bufs;
    std::size_t n = 0;
    if (head_pending) {
      bufs[n++] = asio::buffer(head);
    }
    if (framing == Framing::Chunked) {
      std::size_t len = hex_size(piece->size(), chunk_head);
      chunk_head[len++] = '\r';
      chunk_head[len++] = '\n';
      bufs[n++] = asio::buffer(chunk_head, len);
      bufs[n++] = asio::buffer(piece->data(), piece->size());
      bufs[n++] = asio::buffer("\r\n", 2);
    } else {
      bufs[n++] = asio::buffer(piece->data(), piece->size());
    }
    auto w = co_await stream.write(std::span<const asio::const_buffer>(bufs.data(), n));
    if (!w) {
      co_return w;
    }
    head_pending = false;
  }
  if (head_pending) {
    std::array<asio::const_buffer, 1> bufs{asio::buffer(head)};
    auto w = co_await stream.write(bufs);
    if (!w) {
      co_return w;
    }
  }
  if (framing == Framing::Chunked) {
    co_return co_await write_trailers(stream, body->trailers());
  }
  co_return Result<void>{};
}

void set_framing(http::Headers& headers, Framing framing, bool keep_length_without_body) {
  headers.remove("Transfer-Encoding");
  if (framing != Framing::None || !keep_length_without_body) {
    headers.remove("Content-Length");
  }
}

void strip_hop_by_hop(http::Headers& headers) {
  // Fields named by Connection are hop-by-hop too. Collect the names first (removing while
  // iterating would be fine, but the names are views into the fields themselves).
  std::string named;
  headers.for_each([&](http::Headers::Field f) {
    if (http::iequals(f.name, "Connection")) {
      named.append(f.value).push_back(',');
    }
  });
  std::size_t pos = 0;
  while (pos < named.size()) {
    std::size_t comma = named.find(',', pos);
    std::string_view token(named.data() + pos, comma - pos);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
      token.remove_prefix(1);
    }
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
      token.remove_suffix(1);
    }
    if (!token.empty()) {
      headers.remove(token);
    }
    pos = comma + 1;
  }
  for (std::string_view name : {"Connection", "Keep-Alive", "TE", "Trailer", "Transfer-Encoding",
                                "Upgrade", "Proxy-Authenticate", "Proxy-Authorization",
                                "Proxy-Connection"}) {
    headers.remove(name);
  }
}

}  // namespace meshd::http1
