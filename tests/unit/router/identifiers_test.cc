// Identifiers (src/router/identifiers.cc) against Linkerd 1 behaviour (inventory §4.3).

#include <gtest/gtest.h>

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
