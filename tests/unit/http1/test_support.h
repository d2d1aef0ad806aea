#pragma once

// Helpers of the http1 tests: the shared io_context driver (testing/run.h), and a blocking
// loopback client whose reads are bounded by a receive timeout (no sleeps).

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshd/http/headers.h"
#include "meshd/http1/parser.h"
#include "testing/run.h"

namespace meshd::http1::test {

using namespace std::chrono_literals;
using meshd::testing::run;  // test::run(io, task): the value of `task`, or the test fails

/// A one-shot flag one thread sets and another waits for, with a bound.
class Flag {
 public:
  void set() {
    std::lock_guard lock(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds limit = 5000ms) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [this] { return set_; });
  }
  bool is_set() {
    std::lock_guard lock(mu_);
    return set_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

/// A blocking TCP client on 127.0.0.1 (plain POSIX, independent of the code under test). Every
/// read is bounded by SO_RCVTIMEO, so a missing answer fails the test instead of hanging it.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port, std::chrono::milliseconds timeout = 5000ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads until `marker` occurs `count` times in everything received; false on close/timeout.
  bool read_until(std::string_view marker, int count = 1) {
    for (;;) {
      if (occurrences(marker) >= count) {
        return true;
      }
      if (!read_more()) {
        return occurrences(marker) >= count;
      }
    }
  }

  /// Reads until the peer closes (true) or a read times out (false).
  bool read_to_close() {
    while (read_more()) {
    }
    return peer_closed_;
  }

  /// True when the peer closed (or reset) the connection; waits for it at most the timeout.
  bool wait_closed() { return read_to_close(); }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  const std::string& received() const { return received_; }
  int occurrences(std::string_view needle) const {
    int n = 0;
    for (auto pos = received_.find(needle); pos != std::string::npos;
         pos = received_.find(needle, pos + needle.size())) {
      ++n;
    }
    return n;
  }

 private:
  bool read_more() {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      received_.append(buf, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      peer_closed_ = true;
    }
    return false;  // closed, reset or timed out
  }

  int fd_ = -1;
  bool connected_ = false;
  bool peer_closed_ = false;
  std::string received_;
};

/// `name: value\n` per field, for comparing header sets in assertions.
inline std::string dump(const http::Headers& headers) {
  std::string out;
  headers.for_each([&](http::Headers::Field f) {
    out.append(f.name).append(": ").append(f.value).append("\n");
  });
  return out;
}

/// One message as the parser saw it.
struct Parsed {
  bool done = false;  ///< message_done()
  std::optional<ParseFailure> failure;
  std::size_t consumed = 0;  ///< bytes of the input this message took
  std::string method;
  std::string target;
  int status = 0;
  std::string reason;
  http::Version version{0, 0};
  std::string headers;   ///< dump()ed
  std::string trailers;  ///< dump()ed
  std::string body;      ///< the pieces, concatenated
  bool keep_alive = false;
  bool chunked = false;
  std::optional<std::uint64_t> content_length;
  std::optional<bool> finish;  ///< finish()'s answer when the input ran out mid-message
};

/// Parses consecutive messages from `bytes` with one parser, feeding at most `step` bytes per
/// call (as a socket might deliver them). Stops at the first failure, or when the input runs
/// out; then, with `finish_at_end`, signals end of input with finish().
inline std::vector<Parsed> parse_all(Parser::Kind kind, std::string_view bytes,
                                     std::size_t step = SIZE_MAX, Limits limits = {},
                                     bool skip_body = false, bool finish_at_end = false) {
  std::vector<Parsed> out;
  Parser p(kind, limits);
  std::size_t pos = 0;
  auto take_pieces = [&](Parsed& m) {
    for (auto piece : p.pieces()) {
      m.body.append(piece);
    }
    p.pieces().clear();
  };
  while (pos < bytes.size()) {
    p.start_message(skip_body);
    Parsed m;
    const std::size_t start = pos;
    while (pos < bytes.size() && !p.message_done()) {
      const std::size_t n = std::min(step, bytes.size() - pos);
      auto consumed = p.feed(bytes.data() + pos, n);
      take_pieces(m);
      if (!consumed) {
        m.failure = p.failure();
        break;
      }
      pos += *consumed;
      if (*consumed < n && !p.message_done()) {
        ADD_FAILURE() << "feed stopped before the end of its input without a complete message";
        break;
      }
    }
    if (!m.failure && !p.message_done() && finish_at_end) {
      m.finish = p.finish();
      take_pieces(m);
    }
    if (p.head_done()) {
      m.method = std::string(p.method());
      m.target = p.target();
      m.status = p.status();
      m.reason = p.reason();
      m.version = p.version();
      m.headers = dump(p.headers());
      m.chunked = p.chunked();
      m.content_length = p.content_length();
    }
    m.trailers = dump(p.trailers());
    m.keep_alive = p.keep_alive();
    m.done = p.message_done();
    m.consumed = pos - start;
    out.push_back(std::move(m));
    if (out.back().failure || !out.back().done) {
      break;
    }
  }
  return out;
}

}  // namespace meshd::http1::test
