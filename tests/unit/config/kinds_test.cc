#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/kinds_internal.h"

namespace meshd::config::detail {
namespace {

using ::testing::ElementsAre;

void decode_nothing(MapReader& /*m*/, NamerConfig& /*out*/) {}

std::vector<std::string> read_kind_errors(const KindRegistry<NamerDecoder>& registry,
                                          const std::string& yaml, NamerDecoder* decode = nullptr) {
  Decoder d{"k.yaml"};
  MapReader m(d, YAML::Load(yaml), "namers[0]");
  NamerConfig n;
  NamerDecoder got = read_kind(m, registry, "kind", "namer kind", n.kind, n.experimental);
  if (decode != nullptr) {
    *decode = got;
  }
  std::vector<std::string> out;
  for (const auto& e : d.errors()) {
    out.push_back(e.to_string());
  }
  return out;
}

TEST(KindRegistry, ExperimentalKindNeedsTheFlag) {
  KindRegistry<NamerDecoder> registry;
  registry.add("io.l5d.new", &decode_nothing, /*experimental=*/true);

  EXPECT_THAT(read_kind_errors(registry, "kind: io.l5d.new"),
              ElementsAre("k.yaml:1:1: namers[0].kind: \"io.l5d.new\" is experimental and must be "
                          "enabled with \"experimental: true\""));
  EXPECT_THAT(read_kind_errors(registry, "{kind: io.l5d.new, experimental: true}"), ElementsAre());
}

TEST(KindRegistry, RecognisedKindHasNoDecoder) {
  KindRegistry<NamerDecoder> registry;
  registry.add("io.l5d.a", &decode_nothing);
  registry.recognise("io.l5d.b");
  NamerDecoder decode = nullptr;

  EXPECT_THAT(read_kind_errors(registry, "kind: io.l5d.b", &decode),
              ElementsAre("k.yaml:1:1: namers[0].kind: namer kind \"io.l5d.b\" is not supported "
                          "yet"));
  EXPECT_EQ(decode, nullptr);
  EXPECT_THAT(read_kind_errors(registry, "kind: io.l5d.a", &decode), ElementsAre());
  EXPECT_EQ(decode, &decode_nothing);
  EXPECT_EQ(registry.supported(), "io.l5d.a");
}

TEST(KindRegistry, AbsentKindTakesTheDefaultWithoutBeingPresent) {
  KindRegistry<NamerDecoder> registry;
  registry.add("default", &decode_nothing);
  Decoder d{"k.yaml"};
  MapReader m(d, YAML::Load("{experimental: false}"), "interpreter");
  NamerConfig n;

  NamerDecoder got =
      read_kind(m, registry, "kind", "interpreter kind", n.kind, n.experimental, "default");

  EXPECT_EQ(got, &decode_nothing);
  EXPECT_EQ(n.kind.value, "default");
  EXPECT_FALSE(n.kind.present);
  EXPECT_TRUE(d.errors().empty());
}

TEST(KindRegistry, KindMustBeAString) {
  KindRegistry<NamerDecoder> registry;

  EXPECT_THAT(read_kind_errors(registry, "kind: [a]"),
              ElementsAre("k.yaml:1:1: namers[0].kind: expected a string, got a list"));
}

TEST(Registries, ListEveryLinkerdPluginThisIssueKnows) {
  const Registries& r = registries();

  EXPECT_EQ(r.protocols.supported(), "http, h2");
  EXPECT_FALSE(r.protocols.find("h2")->experimental);
  for (auto p : {"thrift", "thriftmux", "mux"}) {
    ASSERT_NE(r.protocols.find(p), nullptr) << p;
    EXPECT_EQ(r.protocols.find(p)->decode, nullptr) << p;
  }
  EXPECT_EQ(r.namers.supported(), "io.l5d.fs, io.l5d.rewrite, io.l5d.k8s, io.l5d.k8s.ns");
  EXPECT_TRUE(r.namers.find("io.l5d.dnssrv")->experimental);
  EXPECT_EQ(r.interpreters.supported(), "default, io.l5d.fs");
  for (auto k : {"io.l5d.namerd", "io.l5d.namerd.http", "io.l5d.mesh", "io.l5d.k8s.configMap",
                 "io.l5d.consul.interpreter"}) {
    ASSERT_NE(r.interpreters.find(k), nullptr) << k;
    EXPECT_EQ(r.interpreters.find(k)->decode, nullptr) << k;
  }
  EXPECT_TRUE(r.interpreters.find("io.l5d.namerd.http")->experimental);
  EXPECT_TRUE(r.interpreters.find("io.l5d.k8s.configMap")->experimental);
  EXPECT_EQ(r.transformers.supported(),
            "io.l5d.port, io.l5d.localhost, io.l5d.specificHost, io.l5d.replace, io.l5d.const, "
            "io.l5d.k8s.daemonset, io.l5d.k8s.localnode");
  EXPECT_EQ(r.http_identifiers.supported(),
            "io.l5d.header.token, io.l5d.methodAndHost, io.l5d.path, io.l5d.header, "
            "io.l5d.static, io.l5d.ingress");
  EXPECT_EQ(r.http_identifiers.find("io.l5d.header.path"), nullptr);
  EXPECT_EQ(r.h2_identifiers.supported(),
            "io.l5d.header.token, io.l5d.header.path, io.l5d.ingress");
  EXPECT_EQ(r.h2_identifiers.find("io.l5d.path"), nullptr);
  EXPECT_EQ(r.h2_response_classifiers.supported(),
            "io.l5d.h2.nonRetryable5XX, io.l5d.h2.retryableRead5XX, "
            "io.l5d.h2.retryableIdempotent5XX, io.l5d.h2.retryableAll5XX, io.l5d.h2.allSuccessful, "
            "io.l5d.h2.grpc.default, io.l5d.h2.grpc.neverRetryable, "
            "io.l5d.h2.grpc.alwaysRetryable, io.l5d.h2.grpc.retryableStatusCodes, "
            "io.l5d.h2.grpc.compliant");
  EXPECT_EQ(r.h2_response_classifiers.find("io.l5d.http.nonRetryable5XX"), nullptr);
  EXPECT_EQ(r.h2_clients.supported(), "io.l5d.global, io.l5d.static");
  EXPECT_EQ(r.h2_services.supported(), "io.l5d.global, io.l5d.static");
}

}  // namespace
}  // namespace meshd::config::detail
