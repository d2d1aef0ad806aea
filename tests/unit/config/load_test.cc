#include "meshd/config/load.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <variant>

#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using ::testing::ElementsAre;
using testing::errors_of;
using testing::load_yaml;
using testing::testdata_path;

TEST(Load, MinimalConfigGetsEveryDefault) {
  const LoadResult r = load_yaml("routers:\n- protocol: http\n  servers:\n  - {}\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const Config& c = r.config;
  EXPECT_EQ(c.admin.ip.value, "127.0.0.1");
  EXPECT_EQ(c.admin.port.value, 9990);
  EXPECT_EQ(c.admin.shutdown_grace.value, std::chrono::milliseconds{10000});
  EXPECT_FALSE(c.admin.port.present);
  EXPECT_EQ(c.workers.value, 0);
  EXPECT_TRUE(c.usage.enabled.value);
  EXPECT_TRUE(c.namers.empty());
  ASSERT_EQ(c.routers.size(), 1u);
  const RouterConfig& rt = c.routers[0];
  EXPECT_EQ(rt.protocol.value, "http");
  EXPECT_EQ(rt.label.value, "http");
  EXPECT_FALSE(rt.label.present);
  EXPECT_EQ(rt.dtab.value.text, "");
  EXPECT_TRUE(rt.dtab.value.parsed.empty());
  EXPECT_EQ(rt.dst_prefix.value.text, "/svc");
  EXPECT_EQ(rt.dst_prefix.value.parsed, dtab::Path::of({"svc"}));
  EXPECT_EQ(rt.max_headers_kb.value, 8);
  EXPECT_EQ(rt.max_initial_line_kb.value, 4);
  EXPECT_EQ(rt.stream_after_content_length_kb.value, 5);
  ASSERT_EQ(rt.identifiers.size(), 1u);
  EXPECT_EQ(rt.identifiers[0].kind.value, "io.l5d.header.token");
  ASSERT_TRUE(std::holds_alternative<HeaderTokenIdentifierConfig>(rt.identifiers[0].settings));
  EXPECT_EQ(std::get<HeaderTokenIdentifierConfig>(rt.identifiers[0].settings).header.value, "Host");
  ASSERT_EQ(rt.servers.size(), 1u);
  const ServerConfig& s = rt.servers[0];
  EXPECT_EQ(s.ip.value, "127.0.0.1");
  EXPECT_EQ(s.port.value, 4140);
  EXPECT_FALSE(s.clear_context.value);
  EXPECT_FALSE(s.max_concurrent_requests.value.has_value());
}

TEST(Load, DecodesEverySupportedKey) {
  const std::string yaml = R"(admin:
  ip: "::1"
  port: 9991
  shutdownGraceMs: 0
workers: 4
usage:
  orgId: acme
  enabled: false
namers:
- kind: io.l5d.fs
  rootDir: /disco
  prefix: /disk
  experimental: true
routers:
- protocol: http
  label: outgoing
  experimental: true
  dtab: /svc => /#/disk;
  dstPrefix: /http
  maxHeadersKB: 16
  maxInitialLineKB: 2
  streamAfterContentLengthKB: 0
  identifier:
    kind: io.l5d.methodAndHost
    httpUriInDst: true
  servers:
  - ip: 0.0.0.0
    port: 4140
    clearContext: true
    maxConcurrentRequests: 100
)";

  const LoadResult r = load_yaml(yaml);

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const Config& c = r.config;
  EXPECT_EQ(c.admin.ip.value, "::1");
  EXPECT_EQ(c.admin.port.value, 9991);
  EXPECT_EQ(c.admin.shutdown_grace.value, std::chrono::milliseconds{0});
  EXPECT_EQ(c.workers.value, 4);
  EXPECT_EQ(c.usage.org_id.value, "acme");
  EXPECT_FALSE(c.usage.enabled.value);
  ASSERT_EQ(c.namers.size(), 1u);
  EXPECT_EQ(c.namers[0].prefix.value.text, "/disk");
  EXPECT_EQ(effective_prefix(c.namers[0]), "/#/disk");
  EXPECT_EQ(effective_prefix_path(c.namers[0]), dtab::Path::of({"#", "disk"}));
  EXPECT_TRUE(c.namers[0].experimental.value);
  EXPECT_EQ(std::get<FsNamerConfig>(c.namers[0].settings).root_dir.value, "/disco");
  const RouterConfig& rt = c.routers[0];
  EXPECT_EQ(rt.label.value, "outgoing");
  EXPECT_EQ(rt.dtab.value.text, "/svc => /#/disk;");
  EXPECT_EQ(rt.dtab.value.parsed, dtab::Dtab::read("/svc => /#/disk").value());
  EXPECT_EQ(rt.dst_prefix.value.parsed, dtab::Path::of({"http"}));
  EXPECT_EQ(rt.max_headers_kb.value, 16);
  EXPECT_EQ(rt.max_initial_line_kb.value, 2);
  EXPECT_EQ(rt.stream_after_content_length_kb.value, 0);
  ASSERT_EQ(rt.identifiers.size(), 1u);
  EXPECT_TRUE(
      std::get<MethodAndHostIdentifierConfig>(rt.identifiers[0].settings).http_uri_in_dst.value);
  const ServerConfig& s = rt.servers[0];
  EXPECT_EQ(s.ip.value, "0.0.0.0");
  EXPECT_TRUE(s.clear_context.value);
  EXPECT_EQ(s.max_concurrent_requests.value, 100);
}

