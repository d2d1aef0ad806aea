// Resilience end to end (issue 4): per-service timeouts, classified retries under budgets,
// failure accrual, attempt timeouts, deadlines, connection limits. Real meshd, real curl and
// wrk, python backends that delay, fail, reset and hang on demand (backend.py /mode/<m>).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <string>
#include <thread>

#include "harness.h"

namespace meshd::itest {
namespace {

namespace fs = std::filesystem;


/// The status code of a `curl -i` output, or 0.
int status_of(const std::string& out) {
  std::smatch m;
  std::regex re("^HTTP/1\\.[01] ([0-9]{3})");
  return std::regex_search(out, m, re) ? std::stoi(m[1].str()) : 0;
}

/// The body of a `curl -i` output.
std::string body_of(const std::string& out) {
  auto at = out.find("\r\n\r\n");
  return at == std::string::npos ? "" : out.substr(at + 4);
}

/// Numbers out of a wrk report.
struct WrkRun {
  long requests = 0;
  long non_2xx = 0;
  long socket_errors = 0;
  std::string out;
};

WrkRun wrk(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"wrk"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_tool(argv, std::chrono::seconds(60));
  WrkRun run;
  run.out = r.out + r.err;
  std::smatch m;
  if (std::regex_search(r.out, m, std::regex("([0-9]+) requests in"))) {
    run.requests = std::stol(m[1].str());
  }
  if (std::regex_search(r.out, m, std::regex("Non-2xx or 3xx responses: ([0-9]+)"))) {
    run.non_2xx = std::stol(m[1].str());
  }
  std::regex errors("(connect|read|write|timeout) ([0-9]+)");
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), errors);
       it != std::sregex_iterator(); ++it) {
    run.socket_errors += std::stol((*it)[2].str());
  }
  return run;
}

/// Backends registered with io.l5d.fs under `disco`; meshd's `outgoing` router with the
/// `service` and `client` sections a test gives.
class Resilience : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(disco_);
    if (!have_tool("wrk")) {
      GTEST_FAIL() << "wrk is missing: make test installs it (scripts/bootstrap.sh)";
    }
  }

  /// Registers `name` with the addresses of `backends`.
  void serve(const std::string& name, const std::vector<const Backend*>& backends) {
    std::string text;
    for (const auto* b : backends) {
      text += "127.0.0.1 " + std::to_string(b->port()) + "\n";
    }
    fs::path tmp = disco_ / ("." + name + ".tmp");
    std::ofstream(tmp) << text;
    fs::rename(tmp, disco_ / name);
  }

  /// The config: `policy` is YAML for the router (indented two spaces: `  service: …`).
  std::string config(const std::string& policy, int workers = 1,
                     const std::string& server_extra = "") const {
    return "admin: {ip: 127.0.0.1, port: 0}\n"
           "workers: " +
           std::to_string(workers) +
           "\n"
           "routers:\n"
           "- protocol: http\n"
           "  label: outgoing\n"
           "  dtab: /svc => /#/io.l5d.fs;\n"
           "  servers: [{ip: 127.0.0.1, port: 0" +
           server_extra + "}]\n" + policy +
           "namers:\n"
           "- kind: io.l5d.fs\n"
           "  rootDir: " +
           disco_.string() + "\n";
  }

  /// `curl -si` through meshd's outgoing router as an http_proxy client.
  ToolResult get(Meshd& meshd, const std::string& url, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{
        "-x", "http://127.0.0.1:" + std::to_string(meshd.port("outgoing")), url};
    args.insert(args.end(), extra.begin(), extra.end());
    return curl(args);
  }

  /// Asks `b` directly: `path` (`/hits`, `/mode/fail`), returns the body.
  std::string ask(const Backend& b, const std::string& path) {
    return body_of(curl({"http://127.0.0.1:" + std::to_string(b.port()) + path}).out);
  }
  long hits(const Backend& b, const std::string& method = "") {
    return std::stol(ask(b, method.empty() ? "/hits" : "/hits/" + method));
  }

  /// How many of `outs` had each status, and the last output with `status` in `*kept`.
  static std::map<int, int> tally(const std::vector<std::string>& outs, int status,
                                  std::string* kept, std::string* all) {
    std::map<int, int> statuses;
    for (const auto& out : outs) {
      *all += out + "\n----\n";
      ++statuses[status_of(out)];
      if (status_of(out) == status) {
        *kept = out;
      }
    }
    return statuses;
  }

  /// `n` GETs of a 1.5 s response through meshd at once; their `curl -i` outputs.
  std::vector<std::string> slow_gets(Meshd& meshd, int n) {
    std::vector<std::future<ToolResult>> calls;
    for (int i = 0; i < n; ++i) {
      calls.push_back(
          std::async(std::launch::async, [&] { return get(meshd, "http://app/slow/1500"); }));
    }
    std::vector<std::string> outs;
    for (auto& c : calls) {
      outs.push_back(c.get().out);
    }
    return outs;
  }

  TempDir dir_;
  fs::path disco_ = dir_.path() / "disco";
};

