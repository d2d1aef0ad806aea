#include "meshd/http1/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshd::http1 {
namespace {

struct Parsed {
  bool ok = false;
  int status = 0;  // failure status
  std::size_t consumed = 0;
  std::string body;
};

/// Feeds `bytes` in slices of `step` bytes, as a socket might deliver them.
Parsed parse_request(const std::string& bytes, std::size_t step = SIZE_MAX,
                     Limits limits = {}) {
  Parser p(Parser::Kind::Request, limits);
  p.start_message();
  Parsed out;
  std::size_t pos = 0;
  while (pos < bytes.size() && !p.message_done()) {
    std::size_t n = std::min(step, bytes.size() - pos);
    auto consumed = p.feed(bytes.data() + pos, n);
    if (!consumed) {
      out.status = p.failure().status;
      return out;
    }
    for (auto piece : p.pieces()) {
      out.body.append(piece);
    }
    p.pieces().clear();
    pos += *consumed;
    if (*consumed < n) {
      break;
    }
  }
  out.ok = p.message_done();
  out.consumed = pos;
  return out;
}

TEST(Parser, ParsesSimpleGet) {
  Parser p(Parser::Kind::Request, {});
  p.start_message();
  std::string req = "GET /a?b HTTP/1.1\r\nHost: hello\r\nX-A: 1\r\n\r\n";

  auto consumed = p.feed(req.data(), req.size());

  ASSERT_TRUE(consumed.has_value());
  EXPECT_EQ(*consumed, req.size());
  EXPECT_TRUE(p.head_done());
  EXPECT_TRUE(p.message_done());
  EXPECT_EQ(p.method(), "GET");
  EXPECT_EQ(p.target(), "/a?b");
  EXPECT_EQ(p.headers().get("host"), "hello");
  EXPECT_TRUE(p.keep_alive());
}

}  // namespace
}  // namespace meshd::http1
