#include "meshd/http1/parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "unit/http1/test_support.h"

namespace meshd::http1 {
namespace {

using test::parse_all;
using test::Parsed;

constexpr std::size_t kWhole = SIZE_MAX;

std::string step_name(std::size_t step) {
  return step == kWhole ? "Whole" : "By" + std::to_string(step);
}

// ---- Requests that parse ----------------------------------------------------------------------

struct RequestCase {
  const char* name;
  std::string bytes;
  std::string method;
  std::string target;
  http::Version version;
  std::string headers;  // every field, dumped
  std::string body;
  bool keep_alive;
  std::string trailers = "";
};

const std::vector<RequestCase> kRequests = {
    {"SimpleGet", "GET /a?b HTTP/1.1\r\nHost: hello\r\nX-A: 1\r\n\r\n", "GET", "/a?b", {1, 1},
     "Host: hello\nX-A: 1\n", "", true},
    {"DuplicateHeadersKeptInOrder", "GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n", "GET", "/",
     {1, 1}, "X-A: 1\nx-a: 2\n", "", true},
    {"EmptyHeaderValue", "GET / HTTP/1.1\r\nX-A:\r\nX-B: b\r\n\r\n", "GET", "/", {1, 1},
     "X-A: \nX-B: b\n", "", true},
    {"OptionalWhitespaceAroundValueIsNotPartOfIt", "GET / HTTP/1.1\r\nX-A: \t a b \t \r\n\r\n",
     "GET", "/", {1, 1}, "X-A: a b\n", "", true},
    {"ContentLengthBody", "POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "POST", "/p",
     {1, 1}, "Content-Length: 5\n", "hello", true},
    {"ZeroContentLength", "PUT /p HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "PUT", "/p", {1, 1},
     "Content-Length: 0\n", "", true},
    {"ChunkedPiecesConcatenate",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
     "POST", "/", {1, 1}, "Transfer-Encoding: chunked\n", "hello world", true},
    {"ChunkSizeInUpperCaseHexWithLeadingZeros",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n00A\r\n0123456789\r\n0\r\n\r\n", "POST",
     "/", {1, 1}, "Transfer-Encoding: chunked\n", "0123456789", true},
    {"ChunkExtensionsAreIgnored",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n"
     "1;q=\"x y\"\r\n!\r\n0;last\r\n\r\n",
     "POST", "/", {1, 1}, "Transfer-Encoding: chunked\n", "hello!", true},
    {"TrailersLandInTrailers",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nX-Sum: 7\r\n"
     "X-More: y\r\n\r\n",
     "POST", "/", {1, 1}, "Transfer-Encoding: chunked\n", "ab", true, "X-Sum: 7\nX-More: y\n"},
    {"Http10ClosesByDefault", "GET / HTTP/1.0\r\n\r\n", "GET", "/", {1, 0}, "", "", false},
    {"Http10KeepAliveStaysOpen", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET", "/",
     {1, 0}, "Connection: keep-alive\n", "", true},
    // RFC 9112 §6.1: chunked framing in HTTP/1.0 is faulty; close after the message.
    {"Http10ChunkedClosesAfterwards",
     "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
     "1\r\nx\r\n0\r\n\r\n",
     "POST", "/", {1, 0}, "Transfer-Encoding: chunked\nConnection: keep-alive\n", "x", false},
    {"Http11ConnectionCloseCloses", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", "GET", "/",
     {1, 1}, "Connection: close\n", "", false},
    {"AbsoluteFormTarget", "GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n", "GET", "http://h/x",
     {1, 1}, "Host: h\n", "", true},
    // llhttp (strict too) takes a bare LF as the end of the request line and of the head; a
    // bare LF after a header value is rejected (see parser_malformed_test.cc).
    {"BareLfEndsRequestLine", "GET / HTTP/1.1\nHost: a\r\n\r\n", "GET", "/", {1, 1},
     "Host: a\n", "", true},
    {"BareLfEndsHead", "GET / HTTP/1.1\r\nHost: a\r\n\n", "GET", "/", {1, 1}, "Host: a\n", "",
     true},
};

void PrintTo(const RequestCase& c, std::ostream* os) { *os << c.name; }

class ParserRequest
    : public ::testing::TestWithParam<std::tuple<RequestCase, std::size_t>> {};

TEST_P(ParserRequest, ParsesHeadBodyAndTrailers) {
  const auto& [c, step] = GetParam();

  auto msgs = parse_all(Parser::Kind::Request, c.bytes, step);

  ASSERT_EQ(msgs.size(), 1u);
  const Parsed& m = msgs[0];
  ASSERT_FALSE(m.failure) << m.failure->reason;
  EXPECT_TRUE(m.done);
  EXPECT_EQ(m.consumed, c.bytes.size());
  EXPECT_EQ(m.method, c.method);
  EXPECT_EQ(m.target, c.target);
  EXPECT_EQ(m.version, c.version);
  EXPECT_EQ(m.headers, c.headers);
  EXPECT_EQ(m.body, c.body);
  EXPECT_EQ(m.trailers, c.trailers);
  EXPECT_EQ(m.keep_alive, c.keep_alive);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParserRequest,
    ::testing::Combine(::testing::ValuesIn(kRequests), ::testing::Values(kWhole, 1, 7)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param).name) + "_" +
             step_name(std::get<1>(info.param));
    });