// The mission's hello/world example: 600 ms for hello, 100 ms for world. A response inside the
// budget passes; a slower one becomes Linkerd's exact 503.
TEST_F(Resilience, PerServiceTotalTimeoutsGiveLinkerdsExact503OnlyWhenExceeded) {
  Backend hello(dir_.path(), "hello");
  Backend world(dir_.path(), "world");
  serve("hello", {&hello});
  serve("world", {&world});
  Meshd meshd(dir_.path(), config("  service:\n"
                                  "    kind: io.l5d.static\n"
                                  "    configs:\n"
                                  "    - prefix: /svc/hello\n"
                                  "      totalTimeoutMs: 600\n"
                                  "    - prefix: /svc/world\n"
                                  "      totalTimeoutMs: 100\n"));
  ASSERT_TRUE(meshd.started());

  auto hello_fast = get(meshd, "http://hello/slow/200");
  auto hello_slow = get(meshd, "http://hello/slow/1500");
  auto world_fast = get(meshd, "http://world/slow/10");
  auto world_slow = get(meshd, "http://world/slow/400");

  EXPECT_EQ(status_of(hello_fast.out), 200) << hello_fast.out;
  EXPECT_EQ(body_of(hello_fast.out), "slow");
  EXPECT_EQ(status_of(world_fast.out), 200) << world_fast.out;
  EXPECT_EQ(status_of(hello_slow.out), 503) << hello_slow.out;
  EXPECT_EQ(body_of(hello_slow.out),
            "exceeded 600.milliseconds to unspecified while waiting for a response for the "
            "request, including retries (if applicable). Remote Info: Not Available");
  EXPECT_EQ(header_value(hello_slow.out, "l5d-err"),
            "exceeded+600.milliseconds+to+unspecified+while+waiting+for+a+response+for+the+"
            "request%2C+including+retries+%28if+applicable%29.+Remote+Info%3A+Not+Available");
  EXPECT_EQ(status_of(world_slow.out), 503) << world_slow.out;
  EXPECT_EQ(body_of(world_slow.out),
            "exceeded 100.milliseconds to unspecified while waiting for a response for the "
            "request, including retries (if applicable). Remote Info: Not Available");
  // Successful responses carry the classifier's verdict; Linkerd's errors carry none.
  EXPECT_EQ(header_value(hello_fast.out, "l5d-success-class"), "1.0");
  EXPECT_EQ(header_value(hello_slow.out, "l5d-success-class"), "");
  EXPECT_EQ(meshd.metric("rt/outgoing/service/svc/hello/failures"), 1);
  EXPECT_EQ(meshd.metric("rt/outgoing/service/svc/world/success"), 1);
}

