// The binary as users and operators drive it: CLI, config validation, shutdown, load, the demo.

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <regex>

#include "harness.h"

namespace meshd::itest {
namespace {

std::string backend_config(std::uint16_t backend, int grace_ms = 10000) {
  return "admin: {ip: 127.0.0.1, port: 0, shutdownGraceMs: " + std::to_string(grace_ms) + "}\n"
         "routers:\n"
         "- protocol: http\n"
         "  label: outgoing\n"
         "  dtab: /svc => /$/inet/127.0.0.1/" + std::to_string(backend) + ";\n"
         "  servers: [{ip: 127.0.0.1, port: 0}]\n";
}

/// The port a demo service (started with `--port 0`) names in its "listening on ip:port" line.
std::uint16_t listening_port(Process& service) {
  auto rest = service.wait_for("listening on 127.0.0.1:", true, std::chrono::seconds(10));
  return rest ? static_cast<std::uint16_t>(std::stoi(*rest)) : 0;
}

TEST(Cli, VersionPrintsTheVersion) {
  auto r = run_tool({MESHD_BINARY, "version"});

  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("meshd ", 0), 0u) << r.out;
}

TEST(Cli, ValidateListsEveryErrorWithItsPositionAndExits2) {
  TempDir dir;
  std::ofstream(dir.path() / "bad.yaml") << "routers:\n"
                                            "- protocol: http\n"
                                            "  dtab: /svc => \n"
                                            "  servers: [{port: 99999}]\n"
                                            "  bogus: 1\n";

  auto r = run_tool({MESHD_BINARY, "-validate", (dir.path() / "bad.yaml").string()});

  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:3:3: routers[0].dtab: invalid dtab: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.yaml:4:14: routers[0].servers[0].port: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.yaml:5:3: routers[0].bogus: unknown key"), std::string::npos) << r.err;
}

TEST(Cli, EveryShippedConfigValidates) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() / "config")) {
    if (!entry.is_regular_file()) {
      continue;
    }
    auto r = run_tool({MESHD_BINARY, "-validate", entry.path().string()});
    EXPECT_EQ(r.exit_code, 0) << entry.path() << ":\n" << r.err;
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

TEST(Cli, KubernetesConfigMapCarriesTheShippedConfig) {
  auto r = run_tool({"bash", (source_dir() / "scripts/k8s-configmap.sh").string(), "--check"});

  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(Cli, ReadsTheConfigFromStandardInput) {
  auto r = run_tool({"sh", "-c",
                     "printf 'routers:\\n- protocol: http\\n  servers: [{port: 0}]\\n' | " +
                         std::string(MESHD_BINARY) + " -validate -"});

  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Lifecycle, SigtermLetsInFlightRequestsFinishThenExits0) {
  TempDir dir;
  Backend backend(dir.path());
  Meshd meshd(dir.path(), backend_config(backend.port()));
  ASSERT_TRUE(meshd.started());
  auto port = meshd.port("outgoing");
  auto slow = std::async(std::launch::async, [port] {
    return raw_exchange(port, "GET /slow/700 HTTP/1.1\r\nHost: a\r\n\r\n", "slow");
  });
  // Wait (bounded) until the request is in flight before signalling.
  std::string pending = "rt/outgoing/server/127.0.0.1/" + std::to_string(port) + "/pending";
  ASSERT_TRUE(eventually([&] { return meshd.metric(pending) >= 1; })) << "never in flight";

  int status = meshd.process().signal_and_wait(SIGTERM, std::chrono::seconds(10));

  auto out = slow.get();
  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
  EXPECT_EQ(status, 0);
}

TEST(Lifecycle, AdminShutdownStopsTheProcess) {
  TempDir dir;
  Backend backend(dir.path());
  Meshd meshd(dir.path(), backend_config(backend.port(), 500));

  auto out = raw_exchange(meshd.admin_port(),
                          "POST /admin/shutdown HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
                          "quitting");

  EXPECT_NE(out.find("quitting"), std::string::npos) << out;
  EXPECT_EQ(meshd.process().wait(std::chrono::seconds(10)), 0);
}

TEST(Load, WrkSmokeFiveSecondsWithoutErrors) {
  if (!have_tool("wrk")) {
    GTEST_SKIP() << "wrk missing";
  }
  TempDir dir;
  Backend backend(dir.path());
  Meshd meshd(dir.path(), backend_config(backend.port()));
  std::string url = "http://127.0.0.1:" + std::to_string(meshd.port("outgoing")) + "/echo";

  auto r = run_tool({"wrk", "-t2", "-c10", "-d5s", "-H", "Host: hello", url},
                    std::chrono::seconds(30));

  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"((\d+) requests in)"))) << r.out;
  EXPECT_GT(std::stol(m[1]), 100) << r.out;
  EXPECT_EQ(r.out.find("Socket errors"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Non-2xx"), std::string::npos) << r.out;
}

TEST(Demo, HelloCallsWorldThroughMeshd) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "disco");
  Meshd meshd(dir.path(), fs_namer_config(dir.path() / "disco"));
  std::string proxy = "http://127.0.0.1:" + std::to_string(meshd.port("outgoing"));
  Process world({"python3", (source_dir() / "demo/world.py").string(), "--port", "0"}, dir.path(),
                "world");
  Process hello({"env", "http_proxy=" + proxy, "python3",
                 (source_dir() / "demo/hello.py").string(), "--port", "0"},
                dir.path(), "hello");
  // The services' ports come from the OS; the fs namer picks up the files when they appear.
  const auto world_port = listening_port(world);
  const auto hello_port = listening_port(hello);
  ASSERT_NE(world_port, 0) << world.stderr_text();
  ASSERT_NE(hello_port, 0) << hello.stderr_text();
  std::ofstream(dir.path() / "disco/hello") << "127.0.0.1 " << hello_port << "\n";
  std::ofstream(dir.path() / "disco/world") << "127.0.0.1 " << world_port << "\n";

  ToolResult r;
  for (int i = 0; i < 100 && r.out.find("!!") == std::string::npos; ++i) {
    r = run_tool({"curl", "-s", "--max-time", "5", "http://hello"}, std::chrono::seconds(10),
                 {{"http_proxy", proxy}});  // bounded: waits for the demo services to listen
  }

  EXPECT_EQ(r.out, "Hello (127.0.0.1) world (127.0.0.1)!!") << r.err << hello.stderr_text();
}

}  // namespace
}  // namespace meshd::itest
