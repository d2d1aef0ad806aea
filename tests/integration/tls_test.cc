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


/// "Encrypting all the things": the app speaks plain HTTP to its node's meshd (outgoing), which
/// wraps the hop to the destination node's meshd (incoming) in mutual TLS, verified against a
/// CA the test generates; incoming terminates it and forwards plain HTTP to the app.
class EncryptAllTheThings : public Tls {
 protected:
  /// The destination node: `incoming` serves TLS only and requires a client certificate from
  /// the CA.
  std::string incoming_config() {
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
           "\n"
           "      keyPath: " +
           (certs_ / "server-ec.key").string() +
           "\n"
           "      caCertPath: " +
           (certs_ / "ca.crt").string() +
           "\n"
           "      requireClientAuth: true\n";
  }

  /// The source node: `outgoing` sends every name to `incoming_port`, over TLS for the
  /// addresses the static prefix matches; `tls_keys` completes the client `tls` object. The
  /// commonName `{ip}` is the address the prefix captured (the certificate has an IP SAN).
  std::string outgoing_config(std::uint16_t incoming_port, const std::string& tls_keys) {
    // One worker: its pool keeps the one TLS connection both requests of a test share.
    return "admin: {ip: 127.0.0.1, port: 0}\n"
           "workers: 1\n"
           "routers:\n"
           "- protocol: http\n"
           "  label: outgoing\n"
           "  dtab: /svc => /$/inet/127.0.0.1/" +
           std::to_string(incoming_port) +
           ";\n"
           "  servers: [{ip: 127.0.0.1, port: 0}]\n"
           "  client:\n"
           "    kind: io.l5d.static\n"
           "    configs:\n"
           "    - prefix: /$/inet/{ip}/*\n"
           "      tls:\n"
           "        trustCertsBundle: " +
           (certs_ / "ca.crt").string() + "\n" + tls_keys;
  }

  std::string client_auth() {
    return "        commonName: \"{ip}\"\n"
           "        clientAuth:\n"
           "          certPath: " +
           (certs_ / "client.crt").string() +
           "\n"
           "          keyPath: " +
           (certs_ / "client.key").string() + "\n";
  }

  ToolResult via(const Meshd& outgoing, const std::string& host) {
    return curl({"-H", "Host: " + host, "http://" + host + "/echo"},
                {{"http_proxy",
                  "http://127.0.0.1:" + std::to_string(outgoing.port("outgoing"))}});
  }
};

TEST_F(EncryptAllTheThings, PlainHttpFromTheAppMutualTlsBetweenMeshds) {
  Meshd incoming(dir_.path(), incoming_config(), {}, "incoming");
  ASSERT_TRUE(incoming.started());
  Meshd outgoing(dir_.path(), outgoing_config(incoming.port("incoming"), client_auth()), {},
                 "outgoing");
  ASSERT_TRUE(outgoing.started());

  auto first = via(outgoing, "hello");
  auto second = via(outgoing, "hello");

  // The app's plain request went through both meshds: the backend saw incoming's headers.
  EXPECT_NE(first.out.find("HTTP/1.1 200"), std::string::npos) << first.out << first.err;
  EXPECT_NE(second.out.find("HTTP/1.1 200"), std::string::npos) << second.out;
  EXPECT_NE(first.out.find("[\"l5d-dst-service\", \"/svc/hello\"]"), std::string::npos);
  const std::string server =
      "rt/incoming/server/127.0.0.1/" + std::to_string(incoming.port("incoming"));
  EXPECT_EQ(incoming.metric(server + "/requests"), 2);
  // One TLS connection carried both requests (kept alive in the pool).
  EXPECT_EQ(incoming.metric(server + "/connects"), 1);
  const std::string client = "rt/outgoing/client/$/inet/127.0.0.1/" +
                             std::to_string(incoming.port("incoming"));
  EXPECT_EQ(outgoing.metric(client + "/success"), 2);

  // On the wire it is TLS: plain HTTP to incoming gets nothing, and a TLS client must show a
  // certificate from the CA (curl -sk https://…:4141 in the mission's words).
  const std::string https = "https://127.0.0.1:" + std::to_string(incoming.port("incoming"));
  auto plain = raw_exchange(incoming.port("incoming"), "GET /echo HTTP/1.1\r\nHost: hello\r\n\r\n");
  EXPECT_EQ(plain.find("HTTP/1.1"), std::string::npos) << plain;
  auto anonymous = curl({"-k", "-H", "Host: hello", https + "/echo"});
  EXPECT_EQ(anonymous.out.find("HTTP/1.1"), std::string::npos) << anonymous.out;
  auto with_cert = curl({"-k", "--cert", (certs_ / "client.crt").string(), "--key",
                         (certs_ / "client.key").string(), "-H", "Host: hello", https + "/echo"});
  EXPECT_NE(with_cert.out.find("HTTP/1.1 200"), std::string::npos) << with_cert.err;

  // openssl s_client sees the certificate verified against the CA, by IP.
  auto s_client = run_tool(
      {"sh", "-c",
       "openssl s_client -connect 127.0.0.1:" + std::to_string(incoming.port("incoming")) +
           " -CAfile " + (certs_ / "ca.crt").string() + " -verify_ip 127.0.0.1 -cert " +
           (certs_ / "client.crt").string() + " -key " + (certs_ / "client.key").string() +
           " -verify_return_error -brief </dev/null 2>&1"});
  EXPECT_NE(s_client.out.find("Verification: OK"), std::string::npos) << s_client.out;
  EXPECT_NE(s_client.out.find("Peer certificate: CN = server-ec"), std::string::npos)
      << s_client.out;
}

