// The HTTP/2 server against raw-frame peers (tests/http2/server_peer.py): flow control,
// cancellation, error mapping, drain, and abuse that must end the connection.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "meshd/core/spawn.h"
#include "testing/script_process.h"
#include "unit/http2/server_test_support.h"

namespace meshd::http2::server_test {
namespace {

class Http2ServerPeerTest : public Http2ServerFixture {
 protected:
  /// Runs one scenario of server_peer.py against the server and returns its report.
  std::map<std::string, std::string> play(const std::string& mode,
                                          const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv{mode, std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    meshd::testing::ScriptProcess peer("tests/http2/server_peer.py", argv);
    line_ = peer.first_line();
    RecordProperty("report", line_);
    auto report = parse_report(line_);
    EXPECT_EQ(report.count("error"), 0u) << line_;
    return report;
  }
  bool reason_seen(const std::string& reason) {
    auto all = hooks_->reasons_copy();
    return std::find(all.begin(), all.end(), reason) != all.end();
  }

  std::string line_;
};

TEST_F(Http2ServerPeerTest, RequestBodyFlowControlFollowsTheReader) {
  start();

  auto r = play("flow", {"1000000"});

  // The service did not read: the client stopped after one stream window, and the server
  // took no more than that (plus headers and control frames) off the socket.
  EXPECT_EQ(r["blocked_at"], "65535") << line_;
  ASSERT_FALSE(r["server_bytes"].empty()) << line_;
  EXPECT_LT(std::stoul(r["server_bytes"]), 65535u + 4096u) << line_;
  // Once read, the whole body went through.
  EXPECT_EQ(r["status"], "200") << line_;
  EXPECT_EQ(r["body"], "held_1000000") << line_;
}

TEST_F(Http2ServerPeerTest, WindowUpdatesAreBatchedByTheRatio) {
  options_.settings.window_update_ratio = 0.5;
  start();

  auto r = play("flow", {"300000"});

  EXPECT_EQ(r["status"], "200") << line_;
  ASSERT_FALSE(r["min_update"].empty()) << line_;
  EXPECT_GE(std::stoul(r["min_update"]), 32767u) << line_;
}

TEST_F(Http2ServerPeerTest, ResponseBodyIsPulledOnlyAsTheClientReads) {
  start();

  auto r = play("slow_reader");

  EXPECT_EQ(r["got"], "1024") << line_;
  ASSERT_FALSE(r["pieces"].empty()) << line_;
  EXPECT_LE(std::stoi(r["pieces"]), 3) << line_;
}

TEST_F(Http2ServerPeerTest, ClientResetCancelsTheServiceCall) {
  start();

  auto r = play("cancel");

  EXPECT_EQ(r["interim"], "103") << line_;
  EXPECT_TRUE(state_->slow_ended.wait(5000ms));
  EXPECT_TRUE(state_->slow_cancelled.load());
}

TEST_F(Http2ServerPeerTest, AStreamAfterACancelledOneIsNotCancelled) {
  start();
  const auto errors_before = meshd::internal_errors();
  meshd::testing::ScriptProcess peer("tests/http2/server_peer.py",
                                     {"cancel_then_more", std::to_string(port_)});
  ASSERT_EQ(peer.first_line(), "reset");
  ASSERT_TRUE(state_->slow_ended.wait(5000ms));
  EXPECT_TRUE(state_->slow_cancelled.load());

  // The service of stream 1 has ended, so the worker that ran it is idle and runs stream 3:
  // stream 1's cancellation must not reach stream 3.
  peer.send_line("go");
  const std::string line = peer.next_line();
  auto r = parse_report(line);
  EXPECT_EQ(r["done"], "1") << line;
  EXPECT_EQ(r["s3"], "103-200/none/after_interim") << line;
  // No worker ended with an error along the way (a worker still cancelled would have).
  EXPECT_EQ(meshd::internal_errors(), errors_before);
}

TEST_F(Http2ServerPeerTest, MapsErrorsAndBodilessResponses) {
  start();

  auto r = play("errors");

  // status-list/rst/data-bytes/trailers
  EXPECT_EQ(r["done"], "1") << line_;
  EXPECT_EQ(r["s1"], "none/7/0/n") << line_;    // overloaded → REFUSED_STREAM
  EXPECT_EQ(r["s3"], "none/2/0/n") << line_;    // timeout → INTERNAL_ERROR
  EXPECT_EQ(r["s5"], "200/2/3/n") << line_;     // body failed after "abc" → INTERNAL_ERROR
  EXPECT_EQ(r["s7"], "204/none/0/n") << line_;  // 204: no DATA
  EXPECT_EQ(r["s9"], "200/none/0/n") << line_;  // HEAD: no DATA
  EXPECT_EQ(r["s11"], "103-200/none/13/n") << line_;
  EXPECT_EQ(r["s13"], "200/none/11/t") << line_;
}

TEST_F(Http2ServerPeerTest, DrainSendsGoawayFinishesStreamsAndCloses) {
  start();

  auto r = play("drain");

  EXPECT_EQ(r["done"], "1") << line_;
  EXPECT_EQ(r["s1"], "200") << line_;
  EXPECT_EQ(r["s3"], "200") << line_;
  EXPECT_EQ(r["goaway"], "0") << line_;
  EXPECT_EQ(r["last"], "3") << line_;
  EXPECT_EQ(r["closed"], "1") << line_;
}

TEST_F(Http2ServerPeerTest, IdleTimeoutClosesAnIdleConnection) {
  options_.idle_timeout = 300ms;
  start();

  auto r = play("idle");

  EXPECT_EQ(r["goaway"], "0") << line_;
  EXPECT_EQ(r["closed"], "1") << line_;
  EXPECT_GE(std::stoi(r["ms"]), 250) << line_;
  EXPECT_EQ(hooks_->protocol_errors.load(), 0);
}

TEST_F(Http2ServerPeerTest, RefusesStreamsOverTheConcurrencyLimit) {
  options_.settings.max_concurrent_streams = 4;
  start();

  auto r = play("refused", {"6"});

  EXPECT_EQ(r["refused"], "9,11") << line_;
  EXPECT_EQ(r["ok"], "1,3,5,7") << line_;
}

TEST_F(Http2ServerPeerTest, RapidResetGetsEnhanceYourCalm) {
  options_.reset_burst = 100;
  options_.reset_rate_per_second = 10;
  start();

  auto r = play("rapid_reset", {"3000"});

  EXPECT_EQ(r["goaway"], "11") << line_;
  EXPECT_EQ(r["closed"], "1") << line_;
  EXPECT_LE(state_->calls.load(), 110);
  EXPECT_TRUE(reason_seen("too many stream resets"));
}

TEST_F(Http2ServerPeerTest, ContinuationFloodClosesTheConnection) {
  start();

  auto r = play("continuation_flood", {"100"});

  EXPECT_EQ(r["closed"], "1") << line_;
  EXPECT_EQ(r["goaway"], "11") << line_;
  EXPECT_EQ(state_->calls.load(), 0);
  EXPECT_TRUE(reason_seen("too many continuation frames"));
}

TEST_F(Http2ServerPeerTest, HeaderListOverTheLimitGets431) {
  start();

  auto r = play("big_headers", {"9000"});

  EXPECT_EQ(r["done"], "1") << line_;
  EXPECT_EQ(r["status1"], "431") << line_;
  EXPECT_EQ(r["status3"], "200") << line_;
  EXPECT_EQ(state_->calls.load(), 1);
}

TEST_F(Http2ServerPeerTest, HpackBombClosesTheConnection) {
  start();

  auto r = play("hpack_bomb");

  EXPECT_EQ(r["first"], "200") << line_;
  EXPECT_EQ(r["goaway"], "11") << line_;
  EXPECT_EQ(r["closed"], "1") << line_;
  EXPECT_EQ(state_->calls.load(), 1);
  EXPECT_TRUE(reason_seen("header block over the limit"));
}

TEST_F(Http2ServerPeerTest, SettingsFloodClosesTheConnection) {
  start();

  auto r = play("settings_flood", {"100"});

  EXPECT_EQ(r["goaway"], "11") << line_;
  EXPECT_EQ(r["closed"], "1") << line_;
  EXPECT_TRUE(reason_seen("too many settings"));
}

}  // namespace
}  // namespace meshd::http2::server_test
