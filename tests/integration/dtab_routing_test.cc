// Per-request routing with dtabs, end to end (issue 3): staging with l5d-dtab across two hops,
// a dogfood override set by an edge, a 90/10 weighted shift, and io.l5d.fs edits under load.
// Real meshd, real curl and wrk, python backends that identify themselves (x-backend).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "harness.h"

namespace meshd::itest {
namespace {

namespace fs = std::filesystem;

/// Writes `text` to `path` atomically (write a sibling, rename over), as deploy tools do.
void write_atomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  std::ofstream(tmp) << text;
  fs::rename(tmp, path);
}

std::string endpoint(const Backend& b) { return "127.0.0.1 " + std::to_string(b.port()) + "\n"; }


/// hello, world-v1 and world-v2 registered with io.l5d.fs; meshd with an `outgoing` router
/// (what apps call through http_proxy) and an `edge` router (ingress traffic to hello).
class DtabRouting : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(disco_);
    write_atomically(disco_ / "hello", endpoint(hello_));
    write_atomically(disco_ / "world-v1", endpoint(v1_));
    write_atomically(disco_ / "world-v2", endpoint(v2_));
  }

  std::string config(const std::string& world_dentry) const {
    const std::string dtab =
        "    /srv => /#/io.l5d.fs;\n"
        "    /host => /srv;\n"
        "    " +
        world_dentry +
        ";\n"
        "    /svc => /host;\n";
    return "admin: {ip: 127.0.0.1, port: 0}\n"
           "workers: 2\n"
           "routers:\n"
           "- protocol: http\n"
           "  label: outgoing\n"
           "  dtab: |\n" +
           dtab +
           "  servers: [{ip: 127.0.0.1, port: 0}]\n"
           "- protocol: http\n"
           "  label: edge\n"
           "  dtab: |\n" +
           dtab +
           "  servers: [{ip: 127.0.0.1, port: 0}]\n"
           "namers:\n"
           "- kind: io.l5d.fs\n"
           "  rootDir: " +
           disco_.string() + "\n";
  }

  /// GET http://hello/call/world through `router`: hello calls world through `outgoing`.
  ToolResult via_hello(Meshd& meshd, const std::string& router,
                       const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{
        "-x", "http://127.0.0.1:" + std::to_string(meshd.port(router)),
        "http://hello/call/world?proxy=" + std::to_string(meshd.port("outgoing"))};
    args.insert(args.end(), extra.begin(), extra.end());
    return curl(args);
  }

  /// Requests served by `b` so far, asked directly.
  long hits(const Backend& b) {
    auto r = curl({"http://127.0.0.1:" + std::to_string(b.port()) + "/hits"});
    auto body = r.out.substr(r.out.find("\r\n\r\n") + 4);
    return std::stol(body);
  }

  TempDir dir_;
  fs::path disco_ = dir_.path() / "disco";
  Backend hello_{dir_.path(), "hello"};
  Backend v1_{dir_.path(), "world-v1"};
  Backend v2_{dir_.path(), "world-v2"};
};

TEST_F(DtabRouting, StagingOverrideChangesThatRequestOnlyAndReachesTheNextHop) {
  Meshd meshd(dir_.path(), config("/host/world => /srv/world-v1"));
  ASSERT_TRUE(meshd.started());

  auto plain = via_hello(meshd, "outgoing");
  auto staged = via_hello(meshd, "outgoing", {"-H", "l5d-dtab: /host/world => /srv/world-v2"});
  auto after = via_hello(meshd, "outgoing");

  EXPECT_EQ(header_value(plain.out, "x-backend"), "hello") << plain.out;
  EXPECT_EQ(header_value(plain.out, "x-next-backend"), "world-v1") << plain.out;
  EXPECT_EQ(header_value(staged.out, "x-backend"), "hello") << staged.out;
  EXPECT_EQ(header_value(staged.out, "x-next-backend"), "world-v2") << staged.out;
  // The second hop saw the override as l5d-ctx-dtab (hello forwarded it, not l5d-dtab).
  EXPECT_NE(staged.out.find(R"(["l5d-ctx-dtab", "/host/world=>/srv/world-v2"])"), std::string::npos)
      << staged.out;
  EXPECT_EQ(header_value(after.out, "x-next-backend"), "world-v1") << after.out;
}

TEST_F(DtabRouting, DogfoodHeaderSetByTheEdgeRoutesTheWholeCallChain) {
  Meshd meshd(dir_.path(), config("/host/world => /srv/world-v1"));
  ASSERT_TRUE(meshd.started());
  // The edge proxy in front of meshd adds the dogfood dtab for employees (cookie dogfood=1);
  // here the test plays that edge and sends what it would forward to meshd's edge router.
  const std::string dogfood = "/host/world => /srv/world-v2";

  auto employee =
      via_hello(meshd, "edge", {"-H", "Cookie: dogfood=1", "-H", "l5d-dtab: " + dogfood});
  auto customer = via_hello(meshd, "edge", {"-H", "Cookie: dogfood=0"});

  EXPECT_EQ(header_value(employee.out, "x-next-backend"), "world-v2") << employee.out;
  EXPECT_EQ(header_value(customer.out, "x-next-backend"), "world-v1") << customer.out;
}