TEST(Load, FieldsKeepTheirPositionAndKeyPath) {
  const LoadResult r = load_yaml(
      "routers:\n- protocol: http\n  servers:\n  - ip: 0.0.0.0\n    port: 4141\n  - {}\n");

  ASSERT_TRUE(r.ok());
  const auto& servers = r.config.routers[0].servers;
  EXPECT_EQ(servers[0].port.pos.line, 5);
  EXPECT_EQ(servers[0].port.pos.column, 5);
  EXPECT_EQ(servers[0].port.pos.path, "routers[0].servers[0].port");
  EXPECT_TRUE(servers[0].port.present);
  // A defaulted field points at the object that would hold it.
  EXPECT_EQ(servers[1].port.pos.line, 6);
  EXPECT_EQ(servers[1].port.pos.column, 5);
  EXPECT_EQ(servers[1].port.pos.path, "routers[0].servers[1].port");
  EXPECT_FALSE(servers[1].port.present);
}

TEST(Load, IdentifierMayBeOneObject) {
  const LoadResult r = load_yaml(
      "routers:\n- protocol: http\n  identifier: {kind: io.l5d.path, segments: 2, consume: true}\n"
      "  servers: [{port: 0}]\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const auto& ids = r.config.routers[0].identifiers;
  ASSERT_EQ(ids.size(), 1u);
  const auto& path = std::get<PathIdentifierConfig>(ids[0].settings);
  EXPECT_EQ(path.segments.value, 2);
  EXPECT_TRUE(path.consume.value);
  EXPECT_EQ(ids[0].pos.path, "routers[0].identifier");
}

TEST(Load, IdentifierMayBeAListTriedInOrder) {
  const std::string yaml = R"(routers:
- protocol: http
  identifier:
  - kind: io.l5d.header
  - kind: io.l5d.header.token
    header: X-Service
  - kind: io.l5d.path
  - kind: io.l5d.methodAndHost
  - kind: io.l5d.static
    path: /fallback
  servers: [{port: 0}]
)";

  const LoadResult r = load_yaml(yaml);

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const auto& ids = r.config.routers[0].identifiers;
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(std::get<HeaderIdentifierConfig>(ids[0].settings).header.value, "l5d-name");
  EXPECT_EQ(std::get<HeaderTokenIdentifierConfig>(ids[1].settings).header.value, "X-Service");
  EXPECT_EQ(std::get<PathIdentifierConfig>(ids[2].settings).segments.value, 1);
  EXPECT_FALSE(std::get<PathIdentifierConfig>(ids[2].settings).consume.value);
  EXPECT_FALSE(std::get<MethodAndHostIdentifierConfig>(ids[3].settings).http_uri_in_dst.value);
  const auto& fixed = std::get<StaticIdentifierConfig>(ids[4].settings);
  EXPECT_EQ(fixed.path.value.parsed, dtab::Path::of({"fallback"}));
  EXPECT_EQ(ids[4].pos.path, "routers[0].identifier[4]");
  EXPECT_EQ(ids[4].pos.line, 9);
}

TEST(Load, JsonInputDecodesLikeYaml) {
  const std::string json = R"({
  "admin": {"port": 9991},
  "routers": [{"protocol": "http", "label": "out", "dtab": "/svc => /$/inet/127.1/8080",
               "servers": [{"ip": "0.0.0.0", "port": 4140, "clearContext": true}]}]
})";

  const LoadResult r = load(json, "linkerd.json");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  EXPECT_EQ(r.config.admin.port.value, 9991);
  EXPECT_EQ(r.config.routers[0].label.value, "out");
  EXPECT_EQ(r.config.routers[0].servers[0].port.value, 4140);
  EXPECT_TRUE(r.config.routers[0].servers[0].clear_context.value);
  EXPECT_EQ(r.config.routers[0].servers[0].port.pos.line, 4);
  EXPECT_EQ(r.config.routers[0].servers[0].port.pos.column, 46);
}

