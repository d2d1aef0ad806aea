#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "meshd/trace/trace.h"
#include "trace/format_internal.h"
#include "trace/thrift_internal.h"

namespace meshd::trace {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;

// ---- A test-side TBinaryProtocol decoder, written from the Thrift spec, independent of the
// encoder under test: every value becomes a tree of typed nodes.

struct Node {
  int type = 0;  // Thrift type id
  std::int64_t integer = 0;
  double real = 0;
  std::string bytes;
  std::map<int, Node> fields;  // structs
  std::vector<Node> items;     // lists
  int element_type = 0;

  const Node& at(int id) const {
    auto it = fields.find(id);
    if (it == fields.end()) {
      throw std::runtime_error("no field " + std::to_string(id));
    }
    return it->second;
  }
  bool has(int id) const { return fields.count(id) != 0; }
};

class Decoder {
 public:
  explicit Decoder(std::string_view data) : data_(data) {}

  std::uint64_t be(int n) {
    if (pos_ + static_cast<std::size_t>(n) > data_.size()) {
      throw std::runtime_error("truncated");
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) {
      v = (v << 8) | static_cast<std::uint8_t>(data_[pos_++]);
    }
    return v;
  }

  Node value(int type) {
    Node n;
    n.type = type;
    switch (type) {
      case 2:
      case 3:
        n.integer = static_cast<std::int8_t>(be(1));
        break;
      case 4:
        n.real = std::bit_cast<double>(be(8));
        break;
      case 6:
        n.integer = static_cast<std::int16_t>(be(2));
        break;
      case 8:
        n.integer = static_cast<std::int32_t>(be(4));
        break;
      case 10:
        n.integer = static_cast<std::int64_t>(be(8));
        break;
      case 11: {
        auto size = static_cast<std::int32_t>(be(4));
        if (size < 0 || pos_ + static_cast<std::size_t>(size) > data_.size()) {
          throw std::runtime_error("bad string length");
        }
        n.bytes = std::string(data_.substr(pos_, static_cast<std::size_t>(size)));
        pos_ += static_cast<std::size_t>(size);
        break;
      }
      case 12:
        for (;;) {
          int field_type = static_cast<int>(be(1));
          if (field_type == 0) {
            break;
          }
          int id = static_cast<std::int16_t>(be(2));
          n.fields[id] = value(field_type);
        }
        break;
      case 15: {
        n.element_type = static_cast<int>(be(1));
        auto size = static_cast<std::int32_t>(be(4));
        for (std::int32_t i = 0; i < size; ++i) {
          n.items.push_back(value(n.element_type));
        }
        break;
      }
      default:
        throw std::runtime_error("unexpected type " + std::to_string(type));
    }
    return n;
  }

