#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "naming/rewriting_namers_internal.h"
#include "unit/naming/naming_test_util.h"

namespace meshd::naming::detail {
namespace {

using naming::testing::path;
using naming::testing::show;

struct Case {
  std::string kind;
  std::string rest;
  std::string result;
};

TEST(RewritingNamers, RewritePathsAsLinkerdDoes) {
  const std::vector<Case> cases = {
      {"io.buoyant.hostportPfx", "/hp/linkerd.io:8888/x", "/hp/linkerd.io/8888/x"},
      {"io.buoyant.hostportPfx", "/hp/web:http", "/hp/web/http"},
      {"io.buoyant.hostportPfx", "/hp/web", "~"},
      {"io.buoyant.hostportPfx", "/hp/web:80:90", "~"},
      {"io.buoyant.hostportPfx", "/hp/web:HTTP", "~"},
      {"io.buoyant.hostportPfx", "/hp/web:", "~"},
      {"io.buoyant.hostportPfx", "/hp/:80", "~"},
      {"io.buoyant.hostportPfx", "/hp", "~"},
      {"io.buoyant.porthostPfx", "/ph/google.com:80/a", "/ph/80/google.com/a"},
      {"io.buoyant.porthostPfx", "/ph/google.com", "~"},
      {"io.buoyant.http.anyMethod", "/GET/svc/x", "/svc/x"},
      {"io.buoyant.http.anyMethod", "/get/svc", "~"},
      {"io.buoyant.http.anyMethodPfx", "/pfx/POST/svc", "/pfx/svc"},
      {"io.buoyant.http.anyMethodPfx", "/pfx/Post/svc", "~"},
      {"io.buoyant.http.anyHost", "/foo.buoyant.io:80/a/b", "/a/b"},
      {"io.buoyant.http.anyHost", "/foo\\x2fbar/a", "~"},
      {"io.buoyant.http.anyHostPfx", "/pfx/foo.buoyant.io/a", "/pfx/a"},
      {"io.buoyant.http.subdomainOf", "/buoyant.io/foo.buoyant.io:8080/a", "/foo/a"},
      {"io.buoyant.http.subdomainOf", "/buoyant.io/buoyant.io/a", "~"},
      {"io.buoyant.http.subdomainOf", "/buoyant.io/foo.example.com/a", "~"},
      {"io.buoyant.http.subdomainOfPfx", "/buoyant.io/pfx/a.b.buoyant.io/r", "/pfx/a.b/r"},
      {"io.buoyant.http.domainToPath", "/foo.buoyant.io/r", "/io/buoyant/foo/r"},
      {"io.buoyant.http.domainToPath", "/foo.buoyant.io:8080", "/io:8080/buoyant/foo"},
      {"io.buoyant.http.domainToPath", "/foo.com./r", "/com/foo/r"},
      {"io.buoyant.http.domainToPath", "/a..b", "~"},
      {"io.buoyant.http.domainToPathPfx", "/pfx/foo.buoyant.io/r", "/pfx/io/buoyant/foo/r"},
      {"io.buoyant.http.domainToPathPfx", "/pfx", "~"},
      {"io.buoyant.http.domainToPathPfx", "/", "~"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.kind + " " + c.rest);

    const auto result = rewrite_system_path(c.kind, path(c.rest));

    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(show(*result), c.result);
  }
}

TEST(RewritingNamers, UnknownKindsAreNotRewritingNamers) {
  EXPECT_FALSE(rewrite_system_path("inet", path("/a")).has_value());
  EXPECT_FALSE(rewrite_system_path("io.buoyant.http.nope", path("/a")).has_value());
  EXPECT_FALSE(rewrite_system_path("IO.BUOYANT.HOSTPORTPFX", path("/a/b:1")).has_value());
}

}  // namespace
}  // namespace meshd::naming::detail
