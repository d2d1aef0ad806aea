#pragma once

// The fake Zipkin collector (tests/trace/fake_zipkin.py, contract in tests/trace/README.md) as a
// child process of a test, with a small blocking client for its control endpoints.

#include <sys/socket.h>
#include <sys/time.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "testing/script_process.h"

namespace meshd::trace::testing {

/// The fake collector as a child process: started in the constructor (fails the test and throws
/// if it does not print its ports within 10 s), stopped and reaped in the destructor.
class FakeZipkin {
 public:
  FakeZipkin() : process_("tests/trace/fake_zipkin.py", {}) {
    boost::system::error_code ec;
    auto ports = boost::json::parse(process_.first_line(), ec);
    if (ec || !ports.is_object() || !ports.as_object().contains("scribe")) {
      ADD_FAILURE() << "the fake collector did not start: \"" << process_.first_line() << "\"";
      throw std::runtime_error("fake collector did not start");
    }
    scribe_port_ = static_cast<std::uint16_t>(ports.at("scribe").as_int64());
    http_port_ = static_cast<std::uint16_t>(ports.at("http").as_int64());
  }
  FakeZipkin(const FakeZipkin&) = delete;
  FakeZipkin& operator=(const FakeZipkin&) = delete;

  std::uint16_t scribe_port() const { return scribe_port_; }
  std::uint16_t http_port() const { return http_port_; }

  /// Every span received so far, normalised (see the README).
  boost::json::array spans() { return get_array("/spans"); }
  /// Every rejected message, as text.
  boost::json::array errors() { return get_array("/errors"); }
  /// Every Scribe call and POST /api/v2/spans.
  boost::json::array requests() { return get_array("/requests"); }
  /// `POST /fault?<query>` (`try_later=N`, `http_status=S&http_count=N`).
  void fault(std::string_view query) { call("POST", "/fault?" + std::string(query)); }

  /// Polls `/spans` until it holds at least `n` spans or `limit` passes; returns the spans.
  boost::json::array wait_for_spans(std::size_t n,
                                    std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto s = spans();
      if (s.size() >= n || std::chrono::steady_clock::now() >= deadline) {
        return s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling another process
    }
  }

 private:
  boost::json::array get_array(std::string_view path) {
    std::string body = call("GET", path);
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec || !v.is_array()) {
      ADD_FAILURE() << "GET " << path << ": not a JSON array: " << body;
      return {};
    }
    return v.as_array();
  }

  /// One blocking exchange with `Connection: close`; returns the body of a 200, fails otherwise.
  std::string call(std::string_view method, std::string_view target) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), http_port_});
    timeval tv{10, 0};  // a broken fake fails the test instead of hanging it
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string req = std::string(method) + " " + std::string(target) +
                      " HTTP/1.1\r\nHost: fake\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(req));
    std::string raw;
    char buf[4096];
    for (;;) {
      boost::system::error_code ec;
      std::size_t n = socket.read_some(boost::asio::buffer(buf), ec);
      raw.append(buf, n);
      if (ec) {
        break;
      }
    }
    auto head_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.1 200", 0) != 0 || head_end == std::string::npos) {
      ADD_FAILURE() << method << " " << target << ": " << raw;
      return {};
    }
    return raw.substr(head_end + 4);
  }

  meshd::testing::ScriptProcess process_;
  std::uint16_t scribe_port_ = 0;
  std::uint16_t http_port_ = 0;
};

}  // namespace meshd::trace::testing
