// Observability through the real binary: trace context on the wire (l5d-ctx-trace, l5d-reqid,
// l5d-sample, B3), the access log, Prometheus text, /requests.json and the per-client metrics.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>

#include "harness.h"

namespace meshd::itest {
namespace {

namespace json = boost::json;

/// A config with one `outgoing` router whose names all go to `backend`, plus router keys,
/// top-level sections, server keys and an `admin` section.
std::string config(std::uint16_t backend, const std::string& router_keys = "",
                   const std::string& top = "", const std::string& server_keys = "",
                   const std::string& admin = "admin: {ip: 127.0.0.1, port: 0}\n") {
  return admin + "workers: 2\n" + top +
         "routers:\n"
         "- protocol: http\n"
         "  label: outgoing\n"
         "  dtab: /svc => /$/inet/127.0.0.1/" +
         std::to_string(backend) + ";\n" + router_keys + "  servers: [{ip: 127.0.0.1, port: 0" +
         server_keys + "}]\n";
}

/// The JSON body of a `curl -i` output.
json::object body_json(const std::string& curl_out) {
  auto start = curl_out.find("\r\n\r\n");
  if (start == std::string::npos) {
    return {};
  }
  boost::system::error_code ec;
  auto v = json::parse(curl_out.substr(start + 4), ec);
  return ec || !v.is_object() ? json::object{} : v.as_object();
}

/// Every value of header `name` (case-insensitive) that the echo backend received.
std::vector<std::string> echoed(const json::object& echo, std::string name) {
  std::vector<std::string> out;
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  if (!echo.contains("headers")) {
    return out;
  }
  for (const auto& pair : echo.at("headers").as_array()) {
    std::string key(pair.as_array()[0].as_string());
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);
    if (key == name) {
      out.emplace_back(pair.as_array()[1].as_string());
    }
  }
  return out;
}

/// Standard Base64 decoding (with padding); "" for anything else. Written here so that the
/// test checks meshd's encoder against an independent decoder.
std::string base64_decode(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (in.size() % 4 != 0) {
    return "";
  }
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    std::uint32_t n = 0;
    int pad = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = in[i + j];
      std::size_t v = 0;
      if (c == '=') {
        ++pad;
      } else if ((v = kAlphabet.find(c)) == std::string::npos) {
        return "";
      }
      n = (n << 6) | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

/// Finagle's serialized TraceId: span, parent, trace, flags (big-endian 64-bit each).
struct WireTrace {
  std::uint64_t span = 0, parent = 0, trace = 0, flags = 0;
};

std::optional<WireTrace> decode_trace(const std::string& header) {
  std::string bytes = base64_decode(header);
  if (bytes.size() != 32) {
    return std::nullopt;
  }
  auto word = [&](std::size_t at) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    }
    return v;
  };
  return WireTrace{word(0), word(8), word(16), word(24)};
}

std::string encode_trace(const WireTrace& t) {
  std::string bytes;
  for (std::uint64_t w : {t.span, t.parent, t.trace, t.flags}) {
    for (int i = 7; i >= 0; --i) {
      bytes.push_back(static_cast<char>((w >> (8 * i)) & 0xff));
    }
  }
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? kAlphabet[n & 63] : '=');
  }
  return out;
}

std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

class Observability : public ::testing::Test {
 protected:
  std::string proxy(const Meshd& meshd) {
    return "http://127.0.0.1:" + std::to_string(meshd.port("outgoing"));
  }
  TempDir dir_;
  Backend backend_{dir_.path()};
};

