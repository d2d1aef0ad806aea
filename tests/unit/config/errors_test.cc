// Every class of config error, with its exact `FILE:LINE:COL: path: message` text.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "meshd/config/load.h"
#include "meshd/dtab/dtab.h"
#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using testing::errors_of;
using testing::load_yaml;

struct ErrorCase {
  std::string name;
  std::string yaml;
  std::vector<std::string> errors;
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.name; }

// A router with one OS-chosen port, for cases about other keys.
const std::string kRouter = "routers:\n- protocol: http\n  servers:\n  - port: 0\n";

std::vector<ErrorCase> syntax_cases() {
  return {
      {"YamlSyntaxError",
       "routers:\n- protocol: http\n  servers:\n  - port: 1\n   ip: x\n",
       {"t.yaml:5:4: invalid YAML: end of sequence not found"}},
      {"UndefinedAlias",
       kRouter + "admin: *nope\n",
       {"t.yaml:5:8: invalid YAML: the referenced anchor is not defined"}},
      {"TwoDocuments",
       kRouter + "---\nadmin: {}\n",
       {"t.yaml:6:1: expected one document, found 2"}},
      {"TopLevelIsNotAMap",
       "- protocol: http\n",
       {"t.yaml:1:1: expected a map at the top level, got a list"}},
  };
}

std::vector<ErrorCase> key_cases() {
  return {
      {"UnknownTopLevelKey",
       kRouter + "storage: {}\n",
       {"t.yaml:5:1: storage: unknown key \"storage\""}},
      {"UnknownKeyWithSuggestion",
       kRouter + "namer: []\n",
       {"t.yaml:5:1: namer: unknown key \"namer\" (did you mean \"namers\"?)"}},
      {"UnknownRouterKey",
       "routers:\n- protocol: http\n  lable: x\n  servers: [{port: 0}]\n",
       {"t.yaml:3:3: routers[0].lable: unknown key \"lable\" (did you mean \"label\"?)"}},
      {"UnknownServerKey",
       "routers:\n- protocol: http\n  servers:\n  - port: 0\n    bind: x\n",
       {"t.yaml:5:5: routers[0].servers[0].bind: unknown key \"bind\""}},
      {"UnknownKeyTransposedLetters",
       "routers:\n- protocol: http\n  servers:\n  - prot: 0\n",
       {"t.yaml:4:5: routers[0].servers[0].prot: unknown key \"prot\" (did you mean \"port\"?)"}},
      {"UnknownKeyWrongCase",
       "routers:\n- protocol: http\n  servers:\n  - Port: 0\n",
       {"t.yaml:4:5: routers[0].servers[0].Port: unknown key \"Port\" (did you mean \"port\"?)"}},
      {"UnknownIdentifierKey",
       "routers:\n- protocol: http\n  identifier: {kind: io.l5d.path, segment: 2}\n"
       "  servers: [{port: 0}]\n",
       {"t.yaml:3:35: routers[0].identifier.segment: unknown key \"segment\" (did you mean "
        "\"segments\"?)"}},
      {"UnknownNamerKey",
       kRouter + "namers:\n- kind: io.l5d.fs\n  rootDir: /d\n  root: /e\n",
       {"t.yaml:8:3: namers[0].root: unknown key \"root\" (did you mean \"rootDir\"?)"}},
      {"UnknownAdminKey",
       kRouter + "admin:\n  host: 0.0.0.0\n",
       {"t.yaml:6:3: admin.host: unknown key \"host\""}},
      {"UnknownUsageKey",
       kRouter + "usage: {orgId: x, enable: false}\n",
       {"t.yaml:5:19: usage.enable: unknown key \"enable\" (did you mean \"enabled\"?)"}},
      {"DuplicateTopLevelKey",
       kRouter + "admin: {port: 1}\nadmin: {port: 2}\n",
       {"t.yaml:6:1: admin: duplicate key \"admin\" (first defined at 5:1)"}},
      {"DuplicateServerKey",
       "routers:\n- protocol: http\n  servers:\n  - port: 4140\n    port: 4141\n",
       {"t.yaml:5:5: routers[0].servers[0].port: duplicate key \"port\" (first defined at 4:5)"}},
      {"DuplicateKeyInsideAnUnsupportedValue",
       kRouter + "telemetry:\n- kind: io.l5d.influxdb\n  kind: io.l5d.zipkin\n",
       {"t.yaml:6:3: telemetry[0].kind: telemeter kind \"io.l5d.influxdb\" is not supported yet",
        "t.yaml:7:3: telemetry[0].kind: duplicate key \"kind\" (first defined at 6:3)"}},
      {"DuplicateKeyInFlowMap",
       kRouter + "usage: {orgId: a, orgId: b}\n",
       {"t.yaml:5:19: usage.orgId: duplicate key \"orgId\" (first defined at 5:9)"}},
      {"NonScalarKey", kRouter + "? [a]\n: 1\n", {"t.yaml:5:3: expected a string key, got a list"}},
  };
}

