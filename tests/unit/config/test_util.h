#pragma once

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
