#include "meshd/http1/writer.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "unit/http1/test_support.h"

namespace meshd::http1 {
namespace {

using test::dump;

http::Headers headers_of(const std::vector<std::pair<std::string, std::string>>& fields) {
  http::Headers h;
  for (const auto& [name, value] : fields) {
    h.add(name, value);
  }
  return h;
}

/// A body of unknown length (as a streamed upstream body would be).
class StreamedBody final : public http::Body {
 public:
  asio::awaitable<Result<std::string_view>> read() override { co_return std::string_view{}; }
  std::optional<std::uint64_t> length() const override { return std::nullopt; }
};

// ---- strip_hop_by_hop -------------------------------------------------------------------------

struct StripCase {
  const char* name;
  std::vector<std::pair<std::string, std::string>> in;
  std::string kept;
};

void PrintTo(const StripCase& c, std::ostream* os) { *os << c.name; }

class StripHopByHop : public ::testing::TestWithParam<StripCase> {};

TEST_P(StripHopByHop, KeepsOnlyEndToEndFields) {
  auto h = headers_of(GetParam().in);

  strip_hop_by_hop(h);

  EXPECT_EQ(dump(h), GetParam().kept);
}

INSTANTIATE_TEST_SUITE_P(
    Table, StripHopByHop,
    ::testing::Values(
        StripCase{"FixedHopByHopFields",
                  {{"Host", "h"},
                   {"Keep-Alive", "timeout=5"},
                   {"TE", "trailers"},
                   {"Trailer", "X-Sum"},
                   {"Transfer-Encoding", "chunked"},
                   {"Upgrade", "websocket"},
                   {"Proxy-Authenticate", "Basic"},
                   {"Proxy-Authorization", "Basic eA=="},
                   {"Proxy-Connection", "keep-alive"},
                   {"X-End", "1"}},
                  "Host: h\nX-End: 1\n"},
        StripCase{"ConnectionAndTheFieldsItNames",
                  {{"Connection", "close, X-Hop ,\tx-other"},
                   {"X-Hop", "1"},
                   {"X-Other", "2"},
                   {"X-Keep", "3"}},
                  "X-Keep: 3\n"},
        StripCase{"EveryConnectionField",
                  {{"Connection", "X-A"},
                   {"connection", "X-B,"},
                   {"X-A", "1"},
                   {"X-B", "2"},
                   {"X-C", "3"}},
                  "X-C: 3\n"},
        StripCase{"PseudoFieldsAndMoreLookAlikesStay",
                  {{":authority", "a"}, {"Keep-Alivf", "b"}, {"Upgrades", "c"}, {"Tx", "d"}},
                  ":authority: a\nKeep-Alivf: b\nUpgrades: c\nTx: d\n"},
        StripCase{"NamesAreCaseInsensitive",
                  {{"keep-alive", "1"}, {"te", "trailers"}, {"UPGRADE", "h2c"}, {"A", "b"}},
                  "A: b\n"},
        StripCase{"ContentLengthStays",
                  {{"Content-Length", "3"}, {"Connection", "close"}},
                  "Content-Length: 3\n"},
        StripCase{"NothingToStrip", {{"Host", "h"}, {"Accept", "*/*"}}, "Host: h\nAccept: */*\n"},
        StripCase{"ConnectionAfterTheFieldsItNames",
                  {{"X-Hop", "1"},
                   {"Host", "h"},
                   {"x-hop", "2"},
                   {"Connection", "X-HOP, keep-alive"},
                   {"Keep-Alive", "timeout=5"}},
                  "Host: h\n"},
        StripCase{"LookAlikesStay",
                  {{"User-Agent", "u"},
                   {"Connectiox", "1"},
                   {"TF", "1"},
                   {"Proxy-Connectiom", "1"},
                   {"Trailers", "1"},
                   {"Upgrade-Insecure-Requests", "1"}},
                  "User-Agent: u\nConnectiox: 1\nTF: 1\nProxy-Connectiom: 1\nTrailers: 1\n"
                  "Upgrade-Insecure-Requests: 1\n"}),
    [](const auto& info) { return std::string(info.param.name); });

// ---- set_framing ------------------------------------------------------------------------------

struct FramingCase {
  const char* name;
  Framing framing;
  bool keep_length_without_body;
  std::string kept;
};

void PrintTo(const FramingCase& c, std::ostream* os) { *os << c.name; }

class SetFraming : public ::testing::TestWithParam<FramingCase> {};

TEST_P(SetFraming, RemovesReplacedFramingFields) {
  auto h = headers_of({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}, {"X", "1"}});

