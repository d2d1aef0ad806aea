// Request smuggling vectors and malformed input: each request must be rejected, with the status
// a server answers it with, however the bytes are split.

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "meshd/http1/parser.h"
#include "unit/http1/test_support.h"

namespace meshd::http1 {
namespace {

using test::parse_all;

constexpr std::size_t kWhole = SIZE_MAX;

struct BadCase {
  const char* name;
  std::string bytes;
  int status = 400;
  Limits limits = {};
};

const std::string kChunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";

std::vector<BadCase> bad_requests() {
  return {
      // Framing conflicts (CL.TE / TE.CL desync).
      {"ContentLengthThenChunked",
       "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"ChunkedThenContentLength",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"},
      {"TwoEqualContentLengths", "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"},
      {"TwoDifferentContentLengths",
       "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"},
      {"ContentLengthList", "POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc"},
      {"NegativeContentLength", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"},
      {"SignedContentLength", "POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc"},
      {"ContentLengthWithJunk", "POST / HTTP/1.1\r\nContent-Length: 3x\r\n\r\nabc"},
      {"ContentLengthOverflow",
       "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"},
      {"ChunkedThenIdentity",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"},
      {"IdentityAlone", "POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\nabc"},
      {"ChunkedNotLast", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"},
      {"ChunkedNotLastAcrossFields",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n"},
      {"ChunkedTwice",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"},
      {"UnknownCodingAlone", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nabc"},
      {"ChunkedLookalike", "POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"},
      {"TransferEncodingSpaceBeforeColon",
       "POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"},
      {"ContentLengthSpaceBeforeColon", "POST / HTTP/1.1\r\nContent-Length : 3\r\n\r\nabc"},
      // Chunk framing.
      {"ChunkSizeNotHex", kChunked + "zz\r\nab\r\n0\r\n\r\n"},
      {"ChunkSizeNegative", kChunked + "-1\r\na\r\n0\r\n\r\n"},
      {"ChunkSizeOverflow", kChunked + "fffffffffffffffff1\r\nab\r\n0\r\n\r\n"},
      {"ChunkSizeEmpty", kChunked + "\r\nab\r\n0\r\n\r\n"},
      {"ChunkSizeLineEndsWithBareLf", kChunked + "2\nab\r\n0\r\n\r\n"},
      {"ChunkSizeLineEndsWithBareCr", kChunked + "2\rXab\r\n0\r\n\r\n"},
      {"ChunkExtensionAfterWhitespace", kChunked + "2 ;a=b\r\nab\r\n0\r\n\r\n"},
      {"MissingCrlfAfterChunkData", kChunked + "2\r\nabXX0\r\n\r\n"},
      {"BareLfAfterChunkData", kChunked + "2\r\nab\n0\r\n\r\n"},
      // Header syntax.
      {"ObsFoldContinuation", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n"},
      {"ObsFoldWithTab", "GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\nHost: h\r\n\r\n"},
      {"ObsFoldAfterEmptyValue", "GET / HTTP/1.1\r\nX-A:\r\n  b\r\nHost: h\r\n\r\n"},
      {"ObsFoldInTrailer", kChunked + "0\r\nX-T: a\r\n b\r\n\r\n"},
      {"WhitespaceBeforeFirstHeader", "GET / HTTP/1.1\r\n Host: h\r\n\r\n"},
      {"NulInHeaderName", std::string("GET / HTTP/1.1\r\nX-\0A: a\r\n\r\n", 28)},
      {"NulInHeaderValue", std::string("GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n", 28)},
      {"CrInHeaderValue", "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n"},
      {"LfInHeaderValue", "GET / HTTP/1.1\r\nX-A: a\nX-B: b\r\n\r\n"},
      {"CrInHeaderName", "GET / HTTP/1.1\r\nX-\rA: a\r\n\r\n"},
      {"LfInHeaderName", "GET / HTTP/1.1\r\nX-\nA: a\r\n\r\n"},
      {"ControlCharInHeaderName", "GET / HTTP/1.1\r\nX-\x01" "A: a\r\n\r\n"},
      {"ControlCharInHeaderValue", "GET / HTTP/1.1\r\nX-A: a\x01" "b\r\n\r\n"},
      {"DelInHeaderValue", "GET / HTTP/1.1\r\nX-A: a\x7f" "b\r\n\r\n"},
      {"SpaceInHeaderName", "GET / HTTP/1.1\r\nX A: a\r\n\r\n"},
      {"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n"},
      {"EmptyHeaderName", "GET / HTTP/1.1\r\n: a\r\nHost: h\r\n\r\n"},
      {"SeparatorInHeaderName", "GET / HTTP/1.1\r\nX(A): a\r\n\r\n"},
      {"BareLfAfterHeaderValue", "GET / HTTP/1.1\r\nHost: h\nX-A: a\r\n\r\n"},
      {"HeadEndsWithBareCr", "GET / HTTP/1.1\r\nHost: h\r\n\rX"},
      // Request line.
      {"InvalidMethodToken", "G@T / HTTP/1.1\r\n\r\n"},
      {"LowerCaseMethod", "get / HTTP/1.1\r\n\r\n"},
      {"UnknownMethod", "FROB / HTTP/1.1\r\n\r\n"},
      {"SpaceInTarget", "GET /a b HTTP/1.1\r\n\r\n"},
      {"ControlCharInTarget", "GET /a\x01 HTTP/1.1\r\n\r\n"},
      {"TabInTarget", "GET /a\tb HTTP/1.1\r\n\r\n"},
      {"BadVersion", "GET / HTTP/1.2\r\n\r\n"},
      {"RequestLineEndsWithBareCr", "GET / HTTP/1.1\rHost: h\r\n\r\n"},
      // Limits.
      {"RequestLineOverLimit", "GET /" + std::string(5000, 'a') + " HTTP/1.1\r\n\r\n", 414},
      {"RequestLineOverSmallLimit", "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n\r\n", 414,
       {.max_initial_line = 64, .max_headers = 8192}},
      {"HeadersOverLimit", "GET / HTTP/1.1\r\nX-Big: " + std::string(9000, 'b') + "\r\n\r\n", 431},
      {"ManyHeadersOverLimit",
       [] {
         std::string s = "GET / HTTP/1.1\r\n";
         for (int i = 0; i < 40; ++i) {
           s += "X-Header-" + std::to_string(i) + ": value\r\n";
         }
         return s + "\r\n";
       }(),
       431, {.max_initial_line = 4096, .max_headers = 256}},
      {"TrailersOverLimit", kChunked + "0\r\nX-T: " + std::string(200, 't') + "\r\n\r\n", 431,
       {.max_initial_line = 4096, .max_headers = 128}},
  };
}

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class ParserRejects : public ::testing::TestWithParam<std::tuple<BadCase, std::size_t>> {};

TEST_P(ParserRejects, WithStatus) {
  const auto& [c, step] = GetParam();

  auto msgs = parse_all(Parser::Kind::Request, c.bytes, step, c.limits);

  ASSERT_EQ(msgs.size(), 1u) << "a second message was parsed";
  ASSERT_TRUE(msgs[0].failure) << "accepted; body=" << msgs[0].body << " done=" << msgs[0].done;
  EXPECT_EQ(msgs[0].failure->status, c.status) << msgs[0].failure->reason;
  EXPECT_FALSE(msgs[0].failure->reason.empty());
  EXPECT_FALSE(msgs[0].done);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParserRejects,
    ::testing::Combine(::testing::ValuesIn(bad_requests()), ::testing::Values(kWhole, 1)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param).name) +
             (std::get<1>(info.param) == kWhole ? "_Whole" : "_By1");
    });

TEST(ParserRejects, AFailedParserStaysFailed) {
  Parser p(Parser::Kind::Request, {});
  p.start_message();
  const std::string bad = "G@T / HTTP/1.1\r\n\r\n";
  ASSERT_FALSE(p.feed(bad.data(), bad.size()));

  const std::string good = "GET / HTTP/1.1\r\n\r\n";
  auto again = p.feed(good.data(), good.size());

  EXPECT_FALSE(again);
  EXPECT_FALSE(p.message_done());
}

TEST(ParserRejects, MalformedResponseFailsWithBadGateway) {
  const std::string bytes = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";

  auto msgs = parse_all(Parser::Kind::Response, bytes);

  ASSERT_EQ(msgs.size(), 1u);
  ASSERT_TRUE(msgs[0].failure);
  EXPECT_EQ(msgs[0].failure->status, 502);
  EXPECT_NE(msgs[0].failure->reason.find("invalid response"), std::string::npos);
}

TEST(ParserRejects, ObsFoldInResponseFails) {
  const std::string bytes = "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n";

  auto msgs = parse_all(Parser::Kind::Response, bytes, 1);

  ASSERT_EQ(msgs.size(), 1u);
  ASSERT_TRUE(msgs[0].failure);
  EXPECT_EQ(msgs[0].failure->status, 502);
}

}  // namespace
}  // namespace meshd::http1