std::vector<ErrorCase> type_cases() {
  return {
      {"PortNotAnInteger",
       "routers:\n- protocol: http\n  servers:\n  - port: abc\n",
       {"t.yaml:4:5: routers[0].servers[0].port: expected an integer, got \"abc\""}},
      {"PortIsAFraction",
       "routers:\n- protocol: http\n  servers:\n  - port: 41.5\n",
       {"t.yaml:4:5: routers[0].servers[0].port: expected an integer, got \"41.5\""}},
      {"PortIsAMap",
       "routers:\n- protocol: http\n  servers:\n  - port: {a: 1}\n",
       {"t.yaml:4:5: routers[0].servers[0].port: expected an integer, got a map"}},
      {"IntegerOverflow",
       kRouter + "workers: 99999999999999999999\n",
       {"t.yaml:5:1: workers: expected an integer, got \"99999999999999999999\""}},
      {"BoolNotTrueOrFalse",
       "routers:\n- protocol: http\n  servers:\n  - port: 0\n    clearContext: maybe\n",
       {"t.yaml:5:5: routers[0].servers[0].clearContext: expected a boolean (true or false), "
        "got \"maybe\""}},
      {"StringIsAList",
       "routers:\n- protocol: http\n  label: [a]\n  servers: [{port: 0}]\n",
       {"t.yaml:3:3: routers[0].label: expected a string, got a list"}},
      {"RoutersIsAScalar",
       "routers: http\n",
       {"t.yaml:1:1: routers: expected a list, got \"http\"",
        "t.yaml:1:1: routers: at least one router must be specified"}},
      {"RouterIsNotAMap",
       "routers:\n- http\n",
       {"t.yaml:2:3: routers[0]: expected a map, got \"http\""}},
      {"ServersIsAMap",
       "routers:\n- protocol: http\n  servers: {port: 0}\n",
       {"t.yaml:3:3: routers[0].servers: expected a list of servers, got a map"}},
      {"ServerIsNotAMap",
       "routers:\n- protocol: http\n  servers: [4140]\n",
       {"t.yaml:3:13: routers[0].servers[0]: expected a map, got \"4140\""}},
      {"AdminIsNotAMap",
       kRouter + "admin: 9990\n",
       {"t.yaml:5:1: admin: expected a map, got \"9990\""}},
      {"NamerIsNotAMap",
       kRouter + "namers: [io.l5d.fs]\n",
       {"t.yaml:5:10: namers[0]: expected a map, got \"io.l5d.fs\""}},
      {"IdentifierIsAScalar",
       "routers:\n- protocol: http\n  identifier: io.l5d.path\n  servers: [{port: 0}]\n",
       {"t.yaml:3:3: routers[0].identifier: expected an identifier or a list of identifiers, "
        "got \"io.l5d.path\""}},
      {"IdentifierListIsEmpty",
       "routers:\n- protocol: http\n  identifier: []\n  servers: [{port: 0}]\n",
       {"t.yaml:3:3: routers[0].identifier: at least one identifier is required"}},
      {"IpIsAHostName",
       "routers:\n- protocol: http\n  servers:\n  - port: 0\n    ip: localhost\n",
       {"t.yaml:5:5: routers[0].servers[0].ip: expected a literal IP address, got \"localhost\""}},
      {"AdminIpIsShortForm",
       kRouter + "admin: {ip: 127.1}\n",
       {"t.yaml:5:9: admin.ip: expected a literal IP address, got \"127.1\""}},
      {"HeaderNameIsInvalid",
       "routers:\n- protocol: http\n  identifier: {kind: io.l5d.header.token, header: \"a b\"}\n"
       "  servers: [{port: 0}]\n",
       {"t.yaml:3:43: routers[0].identifier.header: \"a b\" is not a valid HTTP header name"}},
      {"EmptyLabel",
       "routers:\n- protocol: http\n  label: \"\"\n  servers: [{port: 0}]\n",
       {"t.yaml:3:3: routers[0].label: must not be empty"}},
      {"EmptyRootDir",
       kRouter + "namers: [{kind: io.l5d.fs, rootDir: ''}]\n",
       {"t.yaml:5:28: namers[0].rootDir: must not be empty"}},
  };
}

