#include "meshd/http1/writer.h"

#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <tuple>

namespace meshd::http1 {
namespace {

/// Pieces of one write up to this many bytes in all are copied into one buffer.
constexpr std::size_t kJoinLimit = 4096;

void append_version(http::Version v, std::string& out) {
  char text[] = "HTTP/x.y";  // one append of 8 bytes
  text[5] = static_cast<char>('0' + v.major);
  text[7] = static_cast<char>('0' + v.minor);
  out.append(text, 8);
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

asio::awaitable<Result<void>> write_message(transport::Stream& stream, std::string_view head,
                                            http::Body* body, Framing framing) {
  // A plain TCP stream is written directly (one socket operation per write, no coroutine).
  asio::ip::tcp::socket* socket = stream.plain_socket();
  const bool has_body = framing != Framing::None && body != nullptr;
  bool head_pending = !head.empty();
  char chunk_head[20];
  std::string last_chunk;
  std::string joined;
  for (;;) {
    Result<std::string_view> piece = std::string_view{};
    if (has_body) {
      // This codec's own bodies usually have their next piece buffered: taken without a
      // coroutine.
      std::optional<Result<std::string_view>> polled = body->poll();
      if (!polled) {
        polled = co_await body->read();
      }
      piece = std::move(*polled);
      if (!piece) {
        co_return piece.error();
      }
    }
    // One write per piece, with the head before the first and the last chunk after the end.
    const bool end = piece->empty();
    std::array<asio::const_buffer, 4> bufs;
    std::size_t n = 0;
    if (head_pending) {
      bufs[n++] = asio::buffer(head.data(), head.size());
    }
    if (end) {
      if (has_body && framing == Framing::Chunked) {
        const http::Headers& trailers = body->trailers();
        if (trailers.empty()) {
          bufs[n++] = asio::buffer("0\r\n\r\n", 5);
        } else {
          last_chunk = "0\r\n";
          trailers.serialize(last_chunk);
          last_chunk.append("\r\n");
          bufs[n++] = asio::buffer(last_chunk);
        }
      }
    } else if (framing == Framing::Chunked) {
      std::size_t len = hex_size(piece->size(), chunk_head);
      chunk_head[len++] = '\r';
      chunk_head[len++] = '\n';
      bufs[n++] = asio::buffer(chunk_head, len);
      bufs[n++] = asio::buffer(piece->data(), piece->size());
      bufs[n++] = asio::buffer("\r\n", 2);
    } else {
      bufs[n++] = asio::buffer(piece->data(), piece->size());
    }
    if (n > 1 && asio::buffer_size(std::span(bufs.data(), n)) <= kJoinLimit) {
      // A small head and piece go out as one buffer: `send` rather than `sendmsg` with an
      // array of pieces, which costs the kernel more than the copy costs here.
      joined.clear();
      for (std::size_t i = 0; i < n; ++i) {
        joined.append(static_cast<const char*>(bufs[i].data()), bufs[i].size());
      }
      bufs[0] = asio::buffer(joined);
      n = 1;
    }
    if (n == 1 && socket != nullptr) {
      // Sent at once when the socket takes it all; the rest is awaited.
      boost::system::error_code ec;
      const std::size_t sent = transport::send_now(*socket, bufs[0], ec);
      if (!ec && sent < bufs[0].size()) {
        std::tie(ec, std::ignore) =
            co_await asio::async_write(*socket, bufs[0] + sent, transport::direct);
      }
      if (ec) {
        co_return ec;
      }
    } else if (n > 0) {
      std::span<const asio::const_buffer> out(bufs.data(), n);
      if (socket != nullptr) {
        auto [ec, written] = co_await asio::async_write(*socket, out, transport::direct);
        std::ignore = written;
        if (ec) {
          co_return ec;
        }
      } else {
        auto w = co_await stream.write(out);
        if (!w) {
          co_return w;
        }
      }
    }
    head_pending = false;
    if (end) {
      co_return Result<void>{};
    }
  }
}

void set_framing(http::Headers& headers, Framing framing, bool keep_length_without_body) {
  headers.remove("Transfer-Encoding");
  if (framing != Framing::None || !keep_length_without_body) {
    headers.remove("Content-Length");
  }
}

void strip_hop_by_hop(http::Headers& headers) {
  static constexpr std::array<std::string_view, 9> kHopByHop = {"Connection",
                                                                "Keep-Alive",
                                                                "TE",
                                                                "Trailer",
                                                                "Transfer-Encoding",
                                                                "Upgrade",
                                                                "Proxy-Authenticate",
                                                                "Proxy-Authorization",
                                                                "Proxy-Connection"};
  // By length (all are shorter than 32), the first letters of the names above of that length
  // (bit n: letter 'a' + n), so that most fields are ruled out by one lookup: pseudo-headers,
  // and the other fields of a usual message, whose length or first letter no name above has.
  static constexpr std::array<std::uint32_t, 32> kFirstLetters = [] {
    std::array<std::uint32_t, 32> letters{};
    for (std::string_view name : kHopByHop) {
      letters[name.size()] |= 1U << (http::ascii_lower(name[0]) - 'a');
    }
    return letters;
  }();
  auto listed = [](std::string_view name) {
    if (name.empty() || name.size() >= kFirstLetters.size()) {
      return false;
    }
    const auto first = static_cast<unsigned>(http::ascii_lower(name.front()) - 'a');
    if (first >= 26 || (kFirstLetters[name.size()] & (1U << first)) == 0) {
      return false;
    }
    return std::any_of(kHopByHop.begin(), kHopByHop.end(),
                       [&](std::string_view hop) { return http::iequals(name, hop); });
  };
  // One pass removes them, and collects the names their Connection fields list that are not
  // above (`close`, `x-foo`), each followed by a comma: those fields are hop-by-hop too. A
  // removed field's bytes stay where they are, so its value can still be read.
  std::string unlisted;
  headers.remove_if([&](http::Headers::Field f) {
    if (!listed(f.name)) {
      return false;
    }
    if (http::iequals(f.name, kHopByHop[0])) {
      std::string_view rest = f.value;
      while (!rest.empty()) {
        std::size_t comma = std::min(rest.find(','), rest.size());
        std::string_view token = rest.substr(0, comma);
        rest.remove_prefix(std::min(comma + 1, rest.size()));
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
          token.remove_prefix(1);
        }
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
          token.remove_suffix(1);
        }
        if (!token.empty() && !listed(token)) {
          unlisted.append(token).push_back(',');
        }
      }
    }
    return true;
  });
  if (unlisted.empty()) {
    return;  // the usual case: one pass
  }
  headers.remove_if([&](http::Headers::Field f) {
    for (std::size_t at = 0; at < unlisted.size();) {
      std::size_t comma = unlisted.find(',', at);
      if (http::iequals(f.name, std::string_view(unlisted).substr(at, comma - at))) {
        return true;
      }
      at = comma + 1;
    }
    return false;
  });
}

}  // namespace meshd::http1
