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

/// The path of a file under tests/unit/config/testdata/.
inline std::string testdata_path(const std::string& name) {
  return std::string{MESHD_SOURCE_DIR} + "/tests/unit/config/testdata/" + name;
}

}  // namespace meshd::config::testing