std::vector<ErrorCase> range_cases() {
  return {
      {"PortAbove65535",
       "routers:\n- protocol: http\n  servers:\n  - port: 65536\n",
       {"t.yaml:4:5: routers[0].servers[0].port: must be between 0 and 65535, got 65536"}},
      {"PortNegative",
       "routers:\n- protocol: http\n  servers:\n  - port: -1\n",
       {"t.yaml:4:5: routers[0].servers[0].port: must be between 0 and 65535, got -1"}},
      {"AdminPortAbove65535",
       kRouter + "admin: {port: 99999}\n",
       {"t.yaml:5:9: admin.port: must be between 0 and 65535, got 99999"}},
      {"WorkersZero",
       kRouter + "workers: 0\n",
       {"t.yaml:5:1: workers: must be between 1 and 1024, got 0"}},
      {"ShutdownGraceNegative",
       kRouter + "admin: {shutdownGraceMs: -5}\n",
       {"t.yaml:5:9: admin.shutdownGraceMs: must be between 0 and 2147483647, got -5"}},
      {"MaxConcurrentRequestsZero",
       "routers:\n- protocol: http\n  servers:\n  - port: 0\n    maxConcurrentRequests: 0\n",
       {"t.yaml:5:5: routers[0].servers[0].maxConcurrentRequests: must be between 1 and "
        "2147483647, got 0"}},
      {"MaxHeadersKBZero",
       "routers:\n- protocol: http\n  maxHeadersKB: 0\n  servers: [{port: 0}]\n",
       {"t.yaml:3:3: routers[0].maxHeadersKB: must be between 1 and 2097151, got 0"}},
      {"MaxInitialLineKBTooLarge",
       "routers:\n- protocol: http\n  maxInitialLineKB: 2097152\n  servers: [{port: 0}]\n",
       {"t.yaml:3:3: routers[0].maxInitialLineKB: must be between 1 and 2097151, got 2097152"}},
      {"StreamAfterContentLengthKBNegative",
       "routers:\n- protocol: http\n  streamAfterContentLengthKB: -1\n  servers: [{port: 0}]\n",
       {"t.yaml:3:3: routers[0].streamAfterContentLengthKB: must be between 0 and 2097151, got "
        "-1"}},
      {"PathSegmentsZero",
       "routers:\n- protocol: http\n  identifier: {kind: io.l5d.path, segments: 0}\n"
       "  servers: [{port: 0}]\n",
       {"t.yaml:3:35: routers[0].identifier.segments: must be between 1 and 2147483647, got 0"}},
  };
}