// A GET endpoint failing half the time looks healthy through meshd with a read classifier and
// a budget that allows it; a POST to it is never replayed.
TEST_F(Resilience, RetriesLiftAFlakyGetEndpointAndNeverReplayAPost) {
  Backend flaky(dir_.path(), "flaky");
  serve("flaky", {&flaky});
  Meshd meshd(dir_.path(), config("  service:\n"
                                  "    responseClassifier: {kind: io.l5d.http.retryableRead5XX}\n"
                                  "    retries:\n"
                                  "      budget: {percentCanRetry: 4.0}\n",
                                  2));
  ASSERT_TRUE(meshd.started());

  std::string url = "http://127.0.0.1:" + std::to_string(meshd.port("outgoing")) + "/flaky/50";
  auto run = wrk({"-t2", "-c4", "-d3s", "-H", "Host: flaky", url});
  ASSERT_GT(run.requests, 200) << run.out;
  EXPECT_EQ(run.socket_errors, 0) << run.out;
  double success = 1.0 - static_cast<double>(run.non_2xx) / static_cast<double>(run.requests);
  EXPECT_GE(success, 0.99) << run.out;
  double retries = meshd.metric("rt/outgoing/service/svc/flaky/retries/total");
  EXPECT_GT(retries, 0.3 * static_cast<double>(run.requests)) << run.out;
  RecordProperty("get_success", std::to_string(success));

  long posts = 40;
  int failed = 0;
  for (long i = 0; i < posts; ++i) {
    auto r = get(meshd, "http://flaky/flaky/50", {"-X", "POST", "-d", "payload"});
    failed += status_of(r.out) == 500 ? 1 : 0;
  }
  EXPECT_EQ(hits(flaky, "POST"), posts);  // one attempt per POST: none replayed
  EXPECT_GT(failed, 0);                   // so some failures reached the client as they were
}

// With every request failing, the default budget caps retries at 20 % of requests plus the
// reserve (10/s over the 10 s ttl), split between the workers.
TEST_F(Resilience, UnderTotalFailureTheBudgetCapsRetries) {
  Backend down(dir_.path(), "down");
  serve("down", {&down});
  ask(down, "/mode/fail");
  Meshd meshd(dir_.path(), config("  service:\n"
                                  "    responseClassifier: {kind: io.l5d.http.retryableRead5XX}\n",
                                  2));
  ASSERT_TRUE(meshd.started());

  std::string url = "http://127.0.0.1:" + std::to_string(meshd.port("outgoing")) + "/echo";
  auto run = wrk({"-t2", "-c4", "-d3s", "-H", "Host: down", url});
  ASSERT_GT(run.requests, 500) << run.out;
  double requests = meshd.metric("rt/outgoing/service/svc/down/requests");
  double retries = meshd.metric("rt/outgoing/service/svc/down/retries/total");
  double exhausted = meshd.metric("rt/outgoing/service/svc/down/retries/budget_exhausted");
  long served = hits(down) - 2;  // less /mode and /hits
  // 20 % of the requests plus the 100-retry reserve, give or take the requests in flight when
  // wrk stopped; far from the unbounded amplification a plain retry loop would cause.
  EXPECT_LE(retries, 0.2 * requests + 100 + 8) << run.out;
  EXPECT_GE(retries, 0.2 * requests) << run.out;
  EXPECT_GT(exhausted, 0.5 * requests);
  EXPECT_NEAR(static_cast<double>(served), requests + retries, 8);
  RecordProperty("requests", std::to_string(requests));
  RecordProperty("retries", std::to_string(retries));
}

