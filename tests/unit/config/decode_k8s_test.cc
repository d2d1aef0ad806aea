// The Kubernetes plugins: io.l5d.k8s and io.l5d.k8s.ns namers, the io.l5d.ingress identifier
// (the transformers are in decode_interpreter_test.cc).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <variant>

#include "meshd/config/load.h"
#include "meshd/config/to_json.h"
#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using ::testing::ElementsAre;
using testing::errors_of;
using testing::load_yaml;

const std::string& kRouter = testing::kMinimalRouter;

TEST(K8sNamer, DefaultsToKubectlProxyOnLocalhost8001) {
  const LoadResult r = load_yaml(kRouter + "namers:\n- kind: io.l5d.k8s\n");

  ASSERT_TRUE(r.ok()) << errors_of(r)[0];
  const auto& k = std::get<K8sNamerConfig>(r.config.namers[0].settings);
  EXPECT_EQ(k.api.host.value, "localhost");
  EXPECT_EQ(k.api.port.value, 8001);
  EXPECT_FALSE(k.api.host.present);
  EXPECT_FALSE(k.api.port.present);
  EXPECT_FALSE(k.label_selector.present);
  EXPECT_FALSE(k.fixed_namespace);
  EXPECT_EQ(effective_prefix(r.config.namers[0]), "/#/io.l5d.k8s");
}

TEST(K8sNamer, ReadsHostPortLabelSelectorAndPrefix) {
  const LoadResult r = load_yaml(kRouter +
                                 "namers:\n- kind: io.l5d.k8s\n  host: 10.0.0.1\n  port: 8002\n"
                                 "  labelSelector: version\n  prefix: /k8s\n");

  ASSERT_TRUE(r.ok()) << errors_of(r)[0];
  const auto& k = std::get<K8sNamerConfig>(r.config.namers[0].settings);
  EXPECT_EQ(k.api.host.value, "10.0.0.1");
  EXPECT_TRUE(k.api.host.present);
  EXPECT_EQ(k.api.port.value, 8002);
  EXPECT_EQ(k.label_selector.value, "version");
  EXPECT_EQ(effective_prefix(r.config.namers[0]), "/#/k8s");
  EXPECT_EQ(to_json(r.config).at("namers").at(0),
            boost::json::parse(R"({"kind": "io.l5d.k8s", "prefix": "/k8s", "host": "10.0.0.1",
                                   "port": 8002, "labelSelector": "version"})"));
}

TEST(K8sNamer, NsNamerReadsEnvVar) {
  const LoadResult r =
      load_yaml(kRouter + "namers:\n- kind: io.l5d.k8s.ns\n  envVar: MY_NAMESPACE\n");

  ASSERT_TRUE(r.ok()) << errors_of(r)[0];
  const auto& k = std::get<K8sNamerConfig>(r.config.namers[0].settings);
  EXPECT_TRUE(k.fixed_namespace);
  EXPECT_EQ(k.env_var.value, "MY_NAMESPACE");
  EXPECT_EQ(effective_prefix(r.config.namers[0]), "/#/io.l5d.k8s.ns");
}

TEST(K8sNamer, ReportsBadValues) {
  const LoadResult r = load_yaml(kRouter +
                                 "namers:\n- kind: io.l5d.k8s\n  port: 0\n"
                                 "  labelSelector: \"a b\"\n  envVar: X\n");

  EXPECT_THAT(errors_of(r),
              ElementsAre("t.yaml:6:3: namers[0].port: must be between 1 and 65535, got 0",
                          "t.yaml:7:3: namers[0].labelSelector: \"a b\" is not a label key (e.g. "
                          "version or app.kubernetes.io/version)",
                          "t.yaml:8:3: namers[0].envVar: unknown key \"envVar\""));
}

TEST(IngressIdentifier, DefaultsAsLinkerd) {
  const LoadResult r = load_yaml(
      "routers:\n- protocol: http\n  identifier: {kind: io.l5d.ingress}\n  servers: [{port: 0}]\n");

  ASSERT_TRUE(r.ok()) << errors_of(r)[0];
  const auto& c = std::get<IngressIdentifierConfig>(r.config.routers[0].identifiers[0].settings);
  EXPECT_FALSE(c.ns.present);
  EXPECT_EQ(c.ingress_class.value, "linkerd");
  EXPECT_FALSE(c.ignore_default_backends.value);
  EXPECT_EQ(c.api.port.value, 8001);
}

TEST(IngressIdentifier, ReadsEveryKey) {
  const LoadResult r = load_yaml(
      "routers:\n- protocol: http\n  identifier:\n    kind: io.l5d.ingress\n    namespace: web\n"
      "    ingressClassAnnotation: edge\n    ignoreDefaultBackends: true\n    host: api\n"
      "    port: 8080\n  servers: [{port: 0}]\n");

  ASSERT_TRUE(r.ok()) << errors_of(r)[0];
  const auto& c = std::get<IngressIdentifierConfig>(r.config.routers[0].identifiers[0].settings);
  EXPECT_EQ(c.ns.value, "web");
  EXPECT_EQ(c.ingress_class.value, "edge");
  EXPECT_TRUE(c.ignore_default_backends.value);
  EXPECT_EQ(c.api.host.value, "api");
  EXPECT_EQ(c.api.port.value, 8080);
}

TEST(IngressIdentifier, ReportsBadNamespaceAndEmptyClass) {
  const LoadResult r = load_yaml(
      "routers:\n- protocol: http\n  identifier:\n    kind: io.l5d.ingress\n    namespace: Web_1\n"
      "    ingressClassAnnotation: \"\"\n  servers: [{port: 0}]\n");

  EXPECT_THAT(errors_of(r),
              ElementsAre("t.yaml:5:5: routers[0].identifier.namespace: \"Web_1\" is not a "
                          "Kubernetes name: lower-case letters, digits and \"-\", at most 63 "
                          "characters",
                          "t.yaml:6:5: routers[0].identifier.ingressClassAnnotation: must not be "
                          "empty"));
}

}  // namespace
}  // namespace meshd::config