std::vector<ErrorCase> required_cases() {
  return {
      {"MissingProtocol",
       "routers:\n- label: x\n  servers: [{port: 0}]\n",
       {"t.yaml:2:3: routers[0]: missing required key \"protocol\""}},
      {"MissingNamerKind",
       kRouter + "namers:\n- rootDir: /d\n",
       {"t.yaml:6:3: namers[0]: missing required key \"kind\""}},
      {"MissingIdentifierKind",
       "routers:\n- protocol: http\n  identifier: [{header: x}]\n  servers: [{port: 0}]\n",
       {"t.yaml:3:16: routers[0].identifier[0]: missing required key \"kind\""}},
      {"MissingRootDir",
       kRouter + "namers:\n- kind: io.l5d.fs\n",
       {"t.yaml:6:3: namers[0]: missing required key \"rootDir\""}},
      {"NullRootDir",
       kRouter + "namers:\n- kind: io.l5d.fs\n  rootDir:\n",
       {"t.yaml:6:3: namers[0]: missing required key \"rootDir\""}},
      {"MissingStaticPath",
       "routers:\n- protocol: http\n  identifier: {kind: io.l5d.static}\n  servers: [{port: 0}]\n",
       {"t.yaml:3:15: routers[0].identifier: missing required key \"path\""}},
  };
}

std::vector<ErrorCase> kind_cases() {
  return {
      {"UnknownProtocol",
       "routers:\n- protocol: spdy\n  servers: [{port: 0}]\n",
       {"t.yaml:2:3: routers[0].protocol: unknown protocol \"spdy\" (supported: http, h2)"}},
      {"UnknownNamerKind",
       kRouter + "namers:\n- kind: io.l5d.etcd\n",
       {"t.yaml:6:3: namers[0].kind: unknown namer kind \"io.l5d.etcd\" (supported: io.l5d.fs, "
        "io.l5d.rewrite, io.l5d.k8s, io.l5d.k8s.ns)"}},
      {"UnknownIdentifierKind",
       "routers:\n- protocol: http\n  identifier: {kind: io.l5d.host}\n  servers: [{port: 0}]\n",
       {"t.yaml:3:16: routers[0].identifier.kind: unknown identifier kind \"io.l5d.host\" "
        "(supported: io.l5d.header.token, io.l5d.methodAndHost, io.l5d.path, io.l5d.header, "
        "io.l5d.static, io.l5d.ingress)"}},
      {"H2OnlyIdentifierOnHttpRouter",
       "routers:\n- protocol: http\n  identifier: {kind: io.l5d.header.path}\n"
       "  servers: [{port: 0}]\n",
       {"t.yaml:3:16: routers[0].identifier.kind: unknown identifier kind \"io.l5d.header.path\" "
        "(io.l5d.header.path exists only for h2 routers)"}},
      {"PreOneDotZeroIdentifierName",
       "routers:\n- protocol: http\n  identifier: {kind: io.l5d.headerToken}\n"
       "  servers: [{port: 0}]\n",
       {"t.yaml:3:16: routers[0].identifier.kind: unknown identifier kind "
        "\"io.l5d.headerToken\" (renamed io.l5d.header.token in Linkerd 1.0.0)"}},
  };
}

std::vector<ErrorCase> value_cases() {
  const std::string bad_dtab = "/svc => /#/io.l5d.fs;;";
  const std::string dtab_msg = dtab::Dtab::read(bad_dtab).error().message;
  const std::string path_msg = dtab::Path::read("svc").error().message;
  const std::string path2_msg = dtab::Path::read("/a/").error().message;
  return {
      {"BadDtab",
       "routers:\n- protocol: http\n  dtab: " + bad_dtab + "\n  servers: [{port: 0}]\n",
       {"t.yaml:3:3: routers[0].dtab: invalid dtab: " + dtab_msg}},
      {"BadDtabInBlockScalar",
       "routers:\n- protocol: http\n  dtab: |\n    /svc => /a;\n    /b =>\n"
       "  servers: [{port: 0}]\n",
       {"t.yaml:3:3: routers[0].dtab: invalid dtab: " +
        dtab::Dtab::read("/svc => /a;\n/b =>\n").error().message}},
      {"BadDstPrefix",
       "routers:\n- protocol: http\n  dstPrefix: svc\n  servers: [{port: 0}]\n",
       {"t.yaml:3:3: routers[0].dstPrefix: invalid path: " + path_msg}},
      {"BadStaticPath",
       "routers:\n- protocol: http\n  identifier: {kind: io.l5d.static, path: /a/}\n"
       "  servers: [{port: 0}]\n",
       {"t.yaml:3:37: routers[0].identifier.path: invalid path: " + path2_msg}},
      {"BadNamerPrefix",
       kRouter + "namers: [{kind: io.l5d.fs, rootDir: /d, prefix: svc}]\n",
       {"t.yaml:5:41: namers[0].prefix: invalid path: " + path_msg}},
  };
}

