#include "meshd/config/to_json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "meshd/config/load.h"
#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using testing::errors_of;

TEST(ToJson, WritesLinkerdKeysWithDefaultsFilledIn) {
  const LoadResult r = load(
      "namers: [{kind: io.l5d.fs, rootDir: /d}]\n"
      "routers:\n- protocol: http\n  dtab: /svc => /#/io.l5d.fs\n  servers: [{port: 4140}]\n",
      "t.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));

  const boost::json::value json = to_json(r.config);

  EXPECT_EQ(json, boost::json::parse(R"({
    "admin": {"ip": "127.0.0.1", "port": 9990, "shutdownGraceMs": 10000},
    "routers": [{
      "protocol": "http", "label": "http", "dtab": "/svc => /#/io.l5d.fs", "dstPrefix": "/svc",
      "identifier": [{"kind": "io.l5d.header.token", "header": "Host"}],
      "servers": [{"ip": "127.0.0.1", "port": 4140, "clearContext": false}],
      "maxHeadersKB": 8, "maxInitialLineKB": 4, "streamAfterContentLengthKB": 5
    }],
    "namers": [{"kind": "io.l5d.fs", "prefix": "/io.l5d.fs", "rootDir": "/d"}],
    "usage": {"enabled": true},
    "workers": 0
  })"));
}

TEST(ToJson, OutputLoadsBackToTheSameJson) {
  const LoadResult first = load_file(testing::testdata_path("meshd-full.yaml"));
  ASSERT_TRUE(first.ok()) << ::testing::PrintToString(errors_of(first));
  const std::string text = boost::json::serialize(to_json(first.config));

  const LoadResult second = load(text, "config.json");

  ASSERT_TRUE(second.ok()) << ::testing::PrintToString(errors_of(second)) << text;
  EXPECT_EQ(to_json(second.config), to_json(first.config));
}

}  // namespace
}  // namespace meshd::config