  set_framing(h, GetParam().framing, GetParam().keep_length_without_body);

  EXPECT_EQ(dump(h), GetParam().kept);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SetFraming,
    ::testing::Values(FramingCase{"LengthReplacesBoth", Framing::Length, false, "X: 1\n"},
                      FramingCase{"ChunkedReplacesBoth", Framing::Chunked, false, "X: 1\n"},
                      FramingCase{"CloseReplacesBoth", Framing::Close, false, "X: 1\n"},
                      FramingCase{"NoBodyDropsLength", Framing::None, false, "X: 1\n"},
                      FramingCase{"HeadOr304KeepsLength", Framing::None, true,
                                  "Content-Length: 5\nX: 1\n"},
                      FramingCase{"KeepLengthOnlyWithoutBody", Framing::Length, true, "X: 1\n"}),
    [](const auto& info) { return std::string(info.param.name); });

// ---- serialize_*_head -------------------------------------------------------------------------

http::Request request(std::string method, http::BodyPtr body) {
  http::Request req;
  req.method = std::move(method);
  req.target = "/p?q=1";
  req.headers.add("Host", "h");
  req.body = std::move(body);
  return req;
}

TEST(SerializeRequestHead, WritesContentLengthFromTheBody) {
  auto req = request("POST", std::make_unique<http::BufferBody>("hello"));
  std::string out;

  serialize_request_head(req, Framing::Length, out);

  EXPECT_EQ(out, "POST /p?q=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n");
}

TEST(SerializeRequestHead, WritesChunkedForUnknownLength) {
  auto req = request("PUT", std::make_unique<StreamedBody>());
  std::string out;

  serialize_request_head(req, Framing::Chunked, out);

  EXPECT_EQ(out, "PUT /p?q=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(SerializeRequestHead, WritesNoFramingWithoutBody) {
  auto req = request("GET", std::make_unique<http::BufferBody>(""));
  req.version = {1, 0};
  std::string out;

  serialize_request_head(req, Framing::None, out);

  EXPECT_EQ(out, "GET /p?q=1 HTTP/1.0\r\nHost: h\r\n\r\n");
}

struct ResponseHeadCase {
  const char* name;
  int status;
  std::string reason;
  http::Version version;
  Framing framing;
  bool keep_alive;
  bool streamed;  // body of unknown length
  std::string expected;
};

void PrintTo(const ResponseHeadCase& c, std::ostream* os) { *os << c.name; }

class SerializeResponseHead : public ::testing::TestWithParam<ResponseHeadCase> {};

TEST_P(SerializeResponseHead, WritesStatusFramingAndConnection) {
  const auto& c = GetParam();
  http::Response rsp;
  rsp.status = c.status;
  rsp.reason = c.reason;
  rsp.headers.add("Server", "t");
  rsp.body = c.streamed ? http::BodyPtr(std::make_unique<StreamedBody>())
                        : http::BodyPtr(std::make_unique<http::BufferBody>("body!"));
  std::string out;

  serialize_response_head(rsp, c.version, c.framing, c.keep_alive, out);

  EXPECT_EQ(out, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SerializeResponseHead,
    ::testing::Values(
        ResponseHeadCase{"LengthKeepAlive", 200, "", {1, 1}, Framing::Length, true, false,
                         "HTTP/1.1 200 OK\r\nServer: t\r\nContent-Length: 5\r\n\r\n"},
        ResponseHeadCase{"ChunkedKeepAlive", 200, "", {1, 1}, Framing::Chunked, true, true,
                         "HTTP/1.1 200 OK\r\nServer: t\r\nTransfer-Encoding: chunked\r\n\r\n"},
        ResponseHeadCase{"CustomReasonAndClose", 503, "Busy", {1, 1}, Framing::Length, false,
                         false,
                         "HTTP/1.1 503 Busy\r\nServer: t\r\nContent-Length: 5\r\n"
                         "Connection: close\r\n\r\n"},
        ResponseHeadCase{"Http10KeepAliveSaysSo", 200, "", {1, 0}, Framing::Length, true, false,
                         "HTTP/1.0 200 OK\r\nServer: t\r\nContent-Length: 5\r\n"
                         "Connection: keep-alive\r\n\r\n"},
        ResponseHeadCase{"Http10CloseDelimited", 200, "", {1, 0}, Framing::Close, false, true,
                         "HTTP/1.0 200 OK\r\nServer: t\r\nConnection: close\r\n\r\n"},
        ResponseHeadCase{"NoBodyHasNoFramingField", 204, "", {1, 1}, Framing::None, true, false,
                         "HTTP/1.1 204 No Content\r\nServer: t\r\n\r\n"}),
    [](const auto& info) { return std::string(info.param.name); });

// ---- write_message ----------------------------------------------------------------------------

/// A Stream that records what is written.
class RecordingStream final : public transport::Stream {
 public:
  asio::awaitable<Result<std::size_t>> read_some(asio::mutable_buffer) override {
    co_return make_error_code(asio::error::eof);
  }
  asio::awaitable<Result<void>> write(std::span<const asio::const_buffer> bufs) override {
    for (const auto& b : bufs) {
      written.append(static_cast<const char*>(b.data()), b.size());
    }
    co_return Result<void>{};
  }
  void close() noexcept override {}
  void cancel() noexcept override {}
  bool is_open() const noexcept override { return true; }
  bool idle_alive() noexcept override { return true; }
  asio::ip::tcp::endpoint remote_endpoint() const noexcept override { return {}; }
  asio::ip::tcp::endpoint local_endpoint() const noexcept override { return {}; }
  asio::ip::tcp::socket& socket() noexcept override { return socket_; }

  std::string written;

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_{io_};
};

asio::awaitable<bool> write_with(RecordingStream* stream, std::string head, http::Body* body,
                                 Framing framing) {
  auto r = co_await write_message(*stream, std::move(head), body, framing);
  co_return r.has_value();
}

TEST(WriteMessage, ChunkedBodyEndsWithTrailers) {
  asio::io_context io;
  RecordingStream stream;
  http::Headers trailers;
  trailers.add("X-Sum", "9");
  http::BufferBody body("hello", trailers);

  auto ok = test::run(io, write_with(&stream, "HEAD\r\n", &body, Framing::Chunked));

  ASSERT_TRUE(ok);
  EXPECT_EQ(stream.written, "HEAD\r\n5\r\nhello\r\n0\r\nX-Sum: 9\r\n\r\n");
}

TEST(WriteMessage, EmptyChunkedBodyIsOnlyTheLastChunk) {
  asio::io_context io;
  RecordingStream stream;
  http::BufferBody body("");

  auto ok = test::run(io, write_with(&stream, "H\r\n", &body, Framing::Chunked));

  ASSERT_TRUE(ok);
  EXPECT_EQ(stream.written, "H\r\n0\r\n\r\n");
}

TEST(WriteMessage, NoFramingWritesOnlyTheHead) {
  asio::io_context io;
  RecordingStream stream;
  http::BufferBody body("ignored");

  auto ok = test::run(io, write_with(&stream, "H\r\n", &body, Framing::None));

  ASSERT_TRUE(ok);
  EXPECT_EQ(stream.written, "H\r\n");
}

}  // namespace
}  // namespace meshd::http1