std::vector<ErrorCase> global_cases() {
  return {
      {"NoRoutersKey",
       "admin: {port: 9990}\n",
       {"t.yaml:1:1: routers: at least one router must be specified"}},
      {"EmptyRouterList",
       "routers: []\n",
       {"t.yaml:1:1: routers: at least one router must be specified"}},
      {"EmptyDocument", "", {"t.yaml:1:1: routers: at least one router must be specified"}},
      {"DuplicateExplicitLabels",
       "routers:\n- {protocol: http, label: out, servers: [{port: 0}]}\n"
       "- {protocol: http, label: out, servers: [{port: 0}]}\n",
       {"t.yaml:3:20: routers[1].label: label \"out\" already used by routers[0]"}},
      {"DuplicateDefaultLabels",
       "routers:\n- {protocol: http, servers: [{port: 0}]}\n"
       "- {protocol: http, servers: [{port: 0}]}\n",
       {"t.yaml:3:3: routers[1].label: label \"http\" already used by routers[0]; give each "
        "router a distinct \"label\""}},
      {"RouterWithoutServersKey",
       "routers:\n- protocol: http\n  label: out\n",
       {"t.yaml:2:3: routers[0].servers: router \"out\" has no servers"}},
      {"RouterWithEmptyServers",
       "routers:\n- protocol: http\n  servers: []\n",
       {"t.yaml:3:3: routers[0].servers: router \"http\" has no servers"}},
      {"PortConflictAcrossRouters",
       "routers:\n- protocol: http\n  label: outgoing\n  servers:\n  - port: 4140\n"
       "- protocol: http\n  label: incoming\n  servers:\n    - port: 4140\n",
       {"t.yaml:9:7: routers[1].servers[0].port: 4140 already used by router \"outgoing\""}},
      {"PortConflictWithDefaultPort",
       "routers:\n- {protocol: http, label: a, servers: [{}]}\n"
       "- {protocol: http, label: b, servers: [{}]}\n",
       {"t.yaml:3:40: routers[1].servers[0].port: 4140 already used by router \"a\""}},
      {"WildcardConflictsWithSpecificAddress",
       "routers:\n- {protocol: http, label: a, servers: [{ip: 127.0.0.1, port: 80}]}\n"
       "- {protocol: http, label: b, servers: [{ip: 0.0.0.0, port: 80}]}\n",
       {"t.yaml:3:54: routers[1].servers[0].port: 80 already used by router \"a\""}},
      {"SpecificAddressConflictsWithWildcard",
       "routers:\n- {protocol: http, label: a, servers: [{ip: 0.0.0.0, port: 80}]}\n"
       "- {protocol: http, label: b, servers: [{ip: 10.1.2.3, port: 80}]}\n",
       {"t.yaml:3:55: routers[1].servers[0].port: 80 already used by router \"a\""}},
      {"Ipv6WildcardConflicts",
       "routers:\n- {protocol: http, label: a, servers: [{ip: '::', port: 80}]}\n"
       "- {protocol: http, label: b, servers: [{ip: 127.0.0.1, port: 80}]}\n",
       {"t.yaml:3:56: routers[1].servers[0].port: 80 already used by router \"a\""}},
      {"SameAddressWrittenDifferently",
       "routers:\n- {protocol: http, label: a, servers: [{ip: '::1', port: 80}]}\n"
       "- {protocol: http, label: b, servers: [{ip: '0:0::1', port: 80}]}\n",
       {"t.yaml:3:55: routers[1].servers[0].port: 80 already used by router \"a\""}},
      {"PortConflictWithinOneRouter",
       "routers:\n- protocol: http\n  label: a\n  servers:\n  - port: 80\n  - port: 80\n",
       {"t.yaml:6:5: routers[0].servers[1].port: 80 already used by router \"a\""}},
      {"PortConflictWithAdmin",
       "admin: {ip: 0.0.0.0}\nrouters:\n- protocol: http\n  servers:\n  - port: 9990\n",
       {"t.yaml:5:5: routers[0].servers[0].port: 9990 already used by the admin server"}},
      {"InvalidPortIsNotAlsoAConflict",
       "routers:\n- {protocol: http, label: a, servers: [{}]}\n"
       "- {protocol: http, label: b, servers: [{port: x}]}\n",
       {"t.yaml:3:41: routers[1].servers[0].port: expected an integer, got \"x\""}},
  };
}

