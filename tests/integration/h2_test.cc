// The h2 router through the real binary: gRPC (python grpcio) with the mission's dtab, nghttp,
// h2load and curl over h2c (prior knowledge and Upgrade), TLS with ALPN h2 on both sides.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"
#include "testing/script_process.h"

namespace meshd::itest {
namespace {

using testing::ScriptProcess;
using testing::system_python;

/// A gRPC server (tests/grpc/grpc_peer.py) that fails its first `fail_first` SayHello calls
/// with UNAVAILABLE.
std::unique_ptr<ScriptProcess> grpc_server(int fail_first = 0) {
  return std::make_unique<ScriptProcess>(
      "tests/grpc/grpc_peer.py",
      std::vector<std::string>{"server", "--fail-first", std::to_string(fail_first)});
}

/// One gRPC call through `port` by grpc_peer.py: its JSON outcome line.
std::string grpc_call(std::uint16_t port, const std::string& method, const std::string& arg) {
  auto r = run_tool({system_python(), (source_dir() / "tests/grpc/grpc_peer.py").string(),
                     "client", "127.0.0.1:" + std::to_string(port), method, arg});
  return r.out;
}

class H2 : public ::testing::Test {
 protected:
  /// An h2 router as in the linkerd-examples gRPC DaemonSet config: io.l5d.header.path with
  /// one segment, `/svc => /$/io.buoyant.http.domainToPathPfx/grpc`; the fs namer knows the
  /// gRPC server as `Greeter` (`/svc/helloworld.Greeter` → `/grpc/Greeter/helloworld`).
  std::string grpc_config(std::uint16_t server_port, const std::string& classifier,
                          const std::string& service_extra = "") {
    std::filesystem::create_directories(disco_);
    std::ofstream(disco_ / "Greeter") << "127.0.0.1 " << server_port << "\n";
    return "admin: {ip: 127.0.0.1, port: 0}\n"
           "namers:\n"
           "- kind: io.l5d.fs\n"
           "  rootDir: " +
           disco_.string() +
           "\n"
           "routers:\n"
           "- protocol: h2\n"
           "  label: grpc\n"
           "  dtab: |\n"
           "    /srv => /#/io.l5d.fs;\n"
           "    /grpc => /srv;\n"
           "    /svc => /$/io.buoyant.http.domainToPathPfx/grpc;\n"
           "  identifier:\n"
           "    kind: io.l5d.header.path\n"
           "    segments: 1\n"
           "  service:\n"
           "    responseClassifier:\n"
           "      kind: " +
           classifier + "\n" + service_extra + "  servers: [{ip: 127.0.0.1, port: 0}]\n";
  }

