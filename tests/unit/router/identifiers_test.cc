// Identifiers (src/router/identifiers.cc) against Linkerd 1 behaviour (inventory §4.3, §13).

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "meshd/router/identifier.h"
#include "router_test_util.h"

namespace meshd::router {
namespace {

using test::request;
using test::router_config;
using Headers = std::vector<std::pair<std::string, std::string>>;

/// One request through the identifiers of one router config.
struct Case {
  std::string name;
  std::string router_yaml;  ///< lines of the router section (`identifier`, `dstPrefix`)
  std::string method;
  std::string target;
  Headers headers;
  http::Version version{1, 1};
  std::string dst;                ///< expected logical name; empty when unidentified
  std::string reason;             ///< expected reason when unidentified
  std::string target_after = {};  ///< expected target afterwards; empty = unchanged
};

void check(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto ids = make_identifiers(router_config(c.router_yaml));
    auto req = request(c.method, c.target, c.headers, c.version);

    auto id = identify(ids, req);

    if (c.dst.empty()) {
      EXPECT_FALSE(id.dst.has_value()) << id.dst->show();
      EXPECT_EQ(id.reason, c.reason);
    } else {
      ASSERT_TRUE(id.dst.has_value()) << id.reason;
      EXPECT_EQ(id.dst->show(), c.dst);
    }
    EXPECT_EQ(req.target, c.target_after.empty() ? c.target : c.target_after);
  }
}

/// The router of an h2 config made of `router_yaml` lines. Its only error may be the one h2
/// routers get while they are not runnable (`config::h2_routers_runnable`).
config::RouterConfig h2_router_config(const std::string& router_yaml) {
  const std::string yaml =
      "routers:\n- protocol: h2\n  label: r\n" + router_yaml + "  servers: [{port: 0}]\n";
  auto loaded = config::load(yaml, "t.yaml");
  const std::size_t allowed = config::h2_routers_runnable() ? 0 : 1;
  EXPECT_EQ(loaded.errors.size(), allowed) << yaml;
  for (const auto& e : loaded.errors) {
    EXPECT_EQ(e.message, "protocol \"h2\" is not supported yet") << e.to_string();
  }
  if (loaded.errors.size() != allowed || loaded.config.routers.empty()) {
    throw std::runtime_error("invalid test config");
  }
  return loaded.config.routers[0];
}

/// A request as the h2 codec builds it: version 2.0, `:authority` and `:scheme` first (when
/// `authority` is not empty), then `headers`; `:path` is the target.
http::Request h2_request(std::string target, std::string authority, Headers headers = {}) {
  Headers all;
  if (!authority.empty()) {
    all.emplace_back(":authority", std::move(authority));
    all.emplace_back(":scheme", "http");
  }
  all.insert(all.end(), headers.begin(), headers.end());
  return request("POST", std::move(target), all, {2, 0});
}

/// One h2 request through the identifiers of one h2 router config.
struct H2Case {
  std::string name;
  std::string router_yaml;
  std::string target;
  std::string authority;  ///< empty: no `:authority`
  Headers headers;
  std::string dst;     ///< expected logical name; empty when unidentified
  std::string reason;  ///< expected reason when unidentified
};

void check_h2(const std::vector<H2Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto ids = make_identifiers(h2_router_config(c.router_yaml));
    auto req = h2_request(c.target, c.authority, c.headers);

    auto id = identify(ids, req);

    if (c.dst.empty()) {
      EXPECT_FALSE(id.dst.has_value()) << id.dst->show();
      EXPECT_EQ(id.reason, c.reason);
    } else {
      ASSERT_TRUE(id.dst.has_value()) << id.reason;
      EXPECT_EQ(id.dst->show(), c.dst);
    }
    EXPECT_EQ(req.target, c.target);  // h2 identifiers never rewrite the request
  }
}

