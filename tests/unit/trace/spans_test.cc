#include <gtest/gtest.h>

#include <algorithm>

#include "meshd/trace/trace.h"

namespace meshd::trace {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using std::chrono::microseconds;

const std::chrono::system_clock::time_point kStart{microseconds(1'700'000'000'000'000)};

HttpExchange exchange() {
  HttpExchange ex;
  ex.router = "outgoing";
  ex.server = "0.0.0.0/4140";
  ex.local = tcp::endpoint(make_address("127.0.0.1"), 4140);
  ex.remote = tcp::endpoint(make_address("10.0.0.7"), 51234);
  ex.method = "GET";
  ex.uri = "/hello?name=world";
  ex.host = "hello";
  ex.request_version = "HTTP/1.1";
  ex.status = 200;
  ex.response_version = "HTTP/1.1";
  ex.response_content_length = 12;
  ex.response_content_type = "text/plain";
  ex.service = "/svc/hello";
  ex.client = "/#/io.l5d.fs/hello";
  ex.dtab_base = "/svc=>/#/io.l5d.fs";
  ex.success = 1.0;
  ex.start = kStart;
  ex.end = kStart + microseconds(1500);
  return ex;
}

TraceId id() {
  TraceId id;
  id.trace_id = 10;
  id.parent_id = 11;
  id.span_id = 12;
  id.sampled = true;
  return id;
}

const Tag* find(const Span& span, std::string_view key) {
  auto it =
      std::find_if(span.tags.begin(), span.tags.end(), [&](const Tag& t) { return t.key == key; });
  return it == span.tags.end() ? nullptr : &*it;
}

std::vector<std::string> values(const Span& span) {
  std::vector<std::string> out;
  for (const auto& a : span.annotations) {
    out.push_back(a.value);
  }
  return out;
}

TEST(ServerSpan, CarriesLinkerdsServerAnnotations) {
  Span span = server_span(id(), exchange());

  EXPECT_EQ(span.kind, Span::Kind::server);
  EXPECT_EQ(span.id, id());
  EXPECT_EQ(span.name, "outgoing /svc/hello");
  EXPECT_EQ(span.local.service_name, "0.0.0.0/4140");
  EXPECT_EQ(span.local.address.port(), 4140);
  ASSERT_TRUE(span.remote);
  EXPECT_EQ(span.remote->address.address().to_string(), "10.0.0.7");
  EXPECT_EQ(span.timestamp_us, 1'700'000'000'000'000);
  EXPECT_EQ(span.duration_us, 1500);
  EXPECT_EQ(values(span), (std::vector<std::string>{"sr", "namer.success", "ss"}));
  EXPECT_EQ(span.annotations.front().timestamp_us, span.timestamp_us);
  EXPECT_EQ(span.annotations.back().timestamp_us, span.timestamp_us + 1500);
  struct Expected {
    std::string_view key;
    Tag::Value value;
  };
  for (const auto& e : std::vector<Expected>{
           {"router.label", std::string("outgoing")},
           {"service", std::string("/svc/hello")},
           {"dtab.base", std::string("/svc=>/#/io.l5d.fs")},
           {"dtab.local", std::string("")},
           {"client", std::string("/#/io.l5d.fs/hello")},
           {"residual", std::string("/")},
           {"http.uri", std::string("/hello?name=world")},
           {"http.req.method", std::string("GET")},
           {"http.req.host", std::string("hello")},
           {"http.req.version", std::string("HTTP/1.1")},
           {"http.rsp.status", std::int64_t{200}},
           {"http.rsp.version", std::string("HTTP/1.1")},
           {"http.rsp.content-length", std::int64_t{12}},
           {"http.rsp.content-type", std::string("text/plain")},
           {"l5d.success", 1.0},
       }) {
    const Tag* t = find(span, e.key);
    ASSERT_NE(t, nullptr) << e.key;
    EXPECT_EQ(t->value, e.value) << e.key;
  }
  // Unknown values are not annotated.
  EXPECT_EQ(find(span, "http.req.content-length"), nullptr);
  EXPECT_EQ(find(span, "http.req.content-type"), nullptr);
  EXPECT_EQ(find(span, "io.buoyant.router.Failure"), nullptr);
  EXPECT_EQ(find(span, "error"), nullptr);
}

TEST(ServerSpan, BeforeIdentificationIsNamedByTheMethod) {
  HttpExchange ex = exchange();
  ex.service.clear();
  ex.client.clear();
  ex.server.clear();
  ex.status = 400;
  ex.failure = "Identification";
  ex.success.reset();

  Span span = server_span(id(), ex);

  EXPECT_EQ(span.name, "GET");
  EXPECT_EQ(span.local.service_name, "127.0.0.1/4140");  // from the local address
  EXPECT_EQ(find(span, "service"), nullptr);
  EXPECT_EQ(find(span, "dtab.base"), nullptr);
  ASSERT_NE(find(span, "io.buoyant.router.Failure"), nullptr);
  EXPECT_EQ(find(span, "io.buoyant.router.Failure")->value,
            Tag::Value(std::string("Identification")));
  EXPECT_EQ(values(span), (std::vector<std::string>{"sr", "ss"}));
}

TEST(ServerSpan, RecordsRetriesBindingFailuresAndClassifiedFailures) {
  HttpExchange ex = exchange();
  ex.client.clear();
  ex.failure = "Binding";
  ex.error = "no such name";
  ex.status = 0;
  ex.retries = 2;
  ex.success = 0.0;
  ex.retryable = true;

  Span span = server_span(id(), ex);

  EXPECT_EQ(values(span),
            (std::vector<std::string>{"sr", "finagle.retry", "finagle.retry", "l5d.retryable",
                                      "Server Send Error: no such name", "ss"}));
  EXPECT_EQ(find(span, "namer.failure")->value, Tag::Value(std::string("no such name")));
  EXPECT_EQ(find(span, "io.buoyant.router.Failure")->value,
            Tag::Value(std::string("ClientAcquisition")));
  EXPECT_EQ(find(span, "error")->value, Tag::Value(std::string("no such name")));
  EXPECT_EQ(find(span, "http.rsp.status"), nullptr);
  EXPECT_EQ(find(span, "l5d.success"), nullptr);
}

TEST(ClientSpan, CarriesLinkerdsClientAnnotations) {
  HttpExchange ex = exchange();
  ex.local = tcp::endpoint(make_address("127.0.0.1"), 40000);
  ex.remote = tcp::endpoint(make_address("10.1.2.3"), 8080);
  ex.request_content_length = 5;
  ex.request_content_type = "application/json";
  ex.success = 0.0;
  ex.retryable = false;

  Span span = client_span(id(), ex);

  EXPECT_EQ(span.kind, Span::Kind::client);
  EXPECT_EQ(span.name, "GET /hello");
  EXPECT_EQ(span.local.service_name, "#/io.l5d.fs/hello");
  EXPECT_EQ(span.local.address.port(), 40000);
  EXPECT_EQ(span.remote->address.port(), 8080);
  EXPECT_EQ(values(span), (std::vector<std::string>{"cs", "l5d.failure", "cr"}));
  EXPECT_EQ(find(span, "http.req.content-length")->value, Tag::Value(std::int64_t{5}));
  EXPECT_EQ(find(span, "http.req.content-type")->value,
            Tag::Value(std::string("application/json")));
  EXPECT_EQ(find(span, "router.label"), nullptr);  // the server span's
  EXPECT_EQ(find(span, "service"), nullptr);
}

TEST(ClientSpan, AFailedTryRecordsTheErrorBeforeCr) {
  HttpExchange ex = exchange();
  ex.status = 0;
  ex.error = "connection refused";
  ex.success.reset();
  ex.end = ex.start - microseconds(5);  // a clock step backwards must not give a negative span

  Span span = client_span(id(), ex);

  EXPECT_EQ(span.duration_us, 0);
  EXPECT_EQ(values(span),
            (std::vector<std::string>{"cs", "Client Receive Error: connection refused", "cr"}));
  EXPECT_EQ(find(span, "http.rsp.status"), nullptr);
  EXPECT_EQ(find(span, "error")->value, Tag::Value(std::string("connection refused")));
}

}  // namespace
}  // namespace meshd::trace