// ---- Pipelining -------------------------------------------------------------------------------

class ParserPipelining : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ParserPipelining, ConsumesOneMessageAtATime) {
  const std::string a = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string b = "POST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  const std::string c = "POST /3 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n";

  auto msgs = parse_all(Parser::Kind::Request, a + b + c, GetParam());

  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].target, "/1");
  EXPECT_EQ(msgs[0].consumed, a.size());
  EXPECT_EQ(msgs[1].target, "/2");
  EXPECT_EQ(msgs[1].body, "abc");
  EXPECT_EQ(msgs[1].consumed, b.size());
  EXPECT_EQ(msgs[2].target, "/3");
  EXPECT_EQ(msgs[2].body, "z");
  EXPECT_EQ(msgs[2].consumed, c.size());
  for (const auto& m : msgs) {
    EXPECT_TRUE(m.done);
    EXPECT_FALSE(m.failure);
  }
}

INSTANTIATE_TEST_SUITE_P(Steps, ParserPipelining, ::testing::Values(kWhole, 1, 5),
                         [](const auto& info) { return step_name(info.param); });

TEST(Parser, FeedStopsAtTheMessageBoundary) {
  Parser p(Parser::Kind::Request, {});
  p.start_message();
  const std::string first = "GET /1 HTTP/1.1\r\n\r\n";
  const std::string both = first + "GET /2 HTTP/1.1\r\n\r\n";

  auto consumed = p.feed(both.data(), both.size());
  auto again = p.feed(both.data() + *consumed, both.size() - *consumed);

  ASSERT_TRUE(consumed);
  EXPECT_EQ(*consumed, first.size());
  EXPECT_EQ(p.target(), "/1");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);  // nothing more until start_message()
}

TEST(Parser, StartMessageForgetsThePreviousMessage) {
  Parser p(Parser::Kind::Request, {});
  const std::string both =
      "POST /1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n0\r\nX-T: 1\r\n\r\n"
      "GET /2 HTTP/1.1\r\n\r\n";
  p.start_message();
  auto first = p.feed(both.data(), both.size());
  ASSERT_TRUE(first);

  p.start_message();
  auto second = p.feed(both.data() + *first, both.size() - *first);

  ASSERT_TRUE(second);
  EXPECT_TRUE(p.message_done());
  EXPECT_EQ(p.target(), "/2");
  EXPECT_TRUE(p.headers().empty());
  EXPECT_TRUE(p.trailers().empty());
  EXPECT_FALSE(p.chunked());
  EXPECT_FALSE(p.content_length());
}