// An endpoint that fails is evicted after its consecutive failures, gets no traffic while
// dead, is probed after the backoff and revived once it answers again.
TEST_F(Resilience, FailureAccrualEvictsAndRevivesAnEndpoint) {
  Backend good(dir_.path(), "good");
  Backend bad(dir_.path(), "bad");
  serve("pair", {&good, &bad});
  Meshd meshd(dir_.path(), config("  client:\n"
                                  "    failureAccrual:\n"
                                  "      kind: io.l5d.consecutiveFailures\n"
                                  "      failures: 3\n"
                                  "      backoff: {kind: constant, ms: 1500}\n"));
  ASSERT_TRUE(meshd.started());
  ask(bad, "/mode/fail");

  // Drive requests until the bad endpoint has failed three times in a row.
  int failures = 0;
  for (int i = 0;
       i < 200 && meshd.metric("rt/outgoing/client/#/io.l5d.fs/pair/failure_accrual/removals") < 1;
       ++i) {
    failures += status_of(get(meshd, "http://pair/echo").out) == 500 ? 1 : 0;
  }
  ASSERT_EQ(meshd.metric("rt/outgoing/client/#/io.l5d.fs/pair/failure_accrual/removals"), 1);
  EXPECT_EQ(failures, 3);

  // Dead: every request goes to the good endpoint.
  long bad_before = hits(bad);
  int ok = 0;
  for (int i = 0; i < 10; ++i) {
    ok += status_of(get(meshd, "http://pair/echo").out) == 200 ? 1 : 0;
  }
  EXPECT_EQ(ok, 10);
  EXPECT_EQ(hits(bad), bad_before + 1);  // only our own /hits question
  EXPECT_EQ(meshd.metric("rt/outgoing/client/#/io.l5d.fs/pair/loadbalancer/size"), 2);

  // Healthy again: after the backoff a probe goes, succeeds, and the endpoint is back.
  ask(bad, "/mode/ok");
  for (int i = 0;
       i < 400 && meshd.metric("rt/outgoing/client/#/io.l5d.fs/pair/failure_accrual/revivals") < 1;
       ++i) {
    get(meshd, "http://pair/echo");
  }
  EXPECT_EQ(meshd.metric("rt/outgoing/client/#/io.l5d.fs/pair/failure_accrual/revivals"), 1);
  EXPECT_GE(meshd.metric("rt/outgoing/client/#/io.l5d.fs/pair/failure_accrual/probes"), 1);
  long bad_revived = hits(bad);
  for (int i = 0; i < 20; ++i) {
    get(meshd, "http://pair/echo");
  }
  EXPECT_GT(hits(bad), bad_revived + 2);  // takes traffic again

  // The endpoint set changes under the client: the balancer follows, and says so.
  const std::string lb = "rt/outgoing/client/#/io.l5d.fs/pair/loadbalancer/";
  EXPECT_EQ(meshd.metric(lb + "adds"), 2);
  serve("pair", {&good});
  for (int i = 0; i < 300 && meshd.metric(lb + "removes") < 1; ++i) {
    EXPECT_EQ(status_of(get(meshd, "http://pair/echo").out), 200);
  }
  EXPECT_EQ(meshd.metric(lb + "removes"), 1);
  EXPECT_EQ(meshd.metric(lb + "size"), 1);
}

// An attempt that hangs is cut by requestAttemptTimeoutMs and retried elsewhere; a reset
// connection is retried too; with nothing else to go to, the attempt timeout's 503 shows.
TEST_F(Resilience, AttemptTimeoutsAndResetsAreRetriedOnAnotherEndpoint) {
  Backend hang(dir_.path(), "hang");
  Backend reset(dir_.path(), "reset");
  Backend ok(dir_.path(), "ok");
  serve("mixed", {&hang, &reset, &ok});
  serve("stuck", {&hang});
  ask(hang, "/mode/hang");
  ask(reset, "/mode/reset");
  Meshd meshd(dir_.path(), config("  service:\n"
                                  "    responseClassifier: {kind: io.l5d.http.retryableRead5XX}\n"
                                  "  client:\n"
                                  "    requestAttemptTimeoutMs: 200\n"
                                  "    failureAccrual: {kind: none}\n"));
  ASSERT_TRUE(meshd.started());

  int good = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = get(meshd, "http://mixed/echo");
    good += status_of(r.out) == 200 && header_value(r.out, "x-backend") == "ok" ? 1 : 0;
  }
  EXPECT_EQ(good, 20);
  EXPECT_GT(meshd.metric("rt/outgoing/service/svc/mixed/retries/total"), 0);

  auto stuck = get(meshd, "http://stuck/echo", {"-X", "POST", "-d", "x"});
  EXPECT_EQ(status_of(stuck.out), 503) << stuck.out;
  EXPECT_EQ(body_of(stuck.out),
            "exceeded 200.milliseconds to #/io.l5d.fs/stuck while waiting for a response for an "
            "individual request, excluding retries. Remote Info: Not Available");
}

