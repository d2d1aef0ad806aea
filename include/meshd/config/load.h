#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "meshd/config/model.h"

namespace meshd::config {

/// One problem found in a config file. Printed as `FILE:LINE:COL: PATH: MESSAGE`
/// (`linkerd.yaml:14:7: routers[1].servers[0].port: 4140 already used by router "outgoing"`);
/// the `PATH: ` part is left out when `path` is empty (YAML syntax errors), and `LINE:COL:`
/// when `line` is 0 (the file could not be read).
struct ConfigError {
  std::string file;     ///< the name given to `load`
  int line = 0;         ///< 1-based; 0 for errors about the whole file
  int column = 0;       ///< 1-based
  std::string path;     ///< dotted key path (`routers[0].dtab`), or empty
  std::string message;  ///< lower-case text, no trailing period

  /// The error in the `FILE:LINE:COL: PATH: MESSAGE` form.
  std::string to_string() const;
};

/// Writes `e.to_string()`.
std::ostream& operator<<(std::ostream& os, const ConfigError& e);

/// What `load` produced: the decoded config and every error found, ordered by position.
struct LoadResult {
  /// Decoded as far as possible; only meaningful when `ok()`.
  Config config;
  /// Every problem, not just the first; empty when the config is valid.
  std::vector<ConfigError> errors;
  /// True when the file could not be read at all (an environment error: exit status 1, not 2).
  bool unreadable = false;

  /// True when there are no errors.
  bool ok() const { return errors.empty(); }
};

/// Parses and validates a config. `text` is JSON when its first non-whitespace character is `{`,
/// YAML otherwise; `file_name` is only used in error messages. Never throws (yaml-cpp exceptions
/// become errors). Checks: syntax, unknown and duplicate keys, types and ranges, dtabs and paths,
/// required keys, known protocols and `kind`s, recognised-but-unsupported keys, and globally at
/// least one router, unique labels, servers present, and no two listeners on one ip:port (h2
/// routers included; see `h2_routers_runnable`).
/// Pure: touches no file system or network. Any thread.
LoadResult load(std::string_view text, std::string_view file_name);

/// False while meshd's runtime cannot run h2 routers: `load` then decodes and checks them fully
/// and, last, gives each one the error `protocol "h2" is not supported yet` (at its `protocol`).
/// A single switch (src/config/validate.cc) for the change that wires h2 routers in. Any thread.
bool h2_routers_runnable() noexcept;

/// Reads `path` (`-` = standard input, reported as `<stdin>`) and calls `load`. A file that cannot
/// be read gives one error and `unreadable == true`. Blocking; call at startup only.
LoadResult load_file(const std::string& path);

}  // namespace meshd::config
