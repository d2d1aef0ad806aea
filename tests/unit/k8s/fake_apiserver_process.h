#pragma once

// The fake kube-apiserver (tests/k8s/fake_apiserver.py, contract in tests/k8s/README.md) as a
// child process of a test, with a small blocking client for its `/_fake/...` control plane, and
// the helpers the k8s client tests share: temp directories, certificates, a bounded io_context
// driver.

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "testing/script_process.h"
#include "testing/temp_dir.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace meshd::k8s::testing {

using meshd::testing::TempDir;

namespace asio = boost::asio;

/// Drives `io` in short slices until `done()` holds or `limit` passes; returns `done()`. For
/// conditions that ask the fake (a blocking call) as well as for in-process state.
inline bool eventually(asio::io_context& io, const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return true;
}

/// Runs `io` for `d` (a measurement window, not a synchronisation).
inline void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_until(deadline);
  }
}

/// Runs tests/k8s/gen_certs.sh into `dir`; false (with a failure) if it fails.
inline bool generate_certs(const TempDir& dir) {
  const std::string cmd =
      "sh " MESHD_SOURCE_DIR "/tests/k8s/gen_certs.sh '" + dir.path().string() + "' >/dev/null";
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "gen_certs.sh failed";
  return rc == 0;
}

/// A control-plane or raw API response from the fake.
struct FakeReply {
  int status = 0;
  std::string body;
  boost::json::value json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    return ec ? boost::json::value() : v;
  }
};

/// The fake kube-apiserver as a child process. Started in the constructor (fails the test and
/// throws if it does not print READY within 10 s); SIGTERMed and reaped in the destructor.
class FakeApiServer {
 public:
  /// Starts the fake with `args` (after the script path). `tls`: the control client speaks TLS
  /// (pass --tls-cert/--tls-key in `args`).
  explicit FakeApiServer(std::vector<std::string> args = {}, bool tls = false)
      : tls_(tls), process_("tests/k8s/fake_apiserver.py", args) {
    const std::string& line = process_.first_line();
    if (line.rfind("READY ", 0) != 0) {
      ADD_FAILURE() << "the fake apiserver did not start: \"" << line << "\"";
      throw std::runtime_error("fake apiserver did not start");
    }
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(6)));
  }
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  std::uint16_t port() const { return port_; }

  /// One blocking request to the fake (control plane or API), `Connection: close`.
  FakeReply call(std::string_view method, std::string_view target, std::string_view body = {}) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port_});
    // Bound every blocking read, so a broken fake fails the test instead of hanging it.
    timeval tv{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string req =
        std::string(method) + " " + std::string(target) +
        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + std::string(body);
    std::string raw;
    if (tls_) {
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      ctx.set_verify_mode(asio::ssl::verify_none);  // the test's own control channel
      asio::ssl::stream<asio::ip::tcp::socket&> stream(socket, ctx);
      stream.handshake(asio::ssl::stream_base::client);
      asio::write(stream, asio::buffer(req));
      read_to_end(stream, raw);
    } else {
      asio::write(socket, asio::buffer(req));
      read_to_end(socket, raw);
    }
    return parse_reply(raw);
  }

  /// A control call whose reply must be 200; returns its JSON.
  boost::json::value control(std::string_view method, std::string_view target,
                             std::string_view body = {}) {
    FakeReply r = call(method, target, body);
    EXPECT_EQ(r.status, 200) << method << " " << target << ": " << r.body;
    return r.json();
  }

  /// Upserts an object (JSON text).
  void put(std::string_view object) { control("PUT", "/_fake/objects", object); }
  /// Deletes `/_fake/objects/<spec>` (e.g. `v1/configmaps/default/a`).
  void remove(std::string_view spec) { control("DELETE", "/_fake/objects/" + std::string(spec)); }
  /// Queues a fault (JSON text, see the README).
  void fault(std::string_view spec) { control("POST", "/_fake/faults", spec); }
  void close_watches() { control("POST", "/_fake/close-watches"); }
  void compact() { control("POST", "/_fake/compact"); }
  void outage(bool on) {
    control("POST", "/_fake/outage", on ? "{\"on\":true}" : "{\"on\":false}");
  }
  void tokens(std::string_view valid_json_array) {
    control("POST", "/_fake/tokens", "{\"valid\":" + std::string(valid_json_array) + "}");
  }
  /// The API request log.
  boost::json::array requests() {
    auto v = control("GET", "/_fake/requests");
    return v.is_array() ? v.as_array() : boost::json::array();
  }
  void clear_requests() { control("DELETE", "/_fake/requests"); }
  /// Open watches, summed over collections.
  int open_watches() {
    auto v = control("GET", "/_fake/watches");
    int n = 0;
    if (v.is_object()) {
      for (const auto& [k, count] : v.as_object()) {
        n += count.is_int64() ? static_cast<int>(count.as_int64()) : 0;
      }
    }
    return n;
  }
  /// The store's current resourceVersion.
  std::string resource_version() {
    auto v = control("GET", "/_fake/objects");
    return std::string(v.at("resourceVersion").as_string());
  }

 private:
  template <class Stream>
  static void read_to_end(Stream& stream, std::string& out) {
    char buf[4096];
    for (;;) {
      boost::system::error_code ec;
      std::size_t n = stream.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) {
        return;  // eof, truncation (no close_notify) or the receive timeout
      }
    }
  }

  static FakeReply parse_reply(const std::string& raw) {
    FakeReply r;
    auto sp = raw.find(' ');
    auto head_end = raw.find("\r\n\r\n");
    if (sp == std::string::npos || head_end == std::string::npos) {
      return r;
    }
    r.status = std::atoi(raw.c_str() + sp + 1);
    std::string body = raw.substr(head_end + 4);
    std::string head = raw.substr(0, head_end);
    for (auto& c : head) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (head.find("transfer-encoding: chunked") == std::string::npos) {
      r.body = std::move(body);
      return r;
    }
    std::size_t pos = 0;
    while (pos < body.size()) {
      auto eol = body.find("\r\n", pos);
      if (eol == std::string::npos) {
        break;
      }
      std::size_t size = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
      if (size == 0) {
        break;
      }
      r.body += body.substr(eol + 2, size);
      pos = eol + 2 + size + 2;
    }
    return r;
  }

  bool tls_;
  meshd::testing::ScriptProcess process_;
  std::uint16_t port_ = 0;
};

/// The `params` entries of API requests in the fake's log whose path is `path`, in order.
inline std::vector<boost::json::object> requests_to(const boost::json::array& log,
                                                    std::string_view path) {
  std::vector<boost::json::object> out;
  for (const auto& entry : log) {
    const auto& e = entry.as_object();
    if (e.at("path").as_string() == path) {
      out.push_back(e);
    }
  }
  return out;
}

/// True if a logged request was a watch.
inline bool is_watch(const boost::json::object& entry) {
  const auto* params = entry.at("params").as_object().if_contains("watch");
  return params != nullptr && (params->as_string() == "true" || params->as_string() == "1");
}

/// A logged request's query parameter (or "").
inline std::string param(const boost::json::object& entry, std::string_view name) {
  const auto* v = entry.at("params").as_object().if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

/// A ConfigMap `name` in `ns` with `data: {k: value}` and `labels`, as JSON text.
inline std::string config_map(std::string_view ns, std::string_view name, std::string_view value,
                              std::string_view labels_json = "{}") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + std::string(name) +
         R"(","namespace":")" + std::string(ns) + R"(","labels":)" + std::string(labels_json) +
         R"(},"data":{"k":")" + std::string(value) + R"("}})";
}

}  // namespace meshd::k8s::testing
