#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "meshd/config/load.h"

namespace meshd::config::testing {

/// Every error of `r` in its printed form.
inline std::vector<std::string> errors_of(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) {
    out.push_back(e.to_string());
  }
  return out;
}

/// The error `config::load` gives each h2 router while `h2_routers_runnable()` is false.
inline const std::string kH2Pending = "protocol \"h2\" is not supported yet";

/// Every error of `r` in its printed form, except the h2-pending ones (for tables of errors in
/// h2 routers, which keep passing once h2 routers are runnable).
inline std::vector<std::string> errors_except_h2_pending(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) {
    if (e.message != kH2Pending) {
      out.push_back(e.to_string());
    }
  }
  return out;
}

/// Expects `r` (a config with h2 routers and nothing else wrong) to load: while h2 routers are
/// not runnable, its only errors are one h2-pending error per h2 router, at its `protocol`.
/// Follows `h2_routers_runnable()`, so tests using it need no change when h2 routers are wired.
inline void expect_only_h2_pending(const LoadResult& r) {
  if (h2_routers_runnable()) {
    EXPECT_TRUE(r.ok()) << ::testing::PrintToString(errors_except_h2_pending(r));
    return;
  }
  const std::string file = r.errors.empty() ? "t.yaml" : r.errors.front().file;
  std::vector<std::string> want;
  for (std::size_t i = 0; i < r.config.routers.size(); ++i) {
    const Position& pos = r.config.routers[i].protocol.pos;
    if (r.config.routers[i].protocol.value == "h2") {
      EXPECT_EQ(pos.path, "routers[" + std::to_string(i) + "].protocol");
      want.push_back(ConfigError{file, pos.line, pos.column, pos.path, kH2Pending}.to_string());
    }
  }
  EXPECT_EQ(errors_of(r), want);
}

/// Loads `text` as `t.yaml`.
inline LoadResult load_yaml(const std::string& text) { return load(text, "t.yaml"); }

/// The smallest valid config: one http router on an OS-chosen port (3 lines; cases append
/// router keys with a two-space indent, or top-level sections).
inline const std::string kMinimalRouter = "routers:\n- protocol: http\n  servers: [{port: 0}]\n";

/// The path of a file under tests/unit/config/testdata/.
inline std::string testdata_path(const std::string& name) {
  return std::string{MESHD_SOURCE_DIR} + "/tests/unit/config/testdata/" + name;
}

}  // namespace meshd::config::testing