TEST(Load, JsonErrorsHavePositionsAndDuplicateKeys) {
  const std::string json =
      "{\"routers\": [{\"protocol\": \"http\", \"servers\": [{\"port\": \"x\"}]}],\n"
      " \"admin\": {\"port\": 1, \"port\": 2}}";

  const LoadResult r = load(json, "c.json");

  EXPECT_THAT(
      errors_of(r),
      ElementsAre("c.json:1:48: routers[0].servers[0].port: expected an integer, got \"x\"",
                  "c.json:2:23: admin.port: duplicate key \"port\" (first defined at 2:12)"));
}

TEST(Load, JsonSyntaxErrorIsNamedJson) {
  EXPECT_THAT(errors_of(load("  {\"routers\": [}", "c.json")),
              ElementsAre("c.json:1:16: invalid JSON: illegal flow end"));
}

TEST(Load, QuotedNumbersAreAcceptedLikeJackson) {
  const LoadResult r = load_yaml("routers:\n- protocol: http\n  servers:\n  - port: \"4141\"\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  EXPECT_EQ(r.config.routers[0].servers[0].port.value, 4141);
}

TEST(Load, NullValueMeansDefault) {
  const LoadResult r =
      load_yaml("admin:\nnamers:\nrouters:\n- protocol: http\n  dtab:\n  servers:\n  - port: ~\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  EXPECT_EQ(r.config.routers[0].servers[0].port.value, 4140);
}

TEST(Load, ExperimentalIsAcceptedOnEveryPlugin) {
  const LoadResult r = load_yaml(
      "namers: [{kind: io.l5d.fs, rootDir: /d, experimental: false}]\n"
      "routers:\n- protocol: http\n  experimental: true\n"
      "  identifier: {kind: io.l5d.header, experimental: true}\n  servers: [{port: 0}]\n");

  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
}

TEST(Load, PortZeroNeverConflicts) {
  const LoadResult r = load_yaml(
      "admin: {port: 0}\nrouters:\n"
      "- {protocol: http, label: a, servers: [{port: 0}, {port: 0, ip: 0.0.0.0}]}\n"
      "- {protocol: http, label: b, servers: [{port: 0}]}\n");

  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
}

TEST(Load, SamePortOnDifferentAddressesIsAllowed) {
  const LoadResult r = load_yaml(
      "routers:\n- {protocol: http, label: a, servers: [{ip: 127.0.0.1, port: 4140}]}\n"
      "- {protocol: http, label: b, servers: [{ip: 127.0.0.2, port: 4140}, {ip: '::1', port: "
      "4140}]}\n");

  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
}

TEST(Load, EmptyDtabTextGivesEmptyDtab) {
  const LoadResult r =
      load_yaml("routers:\n- protocol: http\n  dtab: \"\"\n  servers:\n  - port: 0\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  EXPECT_TRUE(r.config.routers[0].dtab.value.parsed.empty());
  EXPECT_TRUE(r.config.routers[0].dtab.present);
}

TEST(LoadFile, ReadsAFile) {
  const LoadResult r = load_file(testdata_path("meshd-full.yaml"));

  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  EXPECT_FALSE(r.unreadable);
}

TEST(LoadFile, DashReadsStandardInput) {
  std::istringstream in("routers:\n- protocol: http\n  servers: [{port: x}]\n");
  std::streambuf* saved = std::cin.rdbuf(in.rdbuf());

  const LoadResult r = load_file("-");

  std::cin.rdbuf(saved);
  EXPECT_THAT(errors_of(r), ElementsAre("<stdin>:3:14: routers[0].servers[0].port: expected an "
                                        "integer, got \"x\""));
}

TEST(LoadFile, MissingFileIsAnEnvironmentError) {
  const LoadResult r = load_file(testdata_path("does-not-exist.yaml"));

  EXPECT_TRUE(r.unreadable);
  EXPECT_THAT(errors_of(r), ElementsAre(testdata_path("does-not-exist.yaml") +
                                        ": cannot read: No such file or directory"));
}

TEST(LoadFile, DirectoryIsAnEnvironmentError) {
  const LoadResult r = load_file(testdata_path(""));

  EXPECT_TRUE(r.unreadable);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "cannot read: Is a directory");
}

TEST(ConfigError, PrintsFileLineColumnPathMessage) {
  EXPECT_EQ((ConfigError{"l.yaml", 14, 7, "routers[1].servers[0].port", "boom"}).to_string(),
            "l.yaml:14:7: routers[1].servers[0].port: boom");
  EXPECT_EQ((ConfigError{"l.yaml", 3, 1, "", "invalid YAML: x"}).to_string(),
            "l.yaml:3:1: invalid YAML: x");
  EXPECT_EQ((ConfigError{"l.yaml", 0, 0, "", "cannot read: y"}).to_string(),
            "l.yaml: cannot read: y");
}

}  // namespace
}  // namespace meshd::config
