// Real configs: every file shipped in config/ loads (Linkerd 1 `ExamplesTest`), a Linkerd example
// restricted to supported keys loads, and the Kubernetes DaemonSet example is rejected with one
// "not supported yet" error per key or kind that a later issue implements.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "meshd/config/load.h"
#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using testing::errors_of;
using testing::testdata_path;

TEST(Examples, EveryShippedConfigLoads) {
  const std::filesystem::path dir = std::filesystem::path{MESHD_SOURCE_DIR} / "config";
  if (!std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "no config/ directory";
  }
  int loaded = 0;

  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".yaml" && ext != ".yml" && ext != ".json")) {
      continue;
    }
    const LoadResult r = load_file(entry.path().string());

    EXPECT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
    ++loaded;
  }

  RecordProperty("loaded", loaded);
}

TEST(Examples, EveryYamlExampleInDocsConfigMdLoads) {
  std::ifstream in(std::string{MESHD_SOURCE_DIR} + "/docs/config.md");
  if (!in) {
    GTEST_SKIP() << "no docs/config.md";
  }
  std::string line;
  std::string block;
  bool in_block = false;
  int line_no = 0;
  int examples = 0;

  while (std::getline(in, line)) {
    ++line_no;
    if (!in_block && line == "```yaml") {
      in_block = true;
      block.clear();
    } else if (in_block && line == "```") {
      in_block = false;
      ++examples;
      const LoadResult r = load(block, "docs/config.md");
      // h2 examples load but for the error h2 routers get until they are runnable.
      EXPECT_EQ(testing::errors_except_h2_pending(r), std::vector<std::string>{})
          << "example ending at line " << line_no;
    } else if (in_block) {
      block += line + "\n";
    }
  }

  EXPECT_GE(examples, 1);
}

TEST(Examples, LinkerdGettingStartedConfigLoads) {
  const LoadResult r = load_file(testdata_path("linkerd-getting-started-local.yaml"));

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  EXPECT_EQ(r.config.admin.ip.value, "0.0.0.0");
  ASSERT_EQ(r.config.namers.size(), 1u);
  EXPECT_EQ(std::get<FsNamerConfig>(r.config.namers[0].settings).root_dir.value, "disco");
  EXPECT_EQ(effective_prefix(r.config.namers[0]), "/#/io.l5d.fs");
  ASSERT_EQ(r.config.routers.size(), 1u);
  EXPECT_EQ(r.config.routers[0].label.value, "http");
  EXPECT_EQ(r.config.routers[0].dtab.value.parsed.size(), 1u);
  EXPECT_EQ(r.config.routers[0].servers[0].port.value, 4140);
}

TEST(Examples, MeshdFullConfigLoads) {
  const LoadResult r = load_file(testdata_path("meshd-full.yaml"));

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  EXPECT_EQ(r.config.routers[0].identifiers.size(), 4u);
  EXPECT_EQ(r.config.routers[0].dtab.value.parsed.size(), 3u);
  EXPECT_EQ(effective_prefix(r.config.namers[1]), "/#/disco2");
  EXPECT_EQ(r.config.namers[1].transformers.size(), 2u);
  EXPECT_EQ(effective_prefix(r.config.namers[2]), "/#/portNsSvcToK8s");
  EXPECT_EQ(r.config.routers[0].interpreter.transformers.size(), 3u);
  EXPECT_EQ(r.config.routers[0].binding_cache.idle_ttl.value, std::chrono::seconds{60});
  EXPECT_EQ(r.config.routers[1].interpreter.dtab_file.value, "/etc/meshd/dtab");
  EXPECT_EQ(r.config.routers[1].servers.size(), 2u);
}

TEST(Examples, KubernetesDaemonSetConfigLoadsUnchanged) {
  const std::string file = testdata_path("linkerd-k8s-daemonset.yaml");

  const LoadResult r = load_file(file);

  EXPECT_FALSE(r.unreadable);
  EXPECT_EQ(errors_of(r), std::vector<std::string>{});
  ASSERT_EQ(r.config.telemetry.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<PrometheusTelemeterConfig>(r.config.telemetry[0].settings));
  const auto& recent = std::get<RecentRequestsTelemeterConfig>(r.config.telemetry[1].settings);
  EXPECT_EQ(recent.sample_rate.value, 0.25);
  EXPECT_EQ(recent.capacity.value, 10);
  ASSERT_EQ(r.config.routers.size(), 2u);
  const ServiceConfig& service = r.config.routers[0].service;
  ASSERT_EQ(service.configs.size(), 1u);
  ASSERT_TRUE(service.configs[0].response_classifier);
  EXPECT_EQ(service.configs[0].response_classifier->kind.value, "io.l5d.http.retryableRead5XX");
  EXPECT_EQ(r.config.routers[1].label.value, "incoming");
  EXPECT_EQ(r.config.routers[1].servers[0].port.value, 4141);
  EXPECT_EQ(r.config.usage.org_id.value, "linkerd-examples-daemonset");
}

}  // namespace
}  // namespace meshd::config
