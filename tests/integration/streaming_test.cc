// H1H1 wire behaviour end to end: framing, streaming with bounded memory, pipelining,
// smuggling defences and upstream failures.

#include <gtest/gtest.h>

#include <fstream>

#include "harness.h"

namespace meshd::itest {
namespace {

class Streaming : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(backend_.port(), 0);
    meshd_ = std::make_unique<Meshd>(
        dir_.path(),
        "admin: {ip: 127.0.0.1, port: 0}\n"
        "workers: 2\n"
        "routers:\n"
        "- protocol: http\n"
        "  label: outgoing\n"
        "  maxInitialLineKB: 1\n"
        "  maxHeadersKB: 2\n"
        "  dtab: /svc => /$/inet/127.0.0.1/" + std::to_string(backend_.port()) + ";\n"
        "  servers: [{ip: 127.0.0.1, port: 0}]\n");
    ASSERT_TRUE(meshd_->started());
    port_ = meshd_->port("outgoing");
    proxy_ = "http://127.0.0.1:" + std::to_string(port_);
  }

  /// Requests the backend has served, this one included.
  int backend_hits() {
    auto out = raw_exchange(backend_.port(), "GET /hits HTTP/1.1\r\nHost: b\r\n"
                                             "Connection: close\r\n\r\n");
    auto pos = out.find("\r\n\r\n");
    return pos == std::string::npos ? -1 : std::stoi(out.substr(pos + 4));
  }

  TempDir dir_;
  Backend backend_{dir_.path()};
  std::unique_ptr<Meshd> meshd_;
  std::uint16_t port_ = 0;
  std::string proxy_;
};

TEST_F(Streaming, H1H1_PipelinedRequestsAreAnsweredInOrder) {
  std::string one = "GET /echo/1 HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string two = "GET /status/204 HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string three = "GET /echo/3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

  auto out = raw_exchange(port_, one + two + three);

  auto p1 = out.find("/echo/1");
  auto p2 = out.find("HTTP/1.1 204");
  auto p3 = out.find("/echo/3");
  ASSERT_NE(p1, std::string::npos) << out;
  ASSERT_NE(p2, std::string::npos) << out;
  ASSERT_NE(p3, std::string::npos) << out;
  EXPECT_LT(p1, p2);
  EXPECT_LT(p2, p3);
}

