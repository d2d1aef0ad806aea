#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "meshd/trace/trace.h"
#include "trace/json_v2_internal.h"

namespace meshd::trace {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;

Span server() {
  Span span;
  span.id.trace_id = 0xab;
  span.id.span_id = 0xcd;
  span.id.parent_id = 0xef;
  span.kind = Span::Kind::server;
  span.name = "outgoing /svc/hello";
  span.local = Endpoint{"0.0.0.0/4140", tcp::endpoint(make_address("127.0.0.1"), 4140)};
  span.remote = Endpoint{"", tcp::endpoint(make_address("::1"), 0)};
  span.timestamp_us = 1'700'000'000'000'000;
  span.duration_us = 1500;
  span.annotations = {{1, "sr"}, {2, "finagle.retry"}, {3, "ss"}};
  span.tags = {{"http.rsp.status", std::int64_t{200}},
               {"l5d.success", 1.0},
               {"router.label", std::string("outgoing")}};
  return span;
}

TEST(ZipkinJsonV2, EncodesASpan) {
  auto json = boost::json::parse(detail::encode_spans_json_v2({server()}));

  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.as_array().size(), 1u);
  auto expected = boost::json::parse(R"([{
    "traceId": "00000000000000ab", "id": "00000000000000cd", "parentId": "00000000000000ef",
    "kind": "SERVER", "name": "outgoing /svc/hello",
    "timestamp": 1700000000000000, "duration": 1500,
    "localEndpoint": {"serviceName": "0.0.0.0/4140", "ipv4": "127.0.0.1", "port": 4140},
    "remoteEndpoint": {"ipv6": "::1"},
    "annotations": [{"timestamp": 2, "value": "finagle.retry"}],
    "tags": {"http.rsp.status": "200", "l5d.success": "1.0", "router.label": "outgoing"}
  }])");
  EXPECT_EQ(json, expected) << json;
}

TEST(ZipkinJsonV2, EncodesClientsDebugAnd128BitIds) {
  Span span = server();
  span.kind = Span::Kind::client;
  span.id.trace_id_high = 1;
  span.id.parent_id.reset();
  span.id.debug = true;
  span.remote.reset();
  span.duration_us = 0;
  span.tags.clear();
  span.annotations = {{1, "cs"}, {3, "cr"}};

  auto json = boost::json::parse(detail::encode_spans_json_v2({span, span}));

  ASSERT_EQ(json.as_array().size(), 2u);
  const auto& s = json.as_array()[0].as_object();
  EXPECT_EQ(s.at("traceId"), "000000000000000100000000000000ab");
  EXPECT_EQ(s.at("kind"), "CLIENT");
  EXPECT_EQ(s.at("debug"), true);
  for (const char* absent : {"parentId", "duration", "remoteEndpoint", "annotations", "tags"}) {
    EXPECT_FALSE(s.contains(absent)) << absent;
  }
}

TEST(ZipkinJsonV2, EscapesText) {
  Span span = server();
  span.name = "GET /\"quoted\"\n";

  auto json = boost::json::parse(detail::encode_spans_json_v2({span}));

  EXPECT_EQ(json.as_array()[0].at("name"), "GET /\"quoted\"\n");
}

}  // namespace
}  // namespace meshd::trace