  bool done() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

Node decode_struct(std::string_view bytes) {
  Decoder d(bytes);
  Node n = d.value(12);
  EXPECT_TRUE(d.done()) << "bytes after the struct";
  return n;
}

Span sample_span(Span::Kind kind) {
  Span span;
  span.id.trace_id = 0x8000000000000001;  // negative as an i64
  span.id.trace_id_high = 0x0102030405060708;
  span.id.parent_id = 7;
  span.id.span_id = 9;
  span.id.debug = true;
  span.kind = kind;
  span.name = "outgoing /svc/hello";
  span.local = Endpoint{"0.0.0.0/4140", tcp::endpoint(make_address("127.0.0.1"), 4140)};
  span.remote = Endpoint{"", tcp::endpoint(make_address("::1"), 60000)};
  span.timestamp_us = 1'000'000;
  span.duration_us = 250;
  span.annotations = {{1'000'000, "sr"}, {1'000'250, "ss"}};
  span.tags = {{"http.uri", std::string("/hello")},
               {"http.rsp.status", std::int64_t{200}},
               {"l5d.success", 1.0},
               {"flag", true}};
  return span;
}

TEST(ZipkinThrift, EncodesTheSpanStruct) {
  Node span = decode_struct(detail::encode_zipkin_span(sample_span(Span::Kind::server)));

  EXPECT_EQ(span.at(1).type, 10);
  EXPECT_EQ(static_cast<std::uint64_t>(span.at(1).integer), 0x8000000000000001u);
  EXPECT_EQ(span.at(3).bytes, "outgoing /svc/hello");
  EXPECT_EQ(span.at(4).integer, 9);
  EXPECT_EQ(span.at(5).integer, 7);
  EXPECT_EQ(span.at(9).type, 2);
  EXPECT_EQ(span.at(9).integer, 1);
  EXPECT_EQ(span.at(10).integer, 1'000'000);
  EXPECT_EQ(span.at(11).integer, 250);
  EXPECT_EQ(span.at(12).integer, 0x0102030405060708);

  const Node& annotations = span.at(6);
  ASSERT_EQ(annotations.element_type, 12);
  ASSERT_EQ(annotations.items.size(), 2u);
  EXPECT_EQ(annotations.items[0].at(1).integer, 1'000'000);
  EXPECT_EQ(annotations.items[0].at(2).bytes, "sr");
  const Node& host = annotations.items[0].at(3);
  EXPECT_EQ(host.at(1).type, 8);
  EXPECT_EQ(host.at(1).integer, 0x7f000001);
  EXPECT_EQ(host.at(2).type, 6);
  EXPECT_EQ(host.at(2).integer, 4140);
  EXPECT_EQ(host.at(3).bytes, "0.0.0.0/4140");
  EXPECT_FALSE(host.has(4));
  EXPECT_EQ(annotations.items[1].at(2).bytes, "ss");
}

TEST(ZipkinThrift, EncodesBinaryAnnotationsWithTheirTypes) {
  Node span = decode_struct(detail::encode_zipkin_span(sample_span(Span::Kind::server)));

  const Node& binary = span.at(8);
  ASSERT_EQ(binary.items.size(), 5u);  // four tags and the remote address
  std::map<std::string, const Node*> by_key;
  for (const auto& b : binary.items) {
    by_key[b.at(1).bytes] = &b;
  }
  // AnnotationType: BOOL 0, I64 4, DOUBLE 5, STRING 6.
  EXPECT_EQ(by_key.at("http.uri")->at(2).bytes, "/hello");
  EXPECT_EQ(by_key.at("http.uri")->at(3).integer, 6);
  EXPECT_EQ(by_key.at("http.rsp.status")->at(2).bytes, std::string("\0\0\0\0\0\0\0\xc8", 8));
  EXPECT_EQ(by_key.at("http.rsp.status")->at(3).integer, 4);
  EXPECT_EQ(by_key.at("l5d.success")->at(2).bytes, std::string("\x3f\xf0\0\0\0\0\0\0", 8));
  EXPECT_EQ(by_key.at("l5d.success")->at(3).integer, 5);
  EXPECT_EQ(by_key.at("flag")->at(2).bytes, std::string("\x01", 1));
  EXPECT_EQ(by_key.at("flag")->at(3).integer, 0);
  EXPECT_EQ(by_key.at("http.uri")->at(4).at(3).bytes, "0.0.0.0/4140");

  // Finagle's ClientAddr on a server span: BOOL true, host = the peer (here IPv6).
  const Node& ca = *by_key.at("ca");
  EXPECT_EQ(ca.at(2).bytes, std::string("\x01", 1));
  EXPECT_EQ(ca.at(3).integer, 0);
  EXPECT_EQ(ca.at(4).at(1).integer, 0);
  EXPECT_EQ(static_cast<std::uint16_t>(ca.at(4).at(2).integer), 60000);
  EXPECT_EQ(ca.at(4).at(4).bytes, std::string(15, '\0') + "\x01");
}

TEST(ZipkinThrift, ClientSpansNameTheServerAddressAndOmitAbsentFields) {
  Span client = sample_span(Span::Kind::client);
  client.id.parent_id.reset();
  client.id.trace_id_high = 0;
  client.id.debug = false;
  client.remote->address = tcp::endpoint(make_address("::ffff:10.0.0.1"), 80);

  Node span = decode_struct(detail::encode_zipkin_span(client));

  EXPECT_FALSE(span.has(5));
  EXPECT_FALSE(span.has(12));
  EXPECT_EQ(span.at(9).integer, 0);
  const Node& sa = span.at(8).items.back();
  EXPECT_EQ(sa.at(1).bytes, "sa");
  EXPECT_EQ(sa.at(4).at(1).integer, 0x0a000001);  // v4-mapped written as IPv4
  EXPECT_FALSE(sa.at(4).has(4));
}

TEST(ScribeThrift, FramesALogCallByteForByte) {
  std::string args = detail::encode_scribe_log_args({"AAEC\n"}, "zipkin");
  std::string frame = detail::frame_scribe_call(args, 7);

  // Hand-assembled from the Thrift spec: frame length, strict CALL header, "Log", seqid 7, then
  // field 1 (LIST of STRUCT, 1 element) holding LogEntry{1: "zipkin", 2: "AAEC\n"}, STOP, STOP.
  std::string expected;
  expected += std::string("\x80\x01\x00\x01", 4);
  expected += std::string("\x00\x00\x00\x03", 4) + "Log";
  expected += std::string("\x00\x00\x00\x07", 4);
  expected += std::string("\x0f\x00\x01\x0c\x00\x00\x00\x01", 8);
  expected += std::string("\x0b\x00\x01\x00\x00\x00\x06", 7) + "zipkin";
  expected += std::string("\x0b\x00\x02\x00\x00\x00\x05", 7) + "AAEC\n";
  expected += std::string("\x00\x00", 2);
  std::string length{0, 0, 0, static_cast<char>(expected.size())};
  EXPECT_EQ(frame, length + expected);
}

TEST(ScribeThrift, LogEntriesCarryBase64Spans) {
  Span span = sample_span(Span::Kind::client);
  std::string message = detail::base64_encode(detail::encode_zipkin_span(span)) + "\n";

  Node args = decode_struct(detail::encode_scribe_log_args({message, message}, "zipkin"));

  ASSERT_EQ(args.at(1).items.size(), 2u);
  const Node& entry = args.at(1).items[0];
  EXPECT_EQ(entry.at(1).bytes, "zipkin");
  std::string text = entry.at(2).bytes;
  ASSERT_EQ(text.back(), '\n');
  auto thrift = detail::base64_decode(text.substr(0, text.size() - 1));
  ASSERT_TRUE(thrift);
  EXPECT_EQ(decode_struct(*thrift).at(3).bytes, "outgoing /svc/hello");
}

std::string reply(std::uint32_t header, std::string_view name, std::int32_t seqid,
                  std::string_view body) {
  detail::ThriftWriter w;
  w.i32(static_cast<std::int32_t>(header));
  w.binary(name);
  w.i32(seqid);
  return w.take() + std::string(body);
}

std::string result(std::int32_t code) {
  detail::ThriftWriter w;
  w.field(detail::ThriftType::I32, 0);
  w.i32(code);
  w.stop();
  return w.take();
}

TEST(ScribeThrift, ParsesReplies) {
  std::string why;

  EXPECT_EQ(detail::parse_scribe_reply(reply(0x80010002, "Log", 3, result(0)), 3, &why).value(),
            detail::ScribeResult::Ok);
  EXPECT_EQ(detail::parse_scribe_reply(reply(0x80010002, "Log", 3, result(1)), 3, &why).value(),
            detail::ScribeResult::TryLater);
}

TEST(ScribeThrift, RejectsBadReplies) {
  detail::ThriftWriter exception;
  exception.field(detail::ThriftType::String, 1);
  exception.binary("boom");
  exception.field(detail::ThriftType::I32, 2);
  exception.i32(6);
  exception.stop();
  struct Case {
    std::string message;
    std::string_view why;
  };
  const Case cases[] = {
      {reply(0x80010002, "Log", 4, result(0)), "seqid"},
      {reply(0x80010002, "Other", 3, result(0)), "Other"},
      {reply(0x80010003, "Log", 3, exception.take()), "boom"},
      {reply(0x80010002, "Log", 3, result(9)), "unknown result code 9"},
      {reply(0x80010002, "Log", 3, ""), "truncated"},
      {reply(0x00010002, "Log", 3, result(0)), "strict"},
      {"\x80\x01", "strict"},
  };
  for (const auto& c : cases) {
    std::string why;
    auto r = detail::parse_scribe_reply(c.message, 3, &why);
    EXPECT_EQ(r.error(), make_error_code(errc::protocol_error)) << c.why;
    EXPECT_NE(why.find(c.why), std::string::npos) << why;
  }
}

}  // namespace
}  // namespace meshd::trace
