#pragma once

// Helpers of the HTTP/2 server tests: running a real client to completion (curl, nghttp,
// h2load, openssl), a scripted test service, and a fixture serving it on a loopback port-0
// listener from its own thread with the worker's periodic tick.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "meshd/http2/server.h"
#include "meshd/transport/listener.h"
#include "meshd/transport/tls_server.h"
#include "testing/temp_dir.h"
#include "unit/http1/test_support.h"
#include "unit/transport/certs.h"

extern char** environ;

namespace meshd::http2::server_test {

using namespace std::chrono_literals;

/// What a client printed (stdout and stderr, interleaved) and how it exited.
struct ToolResult {
  int exit_code = -1;  ///< -1: did not exit within the limit (then killed)
  std::string output;
};

/// Whether `/usr/bin/<name>` exists (the Debian packages the tests use).
inline bool have_tool(const std::string& name) {
  return ::access(("/usr/bin/" + name).c_str(), X_OK) == 0;
}

/// Runs `argv` with stdin from /dev/null until it exits, for at most `limit`.
inline ToolResult run_tool(const std::vector<std::string>& argv,
                           std::chrono::milliseconds limit = 10s) {
  ToolResult result;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  for (auto& a : args) {
    cargs.push_back(a.data());
  }
  cargs.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, cargs[0], &actions, nullptr, cargs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    result.output = "cannot spawn " + argv[0];
    return result;
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{out[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    char buf[4096];
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) {
      break;  // every writer closed: the tool exited
    }
    result.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  if (std::chrono::steady_clock::now() >= deadline) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return result;
  }
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

/// The `key=value` pairs of a line (server_peer.py's report).
inline std::map<std::string, std::string> parse_report(const std::string& line) {
  std::map<std::string, std::string> out;
  std::istringstream in(line);
  std::string word;
  while (in >> word) {
    auto eq = word.find('=');
    if (eq != std::string::npos) {
      out[word.substr(0, eq)] = word.substr(eq + 1);
    }
  }
  return out;
}

/// The PKI of tests/unit/transport/gen_server_certs.sh, made once per test binary.
using transport::Certs;

/// A `Stream` that counts the bytes read through it (what the server took off the socket).
class CountingStream final : public transport::Stream {
 public:
  CountingStream(transport::StreamPtr inner, std::shared_ptr<std::atomic<std::uint64_t>> count)
      : inner_(std::move(inner)), count_(std::move(count)) {}

  asio::awaitable<Result<std::size_t>> read_some(asio::mutable_buffer buf) override {
    return counted(inner_.get(), count_, buf);
  }
  asio::awaitable<Result<void>> write(std::span<const asio::const_buffer> bufs) override {
    return inner_->write(bufs);
  }
  void close() noexcept override { inner_->close(); }
  void cancel() noexcept override { inner_->cancel(); }
  bool is_open() const noexcept override { return inner_->is_open(); }
  bool idle_alive() noexcept override { return inner_->idle_alive(); }
  asio::ip::tcp::endpoint remote_endpoint() const noexcept override {
    return inner_->remote_endpoint();
  }
  asio::ip::tcp::endpoint local_endpoint() const noexcept override {
    return inner_->local_endpoint();
  }
  asio::ip::tcp::socket& socket() noexcept override { return inner_->socket(); }

 private:
  static asio::awaitable<Result<std::size_t>> counted(
      transport::Stream* inner, std::shared_ptr<std::atomic<std::uint64_t>> count,
      asio::mutable_buffer buf) {
    auto n = co_await inner->read_some(buf);
    if (n) {
      *count += *n;
    }
    co_return n;
  }

  transport::StreamPtr inner_;
  std::shared_ptr<std::atomic<std::uint64_t>> count_;
};

/// What the test service saw; read by the test thread.
struct ServiceState {
  std::atomic<int> calls{0};
  std::atomic<int> slow_started{0};
  http1::test::Flag slow_ended;
  std::atomic<bool> slow_cancelled{false};
  std::atomic<int> infinite_pieces{0};
  /// Bytes every server connection read from its socket.
  std::shared_ptr<std::atomic<std::uint64_t>> bytes_read =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  // Touched on the server thread only.
  std::vector<std::shared_ptr<asio::steady_timer>> holds;
  std::function<void()> on_drain;
};

/// Counters of the hooks; read by the test thread.
struct HookCounts {
  std::atomic<int> connections{0};
  std::atomic<int> connections_opened{0};
  std::atomic<int> streams{0};
  std::atomic<int> streams_opened{0};
  std::atomic<int> protocol_errors{0};
  std::mutex mu;
  std::vector<std::string> reasons;

  std::vector<std::string> reasons_copy() {
    std::lock_guard lock(mu);
    return reasons;
  }
};

/// Serves `ServiceState`'s test service (server_test.cc) with `ServerConnection`s on a loopback
/// port-0 listener, plain or TLS, on its own thread, ticking the drain group every 20 ms.
class Http2ServerFixture : public ::testing::Test {
 protected:
  void TearDown() override { stop(); }

  /// Starts serving with `options_` (set them before). With `tls`, ALPN {"h2", "http/1.1"}.
  void start(bool tls = false);
  /// Drains and stops the server thread; every connection must be gone within 5 s.
  void stop();
  std::string url(std::string_view path) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
           std::string(path);
  }

  std::shared_ptr<ServiceState> state_ = std::make_shared<ServiceState>();
  std::shared_ptr<HookCounts> hooks_ = std::make_shared<HookCounts>();
  ServerOptions options_;
  transport::DrainGroup drain_;
  asio::io_context io_;
  std::shared_ptr<transport::Listener> listener_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
  std::atomic<bool> drained_{false};
};

/// The test service (server_test.cc).
HttpServiceSharedPtr make_test_service(std::shared_ptr<ServiceState> state);

}  // namespace meshd::http2::server_test
