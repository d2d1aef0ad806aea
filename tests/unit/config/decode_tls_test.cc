// Client `tls` (src/config/decode_tls.cc; inventory §3.8): every key, on io.l5d.global and in
// io.l5d.static configs, the rules on how keys combine, and /config.json.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "meshd/config/load.h"
#include "meshd/config/to_json.h"
#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using ::testing::ElementsAreArray;
using testing::errors_of;
using testing::load_yaml;

const std::string& kRouter = testing::kMinimalRouter;

std::string client(const std::string& tls) { return kRouter + "  client:\n    tls: " + tls + "\n"; }

TEST(ClientTls, DecodesEveryKey) {
  const LoadResult r = load_yaml(kRouter + R"(  client:
    tls:
      enabled: true
      commonName: web.example.com
      trustCertsBundle: /etc/ca.pem
      clientAuth:
        certPath: /etc/client.pem
        keyPath: /etc/client.key
        intermediateCertsPath: /etc/chain.pem
      protocols: [TLSv1.2, TLSv1.3]
)");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));

  const ClientPolicyConfig& c = r.config.routers[0].client.configs.at(0);
  ASSERT_TRUE(c.tls);
  const ClientTlsConfig& t = *c.tls;
  EXPECT_EQ(t.pos.path, "routers[0].client.tls");
  EXPECT_EQ(t.pos.line, 6);
  EXPECT_TRUE(t.enabled.value);
  EXPECT_TRUE(t.enabled.present);
  EXPECT_FALSE(t.disable_validation.value);
  EXPECT_FALSE(t.disable_validation.present);
  EXPECT_EQ(t.common_name.value, "web.example.com");
  EXPECT_EQ(t.common_name.pos.path, "routers[0].client.tls.commonName");
  EXPECT_EQ(t.trust_certs_bundle.value, "/etc/ca.pem");
  EXPECT_TRUE(t.trust_certs.empty());
  ASSERT_TRUE(t.client_auth);
  EXPECT_EQ(t.client_auth->cert_path.value, "/etc/client.pem");
  EXPECT_EQ(t.client_auth->key_path.value, "/etc/client.key");
  EXPECT_EQ(t.client_auth->intermediate_certs_path.value, "/etc/chain.pem");
  EXPECT_EQ(t.client_auth->pos.path, "routers[0].client.tls.clientAuth");
  ASSERT_EQ(t.protocols.size(), 2u);
  EXPECT_EQ(t.protocols[1].value, "TLSv1.3");
  EXPECT_EQ(t.protocols[1].pos.path, "routers[0].client.tls.protocols[1]");
  EXPECT_TRUE(c.unsupported.empty());
}

TEST(ClientTls, AbsentIsPlaintext) {
  const LoadResult r = load_yaml(kRouter);

  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.config.routers[0].client.configs.at(0).tls);
}

TEST(ClientTls, EachStaticConfigHasItsOwn) {
  const LoadResult r = load_yaml(kRouter + R"(  client:
    kind: io.l5d.static
    configs:
    - prefix: "/#/io.l5d.fs/{service}"
      tls:
        commonName: "{service}.svc"
        trustCerts: [/a.pem, /b.pem]
    - prefix: /#/io.l5d.fs/plain
      tls: {enabled: false}
    - prefix: /$/inet
      tls: {disableValidation: true}
)");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));

  const auto& configs = r.config.routers[0].client.configs;
  ASSERT_EQ(configs.size(), 3u);
  ASSERT_TRUE(configs[0].tls);
  EXPECT_EQ(configs[0].tls->common_name.value, "{service}.svc");
  ASSERT_EQ(configs[0].tls->trust_certs.size(), 2u);
  EXPECT_EQ(configs[0].tls->trust_certs[1].value, "/b.pem");
  ASSERT_TRUE(configs[1].tls);
  EXPECT_FALSE(configs[1].tls->enabled.value);
  EXPECT_TRUE(configs[1].tls->enabled.present);
  ASSERT_TRUE(configs[2].tls);
  EXPECT_TRUE(configs[2].tls->disable_validation.value);
  EXPECT_FALSE(configs[2].tls->common_name.present);
}

TEST(ClientTls, IsDecodedOnH2RoutersToo) {
  const LoadResult r = load_yaml(
      "routers:\n- protocol: h2\n  servers: [{port: 0}]\n"
      "  client: {tls: {commonName: grpc.example.com}}\n");
  testing::expect_only_h2_pending(r);

  ASSERT_TRUE(r.config.routers.at(0).client.configs.at(0).tls);
  EXPECT_EQ(r.config.routers[0].client.configs[0].tls->common_name.value, "grpc.example.com");
}

struct ErrorCase {
  std::string yaml;
  std::vector<std::string> errors;
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.yaml; }