TEST_F(Observability, NewTraceIsPropagatedAsL5dCtxTraceAndReqid) {
  Meshd meshd(dir_.path(), config(backend_.port()));
  ASSERT_TRUE(meshd.started());

  auto r = curl({"http://hello/echo"}, {{"http_proxy", proxy(meshd)}});

  auto echo = body_json(r.out);
  auto ctx = echoed(echo, "l5d-ctx-trace");
  auto reqid = echoed(echo, "l5d-reqid");
  ASSERT_EQ(ctx.size(), 1u) << r.out;
  ASSERT_EQ(reqid.size(), 1u) << r.out;
  auto t = decode_trace(ctx[0]);
  ASSERT_TRUE(t) << ctx[0];
  // The endpoint's span is a child of meshd's server span, itself a new root.
  EXPECT_NE(t->span, t->parent);
  EXPECT_EQ(t->parent, t->trace);
  EXPECT_EQ(reqid[0], hex16(t->trace));
  EXPECT_TRUE(std::regex_match(reqid[0], std::regex("[0-9a-f]{16}")));
}

TEST_F(Observability, CallersTraceIsContinuedAndSampleHeaderConsumed) {
  Meshd meshd(dir_.path(), config(backend_.port()));
  WireTrace caller{0x1111222233334444ULL, 0x5555666677778888ULL, 0x0102030405060708ULL, 0};

  auto r = curl({"-H", "l5d-ctx-trace: " + encode_trace(caller), "-H", "l5d-sample: 1.0",
                 "http://hello/echo"},
                {{"http_proxy", proxy(meshd)}});

  auto echo = body_json(r.out);
  auto ctx = echoed(echo, "l5d-ctx-trace");
  ASSERT_EQ(ctx.size(), 1u) << r.out;
  auto t = decode_trace(ctx[0]);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->trace, caller.trace);
  EXPECT_NE(t->span, caller.span);
  EXPECT_NE(t->parent, caller.span);  // meshd's server span sits between them
  // l5d-sample: 1.0 made the trace sampled: SamplingKnown | Sampled.
  EXPECT_EQ(t->flags & 6u, 6u);
  EXPECT_TRUE(echoed(echo, "l5d-sample").empty()) << r.out;
  EXPECT_EQ(echoed(echo, "l5d-reqid"), std::vector<std::string>{hex16(caller.trace)});
}

TEST_F(Observability, ClearContextStartsANewTrace) {
  Meshd meshd(dir_.path(), config(backend_.port(), "", "", ", clearContext: true"));
  WireTrace caller{1, 2, 3, 0};

  auto r = curl({"-H", "l5d-ctx-trace: " + encode_trace(caller), "http://hello/echo"},
                {{"http_proxy", proxy(meshd)}});

  auto ctx = echoed(body_json(r.out), "l5d-ctx-trace");
  ASSERT_EQ(ctx.size(), 1u) << r.out;
  auto t = decode_trace(ctx[0]);
  ASSERT_TRUE(t);
  EXPECT_NE(t->trace, caller.trace);
}

TEST_F(Observability, ZipkinPropagatorSpeaksB3) {
  Meshd meshd(dir_.path(), config(backend_.port(), "  tracePropagator: {kind: io.l5d.zipkin}\n"));

  auto r = curl({"-H", "X-B3-TraceId: 463ac35c9f6413ad48485a3953bb6124", "-H",
                 "X-B3-SpanId: a2fb4a1d1a96d312", "-H", "X-B3-Sampled: 1", "http://hello/echo"},
                {{"http_proxy", proxy(meshd)}});

  auto echo = body_json(r.out);
  auto trace_id = echoed(echo, "x-b3-traceid");
  ASSERT_EQ(trace_id.size(), 1u) << r.out;
  EXPECT_TRUE(trace_id[0].ends_with("48485a3953bb6124")) << trace_id[0];
  ASSERT_EQ(echoed(echo, "x-b3-spanid").size(), 1u);
  EXPECT_NE(echoed(echo, "x-b3-spanid")[0], "a2fb4a1d1a96d312");
  ASSERT_EQ(echoed(echo, "x-b3-parentspanid").size(), 1u);
  EXPECT_EQ(echoed(echo, "x-b3-sampled"), std::vector<std::string>{"1"});
  EXPECT_EQ(echoed(echo, "x-b3-flags").size(), 1u);
  EXPECT_TRUE(echoed(echo, "l5d-ctx-trace").empty()) << r.out;
}

