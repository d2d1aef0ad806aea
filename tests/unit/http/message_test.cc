#include "meshd/http/message.h"

#include <gtest/gtest.h>

namespace meshd::http {
namespace {

TEST(Version, ShowsAsOnTheRequestLine) {
  EXPECT_EQ(show(Version{1, 1}), "HTTP/1.1");
  EXPECT_EQ(show(Version{1, 0}), "HTTP/1.0");
  EXPECT_EQ(show(Version{2, 0}), "HTTP/2");
}

TEST(ContentLength, ReadsOneDecimalNumber) {
  Headers h;
  EXPECT_EQ(content_length(h), std::nullopt);
  h.add("Content-Length", "388");
  EXPECT_EQ(content_length(h), 388u);
  h.set("content-length", "18446744073709551615");
  EXPECT_EQ(content_length(h), UINT64_MAX);
  for (const char* bad : {"", "-1", "12a", " 12", "0x10", "18446744073709551616"}) {
    h.set("Content-Length", bad);
    EXPECT_EQ(content_length(h), std::nullopt) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace meshd::http
