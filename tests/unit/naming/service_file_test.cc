#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "naming/service_file_internal.h"

namespace meshd::naming::detail {
namespace {

TEST(ServiceFile, ParsesEndpointsWeightsAndComments) {
  const std::string text =
      "# web backends\n"
      "\n"
      "127.0.0.1 8080\n"
      "  10.0.0.2\t9090  # trailing comment\r\n"
      "::1 80 * 0.5\n"
      "backend.local 81 * 3\n"
      "10.0.0.3 82 * 0\n"
      "   \n";

  const ServiceFile file = parse_service_file(text, "/d/web");

  EXPECT_EQ(file.failure, "");
  const std::vector<ServiceEndpoint> expected = {
      {"127.0.0.1", 8080, 1.0},   {"10.0.0.2", 9090, 1.0}, {"::1", 80, 0.5},
      {"backend.local", 81, 3.0}, {"10.0.0.3", 82, 0.0},
  };
  EXPECT_EQ(file.endpoints, expected);
}

TEST(ServiceFile, EmptyFileHasNoEndpoints) {
  EXPECT_EQ(parse_service_file("", "x"), ServiceFile{});
  EXPECT_EQ(parse_service_file("# nothing\n\n", "x"), ServiceFile{});
  EXPECT_EQ(parse_service_file("1.2.3.4 5", "x").endpoints.size(), 1u);  // no final newline
}

TEST(ServiceFile, BadLineFailsTheWholeFileNamingFileAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1.2.3.4 80\n1.2.3.4\n", "/d/web:2: expected \"host port\" or \"host port * weight\""},
      {"1.2.3.4 80 5\n", "/d/web:1: expected \"host port\" or \"host port * weight\""},
      {"1.2.3.4 80 * \n", "/d/web:1: expected \"host port\" or \"host port * weight\""},
      {"1.2.3.4 80 x 2\n", "/d/web:1: expected \"host port\" or \"host port * weight\""},
      {"1.2.3.4:80\n", "/d/web:1: expected \"host port\" or \"host port * weight\""},
      {"#\n\n1.2.3.4 0\n", "/d/web:3: invalid port \"0\" (expected 1-65535)"},
      {"1.2.3.4 65536\n", "/d/web:1: invalid port \"65536\" (expected 1-65535)"},
      {"1.2.3.4 -1\n", "/d/web:1: invalid port \"-1\" (expected 1-65535)"},
      {"1.2.3.4 http\n", "/d/web:1: invalid port \"http\" (expected 1-65535)"},
      {"1.2.3.4 80 * -1\n", "/d/web:1: invalid weight \"-1\" (expected a number >= 0)"},
      {"1.2.3.4 80 * abc\n", "/d/web:1: invalid weight \"abc\" (expected a number >= 0)"},
      {"1.2.3.4 80 * inf\n", "/d/web:1: invalid weight \"inf\" (expected a number >= 0)"},
      {"bad/host 80\n", "/d/web:1: invalid host \"bad/host\""},
  };
  for (const auto& [text, failure] : cases) {
    SCOPED_TRACE(text);

    const ServiceFile file = parse_service_file(text, "/d/web");

    EXPECT_EQ(file.failure, failure);
    EXPECT_TRUE(file.endpoints.empty());
  }
}

TEST(ServiceFile, AcceptsPortBoundsAndNormalisesIpLiterals) {
  const ServiceFile file = parse_service_file("10.0.0.1 1\n0:0::1 65535\n", "x");

  ASSERT_EQ(file.endpoints.size(), 2u);
  EXPECT_EQ(file.endpoints[0].port, 1);
  EXPECT_EQ(file.endpoints[1].host, "::1");
  EXPECT_EQ(file.endpoints[1].port, 65535);
}

}  // namespace
}  // namespace meshd::naming::detail