TEST(HeaderTokenIdentifier, NamesTheHostHeaderAsOneSegment) {
  const std::string host_token = "  identifier: {kind: io.l5d.header.token}\n";
  // clang-format off
  check({
      {"default identifier", "", "GET", "/", {{"Host", "hello"}}, {1, 1}, "/svc/hello", ""},
      {"explicit kind", host_token, "GET", "/a/b", {{"Host", "hello"}}, {1, 1}, "/svc/hello", ""},
      {"port and case kept", "", "GET", "/", {{"Host", "Hello:7777"}}, {1, 1},
       "/svc/Hello:7777", ""},
      {"header name case-insensitive", "", "GET", "/", {{"host", "web"}}, {1, 1}, "/svc/web", ""},
      {"dots kept in one segment", "", "GET", "/", {{"Host", "web.default.svc"}}, {1, 1},
       "/svc/web.default.svc", ""},
      {"absent", "", "GET", "/", {}, {1, 1}, "", "Host header is absent"},
      {"empty is absent", "", "GET", "/", {{"Host", ""}}, {1, 1}, "", "Host header is absent"},
      {"HTTP/1.0 with Host", "", "GET", "/", {{"Host", "old"}}, {1, 0}, "/svc/old", ""},
  });
  // clang-format on
}

TEST(HeaderTokenIdentifier, ReadsAConfiguredHeader) {
  const std::string yaml = "  identifier: {kind: io.l5d.header.token, header: X-Service}\n";
  // clang-format off
  check({
      {"present", yaml, "GET", "/", {{"Host", "h"}, {"x-service", "Users"}}, {1, 1},
       "/svc/Users", ""},
      {"absent names the configured header", yaml, "GET", "/", {{"Host", "h"}}, {1, 1}, "",
       "X-Service header is absent"},
  });
  // clang-format on
}

TEST(HeaderTokenIdentifier, SlashInTheValueStaysInsideTheSegment) {
  auto ids = make_identifiers(router_config(""));
  auto req = request("GET", "/", {{"Host", "a/b"}});

  auto id = identify(ids, req);

  ASSERT_TRUE(id.dst.has_value());
  ASSERT_EQ(id.dst->size(), 2u);  // svc, "a/b": one label, as Linkerd's Path.Utf8(value)
  EXPECT_EQ(id.dst->elems()[1], "a/b");
}

TEST(MethodAndHostIdentifier, NamesVersionMethodAndHost) {
  const std::string plain = "  identifier: {kind: io.l5d.methodAndHost}\n";
  const std::string uri = "  identifier: {kind: io.l5d.methodAndHost, httpUriInDst: true}\n";
  // clang-format off
  check({
      {"1.1", plain, "GET", "/a/b?q=1", {{"Host", "hello"}}, {1, 1}, "/svc/1.1/GET/hello", ""},
      {"1.1 host lower-cased, port kept", plain, "POST", "/", {{"Host", "HeLLo:8080"}}, {1, 1},
       "/svc/1.1/POST/hello:8080", ""},
      {"1.1 with uri", uri, "GET", "/a/b?q=1#f", {{"Host", "hello"}}, {1, 1},
       "/svc/1.1/GET/hello/a/b", ""},
      {"1.1 with uri of root", uri, "GET", "/", {{"Host", "hello"}}, {1, 1},
       "/svc/1.1/GET/hello", ""},
      {"1.0 has no host", plain, "GET", "/a", {{"Host", "hello"}}, {1, 0}, "/svc/1.0/GET", ""},
      {"1.0 without Host", plain, "DELETE", "/a", {}, {1, 0}, "/svc/1.0/DELETE", ""},
      {"1.0 with uri", uri, "GET", "/a/b", {}, {1, 0}, "/svc/1.0/GET/a/b", ""},
      {"1.1 missing host", plain, "GET", "/", {}, {1, 1}, "",
       "HTTP/1.1 request missing hostname"},
      {"1.1 empty host", plain, "GET", "/", {{"Host", ""}}, {1, 1}, "",
       "HTTP/1.1 request missing hostname"},
  });
  // clang-format on
}

TEST(PathIdentifier, NamesTheFirstSegments) {
  const std::string one = "  identifier: {kind: io.l5d.path}\n";
  const std::string two = "  identifier: {kind: io.l5d.path, segments: 2}\n";
  // clang-format off
  check({
      {"one segment", one, "GET", "/users/42?x=1", {{"Host", "h"}}, {1, 1}, "/svc/users", ""},
      {"two segments", two, "GET", "/api/users/42", {}, {1, 1}, "/svc/api/users", ""},
      {"exactly enough", two, "GET", "/api/users", {}, {1, 1}, "/svc/api/users", ""},
      {"query is not a segment", two, "GET", "/api?users/x", {}, {1, 1}, "",
       "not enough segments in path"},
      {"not enough segments", two, "GET", "/api", {}, {1, 1}, "", "not enough segments in path"},
      {"root has none", one, "GET", "/", {}, {1, 1}, "", "not enough segments in path"},
  });
  // clang-format on
}

