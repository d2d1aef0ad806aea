#include "meshd/http1/server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <thread>

#include "meshd/transport/listener.h"

namespace meshd::http1 {
namespace {

class EchoService final : public HttpService {
 public:
  asio::awaitable<Result<http::Response>> call(http::Request req) override {
    std::string body;
    auto r = co_await http::read_all(*req.body, body);
    if (!r) {
      co_return r.error();
    }
    co_return http::Response::text(200, req.method + " " + req.target + " " + body);
  }
};

/// A server on a loopback port 0 running on its own thread.
class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto acceptor = transport::open_acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    ASSERT_TRUE(acceptor);
    port_ = acceptor->local_endpoint().port();
    listener_ = std::make_shared<transport::Listener>(
        std::move(*acceptor), [this](transport::StreamPtr s) {
          std::make_shared<ServerConnection>(std::move(s), service_, options_, drain_)->start();
        });
    listener_->start();
    thread_ = std::thread([this] { io_.run_for(std::chrono::seconds(10)); });
  }
  void TearDown() override {
    asio::post(io_, [this] {
      listener_->stop();
      drain_.drain([this] { io_.stop(); });
    });
    thread_.join();
  }

  /// Sends `raw` and reads until the server closes or `until` appears.
  std::string exchange(const std::string& raw, const std::string& until = "") {
    asio::io_context cio;
    asio::ip::tcp::socket s(cio);
    s.connect({asio::ip::make_address("127.0.0.1"), port_});
    asio::write(s, asio::buffer(raw));
    std::string out;
    char buf[4096];
    for (int i = 0; i < 1000; ++i) {
      boost::system::error_code ec;
      std::size_t n = s.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec || (!until.empty() && out.find(until) != std::string::npos)) {
        break;
      }
    }
    return out;
  }

  asio::io_context io_;
  std::shared_ptr<HttpService> service_ = std::make_shared<EchoService>();
  ServerOptions options_;
  transport::DrainGroup drain_;
  std::shared_ptr<transport::Listener> listener_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

TEST_F(ServerFixture, AnswersOneRequest) {
  auto out = exchange("GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

  EXPECT_NE(out.find("HTTP/1.1 200 OK"), std::string::npos) << out;
  EXPECT_NE(out.find("GET /x "), std::string::npos) << out;
}

}  // namespace
}  // namespace meshd::http1