TEST_F(DtabRouting, WeightedUnionSplitsTrafficNinetyTen) {
  Meshd meshd(dir_.path(), config("/host/world => 9 * /srv/world-v1 & 1 * /srv/world-v2"));
  ASSERT_TRUE(meshd.started());
  const int n = 10000;
  // One curl, one keep-alive connection, n requests (a config file of n URLs).
  fs::path urls = dir_.path() / "urls.txt";
  {
    std::ofstream out(urls);
    for (int i = 0; i < n; ++i) {
      out << "url = \"http://world/status/204\"\noutput = \"/dev/null\"\n";
    }
  }
  long v1_before = hits(v1_), v2_before = hits(v2_);

  auto r = run_tool({"curl", "-s", "-S", "--max-time", "300", "-x",
                     "http://127.0.0.1:" + std::to_string(meshd.port("outgoing")), "-w",
                     "%{http_code}\n", "-K", urls.string()},
                    std::chrono::seconds(320));

  ASSERT_EQ(r.exit_code, 0) << r.err;
  long ok = 0;
  for (std::size_t pos = 0; (pos = r.out.find("204\n", pos)) != std::string::npos; pos += 4) {
    ++ok;
  }
  EXPECT_EQ(ok, n);
  long v1 = hits(v1_) - v1_before - 1, v2 = hits(v2_) - v2_before - 1;  // minus the /hits calls
  EXPECT_EQ(v1 + v2, n);
  double share = static_cast<double>(v1) / n;
  EXPECT_NEAR(share, 0.9, 0.02) << "v1 " << v1 << " v2 " << v2;
}