TEST(PathIdentifier, ConsumeRewritesTheTarget) {
  const std::string one = "  identifier: {kind: io.l5d.path, consume: true}\n";
  const std::string two = "  identifier: {kind: io.l5d.path, segments: 2, consume: true}\n";
  // clang-format off
  check({
      {"rest kept", one, "GET", "/users/42/x", {}, {1, 1}, "/svc/users", "", "/42/x"},
      {"query kept", one, "GET", "/users/42?a=b&c", {}, {1, 1}, "/svc/users", "", "/42?a=b&c"},
      {"trailing slash kept", one, "GET", "/users/42/", {}, {1, 1}, "/svc/users", "", "/42/"},
      {"nothing left", one, "GET", "/users", {}, {1, 1}, "/svc/users", "", "/"},
      {"only a slash left", one, "GET", "/users/", {}, {1, 1}, "/svc/users", "", "/"},
      {"nothing left but a query", one, "GET", "/users?a=1", {}, {1, 1}, "/svc/users", "",
       "/?a=1"},
      {"two segments", two, "GET", "/api/v1/users?x", {}, {1, 1}, "/svc/api/v1", "",
       "/users?x"},
      {"failure leaves the target", two, "GET", "/api", {}, {1, 1}, "",
       "not enough segments in path", "/api"},
  });
  // clang-format on
}

TEST(HeaderIdentifier, ReadsAPathFromTheHeader) {
  const std::string dflt = "  identifier: {kind: io.l5d.header}\n";
  const std::string custom = "  identifier: {kind: io.l5d.header, header: x-dst}\n";
  // clang-format off
  check({
      {"l5d-name path", dflt, "GET", "/", {{"l5d-name", "/users/v2"}}, {1, 1},
       "/svc/users/v2", ""},
      {"custom header", custom, "GET", "/", {{"X-Dst", "/a"}}, {1, 1}, "/svc/a", ""},
      {"absent", dflt, "GET", "/", {{"Host", "h"}}, {1, 1}, "", "l5d-name header is absent"},
      {"empty is absent", dflt, "GET", "/", {{"l5d-name", ""}}, {1, 1}, "",
       "l5d-name header is absent"},
      {"not a path", dflt, "GET", "/", {{"l5d-name", "users"}}, {1, 1}, "",
       "'/' expected but 'u' found at '[u]sers'"},
      {"bad label", dflt, "GET", "/", {{"l5d-name", "/a//b"}}, {1, 1}, "",
       "label char expected but '/' found at '/a/[/]b'"},
  });
  // clang-format on
}

TEST(HeaderIdentifier, ReasonIsThePathParsersMessage) {
  auto ids = make_identifiers(router_config("  identifier: {kind: io.l5d.header}\n"));
  auto req = request("GET", "/", {{"l5d-name", "/a b"}});

  auto id = identify(ids, req);

  ASSERT_FALSE(id.dst.has_value());
  EXPECT_EQ(id.reason, dtab::Path::read("/a b").error().message);
}

TEST(StaticIdentifier, AlwaysNamesItsPathUnderThePrefix) {
  const std::string yaml = "  identifier: {kind: io.l5d.static, path: /hello/world}\n";
  // clang-format off
  check({
      {"with host", yaml, "GET", "/x", {{"Host", "other"}}, {1, 1}, "/svc/hello/world", ""},
      {"without anything", yaml, "POST", "/", {}, {1, 0}, "/svc/hello/world", ""},
  });
  // clang-format on
}