TEST_F(EncryptAllTheThings, AMeshdWithoutAClientCertificateIsRefused) {
  Meshd incoming(dir_.path(), incoming_config(), {}, "incoming");
  ASSERT_TRUE(incoming.started());
  Meshd outgoing(dir_.path(),
                 outgoing_config(incoming.port("incoming"), "        commonName: \"{ip}\"\n"), {},
                 "outgoing");
  ASSERT_TRUE(outgoing.started());

  auto refused = via(outgoing, "hello");

  // With TLS 1.3 the client's side of the handshake completes before the server checks the
  // (missing) certificate, so the refusal shows as a reset of the first exchange.
  EXPECT_NE(refused.out.find("HTTP/1.1 502"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("127.0.0.1:" + std::to_string(incoming.port("incoming"))),
            std::string::npos)
      << refused.out;
  const std::string server =
      "rt/incoming/server/127.0.0.1/" + std::to_string(incoming.port("incoming"));
  EXPECT_EQ(incoming.metric(server + "/requests"), 0);
}

TEST_F(EncryptAllTheThings, AServerWhoseCertificateDoesNotNameTheCommonNameIsRefused) {
  Meshd incoming(dir_.path(), incoming_config(), {}, "incoming");
  ASSERT_TRUE(incoming.started());
  std::string keys = client_auth();
  keys.replace(keys.find("\"{ip}\""), 6, "\"{ip}.nip.io\"");
  Meshd outgoing(dir_.path(), outgoing_config(incoming.port("incoming"), keys), {}, "outgoing");
  ASSERT_TRUE(outgoing.started());

  auto refused = via(outgoing, "hello");

  EXPECT_NE(refused.out.find("HTTP/1.1 502"), std::string::npos) << refused.out;
  const std::string server =
      "rt/incoming/server/127.0.0.1/" + std::to_string(incoming.port("incoming"));
  EXPECT_EQ(incoming.metric(server + "/requests"), 0);
}

TEST_F(EncryptAllTheThings, AMissingTrustBundleStopsMeshdNamingIt) {
  std::ofstream(dir_.path() / "bad.yaml")
      << outgoing_config(1, "        commonName: x\n")
             .replace(outgoing_config(1, "").find((certs_ / "ca.crt").string()),
                      (certs_ / "ca.crt").string().size(), (dir_.path() / "nope.pem").string());
  Process meshd({MESHD_BINARY, (dir_.path() / "bad.yaml").string()}, dir_.path(), "bad");

  EXPECT_NE(meshd.wait(std::chrono::seconds(10)), 0);
  EXPECT_NE(meshd.stderr_text().find("routers[0].client.configs[0].tls: "), std::string::npos)
      << meshd.stderr_text();
  EXPECT_NE(meshd.stderr_text().find("nope.pem: No such file or directory"), std::string::npos)
      << meshd.stderr_text();
}

}  // namespace
}  // namespace meshd::itest