TEST(Parser, BuildsFieldsInTheHeadersItIsGiven) {
  // Fields are built in place in the parser's headers: in storage handed back by a message
  // (with removed fields), one byte at a time, the result is as if each was added whole.
  const std::string bytes =
      "GET / HTTP/1.1\r\nHost:h\r\nX-A: \t a b \t \r\nX-Empty:\r\nx-a: 2\r\n\r\n";
  for (std::size_t step : {kWhole, std::size_t{1}, std::size_t{3}}) {
    Parser p(Parser::Kind::Request, {});
    http::Headers used;
    used.add("Old", std::string(600, 'o'));
    used.add("Gone", "1");
    used.remove("old");
    p.reuse_headers(std::move(used));
    p.start_message();
    std::size_t at = 0;
    while (at < bytes.size() && !p.message_done()) {
      auto n = p.feed(bytes.data() + at, std::min(step, bytes.size() - at));
      ASSERT_TRUE(n) << p.failure().reason;
      at += *n;
    }
    ASSERT_TRUE(p.message_done()) << step_name(step);
    std::string wire;
    p.headers().serialize(wire);
    EXPECT_EQ(wire, "Host: h\r\nX-A: a b\r\nX-Empty: \r\nx-a: 2\r\n") << step_name(step);
    EXPECT_EQ(p.headers().get_all("x-a"), (std::vector<std::string_view>{"a b", "2"}));
    EXPECT_FALSE(p.headers().contains("Gone"));
    EXPECT_EQ(p.headers().size(), 4u);
  }
}

TEST(Parser, ChecksEveryByteOfEveryHeaderName) {
  // Tokens of each length (the name check goes four bytes at a time, then one) and every tchar
  // are accepted; the same names with a space or a separator at any position are rejected (by
  // llhttp or by the check).
  auto parses = [](const std::string& name) {
    Parser p(Parser::Kind::Request, {});
    p.start_message();
    std::string bytes = "GET / HTTP/1.1\r\n" + name + ": v\r\n\r\n";
    auto n = p.feed(bytes.data(), bytes.size());
    return n && p.message_done() && p.headers().get(name) == "v";
  };
  const std::string letters = "abcdefghijklmnopq";
  for (std::size_t len = 1; len <= letters.size(); ++len) {
    std::string name = letters.substr(0, len);
    EXPECT_TRUE(parses(name)) << name;
    for (std::size_t at = 0; at <= len; ++at) {
      for (char c : {' ', '(', '"'}) {
        std::string bad = name;
        bad.insert(at, 1, c);
        EXPECT_FALSE(parses(bad)) << '"' << bad << '"';
      }
    }
  }
  EXPECT_TRUE(parses("!#$%&'*+-.^_`|~09AZaz"));
}

// ---- Responses --------------------------------------------------------------------------------

struct ResponseCase {
  const char* name;
  std::string bytes;
  bool skip_body;  // a response to HEAD
  int status;
  std::string body;
  bool keep_alive;
  bool needs_finish;  // close-delimited: complete only at end of input
  std::string trailers = "";
};