TEST(Identify, FirstIdentifierThatNamesTheRequestWins) {
  const std::string yaml =
      "  identifier:\n"
      "  - {kind: io.l5d.header, header: x-dst}\n"
      "  - {kind: io.l5d.path, segments: 2, consume: true}\n"
      "  - {kind: io.l5d.header.token}\n";
  // clang-format off
  check({
      {"first succeeds", yaml, "GET", "/a/b/c", {{"x-dst", "/one"}, {"Host", "h"}}, {1, 1},
       "/svc/one", ""},
      {"second succeeds after the first fails", yaml, "GET", "/a/b/c", {{"Host", "h"}}, {1, 1},
       "/svc/a/b", "", "/c"},
      {"third succeeds, earlier ones leave the target", yaml, "GET", "/a", {{"Host", "h"}},
       {1, 1}, "/svc/h", ""},
      {"all fail: the last reason is reported", yaml, "GET", "/a", {}, {1, 1}, "",
       "Host header is absent"},
  });
  // clang-format on
}

TEST(Identify, AllFailingReportsTheLastReasonNotTheFirst) {
  const std::string yaml =
      "  identifier:\n"
      "  - {kind: io.l5d.header.token}\n"
      "  - {kind: io.l5d.path, segments: 3}\n";
  // clang-format off
  check({
      {"last reason", yaml, "GET", "/a", {}, {1, 1}, "", "not enough segments in path"},
  });
  // clang-format on
}

TEST(Identify, UsesANonDefaultDstPrefix) {
  // clang-format off
  check({
      {"one-label prefix", "  dstPrefix: /http\n", "GET", "/", {{"Host", "web"}}, {1, 1},
       "/http/web", ""},
      {"two-label prefix", "  dstPrefix: /s/http\n", "GET", "/", {{"Host", "web"}}, {1, 1},
       "/s/http/web", ""},
      {"path identifier", "  dstPrefix: /p\n  identifier: {kind: io.l5d.path}\n", "GET",
       "/users/1", {}, {1, 1}, "/p/users", ""},
      {"static identifier", "  dstPrefix: /p\n  identifier: {kind: io.l5d.static, path: /x}\n",
       "GET", "/", {}, {1, 1}, "/p/x", ""},
      {"methodAndHost", "  dstPrefix: /m\n  identifier: {kind: io.l5d.methodAndHost}\n", "GET",
       "/", {{"Host", "web"}}, {1, 1}, "/m/1.1/GET/web", ""},
      {"header", "  dstPrefix: /h\n  identifier: {kind: io.l5d.header}\n", "GET", "/",
       {{"l5d-name", "/a/b"}}, {1, 1}, "/h/a/b", ""},
  });
  // clang-format on
}

TEST(H2HeaderTokenIdentifier, NamesTheAuthorityByDefault) {
  const std::string token = "  identifier: {kind: io.l5d.header.token}\n";
  const std::string custom = "  identifier: {kind: io.l5d.header.token, header: x-svc}\n";
  // clang-format off
  check_h2({
      {"default identifier", "", "/pkg.Svc/Call", "web:8080", {}, "/svc/web:8080", ""},
      {"explicit kind", token, "/", "Web", {}, "/svc/Web", ""},
      {"missing authority", "", "/", "", {}, "", "missing header: ':authority'"},
      {"empty authority", "", "/", "", {{":authority", ""}}, "",
       "missing header: ':authority'"},
      {"configured header", custom, "/", "web", {{"x-svc", "users"}}, "/svc/users", ""},
      {"configured header missing", custom, "/", "web", {}, "", "missing header: 'x-svc'"},
      {"dstPrefix", "  dstPrefix: /h2\n", "/", "web", {}, "/h2/web", ""},
  });
  // clang-format on
}

TEST(H2HeaderPathIdentifier, NamesTheWholePathByDefault) {
  const std::string yaml = "  identifier: {kind: io.l5d.header.path}\n";
  // clang-format off
  check_h2({
      {"gRPC method", yaml, "/pkg.Service/Method", "web", {}, "/svc/pkg.Service/Method", ""},
      {"query stripped", yaml, "/a/b?x=1&y", "web", {}, "/svc/a/b", ""},
      {"one trailing slash stripped", yaml, "/a/b/", "web", {}, "/svc/a/b", ""},
      {"root", yaml, "/", "web", {}, "", "Missing destination path"},
      {"root with a query", yaml, "/?x=1", "web", {}, "", "Missing destination path"},
      {"empty target", yaml, "", "web", {}, "", "Missing destination path"},
      {"not a path", yaml, "/a b", "web", {}, "",
       dtab::Path::read("/a b").error().message},
      {"dstPrefix", "  dstPrefix: /grpc\n" + yaml, "/pkg.S/M", "web", {}, "/grpc/pkg.S/M", ""},
  });
  // clang-format on
}