std::vector<ErrorCase> error_cases() {
  const std::string tls = "routers[0].client.tls";
  return {
      {client("{}"),
       {"t.yaml:5:10: " + tls +
        ": missing required key \"commonName\" (the name the server certificate is verified "
        "against; or set \"disableValidation: true\")"}},
      {client("{trustCertsBundle: /ca.pem}"),
       {"t.yaml:5:10: " + tls +
        ": missing required key \"commonName\" (the name the server certificate is verified "
        "against; or set \"disableValidation: true\")"}},
      {client("{disableValidation: true, clientAuth: {certPath: /c, keyPath: /k}}"),
       {"t.yaml:5:48: " + tls +
        ".clientAuth: disableValidation: true is incompatible with clientAuth"}},
      {client("{commonName: a, trustCerts: [/a], trustCertsBundle: /b}"),
       {"t.yaml:5:26: " + tls +
        ".trustCerts: \"trustCerts\" and \"trustCertsBundle\" cannot both be set (use only "
        "trustCertsBundle)"}},
      {client("{commonName: a, protocols: [TLSv1.1, SSLv3]}"),
       {"t.yaml:5:38: " + tls +
            ".protocols[0]: unsupported TLS protocol \"TLSv1.1\" (supported: "
            "TLSv1.2, TLSv1.3)",
        "t.yaml:5:47: " + tls +
            ".protocols[1]: unsupported TLS protocol \"SSLv3\" (supported: "
            "TLSv1.2, TLSv1.3)"}},
      {client("{commonName: a, clientAuth: {intermediateCertsPath: /i}}"),
       {"t.yaml:5:38: " + tls + ".clientAuth: missing required key \"certPath\"",
        "t.yaml:5:38: " + tls + ".clientAuth: missing required key \"keyPath\""}},
      {client("{commonName: \"\", trustCertsBundle: \"\"}"),
       {"t.yaml:5:11: " + tls + ".commonName: must not be empty",
        "t.yaml:5:27: " + tls + ".trustCertsBundle: must not be empty"}},
      {client("{commonName: a, enabled: no, ciphers: [x]}"),
       {"t.yaml:5:26: " + tls + ".enabled: expected a boolean (true or false), got \"no\"",
        "t.yaml:5:39: " + tls + ".ciphers: unknown key \"ciphers\""}},
      {client("{commonName: a, trustCerts: /a.pem}"),
       {"t.yaml:5:26: " + tls + ".trustCerts: expected a list, got \"/a.pem\""}},
      {client("{commonName: a, clientAuth: /c.pem}"),
       {"t.yaml:5:26: " + tls + ".clientAuth: expected a map, got \"/c.pem\""}},
      {client("[a]"), {"t.yaml:5:5: " + tls + ": expected a map, got a list"}},
      {kRouter + "  client:\n    kind: io.l5d.static\n    configs:\n    - prefix: /a\n" +
           "      tls: {disableValidation: false}\n",
       {"t.yaml:8:12: routers[0].client.configs[0].tls: missing required key \"commonName\" (the "
        "name the server certificate is verified against; or set \"disableValidation: true\")"}},
  };
}

class ClientTlsErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ClientTlsErrors, AreReportedWithPositionAndPath) {
  const LoadResult r = load_yaml(GetParam().yaml);

  EXPECT_THAT(errors_of(r), ElementsAreArray(GetParam().errors));
}

INSTANTIATE_TEST_SUITE_P(Table, ClientTlsErrors, ::testing::ValuesIn(error_cases()));

TEST(ClientTls, NotValidatingNeedsNoCommonName) {
  for (std::string tls : {"{enabled: false}", "{disableValidation: true}",
                          "{enabled: false, trustCerts: [/a], trustCertsBundle: /b}"}) {
    const LoadResult r = load_yaml(client(tls));

    if (tls.find("trustCerts:") == std::string::npos) {
      EXPECT_TRUE(r.ok()) << tls << ::testing::PrintToString(errors_of(r));
    } else {
      // Both trust keys are an error even on a disabled client: the config is ambiguous.
      EXPECT_EQ(r.errors.size(), 1u) << tls;
    }
  }
}

TEST(ClientTls, ToJsonWritesTheWrittenKeys) {
  const LoadResult r = load_yaml(
      client("{commonName: web, trustCerts: [/a.pem], clientAuth: {certPath: /c, keyPath: /k}, "
             "protocols: [TLSv1.3]}"));
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));

  const boost::json::value json = to_json(r.config);

  EXPECT_EQ(json.at("routers").at(0).at("client"), boost::json::parse(R"({
    "kind": "io.l5d.global",
    "tls": {"commonName": "web", "trustCerts": ["/a.pem"],
            "clientAuth": {"certPath": "/c", "keyPath": "/k"}, "protocols": ["TLSv1.3"]}})"));
}

TEST(ClientTls, ToJsonOfADisabledClient) {
  const LoadResult r = load_yaml(client("{enabled: false}"));
  ASSERT_TRUE(r.ok());

  const boost::json::value json = to_json(r.config);

  EXPECT_EQ(json.at("routers").at(0).at("client").at("tls"),
            boost::json::parse(R"({"enabled": false})"));
}

}  // namespace
}  // namespace meshd::config