TEST_F(Streaming, H1H1_ChunkedResponseKeepsChunksAndTrailers) {
  auto out = raw_exchange(port_, "GET /chunked/3 HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n"
                                 "Connection: close\r\n\r\n");

  EXPECT_NE(out.find("Transfer-Encoding: chunked"), std::string::npos) << out;
  EXPECT_NE(out.find("chunk0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("chunk2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("0\r\nx-trailer: done\r\n\r\n"), std::string::npos) << out;
}

TEST_F(Streaming, H1H1_ChunkedRequestBodyStreamsToBackend) {
  auto out = raw_exchange(port_,
                          "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                          "Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");

  EXPECT_NE(out.find("\"body_bytes\": 11"), std::string::npos) << out;
  EXPECT_NE(out.find("[\"Transfer-Encoding\", \"chunked\"]"), std::string::npos) << out;
}

TEST_F(Streaming, H1H1_HeadAnd304HaveNoBody) {
  auto head = raw_exchange(port_, "HEAD /bytes/100 HTTP/1.1\r\nHost: a\r\n\r\n"
                                  "GET /status/304 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

  EXPECT_NE(head.find("HTTP/1.1 200 OK"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Length: 100\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("HTTP/1.1 304"), std::string::npos) << head;
  EXPECT_EQ(head.find("xxxx"), std::string::npos) << head;
}

TEST_F(Streaming, H1H1_ExpectContinueIsAnswered) {
  auto out = raw_exchange(port_,
                          "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                          "Expect: 100-continue\r\nConnection: close\r\n\r\n",
                          "100 Continue\r\n\r\n");
  auto rest = raw_exchange(port_,
                           "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                           "Expect: 100-continue\r\nConnection: close\r\n\r\nhello");

  EXPECT_NE(out.find("HTTP/1.1 100 Continue"), std::string::npos) << out;
  EXPECT_NE(rest.find("\"body_bytes\": 5"), std::string::npos) << rest;
  EXPECT_EQ(rest.find("Expect"), std::string::npos) << rest;
}

TEST_F(Streaming, H1H1_Http10ClientGetsCloseDelimitedResponse) {
  auto out = raw_exchange(port_, "GET /chunked/2 HTTP/1.0\r\nHost: a\r\n\r\n");

  EXPECT_NE(out.find("HTTP/1.0 200"), std::string::npos) << out;
  EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos) << out;
  EXPECT_NE(out.find("chunk1\n"), std::string::npos) << out;
}

TEST_F(Streaming, H1H1_CloseDelimitedUpstreamBodyIsForwardedWhole) {
  auto out = raw_exchange(port_, "GET /close HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_NE(out.find("Transfer-Encoding: chunked"), std::string::npos) << out;
  EXPECT_NE(out.find("closed body"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n0\r\n\r\n"), std::string::npos) << out;
}

TEST_F(Streaming, H1H1_InterimResponsesAreForwardedBeforeTheFinalOne) {
  auto out = raw_exchange(port_, "GET /early HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

  auto early = out.find("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n");
  auto final = out.find("HTTP/1.1 200 OK");
  ASSERT_NE(early, std::string::npos) << out;
  ASSERT_NE(final, std::string::npos) << out;
  EXPECT_LT(early, final);
  EXPECT_NE(out.find("final"), std::string::npos) << out;
}

TEST_F(Streaming, MalformedUpstreamResponseIs502) {
  auto out = raw_exchange(port_, "GET /malformed HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

  EXPECT_NE(out.find("HTTP/1.1 502"), std::string::npos) << out;
  EXPECT_NE(out.find("l5d-err: "), std::string::npos) << out;
}

struct BadRequest {
  const char* name;
  std::string raw;
  const char* status;
};

TEST_F(Streaming, SmugglingAndMalformedRequestsAreRejectedAndClosed) {
  std::string long_target(2000, 'a');
  std::string big_header(3000, 'b');
  const BadRequest cases[] = {
      {"cl+te", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400"},
      {"two cl", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                 "Content-Length: 5\r\n\r\nhello", "400"},
      {"bad chunk", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "zz\r\nhello\r\n0\r\n\r\n", "400"},
      {"obs-fold", "GET /echo HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n", "400"},
      {"bad char", std::string("GET /echo HTTP/1.1\r\nHost: a\r\nX-A: a\x01" "b\r\n\r\n"), "400"},
      {"te not chunked", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
       "400"},
      {"long line", "GET /" + long_target + " HTTP/1.1\r\nHost: a\r\n\r\n", "414"},
      {"big headers", "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + big_header + "\r\n\r\n", "431"},
  };
  for (const auto& c : cases) {
    auto before = backend_hits();

    auto out = raw_exchange(port_, c.raw + "GET /echo HTTP/1.1\r\nHost: a\r\n\r\n");

    EXPECT_EQ(out.rfind(std::string("HTTP/1.1 ") + c.status, 0), 0u) << c.name << ": " << out;
    EXPECT_NE(out.find("Connection: close"), std::string::npos) << c.name << ": " << out;
    EXPECT_EQ(out.find("HTTP/1.1", 5), std::string::npos) << c.name << ": a second response";
    EXPECT_EQ(backend_hits(), before + 1) << c.name << " reached the backend";
  }
}

TEST_F(Streaming, H1H1_ClientGoneMidRequestFreesTheConnection) {
  // The client asks for a slow response and leaves; meshd must cancel and stay healthy.
  raw_exchange(port_, "GET /slow/2000 HTTP/1.1\r\nHost: a\r\n\r\n", "", std::chrono::milliseconds(200));

  auto out = raw_exchange(port_, "GET /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  std::string key = "rt/outgoing/server/127.0.0.1/" + std::to_string(port_) + "/connections";
  // The close is processed asynchronously.
  EXPECT_TRUE(eventually([&] { return meshd_->metric(key) == 0; })) << meshd_->metric(key);
}

TEST_F(Streaming, H1H1_OneGibUploadAndDownloadStreamWithBoundedMemory) {
  if (!have_tool("curl")) {
    GTEST_SKIP() << "curl missing";
  }
  std::map<std::string, std::string> env{{"http_proxy", proxy_}};
  auto down = run_tool({"curl", "-s", "-S", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                        "http://big/bytes/1073741824"},
                       std::chrono::seconds(240), env);
  auto up = run_tool({"sh", "-c",
                      "head -c 1073741824 /dev/zero | curl -s -S -T - -H 'Expect:' "
                      "-x " + proxy_ + " http://big/echo"},
                     std::chrono::seconds(240));

  EXPECT_EQ(down.out, "200 1073741824") << down.err;
  EXPECT_NE(up.out.find("\"body_bytes\": 1073741824"), std::string::npos) << up.out << up.err;
  long rss = meshd_->peak_rss_kib();
  EXPECT_GT(rss, 0);
  EXPECT_LT(rss, 64 * 1024) << "peak RSS " << rss << " KiB";
}

}  // namespace
}  // namespace meshd::itest
