// http2::HeaderBlock: the nghttp2 header blocks the codec submits.

#include "http2/header_block.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meshd::http2 {
namespace {

std::string_view name_of(const nghttp2_nv& nv) {
  return {reinterpret_cast<const char*>(nv.name), nv.namelen};
}
std::string_view value_of(const nghttp2_nv& nv) {
  return {reinterpret_cast<const char*>(nv.value), nv.valuelen};
}

TEST(HeaderBlockTest, LowerCasesNamesAndKeepsLowerCaseOnesInPlace) {
  const std::string lower = "content-type";
  const std::string mixed = "X-Request-Id";
  const std::string value = "Text/Plain";
  HeaderBlock block;
  block.add(lower, value);
  block.add(mixed, "Abc");
  ASSERT_EQ(block.size(), 2u);
  EXPECT_EQ(name_of(block.data()[0]), "content-type");
  EXPECT_EQ(reinterpret_cast<const char*>(block.data()[0].name), lower.data());  // not copied
  EXPECT_EQ(reinterpret_cast<const char*>(block.data()[0].value), value.data());
  EXPECT_EQ(value_of(block.data()[0]), "Text/Plain");  // values as they are
  EXPECT_EQ(name_of(block.data()[1]), "x-request-id");
  EXPECT_EQ(mixed, "X-Request-Id");  // the source is untouched
  EXPECT_EQ(block.data()[1].flags, NGHTTP2_NV_FLAG_NONE);
}

TEST(HeaderBlockTest, PopBackRemovesTheLastField) {
  HeaderBlock block;
  block.add("a", "1");
  block.add("b", "2");
  EXPECT_EQ(name_of(block.back()), "b");
  block.pop_back();
  ASSERT_EQ(block.size(), 1u);
  EXPECT_EQ(name_of(block.back()), "a");
}

TEST(HeaderBlockTest, ManyFieldsAndLongNamesSpillToTheHeap) {
  std::vector<std::string> names;
  std::vector<std::string> values;
  const std::size_t n = HeaderBlock::kInlineFields * 3;
  for (std::size_t i = 0; i < n; ++i) {
    // Upper case and long: the lower-cased copies overflow the inline name buffer too.
    names.push_back("X-Field-" + std::string(40, 'N') + std::to_string(i));
    values.push_back("value-" + std::to_string(i));
  }
  HeaderBlock block;
  for (std::size_t i = 0; i < n; ++i) {
    block.add(names[i], values[i]);
    if (i == HeaderBlock::kInlineFields) {
      block.pop_back();  // popping after the spill keeps the rest intact
      block.add(names[i], values[i]);
    }
  }
  ASSERT_EQ(block.size(), n);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(name_of(block.data()[i]), "x-field-" + std::string(40, 'n') + std::to_string(i));
    EXPECT_EQ(value_of(block.data()[i]), values[i]);
  }
}

TEST(HeaderBlockTest, PerMessageFieldsStayOutOfTheHpackTable) {
  // l5d-reqid, l5d-ctx-trace and l5d-ctx-deadline differ in every request: indexing them would
  // only evict useful entries and lengthen nghttp2's lookups.
  HeaderBlock flags;
  flags.add("L5d-Reqid", "a");
  flags.add("l5d-ctx-trace", "b");
  flags.add("l5d-ctx-deadline", "c");
  flags.add("l5d-dst-service", "/svc/a");
  flags.add("l5d-req", "d");
  ASSERT_EQ(flags.size(), 5u);
  EXPECT_EQ(flags.data()[0].flags, NGHTTP2_NV_FLAG_NO_INDEX);
  EXPECT_EQ(flags.data()[1].flags, NGHTTP2_NV_FLAG_NO_INDEX);
  EXPECT_EQ(flags.data()[2].flags, NGHTTP2_NV_FLAG_NO_INDEX);
  EXPECT_EQ(flags.data()[3].flags, NGHTTP2_NV_FLAG_NONE);
  EXPECT_EQ(flags.data()[4].flags, NGHTTP2_NV_FLAG_NONE);

  // Through a real HPACK encoder: a hundred requests leave one dynamic entry per repeated field.
  nghttp2_hd_deflater* deflater = nullptr;
  ASSERT_EQ(nghttp2_hd_deflate_new(&deflater, 4096), 0);
  std::vector<std::uint8_t> out(1024);
  for (int i = 0; i < 100; ++i) {
    const std::string id = "req-" + std::to_string(i);
    const std::string trace = "trace-" + std::to_string(i * 7919);
    HeaderBlock block;
    block.add("l5d-dst-service", "/svc/hello");
    block.add("l5d-reqid", id);
    block.add("l5d-ctx-trace", trace);
    ASSERT_GT(nghttp2_hd_deflate_hd(deflater, out.data(), out.size(), block.data(), block.size()),
              0);
  }
  EXPECT_EQ(nghttp2_hd_deflate_get_num_table_entries(deflater), 61u + 1u);  // static + one
  nghttp2_hd_deflate_del(deflater);
}

TEST(HeaderBlockTest, FieldChecksAgreeWithNghttp2) {
  auto name_ok = [](const std::string& s) {
    return nghttp2_check_header_name(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) !=
           0;
  };
  auto value_ok = [](const std::string& s) {
    return nghttp2_check_header_value(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) !=
           0;
  };
  std::vector<std::string> cases = {"", "a", "content-type", "x-b3-traceid", "l5d-dst-service"};
  // Every byte alone, and at every place of a 0..19 byte string (the 8-byte words and the tail).
  for (int c = 0; c < 256; ++c) {
    const char b = static_cast<char>(c);
    cases.emplace_back(1, b);
    for (std::size_t len = 1; len < 20; ++len) {
      for (std::size_t at = 0; at < len; ++at) {
        std::string s(len, 'a');
        s[at] = b;
        cases.push_back(s);
      }
    }
  }
  std::uint32_t seed = 12345;  // a fixed LCG: mixed bytes, mostly printable
  for (int k = 0; k < 2000; ++k) {
    std::string s;
    const std::size_t len = (seed >> 8) % 40;
    for (std::size_t i = 0; i < len; ++i) {
      seed = seed * 1103515245 + 12345;
      const std::uint32_t r = seed >> 16;
      s.push_back(static_cast<char>(r % 7 == 0 ? r % 256 : 0x20 + r % 95));
    }
    cases.push_back(s);
  }
  for (const std::string& s : cases) {
    if (s.empty() || s[0] != ':') {  // pseudo-fields never reach the check
      EXPECT_EQ(valid_field_name(s), name_ok(s)) << "name bytes: " << ::testing::PrintToString(s);
    }
    EXPECT_EQ(valid_field_value(s), value_ok(s)) << "value bytes: " << ::testing::PrintToString(s);
  }
}

}  // namespace
}  // namespace meshd::http2