TEST_F(DtabRouting, FsNamerEditsUnderLoadFailNoRequest) {
  if (!have_tool("wrk")) {
    FAIL() << "wrk is missing: make test installs it (scripts/bootstrap.sh)";
  }
  write_atomically(disco_ / "world", endpoint(v1_));
  Meshd meshd(dir_.path(), config("/host/world => /srv/world"));
  ASSERT_TRUE(meshd.started());
  std::string url = "http://127.0.0.1:" + std::to_string(meshd.port("outgoing")) + "/status/204";
  long v1_before = hits(v1_), v2_before = hits(v2_);

  std::thread load([&] {
    auto r =
        run_tool({"wrk", "-t2", "-c8", "-d6s", "-H", "Host: world", url}, std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("Socket errors"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("Non-2xx"), std::string::npos) << r.out;
    std::smatch m;
    EXPECT_TRUE(std::regex_search(r.out, m, std::regex(R"((\d+) requests in)"))) << r.out;
  });
  // Shift world v1 → v1+v2 → v2 → v1 → v1+v2 while the load runs. Each edit waits until the
  // backend it brings in has taken traffic (bounded), so every step is really exercised.
  const std::string both = endpoint(v1_) + "# canary\n" + endpoint(v2_);
  const std::vector<std::pair<std::string, const Backend*>> steps = {
      {both, &v2_}, {endpoint(v2_), &v2_}, {endpoint(v1_), &v1_}, {both, &v2_}};
  for (const auto& [text, fresh] : steps) {
    long before = hits(*fresh);
    write_atomically(disco_ / "world", text);
    EXPECT_TRUE(eventually([&] { return hits(*fresh) > before + 20; }, std::chrono::seconds(5)))
        << "no traffic reached " << text;
  }
  load.join();

  EXPECT_GT(hits(v1_) - v1_before, 10);
  EXPECT_GT(hits(v2_) - v2_before, 10);
  EXPECT_EQ(meshd.metric("rt/outgoing/service/svc/world/failures"), 0) << "failures recorded";
}

TEST_F(DtabRouting, AdminExplainsDelegationAndShowsClientsAndBoundNames) {
  Meshd meshd(dir_.path(), config("/host/world => /srv/world-v1"));
  ASSERT_TRUE(meshd.started());
  std::string admin = "http://127.0.0.1:" + std::to_string(meshd.admin_port());
  ASSERT_NE(via_hello(meshd, "outgoing").out.find(" 200"), std::string::npos);

  auto get = curl({admin + "/delegator.json?namespace=outgoing&path=/svc/hello&dtab=" +
                   "/srv=>/%23/io.l5d.fs;/host=>/srv;/svc=>/host"});
  auto post =
      curl({"-H", "Content-Type: application/json", "--data",
            R"({"namespace":"outgoing","path":"/svc/nope","dtab":"/svc=>/$/inet/127.0.0.1/1"})",
            admin + "/delegator.json"});
  auto bad = curl({admin + "/delegator.json?namespace=outgoing&path=/svc/x&dtab=/a=>"});
  auto clients = curl({admin + "/client_state.json"});
  auto names = curl({admin + "/bound-names.json"});
  auto page = curl({admin + "/delegator"});

  EXPECT_NE(get.out.find(" 200"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find(R"("id":"/#/io.l5d.fs/hello")"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find(R"("dentry":{"prefix":"/srv","dst":"/#/io.l5d.fs"})"), std::string::npos)
      << get.out;
  EXPECT_NE(post.out.find(R"("id":"/$/inet/127.0.0.1/1")"), std::string::npos) << post.out;
  EXPECT_NE(bad.out.find(" 400"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("Invalid dtab: "), std::string::npos) << bad.out;
  const std::string hello =
      "\"/#/io.l5d.fs/hello\":{\"state\":\"bound\",\"addresses\":[\"127.0.0.1:" +
      std::to_string(hello_.port()) + "\"]}";
  EXPECT_NE(clients.out.find(hello), std::string::npos) << clients.out;
  EXPECT_NE(clients.out.find("\"/#/io.l5d.fs/world-v1\""), std::string::npos) << clients.out;
  for (const char* name : {"hello", "world-v1", "world-v2"}) {
    EXPECT_NE(names.out.find(std::string("\"/#/io.l5d.fs/") + name + "\""), std::string::npos)
        << names.out;
  }
  EXPECT_NE(page.out.find("<html"), std::string::npos);
}

TEST_F(DtabRouting, AlternatesFallThroughNegAndStopAtFailAndEmpty) {
  Meshd meshd(dir_.path(), config("/host/world => /srv/world-v1;\n"
                                  "    /host/neg => /srv/missing | /srv/world-v2;\n"
                                  "    /host/fail => ! | /srv/world-v2;\n"
                                  "    /host/empty => /$/nil | /srv/world-v2"));
  ASSERT_TRUE(meshd.started());
  auto get = [&](const std::string& host) {
    return curl({"-x", "http://127.0.0.1:" + std::to_string(meshd.port("outgoing")),
                 "http://" + host + "/echo"});
  };

  auto neg = get("neg");
  auto fail = get("fail");
  auto empty = get("empty");

  EXPECT_EQ(header_value(neg.out, "x-backend"), "world-v2") << neg.out;
  for (const auto* r : {&fail, &empty}) {
    EXPECT_NE(r->out.find("HTTP/1.1 502"), std::string::npos) << r->out;
    EXPECT_NE(r->out.find("Unable to route request!"), std::string::npos) << r->out;
  }
}

TEST_F(DtabRouting, FsInterpreterDtabFileAndPortTransformerRouteLive) {
  // The dtab lives in a watched file (interpreter io.l5d.fs); a port transformer rewrites every
  // bound address to world-v2's port, so whatever the file says, v2 answers, under a /% id.
  const fs::path dtab_file = dir_.path() / "dtab";
  write_atomically(dtab_file, "/svc/world => /#/io.l5d.fs/world-v1;\n");
  std::string yaml =
      "admin: {ip: 127.0.0.1, port: 0}\n"
      "routers:\n"
      "- protocol: http\n"
      "  label: outgoing\n"
      "  interpreter:\n"
      "    kind: io.l5d.fs\n"
      "    dtabFile: " +
      dtab_file.string() +
      "\n"
      "    transformers:\n"
      "    - kind: io.l5d.port\n"
      "      port: " +
      std::to_string(v2_.port()) +
      "\n"
      "  servers: [{ip: 127.0.0.1, port: 0}]\n"
      "namers:\n"
      "- kind: io.l5d.fs\n"
      "  rootDir: " +
      disco_.string() + "\n";
  Meshd meshd(dir_.path(), yaml);
  ASSERT_TRUE(meshd.started());
  std::vector<std::string> args{"-x", "http://127.0.0.1:" + std::to_string(meshd.port("outgoing")),
                                "http://world/echo"};

  auto before = curl(args);
  write_atomically(dtab_file, "/svc/world => /#/io.l5d.fs/hello;\n");
  const std::string hello_id =
      "/%/io.l5d.port/" + std::to_string(v2_.port()) + "/#/io.l5d.fs/hello";
  std::string after;
  for (int i = 0; i < 300 && after.find(hello_id) == std::string::npos; ++i) {
    after = curl(args).out;  // bounded: the dtab file is watched with inotify
  }

  EXPECT_EQ(header_value(before.out, "x-backend"), "world-v2") << before.out;
  EXPECT_NE(
      before.out.find("/%/io.l5d.port/" + std::to_string(v2_.port()) + "/#/io.l5d.fs/world-v1"),
      std::string::npos)
      << before.out;
  EXPECT_NE(after.find(hello_id), std::string::npos) << after;
  EXPECT_EQ(header_value(after, "x-backend"), "world-v2") << after;
}

}  // namespace
}  // namespace meshd::itest
