// http2::HeaderBlock: the nghttp2 header blocks the codec submits.

#include "http2/header_block.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
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

TEST(HeaderBlockTest, BytesThatOutliveTheFrameAreNotCopiedByNghttp2) {
  const std::string lower = "content-type";
  const std::string mixed = "X-Request-Id";
  HeaderBlock block;
  block.add(lower, "text/plain", HeaderBlock::Bytes::OutliveFrame);
  block.add(mixed, "abc", HeaderBlock::Bytes::OutliveFrame);  // the name is a copy: copied
  block.add("l5d-reqid", "r1", HeaderBlock::Bytes::OutliveFrame);
  block.add(lower, "text/html");
  ASSERT_EQ(block.size(), 4u);
  EXPECT_EQ(block.data()[0].flags, NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE);
  EXPECT_EQ(block.data()[1].flags, NGHTTP2_NV_FLAG_NO_COPY_VALUE);
  EXPECT_EQ(block.data()[2].flags, NGHTTP2_NV_FLAG_NO_INDEX | NGHTTP2_NV_FLAG_NO_COPY_NAME |
                                       NGHTTP2_NV_FLAG_NO_COPY_VALUE);
  EXPECT_EQ(block.data()[3].flags, NGHTTP2_NV_FLAG_NONE);
}

/// The stream ids of the frames in `out` (whole frames, as nghttp2_session_mem_send makes them).
std::vector<std::pair<std::uint8_t, std::int32_t>> frames_of(const std::string& out) {
  std::vector<std::pair<std::uint8_t, std::int32_t>> frames;
  for (std::size_t at = 0; at + 9 <= out.size();) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(out.data() + at);
    const std::size_t length = (std::size_t{p[0]} << 16) | (std::size_t{p[1]} << 8) | p[2];
    const std::int32_t id =
        static_cast<std::int32_t>(((std::uint32_t{p[5]} & 0x7f) << 24) |
                                  (std::uint32_t{p[6]} << 16) | (std::uint32_t{p[7]} << 8) | p[8]);
    frames.emplace_back(p[3], id);
    at += 9 + length;
  }
  return frames;
}

TEST(HeaderBlockTest, Nghttp2ReadsInPlaceFieldsWhenItWritesTheFrameAndNeverForACancelledRequest) {
  // What the codec relies on for `Bytes::OutliveFrame`: nghttp2 reads such bytes when the frame
  // is written, not when it is submitted; and a request HEADERS reset while still queued is
  // dropped without being read (the client resets the stream of an exchange that ends early,
  // and the request's fields die with the exchange).
  nghttp2_session_callbacks* callbacks = nullptr;
  ASSERT_EQ(nghttp2_session_callbacks_new(&callbacks), 0);
  nghttp2_session* session = nullptr;
  ASSERT_EQ(nghttp2_session_client_new(&session, callbacks, nullptr), 0);
  nghttp2_session_callbacks_del(callbacks);
  auto send_all = [session] {
    std::string out;
    for (;;) {
      const std::uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session, &data);
      if (n <= 0) {
        return out;
      }
      out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
  };
  send_all();  // the client's SETTINGS

  auto submit = [session](std::string& value) {
    HeaderBlock block;
    block.add(":method", "GET", HeaderBlock::Bytes::OutliveFrame);
    block.add(":scheme", "http", HeaderBlock::Bytes::OutliveFrame);
    block.add(":authority", "a", HeaderBlock::Bytes::OutliveFrame);
    block.add(":path", "/", HeaderBlock::Bytes::OutliveFrame);
    block.add("x-field", value, HeaderBlock::Bytes::OutliveFrame);
    return nghttp2_submit_request(session, nullptr, block.data(), block.size(), nullptr, nullptr);
  };

  std::string value = "before";
  const std::int32_t first = submit(value);
  ASSERT_GT(first, 0);
  value = "after!";  // same length, same storage: what nghttp2 finds when it writes the frame
  const std::string out = send_all();
  nghttp2_hd_inflater* inflater = nullptr;
  ASSERT_EQ(nghttp2_hd_inflate_new(&inflater), 0);
  ASSERT_EQ(frames_of(out).size(), 1u);
  ASSERT_EQ(frames_of(out)[0], std::make_pair(std::uint8_t{NGHTTP2_HEADERS}, first));
  std::string seen;
  const auto* in = reinterpret_cast<const std::uint8_t*>(out.data() + 9);
  std::size_t left = out.size() - 9;
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    const ssize_t used = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, left, 1);
    ASSERT_GE(used, 0);
    in += used;
    left -= static_cast<std::size_t>(used);
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) != 0 && name_of(nv) == "x-field") {
      seen = std::string(value_of(nv));
    }
    if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
      break;
    }
  }
  nghttp2_hd_inflate_del(inflater);
  EXPECT_EQ(seen, "after!");

  auto doomed = std::make_unique<std::string>("doomed value");
  const std::int32_t second = submit(*doomed);
  ASSERT_GT(second, first);
  ASSERT_EQ(nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, second, NGHTTP2_CANCEL), 0);
  doomed.reset();
  for (const auto& [type, id] : frames_of(send_all())) {
    EXPECT_NE(id, second) << "frame type " << int{type};  // no HEADERS, and no RST_STREAM
  }
  nghttp2_session_del(session);
}

TEST(HeaderBlockTest, HasUpperFindsEveryUpperCaseLetterAndNothingElse) {
  EXPECT_FALSE(has_upper(""));
  EXPECT_FALSE(has_upper("content-type"));
  EXPECT_FALSE(has_upper("x-a-rather-long-lower-case-name"));
  EXPECT_FALSE(has_upper("@[`{~!#$%&'*+-.^_|0129az"));  // the neighbours of 'A'..'Z' and 'a'..'z'
  for (std::size_t length = 1; length <= 20; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (char upper : {'A', 'M', 'Z'}) {
        std::string name(length, 'a');
        name[at] = upper;
        EXPECT_TRUE(has_upper(name)) << name;
      }
      std::string high(length, 'a');
      high[at] = static_cast<char>(0xC1);  // 'A' with the high bit set: not ASCII
      EXPECT_FALSE(has_upper(high)) << at;
    }
  }
}

TEST(HeaderBlockTest, PseudoFieldsKeepTheirLiteralNameUncopied) {
  const std::string path = "/Some/Path";
  HeaderBlock block;
  block.add_pseudo(":status", "200");
  block.add_pseudo(":path", path, HeaderBlock::Bytes::OutliveFrame);
  block.add("l5d-reqid", "0123456789abcdef");
  ASSERT_EQ(block.size(), 3u);
  EXPECT_EQ(name_of(block.data()[0]), ":status");
  EXPECT_EQ(value_of(block.data()[0]), "200");
  // The literal name is never copied; the value is, unless it outlives the frame.
  EXPECT_EQ(block.data()[0].flags, NGHTTP2_NV_FLAG_NO_COPY_NAME);
  EXPECT_EQ(reinterpret_cast<const char*>(block.data()[1].value), path.data());
  EXPECT_EQ(value_of(block.data()[1]), "/Some/Path");  // a value keeps its case
  EXPECT_EQ(block.data()[1].flags, NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE);
  EXPECT_EQ(block.data()[2].flags, NGHTTP2_NV_FLAG_NO_INDEX);  // regular fields as before
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