// l5d-ctx-deadline: read (strictest of the inbound values and totalTimeoutMs), propagated as
// two nanosecond timestamps, and enforced: an expired deadline starts no attempt.
TEST_F(Resilience, DeadlinesAreReadEnforcedAndPropagated) {
  Backend app(dir_.path(), "app");
  serve("app", {&app});
  Meshd meshd(dir_.path(), config("  service:\n"
                                  "    totalTimeoutMs: 5000\n"));
  ASSERT_TRUE(meshd.started());

  auto now_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  // A caller's deadline 2 s away is stricter than the 5 s total timeout: it is what goes on.
  long long sent = now_ns();
  long long inbound = sent + 2'000'000'000LL;
  auto r = get(meshd, "http://app/echo",
               {"-H", "l5d-ctx-deadline: " + std::to_string(sent) + " " + std::to_string(inbound),
                "-H", "l5d-ctx-deadline: garbage"});
  ASSERT_EQ(status_of(r.out), 200) << r.out;
  std::smatch m;
  std::string body = body_of(r.out);
  ASSERT_TRUE(std::regex_search(
      body, m, std::regex(R"re(\["l5d-ctx-deadline", "(-?[0-9]+) (-?[0-9]+)"\])re")))
      << body;
  long long ts = std::stoll(m[1].str());
  long long deadline = std::stoll(m[2].str());
  EXPECT_GE(ts, sent);
  EXPECT_LE(ts, now_ns());
  EXPECT_LE(deadline, inbound + 5'000'000LL);  // within clock conversion rounding
  EXPECT_GT(deadline, inbound - 100'000'000LL);

  // Without an inbound deadline the total timeout sets one, 5 s from when meshd sent it.
  auto own = get(meshd, "http://app/echo");
  body = body_of(own.out);
  ASSERT_TRUE(std::regex_search(
      body, m, std::regex(R"re(\["l5d-ctx-deadline", "(-?[0-9]+) (-?[0-9]+)"\])re")))
      << body;
  long long gap = std::stoll(m[2].str()) - std::stoll(m[1].str());
  EXPECT_GT(gap, 4'000'000'000LL);
  EXPECT_LE(gap, 5'000'000'000LL);

  // A deadline already past: no attempt starts, the caller gets the 503 at once.
  long long before = hits(app);
  long long past = now_ns() - 1'000'000'000LL;
  auto late =
      get(meshd, "http://app/echo",
          {"-H", "l5d-ctx-deadline: " + std::to_string(past - 1000) + " " + std::to_string(past)});
  EXPECT_EQ(status_of(late.out), 503) << late.out;
  EXPECT_EQ(hits(app), before + 1);  // only the /hits question itself
}

// servers[].maxConcurrentRequests rejects the excess at once, marked retryable for an upstream
// meshd (nothing reached the application).
TEST_F(Resilience, MaxConcurrentRequestsRejectsTheExcessAtOnce) {
  Backend app(dir_.path(), "app");
  serve("app", {&app});
  Meshd meshd(dir_.path(), config("", 1, ", maxConcurrentRequests: 2"));
  ASSERT_TRUE(meshd.started());

  std::string rejected, all;
  auto statuses = tally(slow_gets(meshd, 3), 503, &rejected, &all);
  EXPECT_EQ(statuses[200], 2) << all;
  EXPECT_EQ(statuses[503], 1) << all;
  EXPECT_EQ(header_value(rejected, "l5d-retryable"), "true") << rejected;
  EXPECT_EQ(body_of(rejected),
            "request rejected: 2 concurrent requests (maxConcurrentRequests) already in progress");
}

// hostConnectionPool caps the connections per endpoint and queues at most maxWaiters requests
// for one; the excess fails at once.
TEST_F(Resilience, HostConnectionPoolQueuesAtMostMaxWaiters) {
  Backend app(dir_.path(), "app");
  serve("app", {&app});
  Meshd meshd(dir_.path(), config("  client:\n"
                                  "    hostConnectionPool: {maxSize: 1, maxWaiters: 1}\n"));
  ASSERT_TRUE(meshd.started());

  std::string rejected, all;
  auto statuses = tally(slow_gets(meshd, 3), 502, &rejected, &all);
  // One runs, one waits for its connection and then runs, one is turned away.
  EXPECT_EQ(statuses[200], 2) << all;
  EXPECT_EQ(statuses[502], 1) << all;
  EXPECT_NE(body_of(rejected).find("(hostConnectionPool.maxWaiters)"), std::string::npos)
      << rejected;
}

}  // namespace
}  // namespace meshd::itest
