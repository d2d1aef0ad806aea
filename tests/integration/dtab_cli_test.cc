// `meshd dtab …`: the dtab tools as users run them, on the real binary.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness.h"

namespace meshd::itest {
namespace {

ToolResult dtab_tool(std::vector<std::string> args) {
  args.insert(args.begin(), {MESHD_BINARY, "dtab"});
  return run_tool(args, std::chrono::seconds(20));
}

struct ShowCase {
  const char* command;
  const char* input;
  int exit_code;
  const char* out;
  const char* err;
};

TEST(DtabCli, ShowPathAndTreePrintCanonicalFormsOrFinagleErrors) {
  const std::vector<ShowCase> cases = {
      {"show", "/a => /b | /c ; /d=>0.5*/e & /f # comment", 0, "/a=>/b | /c;/d=>0.50*/e & /f\n",
       ""},
      {"show", "", 0, "\n", ""},
      {"show", "/&!", 1, "", "'=' expected but '&' found at '/[&]!'\n"},
      {"show", "/a=>/b;;", 1, "", "'/' expected but ';' found at '/a=>/b;[;]'\n"},
      {"path", " /a/b\\x2f ", 0, "/a/\\x62\\x2f\n", ""},
      {"path", "/a/ b", 1, "", "label char expected but ' ' found at '/a/[ ]b'\n"},
      {"tree", "((/a)) | 2*/b & /c", 0, "/a | 2.00*/b & /c\n", ""},
      {"tree", "()", 1, "", "simple expected but ')' found at '([)]'\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.command) + " " + c.input);

    auto r = dtab_tool({c.command, c.input});

    EXPECT_EQ(r.exit_code, c.exit_code);
    EXPECT_EQ(r.out, c.out);
    EXPECT_EQ(r.err, c.err);
  }
}

TEST(DtabCli, MissingOrUnknownSubcommandPrintsUsageAndExits2) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {"frobnicate", "/a"}, {"show"}, {"show", "/a=>/b", "extra"}, {"delegate"}}) {
    auto r = dtab_tool(args);

    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("usage: meshd dtab show DTAB"), std::string::npos) << r.err;
  }
}

TEST(DtabCli, DelegateWithoutConfigBindsOnlySystemNames) {
  auto r = dtab_tool({"delegate", "--dtab", "/svc=>/$/inet/127.0.0.1/8080", "/svc/x"});

  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"({"type":"delegate","path":"/svc/x","delegate":{"type":"leaf",)"
                   R"("path":"/$/inet/127.0.0.1/8080/x","dentry":{"prefix":"/svc",)"
                   R"("dst":"/$/inet/127.0.0.1/8080"},"bound":{"addr":{"type":"bound","addrs":)"
                   R"([{"ip":"127.0.0.1","port":8080,"meta":{}}],"meta":{}},)"
                   R"("id":"/$/inet/127.0.0.1/8080","path":"/x"}}})"
                   "\n");
}

class DtabCliDelegate : public ::testing::Test {
 protected:
  DtabCliDelegate() {
    std::filesystem::create_directories(dir_.path() / "disco");
    std::ofstream(dir_.path() / "disco" / "web") << "127.0.0.1 8080\n# a comment\n";
    std::ofstream(config_) << "admin: {ip: 127.0.0.1, port: 0}\n"
                              "namers:\n"
                              "- kind: io.l5d.fs\n"
                              "  rootDir: "
                           << (dir_.path() / "disco").string()
                           << "\n"
                              "routers:\n"
                              "- protocol: http\n"
                              "  label: outgoing\n"
                              "  dtab: /svc => /#/io.l5d.fs\n"
                              "  servers: [{ip: 127.0.0.1, port: 0}]\n"
                              "- protocol: http\n"
                              "  label: incoming\n"
                              "  dtab: /svc => /$/inet/127.0.0.1/9999\n"
                              "  servers: [{ip: 127.0.0.1, port: 0}]\n";
  }

  TempDir dir_;
  std::filesystem::path config_ = dir_.path() / "linkerd.yaml";
};

TEST_F(DtabCliDelegate, UsesTheFirstRoutersDtabAndTheFsNamer) {
  auto r = dtab_tool({"delegate", "--config", config_.string(), "/svc/web"});

  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"({"type":"delegate","path":"/svc/web","delegate":{"type":"leaf",)"
                   R"("path":"/#/io.l5d.fs/web","dentry":{"prefix":"/svc","dst":"/#/io.l5d.fs"},)"
                   R"("bound":{"addr":{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8080,)"
                   R"("meta":{}}],"meta":{}},"id":"/#/io.l5d.fs/web","path":"/"}}})"
                   "\n");
}

TEST_F(DtabCliDelegate, RouterAndDtabOptionsSelectWhatIsExplained) {
  auto incoming =
      dtab_tool({"delegate", "--config", config_.string(), "--router", "incoming", "/svc/web"});
  auto edited = dtab_tool({"delegate", "--config", config_.string(), "--dtab",
                           "/svc=>/#/io.l5d.fs/missing | /#/io.l5d.fs", "/svc/web"});

  EXPECT_EQ(incoming.exit_code, 0) << incoming.err;
  EXPECT_NE(incoming.out.find(R"("id":"/$/inet/127.0.0.1/9999","path":"/web")"), std::string::npos)
      << incoming.out;
  EXPECT_EQ(edited.exit_code, 0) << edited.err;
  EXPECT_EQ(edited.out.rfind(R"({"type":"alt","path":"/svc/web","alt":[{"type":"neg",)"
                             R"("path":"/#/io.l5d.fs/missing/web",)",
                             0),
            0u)
      << edited.out;
  EXPECT_NE(edited.out.find(R"("id":"/#/io.l5d.fs/web")"), std::string::npos) << edited.out;
}

TEST_F(DtabCliDelegate, ReportsBadInputsWithTheirExitStatus) {
  std::ofstream(dir_.path() / "bad.yaml") << "routers: 7\n";

  auto unknown_router =
      dtab_tool({"delegate", "--config", config_.string(), "--router", "nope", "/svc/web"});
  auto bad_config = dtab_tool({"delegate", "--config", (dir_.path() / "bad.yaml").string(), "/a"});
  auto bad_path = dtab_tool({"delegate", "--config", config_.string(), "svc"});
  auto bad_dtab = dtab_tool({"delegate", "--dtab", "/&!", "/svc"});
  auto loop = dtab_tool({"delegate", "--dtab", "/a=>/b;/b=>/a", "/a"});

  EXPECT_EQ(unknown_router.exit_code, 2);
  EXPECT_NE(unknown_router.err.find("no router labelled \"nope\""), std::string::npos);
  EXPECT_EQ(bad_config.exit_code, 2);
  EXPECT_NE(bad_config.err.find("bad.yaml:1:"), std::string::npos) << bad_config.err;
  EXPECT_EQ(bad_path.exit_code, 1);
  EXPECT_EQ(bad_path.err, "Invalid path: '/' expected but 's' found at '[s]vc'\n");
  EXPECT_EQ(bad_dtab.exit_code, 1);
  EXPECT_EQ(bad_dtab.err, "Invalid dtab: '=' expected but '&' found at '/[&]!'\n");
  EXPECT_EQ(loop.exit_code, 1);
  EXPECT_EQ(loop.err, "Max recursion level reached.\n");
  EXPECT_EQ(loop.out, "");
}

}  // namespace
}  // namespace meshd::itest
