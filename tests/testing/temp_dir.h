#pragma once

// A scratch directory for unit tests that touch files (namers, dtab files, service-account
// tokens, certificates).

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

namespace meshd::testing {

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("meshd-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// The path of `name` inside the directory, as a string.
  std::string file(std::string_view name) const { return (path_ / name).string(); }

  /// Writes `text` to `name` (relative) in place, creating parent directories.
  void write(std::string_view name, std::string_view text) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  }

  /// Replaces `name` with `text` atomically (write aside, then rename over it), as kubelet
  /// does with projected service-account tokens.
  void replace(std::string_view name, std::string_view text) const {
    const auto tmp = path_ / (std::string(name) + ".tmp");
    std::ofstream(tmp, std::ios::binary | std::ios::trunc) << text;
    std::filesystem::rename(tmp, path_ / name);
  }

 private:
  std::filesystem::path path_;
};

}  // namespace meshd::testing