TEST_F(Observability, AccessLogHasOneLinkerdLinePerRequest) {
  auto log = dir_.path() / "access.log";
  std::optional<Meshd> meshd;
  meshd.emplace(dir_.path(), config(backend_.port(), "  httpAccessLog: " + log.string() + "\n"),
                std::map<std::string, std::string>{{"TZ", "UTC"}});
  ASSERT_TRUE(meshd->started());

  curl({"-A", "itest/1.0", "-e", "http://ref/", "http://hello/echo?a=1"},
       {{"http_proxy", proxy(*meshd)}});
  curl({"http://hello/status/503"}, {{"http_proxy", proxy(*meshd)}});
  meshd.reset();  // a graceful stop writes everything queued

  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(std::regex_match(
      lines[0], std::regex(R"(hello 127\.0\.0\.1 - - \[\d\d/\d\d/\d{4}:\d\d:\d\d:\d\d UTC\] )"
                           R"("GET /echo\?a=1 HTTP/1\.1" 200 \d+ "http://ref/" "itest/1\.0")")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(
      lines[1],
      std::regex(
          R"(hello 127\.0\.0\.1 - - \[.*\] "GET /status/503 HTTP/1\.1" 503 0 "-" "curl/.*")")))
      << lines[1];
}

TEST_F(Observability, PrometheusTextWithPrefixAndPerClientMetrics) {
  Meshd meshd(
      dir_.path(),
      config(backend_.port(), "", "telemetry:\n- {kind: io.l5d.prometheus, prefix: l5d_}\n"),
      {{"MESHD_LIVE_HISTOGRAMS", "1"}});
  for (int i = 0; i < 3; ++i) {
    curl({"http://hello/echo"}, {{"http_proxy", proxy(meshd)}});
  }
  curl({"http://hello/status/500"}, {{"http_proxy", proxy(meshd)}});

  auto r = curl(
      {"http://127.0.0.1:" + std::to_string(meshd.admin_port()) + "/admin/metrics/prometheus"});

  ASSERT_NE(r.out.find("HTTP/1.1 200"), std::string::npos) << r.out;
  const std::string client = "client=\"$/inet/127.0.0.1/" + std::to_string(backend_.port()) + "\"";
  for (const std::string& line :
       std::vector<std::string>{"l5d_rt:service:requests{rt=\"outgoing\", service=\"svc/hello\"} 4",
                                "l5d_rt:client:requests{rt=\"outgoing\", " + client + "} 4",
                                "l5d_rt:client:status:5XX{rt=\"outgoing\", " + client + "} 1",
                                "l5d_rt:client:service:requests{rt=\"outgoing\", " + client +
                                    ", service=\"svc/hello\"} 4",
                                "l5d_rt:client:service:failures{rt=\"outgoing\", " + client +
                                    ", service=\"svc/hello\"} 1",
                                "l5d_rt:client:connects{rt=\"outgoing\", " + client + "}"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("l5d_rt:server:time:2XX_count{rt=\"outgoing\""), std::string::npos);
  // One name and one client, looked up 4 times: at most one miss per worker.
  for (const std::string cache : {"path", "client"}) {
    double misses = meshd.metric("rt/outgoing/bindcache/" + cache + "/misses");
    EXPECT_GE(misses, 1) << cache;
    EXPECT_LE(misses, 2) << cache;
    EXPECT_EQ(meshd.metric("rt/outgoing/bindcache/" + cache + "/evicts"), 0) << cache;
  }
  EXPECT_NE(r.out.find("l5d_rt:client:request_latency_ms{rt=\"outgoing\", " + client +
                       ", quantile=\"0.99\"}"),
            std::string::npos);
}

TEST_F(Observability, RecentRequestsServesSampledRequests) {
  Meshd meshd(dir_.path(), config(backend_.port(), "",
                                  "telemetry:\n- {kind: io.l5d.recentRequests, sampleRate: 1.0, "
                                  "capacity: 2}\n"));
  for (const char* path : {"/echo", "/status/404", "/status/500"}) {
    curl({std::string("http://hello") + path}, {{"http_proxy", proxy(meshd)}});
  }

  auto r = curl({"http://127.0.0.1:" + std::to_string(meshd.admin_port()) + "/requests.json"});

  auto start = r.out.find("\r\n\r\n");
  ASSERT_NE(start, std::string::npos) << r.out;
  auto recent = json::parse(r.out.substr(start + 4)).as_array();
  ASSERT_EQ(recent.size(), 2u) << r.out;          // the capacity
  EXPECT_EQ(recent[0].at("uri"), "/status/500");  // newest first
  EXPECT_EQ(recent[0].at("status"), 500);
  EXPECT_EQ(recent[0].at("success"), false);
  EXPECT_EQ(recent[0].at("service"), "/svc/hello");
  EXPECT_EQ(recent[1].at("uri"), "/status/404");
  EXPECT_EQ(recent[1].at("router"), "outgoing");
}

TEST_F(Observability, ServerCountsRequestsWithoutResponseAsStatusError) {
  Meshd meshd(dir_.path(), config(backend_.port()));
  const std::string server =
      "rt/outgoing/server/127.0.0.1/" + std::to_string(meshd.port("outgoing"));

  // The client leaves before the backend answers: no response for the server's stats.
  auto out = raw_exchange(meshd.port("outgoing"), "GET /hang HTTP/1.1\r\nHost: hello\r\n\r\n", "",
                          std::chrono::milliseconds(300));
  EXPECT_EQ(out, "");

  eventually([&] { return meshd.metric(server + "/status/error") >= 1; });
  EXPECT_EQ(meshd.metric(server + "/status/error"), 1);
  EXPECT_EQ(meshd.metric(server + "/failures"), 1);
}

/// The fake Zipkin collector (tests/trace/fake_zipkin.py) on two OS-chosen ports.
class FakeZipkin {
 public:
  explicit FakeZipkin(const std::filesystem::path& dir)
      : process_({"python3", (source_dir() / "tests/trace/fake_zipkin.py").string()}, dir,
                 "zipkin") {
    auto line = process_.wait_for("{", false, std::chrono::seconds(10));
    if (line) {
      auto ports = json::parse("{" + *line).as_object();
      scribe_ = static_cast<std::uint16_t>(ports.at("scribe").as_int64());
      http_ = static_cast<std::uint16_t>(ports.at("http").as_int64());
    }
  }
  std::uint16_t scribe() const { return scribe_; }
  std::uint16_t http() const { return http_; }

  /// The spans received so far (both transports, one shape).
  json::array spans() {
    auto r = curl({"http://127.0.0.1:" + std::to_string(http_) + "/spans"});
    auto start = r.out.find("\r\n\r\n");
    return start == std::string::npos ? json::array{}
                                      : json::parse(r.out.substr(start + 4)).as_array();
  }
  /// Waits (bounded) until `n` spans arrived.
  json::array wait_spans(std::size_t n) {
    json::array got;
    eventually([&] { return (got = spans()).size() >= n; }, std::chrono::seconds(15));
    return got;
  }
  std::string errors() {
    return curl({"http://127.0.0.1:" + std::to_string(http_) + "/errors"}).out;
  }

 private:
  Process process_;
  std::uint16_t scribe_ = 0, http_ = 0;
};

/// The spans of `transport` with `kind`.
std::vector<json::object> of_kind(const json::array& spans, const std::string& transport,
                                  const std::string& kind) {
  std::vector<json::object> out;
  for (const auto& s : spans) {
    const auto& o = s.as_object();
    if (o.at("transport") == transport.c_str() && o.at("kind").is_string() &&
        o.at("kind") == kind.c_str()) {
      out.push_back(o);
    }
  }
  return out;
}

bool has_annotation(const json::object& span, const std::string& value) {
  for (const auto& a : span.at("annotations").as_array()) {
    if (a.at("value") == value.c_str()) {
      return true;
    }
  }
  return false;
}

TEST_F(Observability, ZipkinGetsAServerAndAClientSpanPerHopOverScribeAndHttp) {
  FakeZipkin zipkin(dir_.path());
  ASSERT_NE(zipkin.scribe(), 0);
  Meshd meshd(dir_.path(),
              config(backend_.port(), "",
                     "telemetry:\n"
                     "- {kind: io.l5d.zipkin, host: 127.0.0.1, port: " +
                         std::to_string(zipkin.scribe()) +
                         ", sampleRate: 1.0}\n"
                         "- {kind: io.zipkin.http, host: '127.0.0.1:" +
                         std::to_string(zipkin.http()) + "', initialSampleRate: 1.0}\n"));
  ASSERT_TRUE(meshd.started());

  auto r = curl({"http://hello/echo"}, {{"http_proxy", proxy(meshd)}});
  auto ctx = echoed(body_json(r.out), "l5d-ctx-trace");
  ASSERT_EQ(ctx.size(), 1u) << r.out;
  auto wire = decode_trace(ctx[0]);
  ASSERT_TRUE(wire);
  EXPECT_EQ(wire->flags & 6u, 6u);  // sampled by the telemeters, and said so downstream

  // Two spans over each transport.
  auto spans = zipkin.wait_spans(4);
  ASSERT_EQ(spans.size(), 4u) << json::serialize(spans) << zipkin.errors();
  for (const std::string transport : {"scribe", "http"}) {
    SCOPED_TRACE(transport);
    auto servers = of_kind(spans, transport, "SERVER");
    auto clients = of_kind(spans, transport, "CLIENT");
    ASSERT_EQ(servers.size(), 1u);
    ASSERT_EQ(clients.size(), 1u);
    const auto& server = servers[0];
    const auto& client = clients[0];
    // One trace: the server span is the root meshd started, the client span its child, and
    // the endpoint got the client span's id as its parent.
    EXPECT_EQ(server.at("traceId"), hex16(wire->trace).c_str());
    EXPECT_EQ(client.at("traceId"), hex16(wire->trace).c_str());
    EXPECT_EQ(client.at("parentId"), server.at("id"));
    EXPECT_EQ(client.at("id"), hex16(wire->span).c_str());
    EXPECT_EQ(server.at("id"), hex16(wire->parent).c_str());
    EXPECT_EQ(server.at("localEndpoint").at("serviceName"),
              ("127.0.0.1/" + std::to_string(meshd.port("outgoing"))).c_str());
    EXPECT_EQ(client.at("localEndpoint").at("serviceName"),
              ("$/inet/127.0.0.1/" + std::to_string(backend_.port())).c_str());
    const auto& tags = server.at("tags").as_object();
    EXPECT_EQ(tags.at("router.label"), "outgoing");
    EXPECT_EQ(tags.at("service"), "/svc/hello");
    EXPECT_EQ(tags.at("client"), ("/$/inet/127.0.0.1/" + std::to_string(backend_.port())).c_str());
    EXPECT_EQ(client.at("tags").at("http.uri"), "/echo");
    EXPECT_EQ(client.at("tags").at("http.req.method"), "GET");
    EXPECT_EQ(client.at("tags").at("http.rsp.status"), "200");
    if (transport == "scribe") {
      EXPECT_TRUE(has_annotation(server, "sr") && has_annotation(server, "ss"));
      EXPECT_TRUE(has_annotation(client, "cs") && has_annotation(client, "cr"));
    }
  }
  EXPECT_EQ(zipkin.errors().find("scribe:"), std::string::npos) << zipkin.errors();
}

TEST_F(Observability, AdminSecurityHidesDisabledCategoriesAs404) {
  Meshd meshd(dir_.path(),
              config(backend_.port(), "", "", "",
                     "admin:\n  ip: 127.0.0.1\n  port: 0\n  security:\n    uiEnabled: false\n"
                     "    controlEnabled: false\n    pathWhitelist: [\"/admin/metrics[.]json\"]\n"
                     "    pathBlacklist: [\"/admin/ping\"]\n"));
  ASSERT_TRUE(meshd.started());
  auto status = [&](const std::string& method, const std::string& path) {
    auto r = curl({"-o", "/dev/null", "-w", "%{http_code}", "-X", method,
                   "http://127.0.0.1:" + std::to_string(meshd.admin_port()) + path});
    return r.out.substr(r.out.size() >= 3 ? r.out.size() - 3 : 0);
  };

  EXPECT_EQ(status("GET", "/"), "404");                               // UI, disabled
  EXPECT_EQ(status("GET", "/delegator"), "404");                      // UI, disabled
  EXPECT_EQ(status("GET", "/admin/metrics.json"), "200");             // UI, but whitelisted
  EXPECT_EQ(status("POST", "/admin/shutdown"), "404");                // control, disabled
  EXPECT_EQ(status("GET", "/admin/ping"), "404");                     // diagnostics, blacklisted
  EXPECT_EQ(status("GET", "/client_state.json"), "200");              // diagnostics, enabled
  EXPECT_EQ(meshd.process().wait(std::chrono::milliseconds(0)), -1);  // still running
}

TEST_F(Observability, AdminOverMutualTls) {
  const auto certs = dir_.path() / "certs";
  auto gen = run_tool(
      {"sh", (source_dir() / "tests/unit/transport/gen_server_certs.sh").string(), certs.string()});
  ASSERT_EQ(gen.exit_code, 0) << gen.out << gen.err;
  std::ofstream(dir_.path() / "tls.yaml")
      << config(backend_.port(), "", "", "",
                "admin:\n  ip: 127.0.0.1\n  port: 0\n  tls:\n"
                "    certPath: " +
                    (certs / "server-rsa.crt").string() + "\n" +
                    "    keyPath: " + (certs / "server-rsa.pkcs1.key").string() + "\n" +
                    "    caCertPath: " + (certs / "ca.crt").string() + "\n" +
                    "    requireClientAuth: true\n");
  Process meshd({MESHD_BINARY, (dir_.path() / "tls.yaml").string()}, dir_.path(), "tls");
  auto addr = meshd.wait_for("admin listening addr=", true, std::chrono::seconds(15));
  ASSERT_TRUE(addr) << meshd.stderr_text();
  const std::string base = "https://127.0.0.1:" + addr->substr(addr->rfind(':') + 1);
  const std::string ca = (certs / "ca.crt").string();

  auto with_cert = curl({"--cacert", ca, "--cert", (certs / "client.crt").string(), "--key",
                         (certs / "client.key").string(), base + "/admin/ping"});
  auto without_cert = curl({"--cacert", ca, base + "/admin/ping"});
  auto other_ca = curl({"--cacert", ca, "--cert", (certs / "other-client.crt").string(), "--key",
                        (certs / "other-client.key").string(), base + "/admin/ping"});
  auto plain = curl({"http" + base.substr(5) + "/admin/ping"});

  EXPECT_NE(with_cert.out.find("HTTP/1.1 200"), std::string::npos) << with_cert.err;
  EXPECT_TRUE(with_cert.out.ends_with("pong")) << with_cert.out;
  EXPECT_NE(without_cert.exit_code, 0) << without_cert.out;
  EXPECT_NE(other_ca.exit_code, 0) << other_ca.out;
  EXPECT_EQ(plain.out.find("pong"), std::string::npos) << plain.out;
  EXPECT_EQ(meshd.signal_and_wait(SIGTERM, std::chrono::seconds(15)), 0) << meshd.stderr_text();
}

}  // namespace
}  // namespace meshd::itest