const std::vector<ResponseCase> kResponses = {
    {"ContentLength", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, 200, "ok", true,
     false},
    {"ChunkedWithTrailers",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nGrpc-Status: 0\r\n\r\n",
     false, 200, "abc", true, false, "Grpc-Status: 0\n"},
    {"HeadResponseHasNoBody", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, 200, "", true,
     false},
    {"HeadChunkedResponseHasNoBody", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
     true, 200, "", true, false},
    {"NoContent204HasNoBody", "HTTP/1.1 204 No Content\r\n\r\n", false, 204, "", true, false},
    {"NoContent204IgnoresContentLength", "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
     false, 204, "", true, false},
    {"NotModified304IgnoresContentLength",
     "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, 304, "", true, false},
    {"Continue100IsAWholeMessage", "HTTP/1.1 100 Continue\r\n\r\n", false, 100, "", true, false},
    {"EarlyHints103IsAWholeMessage", "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n", false,
     103, "", true, false},
    {"CloseDelimitedEndsAtEof", "HTTP/1.1 200 OK\r\n\r\nuntil close", false, 200, "until close",
     false, true},
    {"Http10CloseDelimitedEndsAtEof", "HTTP/1.0 200 OK\r\nContent-Type: a/b\r\n\r\nold", false,
     200, "old", false, true},
    {"Http10KeepAliveWithLength",
     "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", false, 200, "x",
     true, false},
    {"ConnectionCloseWithLength", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
     false, 200, "x", false, false},
};

void PrintTo(const ResponseCase& c, std::ostream* os) { *os << c.name; }

class ParserResponse
    : public ::testing::TestWithParam<std::tuple<ResponseCase, std::size_t>> {};

TEST_P(ParserResponse, ParsesStatusAndBody) {
  const auto& [c, step] = GetParam();

  auto msgs = parse_all(Parser::Kind::Response, c.bytes, step, {}, c.skip_body, true);

  ASSERT_EQ(msgs.size(), 1u);
  const Parsed& m = msgs[0];
  ASSERT_FALSE(m.failure) << m.failure->reason;
  EXPECT_TRUE(m.done);
  EXPECT_EQ(m.consumed, c.bytes.size());
  EXPECT_EQ(m.status, c.status);
  EXPECT_EQ(m.body, c.body);
  EXPECT_EQ(m.trailers, c.trailers);
  EXPECT_EQ(m.keep_alive, c.keep_alive);
  EXPECT_EQ(m.finish.has_value(), c.needs_finish);
  if (m.finish) {
    EXPECT_TRUE(*m.finish);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParserResponse,
    ::testing::Combine(::testing::ValuesIn(kResponses), ::testing::Values(kWhole, 1, 4)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param).name) + "_" +
             step_name(std::get<1>(info.param));
    });

// Issue: llhttp 8.1 read Content-Length bytes after a 304, taking the next response as its body.
TEST(ParserResponse, Issue_NotModifiedWithLengthDoesNotSwallowTheNextResponse) {
  const std::string bytes =
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  auto msgs = parse_all(Parser::Kind::Response, bytes);

  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].status, 304);
  EXPECT_EQ(msgs[0].content_length, 7u);
  EXPECT_EQ(msgs[0].body, "");
  EXPECT_EQ(msgs[1].status, 200);
  EXPECT_EQ(msgs[1].body, "ok");
}

TEST(ParserResponse, InterimResponsesPrecedeTheFinalOneOneAtATime) {
  const std::string bytes =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  auto msgs = parse_all(Parser::Kind::Response, bytes);

  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].status, 100);
  EXPECT_EQ(msgs[1].status, 103);
  EXPECT_EQ(msgs[1].headers, "Link: </a>\n");
  EXPECT_EQ(msgs[2].status, 200);
  EXPECT_EQ(msgs[2].body, "ok");
}

struct TruncatedCase {
  const char* name;
  std::string bytes;
};

void PrintTo(const TruncatedCase& c, std::ostream* os) { *os << c.name; }

class ParserTruncatedResponse : public ::testing::TestWithParam<TruncatedCase> {};

TEST_P(ParserTruncatedResponse, FinishReportsTruncation) {
  auto msgs = parse_all(Parser::Kind::Response, GetParam().bytes, kWhole, {}, false, true);

  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_FALSE(msgs[0].done);
  ASSERT_TRUE(msgs[0].finish);
  EXPECT_FALSE(*msgs[0].finish);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParserTruncatedResponse,
    ::testing::Values(
        TruncatedCase{"ContentLengthBody", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"},
        TruncatedCase{"ChunkedBody", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe"},
        TruncatedCase{"ChunkedBeforeLastChunk",
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n"},
        TruncatedCase{"HeadOfCloseDelimited", "HTTP/1.1 200 OK\r\nContent-Ty"},
        TruncatedCase{"StatusLine", "HTTP/1.1 20"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ParserResponse, FinishBeforeAnyByteIsNotATruncation) {
  Parser p(Parser::Kind::Response, {});
  p.start_message();

  EXPECT_TRUE(p.finish());
  EXPECT_FALSE(p.started());
}

}  // namespace
}  // namespace meshd::http1
