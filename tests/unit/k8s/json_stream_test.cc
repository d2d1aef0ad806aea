#include "meshd/k8s/json_stream.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace meshd::k8s {
namespace {

std::string show(const std::vector<boost::json::value>& values) {
  std::string out;
  for (const auto& v : values) {
    out += boost::json::serialize(v) + ";";
  }
  return out;
}

// Feeds `pieces` one after another and returns the values, failing on a parse error.
std::string split(const std::vector<std::string_view>& pieces, bool* mid_value = nullptr) {
  JsonStream stream;
  std::vector<boost::json::value> out;
  for (auto piece : pieces) {
    auto error = stream.feed(piece, out);
    EXPECT_FALSE(error) << *error;
  }
  if (mid_value != nullptr) {
    *mid_value = stream.mid_value();
  }
  return show(out);
}

TEST(JsonStream, SplitsNewlineDelimitedEvents) {
  EXPECT_EQ(split({"{\"type\":\"ADDED\"}\n{\"type\":\"DELETED\"}\n"}),
            R"({"type":"ADDED"};{"type":"DELETED"};)");
}

TEST(JsonStream, JoinsAValueSplitAcrossReads) {
  bool mid = false;

  EXPECT_EQ(split({"{\"type\":\"MOD", "IFIED\",\"object\":{\"a\"", ":[1,2]}}\n"}, &mid),
            R"({"type":"MODIFIED","object":{"a":[1,2]}};)");
  EXPECT_FALSE(mid);
}

TEST(JsonStream, SplitsCoalescedValuesWithoutSeparators) {
  // Linkerd's tests write two events in one chunk with nothing between them (api.md §1.5).
  EXPECT_EQ(split({"{\"a\":1}{\"b\":2}{\"c\"", ":3}"}), R"({"a":1};{"b":2};{"c":3};)");
}

TEST(JsonStream, SkipsWhitespaceBetweenAndAroundValues) {
  bool mid = true;

  EXPECT_EQ(split({"  \r\n", "\t{\"a\":1}  \n\n", " ", "{\"b\":2}\n", "\n  "}, &mid),
            R"({"a":1};{"b":2};)");
  EXPECT_FALSE(mid);
}

TEST(JsonStream, DripFedOneByteAtATime) {
  const std::string text = "{\"type\":\"ADDED\",\"object\":{\"k\":\"v\"}}\n{\"x\":null}\n";
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bytes.push_back(std::string_view(text).substr(i, 1));
  }

  EXPECT_EQ(split(bytes), R"({"type":"ADDED","object":{"k":"v"}};{"x":null};)");
}

TEST(JsonStream, ReportsAValueInProgress) {
  bool mid = false;

  EXPECT_EQ(split({"{\"a\":1}\n{\"type\":\"MODIFIED\",\"object\":{"}, &mid), R"({"a":1};)");
  EXPECT_TRUE(mid);
}

TEST(JsonStream, MalformedInputIsAnErrorWithItsOffset) {
  JsonStream stream;
  std::vector<boost::json::value> out;

  auto first = stream.feed("{\"a\":1}\n{\"b\":", out);
  auto error = stream.feed("}\n", out);

  EXPECT_FALSE(first);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->rfind("malformed JSON at byte 13 of the stream: ", 0), 0u) << *error;
  EXPECT_EQ(show(out), R"({"a":1};)");
}

TEST(JsonStream, HtmlIsMalformed) {
  JsonStream stream;
  std::vector<boost::json::value> out;

  auto error = stream.feed("<html><body>502 Bad Gateway</body></html>", out);

  ASSERT_TRUE(error);
  EXPECT_NE(error->find("at byte 0"), std::string::npos) << *error;
  EXPECT_TRUE(out.empty());
}

TEST(JsonStream, StaysFailedAfterAnError) {
  JsonStream stream;
  std::vector<boost::json::value> out;

  ASSERT_TRUE(stream.feed("{]", out));
  auto again = stream.feed("{\"a\":1}", out);

  EXPECT_TRUE(again);
  EXPECT_TRUE(out.empty());
}

TEST(JsonStream, RejectsAValueLargerThanTheLimitWithoutBufferingIt) {
  JsonStream stream(32);
  std::vector<boost::json::value> out;
  const std::string big = "{\"k\":\"" + std::string(100, 'x') + "\"}";

  ASSERT_FALSE(stream.feed("{\"small\":1}\n", out));
  auto error = stream.feed(big, out);

  ASSERT_TRUE(error);
  EXPECT_NE(error->find("larger than 32 bytes"), std::string::npos) << *error;
  EXPECT_EQ(show(out), R"({"small":1};)");
}

TEST(JsonStream, AcceptsAValueOfExactlyTheLimit) {
  const std::string value = "{\"k\":\"" + std::string(22, 'x') + "\"}";  // 30 bytes
  JsonStream stream(value.size());
  std::vector<boost::json::value> out;

  auto error = stream.feed(value + "\n" + value + "\n", out);

  EXPECT_FALSE(error) << *error;
  EXPECT_EQ(out.size(), 2u);
}

TEST(JsonStream, ALimitSpansReads) {
  JsonStream stream(16);
  std::vector<boost::json::value> out;

  ASSERT_FALSE(stream.feed("{\"k\":\"0123", out));
  auto error = stream.feed("456789abcdef\"}", out);

  EXPECT_TRUE(error);
}

}  // namespace
}  // namespace meshd::k8s