TEST(H2HeaderPathIdentifier, SegmentsCutThePath) {
  const std::string one = "  identifier: {kind: io.l5d.header.path, segments: 1}\n";
  const std::string two = "  identifier: {kind: io.l5d.header.path, segments: 2}\n";
  // clang-format off
  check_h2({
      {"gRPC service", one, "/pkg.Service/Method", "web", {}, "/svc/pkg.Service", ""},
      {"exactly enough", two, "/a/b", "web", {}, "/svc/a/b", ""},
      {"more than enough", two, "/a/b/c/d?q", "web", {}, "/svc/a/b", ""},
      {"too short", two, "/a?b/c", "web", {}, "", "Path must have at least 2 segment(s)"},
      {"root", one, "/", "web", {}, "", "Path must have at least 1 segment(s)"},
  });
  // clang-format on
}

TEST(H2HeaderPathIdentifier, ReadsAConfiguredHeader) {
  const std::string yaml = "  identifier: {kind: io.l5d.header.path, header: x-dst}\n";
  // clang-format off
  check_h2({
      {"present", yaml, "/ignored", "web", {{"x-dst", "/users/v1/"}}, "/svc/users/v1", ""},
      {"absent", yaml, "/ignored", "web", {}, "", "Missing destination path"},
  });
  // clang-format on
}

TEST(H2Identify, FirstIdentifierThatNamesTheRequestWins) {
  const std::string yaml =
      "  identifier:\n"
      "  - {kind: io.l5d.header.path, segments: 2}\n"
      "  - {kind: io.l5d.header.token}\n";
  // clang-format off
  check_h2({
      {"path", yaml, "/a/b/c", "web", {}, "/svc/a/b", ""},
      {"authority after the path fails", yaml, "/a", "web", {}, "/svc/web", ""},
      {"all fail: the last reason", yaml, "/a", "", {}, "", "missing header: ':authority'"},
  });
  // clang-format on
}

TEST(MakeIdentifiers, HandBuiltH2ConfigWithoutIdentifiersUsesTheAuthority) {
  config::RouterConfig rc;
  rc.protocol.value = "h2";
  rc.dst_prefix.value = config::PathValue{"/in", dtab::Path::of({"in"})};

  auto ids = make_identifiers(rc);
  auto req = h2_request("/", "web:80");
  auto id = identify(ids, req);

  ASSERT_EQ(ids.size(), 1u);
  ASSERT_TRUE(id.dst.has_value()) << id.reason;
  EXPECT_EQ(id.dst->show(), "/in/web:80");
}

TEST(MakeIdentifiers, HandBuiltConfigWithoutIdentifiersUsesTheHostToken) {
  config::RouterConfig rc;
  rc.dst_prefix.value = config::PathValue{"/in", dtab::Path::of({"in"})};

  auto ids = make_identifiers(rc);
  auto req = request("GET", "/", {{"Host", "Web:80"}});
  auto id = identify(ids, req);

  ASSERT_EQ(ids.size(), 1u);
  ASSERT_TRUE(id.dst.has_value()) << id.reason;
  EXPECT_EQ(id.dst->show(), "/in/Web:80");
}

TEST(MakeIdentifiers, KeepsConfigOrder) {
  auto rc = router_config(
      "  identifier:\n"
      "  - {kind: io.l5d.static, path: /first}\n"
      "  - {kind: io.l5d.static, path: /second}\n");

  auto ids = make_identifiers(rc);
  auto req = request("GET", "/");

  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0]->identify(req).dst->show(), "/svc/first");
  EXPECT_EQ(ids[1]->identify(req).dst->show(), "/svc/second");
}

TEST(Identify, EmptyListReportsNoIdentifier) {
  auto req = request("GET", "/");

  auto id = identify({}, req);

  EXPECT_FALSE(id.dst.has_value());
  EXPECT_FALSE(id.reason.empty());
}

}  // namespace
}  // namespace meshd::router
