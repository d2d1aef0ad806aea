// TLS on router servers through the real binary: curl over HTTPS, client certificates.

#include <gtest/gtest.h>

#include <fstream>

#include "harness.h"

namespace meshd::itest {
namespace {

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    auto gen = run_tool({"sh", (source_dir() / "tests/unit/transport/gen_server_certs.sh").string(),
                         certs_.string()});
    ASSERT_EQ(gen.exit_code, 0) << gen.out << gen.err;
  }

  /// A router whose names all go to the backend, its server speaking TLS with `tls_keys`.
  std::string config(const std::string& tls_keys) {
    return "admin: {ip: 127.0.0.1, port: 0}\n"
           "routers:\n"
           "- protocol: http\n"
           "  label: incoming\n"
           "  dtab: /svc => /$/inet/127.0.0.1/" +
           std::to_string(backend_.port()) +
           ";\n"
           "  servers:\n"
           "  - ip: 127.0.0.1\n"
           "    port: 0\n"
           "    tls:\n"
           "      certPath: " +
           (certs_ / "server-ec.crt").string() +
           "\n      keyPath: " + (certs_ / "server-ec.key").string() + "\n" + tls_keys;
  }

  std::string url(const Meshd& meshd, const std::string& path) {
    return "https://127.0.0.1:" + std::to_string(meshd.port("incoming")) + path;
  }

  TempDir dir_;
  std::filesystem::path certs_ = dir_.path() / "certs";
  Backend backend_{dir_.path()};
};

TEST_F(Tls, RouterServerTerminatesTls) {
  Meshd meshd(dir_.path(), config(""));
  ASSERT_TRUE(meshd.started());

  auto verified =
      curl({"--cacert", (certs_ / "ca.crt").string(), "-H", "Host: hello", url(meshd, "/echo")});
  auto insecure = curl({"-k", "-H", "Host: hello", url(meshd, "/echo")});
  auto plain = curl({"-H", "Host: hello",
                     "http://127.0.0.1:" + std::to_string(meshd.port("incoming")) + "/echo"});

  EXPECT_NE(verified.out.find("HTTP/1.1 200"), std::string::npos) << verified.err;
  EXPECT_NE(verified.out.find("[\"l5d-dst-service\", \"/svc/hello\"]"), std::string::npos);
  EXPECT_NE(insecure.out.find("HTTP/1.1 200"), std::string::npos) << insecure.err;
  EXPECT_EQ(plain.out.find("HTTP/1.1 200"), std::string::npos) << plain.out;
  const std::string server =
      "rt/incoming/server/127.0.0.1/" + std::to_string(meshd.port("incoming"));
  EXPECT_EQ(meshd.metric(server + "/requests"), 2);
}

TEST_F(Tls, RequireClientAuthRejectsPeersWithoutACertificateFromTheCa) {
  Meshd meshd(dir_.path(), config("      caCertPath: " + (certs_ / "ca.crt").string() +
                                  "\n      requireClientAuth: true\n"));
  ASSERT_TRUE(meshd.started());
  const std::string ca = (certs_ / "ca.crt").string();

  auto with_cert =
      curl({"--cacert", ca, "--cert", (certs_ / "client.crt").string(), "--key",
            (certs_ / "client.key").string(), "-H", "Host: hello", url(meshd, "/echo")});
  auto without = curl({"--cacert", ca, "-H", "Host: hello", url(meshd, "/echo")});
  auto foreign =
      curl({"--cacert", ca, "--cert", (certs_ / "other-client.crt").string(), "--key",
            (certs_ / "other-client.key").string(), "-H", "Host: hello", url(meshd, "/echo")});

  EXPECT_NE(with_cert.out.find("HTTP/1.1 200"), std::string::npos) << with_cert.err;
  EXPECT_EQ(without.out.find("HTTP/1.1"), std::string::npos) << without.out;
  EXPECT_NE(without.exit_code, 0);
  EXPECT_EQ(foreign.out.find("HTTP/1.1"), std::string::npos) << foreign.out;
  EXPECT_NE(foreign.exit_code, 0);
}

TEST_F(Tls, UnreadableKeyStopsMeshdNamingTheFile) {
  std::ofstream(dir_.path() / "bad.yaml") << config("").replace(
      config("").find((certs_ / "server-ec.key").string()),
      (certs_ / "server-ec.key").string().size(), (dir_.path() / "missing.key").string());
  Process meshd({MESHD_BINARY, (dir_.path() / "bad.yaml").string()}, dir_.path(), "bad");

  EXPECT_NE(meshd.wait(std::chrono::seconds(10)), 0);
  EXPECT_NE(meshd.stderr_text().find("routers[0].servers[0].tls."), std::string::npos)
      << meshd.stderr_text();
  EXPECT_NE(meshd.stderr_text().find("missing.key"), std::string::npos) << meshd.stderr_text();
}

}  // namespace
}  // namespace meshd::itest
