// H1H1: HTTP/1.1 client → meshd → HTTP/1.1 backend. Routing, dtabs and Linkerd's errors.

#include <gtest/gtest.h>

#include <fstream>

#include "harness.h"

namespace meshd::itest {
namespace {

std::string config(std::uint16_t backend, const std::string& server_options = "") {
  return "admin: {ip: 127.0.0.1, port: 0}\n"
         "workers: 2\n"
         "routers:\n"
         "- protocol: http\n"
         "  label: outgoing\n"
         "  dtab: |\n"
         "    /svc => /$/inet/127.0.0.1/" + std::to_string(backend) + ";\n"
         "    /svc/nowhere => /$/nil;\n"
         "    /svc/refused => /$/inet/127.0.0.1/1;\n"
         "  servers: [{ip: 127.0.0.1, port: 0" + server_options + "}]\n";
}

class Routing : public ::testing::Test {
 protected:
  TempDir dir_;
  Backend backend_{dir_.path()};
};

TEST_F(Routing, H1H1_CurlThroughHttpProxyReachesBackendWithLinkerdHeaders) {
  Meshd meshd(dir_.path(), config(backend_.port()));
  ASSERT_TRUE(meshd.started());
  std::string proxy = "http://127.0.0.1:" + std::to_string(meshd.port("outgoing"));

  auto r = curl({"http://hello/echo?x=1"}, {{"http_proxy", proxy}});

  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("HTTP/1.1 200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"path\": \"/echo?x=1\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[\"Host\", \"hello\"]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[\"l5d-dst-service\", \"/svc/hello\"]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[\"Via\", \"1.1 linkerd\"]"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Proxy-Connection"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("l5d-success-class: 1.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Via: 1.1 linkerd"), std::string::npos) << r.out;
  EXPECT_EQ(meshd.metric("rt/outgoing/service/svc/hello/requests"), 1);
  EXPECT_EQ(meshd.metric("rt/outgoing/server/127.0.0.1/" +
                         std::to_string(meshd.port("outgoing")) + "/requests"),
            1);
}

TEST_F(Routing, H1H1_HostPortIsPartOfTheName) {
  Meshd meshd(dir_.path(), config(backend_.port()));
  std::string proxy = "http://127.0.0.1:" + std::to_string(meshd.port("outgoing"));

  auto r = curl({"http://Hello:7777/echo"}, {{"http_proxy", proxy}});

  EXPECT_NE(r.out.find("[\"l5d-dst-service\", \"/svc/Hello:7777\"]"), std::string::npos) << r.out;
}

TEST_F(Routing, MissingHostIs400UnknownDestination) {
  Meshd meshd(dir_.path(), config(backend_.port()));

  auto out = raw_exchange(meshd.port("outgoing"), "GET /x HTTP/1.0\r\n\r\n");

  EXPECT_NE(out.find("HTTP/1.0 400 Bad Request"), std::string::npos) << out;
  EXPECT_NE(out.find("Content-Type: text/plain"), std::string::npos) << out;
  EXPECT_NE(out.find("Unknown destination: Request(\"GET /x\", from /127.0.0.1:"),
            std::string::npos) << out;
  EXPECT_NE(out.find(") / Host header is absent"), std::string::npos) << out;
  EXPECT_NE(out.find("l5d-err: Unknown+destination%3A+Request%28%22GET+%2Fx%22"),
            std::string::npos) << out;
}

TEST_F(Routing, NameBoundToNothingIs502UnableToRoute) {
  Meshd meshd(dir_.path(), config(backend_.port()));

  auto out = raw_exchange(meshd.port("outgoing"),
                          "GET / HTTP/1.1\r\nHost: nowhere\r\nConnection: close\r\n\r\n");

  EXPECT_NE(out.find("HTTP/1.1 502 Bad Gateway"), std::string::npos) << out;
  EXPECT_NE(out.find("Unable to route request!\n\nservice name: /svc/nowhere\ndtab:\n\n"
                     "base dtab:\n  /svc => /$/inet/127.0.0.1/"),
            std::string::npos) << out;
  EXPECT_NE(out.find("\noverride dtab:\n\n"), std::string::npos) << out;
}

TEST_F(Routing, RefusedConnectionIs502UnableToEstablishConnection) {
  Meshd meshd(dir_.path(), config(backend_.port()));

  auto out = raw_exchange(meshd.port("outgoing"),
                          "GET / HTTP/1.1\r\nHost: refused\r\nConnection: close\r\n\r\n");

  EXPECT_NE(out.find("HTTP/1.1 502"), std::string::npos) << out;
  EXPECT_NE(out.find("Unable to establish connection to 127.0.0.1:1.\n\n"
                     "service name: /svc/refused\nclient name: /$/inet/127.0.0.1/1\n"
                     "addresses: [127.0.0.1:1]\nselected address: 127.0.0.1:1\n"),
            std::string::npos) << out;
}

TEST_F(Routing, L5dDtabHeaderOverridesRoutingAndPropagatesAsCtxDtab) {
  Meshd meshd(dir_.path(), config(backend_.port()));
  std::string override = "/svc/other => /svc/hello";

  auto out = raw_exchange(meshd.port("outgoing"),
                          "GET /echo HTTP/1.1\r\nHost: other\r\nl5d-dtab: " + override +
                              "\r\nConnection: close\r\n\r\n");

  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_NE(out.find("[\"l5d-ctx-dtab\", \"/svc/other=>/svc/hello\"]"), std::string::npos) << out;
  EXPECT_EQ(out.find("\"l5d-dtab\""), std::string::npos) << out;
}

TEST_F(Routing, BadL5dDtabIs400WithParserMessage) {
  Meshd meshd(dir_.path(), config(backend_.port()));

  auto out = raw_exchange(meshd.port("outgoing"),
                          "GET / HTTP/1.1\r\nHost: hello\r\nl5d-dtab: /a=>\r\n"
                          "Connection: close\r\n\r\n");

  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << out;
  EXPECT_NE(out.find("expected but end of input found at '/a=>[]'"), std::string::npos) << out;
}

TEST_F(Routing, ClearContextStripsL5dHeadersAndBlanksErrors) {
  Meshd meshd(dir_.path(), config(backend_.port(), ", clearContext: true"));

  auto ok = raw_exchange(meshd.port("outgoing"),
                         "GET /echo HTTP/1.1\r\nHost: hello\r\nl5d-dtab: /svc=>/$/nil\r\n"
                         "l5d-foo: bar\r\nConnection: close\r\n\r\n");
  auto err = raw_exchange(meshd.port("outgoing"),
                          "GET / HTTP/1.1\r\nHost: nowhere\r\nConnection: close\r\n\r\n");

  EXPECT_NE(ok.find("HTTP/1.1 200"), std::string::npos) << ok;
  EXPECT_EQ(ok.find("l5d-foo"), std::string::npos) << ok;
  EXPECT_EQ(ok.find("l5d-success-class"), std::string::npos) << ok;
  EXPECT_NE(err.find("HTTP/1.1 502"), std::string::npos) << err;
  EXPECT_EQ(err.find("l5d-err"), std::string::npos) << err;
  EXPECT_NE(err.find("Content-Length: 0\r\n"), std::string::npos) << err;
}

TEST_F(Routing, FsNamerFollowsFileChangesWhileRunning) {
  auto disco = dir_.path() / "disco";
  std::filesystem::create_directories(disco);
  Meshd meshd(dir_.path(), fs_namer_config(disco));
  const std::string req = "GET /echo HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n";

  auto before = raw_exchange(meshd.port("outgoing"), req);
  std::ofstream(disco / "web") << "127.0.0.1 " << backend_.port() << "\n";
  // The namer sees the change through its directory watch; wait for it, bounded in time (a
  // count of tries was too short on a busy machine).
  std::string after;
  eventually([&] {
    after = raw_exchange(meshd.port("outgoing"), req);
    return after.find("HTTP/1.1 200") != std::string::npos;
  });

  EXPECT_NE(before.find("HTTP/1.1 502"), std::string::npos) << before;
  EXPECT_NE(after.find("HTTP/1.1 200"), std::string::npos) << after;
  EXPECT_NE(after.find("[\"l5d-dst-client\", \"/#/io.l5d.fs/web\"]"), std::string::npos) << after;
}

TEST_F(Routing, AdminPingMetricsAndUnknownPath) {
  Meshd meshd(dir_.path(), config(backend_.port()));

  auto ping = raw_exchange(meshd.admin_port(),
                           "GET /admin/ping HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  auto missing = raw_exchange(meshd.admin_port(),
                              "GET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

  EXPECT_NE(ping.find("\r\n\r\npong"), std::string::npos) << ping;
  EXPECT_NE(missing.find("HTTP/1.1 404"), std::string::npos) << missing;
  EXPECT_EQ(meshd.metric("rt/outgoing/server/127.0.0.1/" +
                         std::to_string(meshd.port("outgoing")) + "/connections"),
            0);
}

}  // namespace
}  // namespace meshd::itest