  TempDir dir_;
  std::filesystem::path disco_ = dir_.path() / "disco";
};

TEST_F(H2, GrpcUnaryAndStreamingCallsRouteByServiceName) {
  auto server = grpc_server();
  Meshd meshd(dir_.path(), grpc_config(std::stoi(server->first_line()), "io.l5d.h2.grpc.default"));
  ASSERT_TRUE(meshd.started());
  const auto port = meshd.port("grpc");

  EXPECT_EQ(grpc_call(port, "SayHello", "world"),
            "{\"code\": \"OK\", \"replies\": [\"Hello world\"], \"details\": \"\"}\n");
  auto replies = grpc_call(port, "LotsOfReplies", "100");
  EXPECT_NE(replies.find("\"code\": \"OK\""), std::string::npos) << replies;
  EXPECT_NE(replies.find("\"reply 0\", \"reply 1\""), std::string::npos) << replies;
  EXPECT_NE(replies.find("\"reply 99\"]"), std::string::npos) << replies;
  EXPECT_EQ(grpc_call(port, "LotsOfGreetings", "a,b,c"),
            "{\"code\": \"OK\", \"replies\": [\"a,b,c\"], \"details\": \"\"}\n");
  EXPECT_EQ(grpc_call(port, "BidiHello", "x,y,z"),
            "{\"code\": \"OK\", \"replies\": [\"hi x\", \"hi y\", \"hi z\"], \"details\": \"\"}\n");
  // A gRPC error travels as the server sent it (a trailers-only response).
  EXPECT_EQ(grpc_call(port, "Fail", "5"),
            "{\"code\": \"NOT_FOUND\", \"replies\": [], \"details\": \"failed on purpose\"}\n");

  EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/requests"), 5);
  EXPECT_EQ(meshd.metric("rt/grpc/client/#/io.l5d.fs/Greeter/requests"), 5);
  // Failures by the gRPC classifier: NOT_FOUND is not a success.
  EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/failures"), 1);
  // One HTTP/2 session per endpoint and worker carried every call.
  EXPECT_LE(meshd.metric("rt/grpc/client/#/io.l5d.fs/Greeter/connects"), 2);
}

TEST_F(H2, GrpcUnavailableIsRetriedByTheDefaultGrpcClassifier) {
  auto server = grpc_server(/*fail_first=*/1);
  Meshd meshd(dir_.path(), grpc_config(std::stoi(server->first_line()), "io.l5d.h2.grpc.default"));
  ASSERT_TRUE(meshd.started());

  EXPECT_EQ(grpc_call(meshd.port("grpc"), "SayHello", "again"),
            "{\"code\": \"OK\", \"replies\": [\"Hello again\"], \"details\": \"\"}\n");
  EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/retries/total"), 1);
  EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/success"), 1);
}

TEST_F(H2, GrpcStatusInTheTrailersOfAUnaryCallIsClassifiedAndRetried) {
  auto server = grpc_server(/*fail_first=*/1);
  Meshd meshd(dir_.path(), grpc_config(std::stoi(server->first_line()), "io.l5d.h2.grpc.default"));
  ASSERT_TRUE(meshd.started());

  // Headers first, then grpc-status 14 in the trailers: meshd waits (classificationTimeoutMs)
  // for the end of the small response and retries it.
  EXPECT_EQ(grpc_call(meshd.port("grpc"), "SayHelloLate", "late"),
            "{\"code\": \"OK\", \"replies\": [\"Hello late\"], \"details\": \"\"}\n");
  EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/retries/total"), 1);
  // A failure in the trailers counts as one for the stats too.
  auto failed = grpc_call(meshd.port("grpc"), "Fail", "5");
  EXPECT_NE(failed.find("NOT_FOUND"), std::string::npos) << failed;
  EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/failures"), 1);
}

TEST_F(H2, AStreamingCallIsClassifiedByItsTrailersAtItsEnd) {
  auto server = grpc_server();
  Meshd meshd(dir_.path(), grpc_config(std::stoi(server->first_line()), "io.l5d.h2.grpc.default"));
  ASSERT_TRUE(meshd.started());
  const auto port = meshd.port("grpc");
  const std::string server_scope = "rt/grpc/server/127.0.0.1/" + std::to_string(port) + "/";

  // Ten replies, then INTERNAL (13) in the trailers 300 ms later: past classificationTimeoutMs
  // (100), so the verdict waits for the stream's end and travels as a trailer.
  auto out = grpc_call(port, "StreamThenFail", "10,13,300");
  EXPECT_NE(out.find("\"code\": \"INTERNAL\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"reply 9\"]"), std::string::npos) << out;
  EXPECT_NE(out.find("\"success_class\": \"0.0\""), std::string::npos) << out;
  // Every scope counts it a failure once the stream ended (the stats follow within the
  // request's round trip: the trailer was written after they were recorded).
  EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/failures"), 1);
  EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/success"), 0);
  EXPECT_EQ(meshd.metric("rt/grpc/client/#/io.l5d.fs/Greeter/failures"), 1);
  EXPECT_EQ(meshd.metric(server_scope + "failures"), 1);
  EXPECT_EQ(meshd.metric(server_scope + "success"), 0);

  // The same stream ending in OK is a success, and says so in its trailer.
  out = grpc_call(port, "StreamThenFail", "3,0,300");
  EXPECT_NE(out.find("\"success_class\": \"1.0\""), std::string::npos) << out;
  EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/success"), 1);
  EXPECT_EQ(meshd.metric(server_scope + "success"), 1);

  // Linkerd's stream stats: both calls' streams ended cleanly (a gRPC error is a clean end).
  for (const std::string& scope :
       {server_scope, std::string("rt/grpc/service/svc/helloworld.Greeter/"),
        std::string("rt/grpc/client/#/io.l5d.fs/Greeter/")}) {
    EXPECT_EQ(meshd.metric(scope + "request/stream/stream_success"), 2) << scope;
    EXPECT_EQ(meshd.metric(scope + "response/stream/stream_success"), 2) << scope;
    EXPECT_EQ(meshd.metric(scope + "response/stream/stream_failures"), 0) << scope;
    EXPECT_EQ(meshd.metric(scope + "stream/stream_success"), 2) << scope;
  }
}

TEST_F(H2, ClearContextStripsL5dTrailersAndKeepsTheStreamStats) {
  auto server = grpc_server();
  std::string config = grpc_config(std::stoi(server->first_line()), "io.l5d.h2.grpc.default");
  const std::string plain = "port: 0}]";
  config.replace(config.rfind(plain), plain.size(), "port: 0, clearContext: true}]");
  Meshd meshd(dir_.path(), config);
  ASSERT_TRUE(meshd.started());
  const auto port = meshd.port("grpc");
  const std::string server_scope = "rt/grpc/server/127.0.0.1/" + std::to_string(port) + "/";

  auto out = grpc_call(port, "StreamThenFail", "2,13,300");
  EXPECT_NE(out.find("\"code\": \"INTERNAL\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"success_class\": \"\""), std::string::npos) << out;
  EXPECT_EQ(meshd.metric(server_scope + "failures"), 1) << "classified before the strip";
  // A 502 from meshd itself (no such service): clearContext blanks its body, and the stream
  // sent is the one watched.
  out = grpc_call(port, "Nope.Svc/Call", "x");
  EXPECT_NE(out.find("502"), std::string::npos) << out;
  EXPECT_EQ(meshd.metric(server_scope + "response/stream/stream_success"), 2);
  EXPECT_EQ(meshd.metric(server_scope + "response/stream/stream_failures"), 0);
}

TEST_F(H2, AResponseLargerThanRetryBufferSizeIsNotRetried) {
  auto server = grpc_server();
  const auto server_port = static_cast<std::uint16_t>(std::stoi(server->first_line()));
  // A 20 000-byte reply, then UNAVAILABLE in the trailers: all of it arrives within
  // classificationTimeoutMs, but it is larger than responseBytes (16383 by default).
  {
    Meshd meshd(dir_.path(), grpc_config(server_port, "io.l5d.h2.grpc.default"));
    ASSERT_TRUE(meshd.started());
    auto out = grpc_call(meshd.port("grpc"), "StreamThenFail", "1,14,0,20000");
    EXPECT_NE(out.find("\"code\": \"UNAVAILABLE\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"reply 0...."), std::string::npos) << out;
    EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/retries/total"), 0);
    EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/failures"), 1);
  }
  // With a buffer that holds it, the same response is retried (and fails again, within the
  // retry budget).
  Meshd meshd(dir_.path(),
              grpc_config(server_port, "io.l5d.h2.grpc.default",
                          "    retryBufferSize: {responseBytes: 65536}\n"),
              {}, "meshd-big-buffer");
  ASSERT_TRUE(meshd.started());
  auto out = grpc_call(meshd.port("grpc"), "StreamThenFail", "1,14,0,20000");
  EXPECT_NE(out.find("\"code\": \"UNAVAILABLE\""), std::string::npos) << out;
  EXPECT_GE(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/retries/total"), 1);
}

TEST_F(H2, GrpcNeverRetryableGivesTheErrorBack) {
  auto server = grpc_server(/*fail_first=*/1);
  Meshd meshd(dir_.path(),
              grpc_config(std::stoi(server->first_line()), "io.l5d.h2.grpc.neverRetryable"));
  ASSERT_TRUE(meshd.started());

  auto out = grpc_call(meshd.port("grpc"), "SayHello", "again");
  EXPECT_NE(out.find("\"code\": \"UNAVAILABLE\""), std::string::npos) << out;
  EXPECT_EQ(meshd.metric("rt/grpc/service/svc/helloworld.Greeter/retries/total"), 0);
}

TEST_F(H2, AnUnknownDestinationIsRefusedWithRstStream) {
  auto server = grpc_server();
  Meshd meshd(dir_.path(), grpc_config(std::stoi(server->first_line()), "io.l5d.h2.grpc.default"));
  ASSERT_TRUE(meshd.started());

  // "/" has no segment for io.l5d.header.path: Linkerd's ErrorReseter refuses the stream.
  auto r = run_tool({"nghttp", "-v", "http://127.0.0.1:" + std::to_string(meshd.port("grpc")) + "/"});
  EXPECT_NE(r.out.find("recv RST_STREAM"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error_code=REFUSED_STREAM"), std::string::npos) << r.out;
  // A name that binds to nothing is a 502 with Linkerd's text.
  auto none = grpc_call(meshd.port("grpc"), "Nope/Nope", "x");
  EXPECT_NE(none.find("502"), std::string::npos) << none;
}

/// An h2 router in front of the scripted server tests/http2/client_server.py, whose client's
/// failure accrual marks the endpoint dead after a single failure.
class H2Requeue : public ::testing::Test {
 protected:
  void SetUp() override {
    int port = 0;
    int limited = 0;
    ASSERT_EQ(std::sscanf(backend_.first_line().c_str(), "%d %d", &port, &limited), 2);
    backend_port_ = port;
    client_ = "$/inet/127.0.0.1/" + std::to_string(port);
    meshd_ = std::make_unique<Meshd>(
        dir_.path(),
        config("  client:\n"
               "    failureAccrual: {kind: io.l5d.consecutiveFailures, failures: 1}\n"));
    ASSERT_TRUE(meshd_->started());
    base_ = "http://127.0.0.1:" + std::to_string(meshd_->port("h2"));
  }

  /// An h2 router to the endpoint, with `settings` (YAML lines of the router) added.
  std::string config(const std::string& settings) const {
    return "admin: {ip: 127.0.0.1, port: 0}\n"
           "routers:\n"
           "- protocol: h2\n"
           "  label: h2\n"
           "  dtab: /svc => /" +
           client_ + ";\n" + settings + "  servers: [{ip: 127.0.0.1, port: 0}]\n";
  }

  /// A second meshd (files named `name`) whose service classifies with `classifier` and holds a
  /// response for its classification up to a minute.
  std::unique_ptr<Meshd> holding_meshd(const std::string& classifier, const std::string& name) {
    return std::make_unique<Meshd>(dir_.path(),
                                   config("  service:\n"
                                          "    responseClassifier: {kind: " +
                                          classifier +
                                          "}\n"
                                          "    classificationTimeoutMs: 60000\n"),
                                   std::map<std::string, std::string>{}, name);
  }

  /// The client's metric `name`; -1 when it was never made.
  double client_metric(const std::string& name) const {
    return meshd_->metric("rt/h2/client/" + client_ + "/" + name);
  }

  /// How many streams for `path` the endpoint has seen (its /log).
  int streams_seen(const std::string& path) const {
    auto r = run_tool({"curl", "-sS", "--http2-prior-knowledge",
                       "http://127.0.0.1:" + std::to_string(backend_port_) + "/log"});
    const std::string line = "request " + path + "\n";
    int n = 0;
    for (auto at = r.out.find(line); at != std::string::npos; at = r.out.find(line, at + 1)) {
      ++n;
    }
    return n;
  }

  ScriptProcess backend_{"tests/http2/client_server.py", {}};
  int backend_port_ = 0;
  TempDir dir_;
  std::string client_;
  std::unique_ptr<Meshd> meshd_;
  std::string base_;
};

/// A request whose stream the endpoint refused before processing any of it (RST_STREAM
/// REFUSED_STREAM, or a stream above a GOAWAY's last stream id, as nginx leaves them when it
/// closes a connection) is sent again with its body: requeued as a connection failure is
/// (Finagle's RequeueFilter), and not counted against the endpoint by failure accrual.
TEST_F(H2Requeue, ARefusedStreamIsSentAgainWithItsBody) {
  for (const char* path : {"/refuse-once?k=post", "/goaway-once?k=post"}) {
    auto r = run_tool({"curl", "-sS", "--http2-prior-knowledge", "--data-binary",
                       "the request body", base_ + path});
    EXPECT_EQ(r.exit_code, 0) << path << ": " << r.err;
    EXPECT_NE(r.out.find("method POST"), std::string::npos) << path << ": " << r.out;
    EXPECT_NE(r.out.find("body the request body"), std::string::npos) << path << ": " << r.out;
  }
  EXPECT_EQ(client_metric("retries/requeues"), 2);
  EXPECT_LE(client_metric("failure_accrual/removals"), 0);
  EXPECT_EQ(meshd_->metric("rt/h2/service/svc/127.0.0.1:" + std::to_string(meshd_->port("h2")) +
                           "/success"),
            2);
}

/// A request without a body whose stream the endpoint refused, or a GOAWAY cut off, is sent
/// again at once within its try (on a new session after the GOAWAY): the endpoint sees it
/// twice, the client gets the second answer, and the router requeues nothing.
TEST_F(H2Requeue, ARefusedStreamWithoutABodyIsSentAgainWithinItsTry) {
  for (const char* path : {"/refuse-once?k=get", "/goaway-once?k=get"}) {
    auto r = run_tool({"curl", "-sS", "--http2-prior-knowledge", base_ + path});
    EXPECT_EQ(r.exit_code, 0) << path << ": " << r.err;
    EXPECT_NE(r.out.find("method GET"), std::string::npos) << path << ": " << r.out;
    EXPECT_EQ(streams_seen(path), 2) << path;
  }
  EXPECT_LE(client_metric("retries/requeues"), 0);
  EXPECT_LE(client_metric("failure_accrual/removals"), 0);
}

/// A stream the endpoint refuses every time is requeued within the budget, then refused to the
/// client as well: RST_STREAM REFUSED_STREAM, nothing was processed and the client may send it
/// again (Linkerd passes the endpoint's reset on). A stream the endpoint resets with another code
/// before answering is reset with that code.
TEST_F(H2Requeue, TheEndpointsResetIsPassedOnToTheClient) {
  // (nghttp sends the request once; curl would itself send a refused one again.)
  auto refused = run_tool({"nghttp", "-v", base_ + "/refuse?k=always"});
  EXPECT_NE(refused.out.find("recv RST_STREAM"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("error_code=REFUSED_STREAM"), std::string::npos) << refused.out;
  EXPECT_GE(streams_seen("/refuse?k=always"), 2);
  EXPECT_GE(client_metric("retries/requeues"), 1);

  auto cancelled = run_tool({"nghttp", "-v", base_ + "/rst-cancel?k=c"});
  EXPECT_NE(cancelled.out.find("recv RST_STREAM"), std::string::npos) << cancelled.out;
  EXPECT_NE(cancelled.out.find("error_code=CANCEL"), std::string::npos) << cancelled.out;
  EXPECT_EQ(streams_seen("/rst-cancel?k=c"), 1);

  // After the response head: the client gets the head and the piece of body, then the reset.
  auto mid = run_tool({"nghttp", "-v", base_ + "/cancel-mid-body?k=m"});
  EXPECT_NE(mid.out.find(":status: 200"), std::string::npos) << mid.out;
  EXPECT_NE(mid.out.find("recv RST_STREAM"), std::string::npos) << mid.out;
  EXPECT_NE(mid.out.find("error_code=CANCEL"), std::string::npos) << mid.out;
}

/// A response whose class depends on its trailers (gRPC) is held for classification up to
/// classificationTimeoutMs; a stream the endpoint resets meanwhile ends that wait at once, and
/// the client sees the reset with the endpoint's code, not after the classification timeout.
TEST_F(H2Requeue, AResetWhileHeldForClassificationIsPassedOnAtOnce) {
  auto grpc = holding_meshd("io.l5d.h2.grpc.default", "grpc");
  ASSERT_TRUE(grpc->started());
  const std::string base = "http://127.0.0.1:" + std::to_string(grpc->port("h2"));
  // Held until the stream's end (no grpc-status in the head), the wait would outlast nghttp's
  // timeout: it would see no reset.
  auto mid = run_tool({"nghttp", "-v", "--timeout=10", base + "/cancel-mid-body?k=held"});
  EXPECT_NE(mid.out.find(":status: 200"), std::string::npos) << mid.out;
  EXPECT_NE(mid.out.find("recv RST_STREAM"), std::string::npos) << mid.out;
  EXPECT_NE(mid.out.find("error_code=CANCEL"), std::string::npos) << mid.out;
  EXPECT_EQ(streams_seen("/cancel-mid-body?k=held"), 1);
}

/// A response held for classification whose stream fails is judged by the stream classifier
/// then: a retryable failure (a reset, for an idempotent request) is retried, and the client
/// gets the next try's answer, never the part of the first it would otherwise have seen.
TEST_F(H2Requeue, AResponseCutOffWhileHeldIsRetriedWhenItsClassifierSaysSo) {
  auto retrying = holding_meshd("io.l5d.h2.retryableRead5XX", "retrying");
  ASSERT_TRUE(retrying->started());
  const int port = retrying->port("h2");
  auto r = run_tool({"nghttp", "-v", "--timeout=10",
                     "http://127.0.0.1:" + std::to_string(port) + "/cancel-mid-body-once?k=r"});
  EXPECT_NE(r.out.find(":status: 200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("method GET"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("RST_STREAM"), std::string::npos) << r.out;
  EXPECT_EQ(streams_seen("/cancel-mid-body-once?k=r"), 2);
  EXPECT_EQ(
      retrying->metric("rt/h2/service/svc/127.0.0.1:" + std::to_string(port) + "/retries/total"),
      1);
}

/// A response the classifier could not retry whatever its end (the default nonRetryable5XX) is
/// not held for classification: its head and first data go on at once, however long the
/// stream then stays open.
TEST_F(H2Requeue, AResponseThatCouldNotBeRetriedIsNotHeld) {
  auto plain = holding_meshd("io.l5d.h2.nonRetryable5XX", "plain");
  ASSERT_TRUE(plain->started());
  // /hold answers 200 and "x" and keeps the stream open: nghttp gives up after 3 s. Held for
  // classification (one minute here), it would see nothing by then.
  auto r = run_tool({"nghttp", "-v", "--timeout=3",
                     "http://127.0.0.1:" + std::to_string(plain->port("h2")) + "/hold?k=open"});
  EXPECT_NE(r.out.find(":status: 200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recv DATA frame <length=1"), std::string::npos) << r.out;
}

/// A try given up because its client left says nothing about the endpoint: failure accrual
/// does not count it (with `failures: 1`, one such try used to mark the endpoint dead).
TEST_F(H2Requeue, ATryAbandonedByItsClientDoesNotCountAgainstTheEndpoint) {
  // The endpoint never answers /hold-nohead: curl gives up and closes its connection.
  auto r = run_tool({"curl", "-sS", "--http2-prior-knowledge", "--max-time", "0.5",
                     base_ + "/hold-nohead?k=abandoned"});
  EXPECT_EQ(r.exit_code, 28) << r.err;  // timed out
  // The try ends (as a failure of the client's) once meshd has seen the client go.
  ASSERT_TRUE(eventually([&] { return client_metric("failures") >= 1; }));
  EXPECT_LE(client_metric("failure_accrual/removals"), 0);
}

/// The h2 router in front of nghttpd (a real h2c server with files), default identifier.
class H2Nghttpd : public ::testing::Test {
 protected:
  void SetUp() override {
    nghttpd_ = std::make_unique<ScriptProcess>("tests/http2/client_nghttpd.py",
                                               std::vector<std::string>{});
    ASSERT_EQ(nghttpd_->first_line().find("unavailable"), std::string::npos)
        << nghttpd_->first_line();
  }

  std::string config(const std::string& server_tls) {
    return "admin: {ip: 127.0.0.1, port: 0}\n"
           "routers:\n"
           "- protocol: h2\n"
           "  label: h2\n"
           "  dtab: /svc => /$/inet/127.0.0.1/" +
           nghttpd_->first_line() +
           ";\n"
           "  servers:\n"
           "  - ip: 127.0.0.1\n"
           "    port: 0\n" +
           server_tls;
  }

  TempDir dir_;
  std::unique_ptr<ScriptProcess> nghttpd_;
};

TEST_F(H2Nghttpd, CurlNghttpAndH2loadOverH2c) {
  Meshd meshd(dir_.path(), config(""));
  ASSERT_TRUE(meshd.started());
  const std::string url = "http://127.0.0.1:" + std::to_string(meshd.port("h2")) + "/small.txt";

  auto prior = curl({"--http2-prior-knowledge", url});
  EXPECT_NE(prior.out.find("HTTP/2 200"), std::string::npos) << prior.out << prior.err;
  EXPECT_NE(prior.out.find("via: h2 linkerd"), std::string::npos) << prior.out;
  EXPECT_NE(prior.out.find("hello from nghttpd"), std::string::npos) << prior.out;
  auto upgrade = curl({"--http2", url});
  EXPECT_NE(upgrade.out.find("HTTP/1.1 101 Switching Protocols"), std::string::npos)
      << upgrade.out;
  EXPECT_NE(upgrade.out.find("HTTP/2 200"), std::string::npos) << upgrade.out;
  EXPECT_NE(upgrade.out.find("hello from nghttpd"), std::string::npos) << upgrade.out;
  auto nghttp = run_tool({"nghttp", "-v", url});
  EXPECT_NE(nghttp.out.find(":status: 200"), std::string::npos) << nghttp.out;
  EXPECT_NE(nghttp.out.find("l5d-success-class: 1.0"), std::string::npos) << nghttp.out;

  // A 4 MiB body streams through with flow control on both sides.
  auto big = run_tool({"sh", "-c",
                       "curl -s --http2-prior-knowledge http://127.0.0.1:" +
                           std::to_string(meshd.port("h2")) + "/big.bin | wc -c"});
  EXPECT_EQ(big.out, "4194304\n");

  auto load = run_tool({"h2load", "-n", "2000", "-c", "4", "-m", "10", url});
  EXPECT_NE(load.out.find("2000 succeeded, 0 failed, 0 errored"), std::string::npos) << load.out;
  EXPECT_NE(load.out.find("status codes: 2000 2xx"), std::string::npos) << load.out;
  EXPECT_EQ(meshd.metric("rt/h2/service/svc/127.0.0.1:" + std::to_string(meshd.port("h2")) +
                         "/success"),
            2004);
  const std::string server = "rt/h2/server/127.0.0.1/" + std::to_string(meshd.port("h2"));
  EXPECT_EQ(meshd.metric(server + "/requests"), 2004);
  EXPECT_EQ(meshd.metric(server + "/h2/open_streams"), 0);
  EXPECT_EQ(meshd.metric(server + "/h2/protocol_errors"), 0);
}

TEST_F(H2Nghttpd, TlsWithAlpnH2) {
  auto gen = run_tool({"sh", (source_dir() / "tests/unit/transport/gen_server_certs.sh").string(),
                       (dir_.path() / "certs").string()});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  Meshd meshd(dir_.path(), config("    tls:\n      certPath: " +
                                  (dir_.path() / "certs/server-ec.crt").string() +
                                  "\n      keyPath: " +
                                  (dir_.path() / "certs/server-ec.key").string() + "\n"));
  ASSERT_TRUE(meshd.started());
  const std::string port = std::to_string(meshd.port("h2"));

  auto https = curl({"--http2", "--cacert", (dir_.path() / "certs/ca.crt").string(),
                     "https://127.0.0.1:" + port + "/small.txt"});
  EXPECT_NE(https.out.find("HTTP/2 200"), std::string::npos) << https.out << https.err;
  EXPECT_NE(https.out.find("hello from nghttpd"), std::string::npos) << https.out;
  auto s_client = run_tool({"sh", "-c",
                            "openssl s_client -connect 127.0.0.1:" + port +
                                " -alpn h2 </dev/null 2>&1"});
  EXPECT_NE(s_client.out.find("ALPN protocol: h2"), std::string::npos) << s_client.out;
}

TEST_F(H2Nghttpd, ClientTlsNegotiatesH2ByAlpn) {
  auto tls_backend = std::make_unique<ScriptProcess>("tests/http2/client_nghttpd.py",
                                                     std::vector<std::string>{"--tls"});
  ASSERT_EQ(tls_backend->first_line().find("unavailable"), std::string::npos);
  Meshd meshd(dir_.path(),
              "admin: {ip: 127.0.0.1, port: 0}\n"
              "routers:\n"
              "- protocol: h2\n"
              "  label: h2\n"
              "  dtab: /svc => /$/inet/127.0.0.1/" +
                  tls_backend->first_line() +
                  ";\n"
                  "  servers: [{ip: 127.0.0.1, port: 0}]\n"
                  "  client:\n"
                  "    tls:\n"
                  "      disableValidation: true\n");
  ASSERT_TRUE(meshd.started());

  auto r = curl({"--http2-prior-knowledge",
                 "http://127.0.0.1:" + std::to_string(meshd.port("h2")) + "/small.txt"});
  EXPECT_NE(r.out.find("HTTP/2 200"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("hello from nghttpd"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace meshd::itest