std::vector<ErrorCase> all_cases() {
  std::vector<ErrorCase> all;
  for (auto part : {syntax_cases(), key_cases(), type_cases(), range_cases(), required_cases(),
                    kind_cases(), value_cases(), global_cases()}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

class ConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, ReportsExactText) {
  const ErrorCase& c = GetParam();

  const LoadResult r = load_yaml(c.yaml);

  EXPECT_FALSE(r.ok());
  EXPECT_EQ(errors_of(r), c.errors) << "config:\n" << c.yaml;
}

INSTANTIATE_TEST_SUITE_P(Table, ConfigErrors, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(ConfigErrors, AllErrorsAreReportedAtOnceInFileOrder) {
  const std::string yaml = R"(admin:
  port: abc
  colour: blue
routers:
- protocol: http
  label: outgoing
  dtab: /svc =>
  servers:
  - port: 4140
    ip: 0.0.0.0
- protocol: http
  label: outgoing
  identifier: {kind: io.l5d.nope}
  servers:
  - port: 4140
  - port: 70000
- protocol: thrift
namers:
- kind: io.l5d.fs
workers: -2
telemetry: [{kind: io.l5d.influxdb}]
)";

  const LoadResult r = load_yaml(yaml);

  EXPECT_EQ(errors_of(r),
            (std::vector<std::string>{
                "t.yaml:2:3: admin.port: expected an integer, got \"abc\"",
                "t.yaml:3:3: admin.colour: unknown key \"colour\"",
                "t.yaml:7:3: routers[0].dtab: invalid dtab: " +
                    dtab::Dtab::read("/svc =>").error().message,
                "t.yaml:12:3: routers[1].label: label \"outgoing\" already used by routers[0]",
                "t.yaml:13:16: routers[1].identifier.kind: unknown identifier kind "
                "\"io.l5d.nope\" (supported: io.l5d.header.token, io.l5d.methodAndHost, "
                "io.l5d.path, io.l5d.header, io.l5d.static, io.l5d.ingress)",
                "t.yaml:15:5: routers[1].servers[0].port: 4140 already used by router "
                "\"outgoing\"",
                "t.yaml:16:5: routers[1].servers[1].port: must be between 0 and 65535, got 70000",
                "t.yaml:17:3: routers[2].protocol: protocol \"thrift\" is not supported yet",
                "t.yaml:19:3: namers[0]: missing required key \"rootDir\"",
                "t.yaml:20:1: workers: must be between 1 and 1024, got -2",
                "t.yaml:21:14: telemetry[0].kind: telemeter kind \"io.l5d.influxdb\" is not "
                "supported yet",
            }));
}

}  // namespace
}  // namespace meshd::config
