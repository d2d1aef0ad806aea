// Linkerd-generated error responses (src/router/errors.cc), inventory §5.5.

#include "meshd/router/errors.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "router_test_util.h"

namespace meshd::router {
namespace {

dtab::Dtab dtab_of(std::string_view text) { return *dtab::Dtab::read(text); }

TEST(UrlEncode, EncodesLikeJavaUrlEncoder) {
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"Host header is absent", "Host+header+is+absent"},
      {"azAZ09.-*_", "azAZ09.-*_"},  // java.net.URLEncoder's unreserved set
      {"~!'()", "%7E%21%27%28%29"},  // unlike RFC 3986, URLEncoder escapes these
      {"a/b:c", "a%2Fb%3Ac"},
      {"\"GET /x\"", "%22GET+%2Fx%22"},
      {"a+b", "a%2Bb"},
      {"100%", "100%25"},
      {"line\nnext\r\t", "line%0Anext%0D%09"},
      {std::string("nul\0byte", 8), "nul%00byte"},
      {"\xc3\xa9", "%C3%A9"},  // bytes of a header value, as Netty's ISO-8859-1 decoding sees them
      {"\xff", "%FF"},
      {"=>|&;#", "%3D%3E%7C%26%3B%23"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);

    EXPECT_EQ(url_encode(c.in), c.out);
  }
}

TEST(ErrorResponse, IsPlainTextWithEncodedL5dErr) {
  auto rsp = error_response(502, "Unable to route request!\n\nx", 8192);

  EXPECT_EQ(rsp.status, 502);
  EXPECT_EQ(rsp.headers.get("Content-Type"), "text/plain");
  EXPECT_EQ(rsp.headers.get_all("l5d-err").size(), 1u);
  EXPECT_EQ(rsp.headers.get("l5d-err"), "Unable+to+route+request%21%0A%0Ax");
  EXPECT_FALSE(rsp.headers.contains("Via"));
  EXPECT_FALSE(rsp.headers.contains("l5d-success-class"));
  asio::io_context io;
  EXPECT_EQ(test::body_of(io, rsp), "Unable to route request!\n\nx");
}

TEST(ErrorResponse, TruncatesL5dErrToMaxHeaderBytesButNotTheBody) {
  struct Case {
    std::string message;
    std::size_t max;
    std::string l5d_err;
  };
  // clang-format off
  const std::vector<Case> cases = {
      {"abcdef", 4, "abcd"},
      {"abcdef", 6, "abcdef"},
      {"abcdef", 100, "abcdef"},
      {"a b c", 3, "a+b"},
      {"//", 4, "%2F%"},  // the cap is on the encoded bytes
      {"x", 0, ""},
  };
  // clang-format on
  asio::io_context io;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message + " max " + std::to_string(c.max));

    auto rsp = error_response(400, c.message, c.max);

    EXPECT_EQ(rsp.headers.get("l5d-err"), c.l5d_err);
    EXPECT_EQ(test::body_of(io, rsp), c.message);
  }
}

TEST(UnknownDestination, MatchesLinkerdTemplate) {
  auto req = test::request("GET", "/x?y=1");

  EXPECT_EQ(unknown_destination(req, "Host header is absent"),
            "Unknown destination: Request(\"GET /x?y=1\", from /127.0.0.1:5555) / "
            "Host header is absent");
}

TEST(UnknownDestination, UsesTheRemoteAddressAndMethod) {
  auto req = test::request("DELETE", "/");
  req.ctx.remote = {asio::ip::make_address("10.1.2.3"), 40000};

  EXPECT_EQ(unknown_destination(req, "not enough segments in path"),
            "Unknown destination: Request(\"DELETE /\", from /10.1.2.3:40000) / "
            "not enough segments in path");
}

TEST(NoRoute, MatchesLinkerdTemplate) {
  struct Case {
    std::string name, dst, base, local, text;
  };
  const std::vector<Case> cases = {
      {"empty dtabs", "/svc/hello", "", "",
       "Unable to route request!\n\nservice name: /svc/hello\ndtab:\n\nbase dtab:\n\n"
       "override dtab:\n\n"},
      {"base only", "/svc/hello", "/svc=>/#/io.l5d.fs;/svc/x=>/$/inet/127.1/1", "",
       "Unable to route request!\n\nservice name: /svc/hello\ndtab:\n\nbase dtab:\n"
       "  /svc => /#/io.l5d.fs\n  /svc/x => /$/inet/127.1/1\noverride dtab:\n\n"},
      {"base and override", "/svc/a/b", "/svc=>/#/io.l5d.fs", "/svc/a=>/#/io.l5d.fs/b | ~",
       "Unable to route request!\n\nservice name: /svc/a/b\ndtab:\n\nbase dtab:\n"
       "  /svc => /#/io.l5d.fs\noverride dtab:\n  /svc/a => /#/io.l5d.fs/b | ~\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);

    auto text = no_route(*dtab::Path::read(c.dst), dtab_of(c.base), dtab_of(c.local));

    EXPECT_EQ(text, c.text);
  }
}

TEST(ConnectFailed, MatchesLinkerdTemplate) {
  auto text =
      connect_failed("10.0.0.2:8080", *dtab::Path::read("/svc/hello"),
                     *dtab::Path::read("/#/io.l5d.fs/hello"), {"10.0.0.1:8080", "10.0.0.2:8080"});

  EXPECT_EQ(text,
            "Unable to establish connection to 10.0.0.2:8080.\n\n"
            "service name: /svc/hello\n"
            "client name: /#/io.l5d.fs/hello\n"
            "addresses: [10.0.0.1:8080, 10.0.0.2:8080]\n"
            "selected address: 10.0.0.2:8080\n");
}

TEST(ConnectFailed, SingleAddress) {
  auto text = connect_failed("127.0.0.1:1", *dtab::Path::read("/svc/a"),
                             *dtab::Path::read("/$/inet/127.0.0.1/1"), {"127.0.0.1:1"});

  EXPECT_EQ(text,
            "Unable to establish connection to 127.0.0.1:1.\n\n"
            "service name: /svc/a\n"
            "client name: /$/inet/127.0.0.1/1\n"
            "addresses: [127.0.0.1:1]\n"
            "selected address: 127.0.0.1:1\n");
}

}  // namespace
}  // namespace meshd::router
