#pragma once

// The decoding toolkit shared by the config decoders: error collection, a map reader that finds
// duplicate, unknown, unsupported and removed keys, and typed scalar readers. yaml-cpp stays
// inside src/config/ (DESIGN.md §3), so nothing here is in include/.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meshd/config/load.h"
#include "meshd/config/model.h"

namespace meshd::config::detail {

/// Collects the errors of one `load` call. Not thread-safe; one per load.
class Decoder {
 public:
  explicit Decoder(std::string file) : file_(std::move(file)) {}

  /// Records an error at `pos`.
  void error(const Position& pos, std::string message);
  /// The position of a yaml-cpp mark (0-based) with the key path `path`. An unknown mark (-1,
  /// from an empty document) becomes 1:1.
  Position at(const YAML::Mark& mark, std::string path) const;
  /// Records an error at a yaml-cpp mark.
  void error(const YAML::Mark& mark, std::string path, std::string message) {
    error(at(mark, std::move(path)), std::move(message));
  }

  const std::string& file() const { return file_; }
  std::vector<ConfigError>& errors() { return errors_; }

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

/// `parent.key`, or `key` at the root.
std::string join(std::string_view parent, std::string_view key);
/// `parent[i]`.
std::string index(std::string_view parent, std::size_t i);
/// How a value reads in a type error: `"abc"`, `a map`, `a list`, `null`.
std::string describe(const YAML::Node& node);
/// True for a `null`, `~` or empty value (treated like an absent key).
inline bool is_null(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }
/// The position of the key `key` of an object at `parent` that was not written: the object's
/// line and column, the path `parent.path.key`.
inline Position child_pos(const Position& parent, std::string_view key) {
  return Position{parent.line, parent.column, join(parent.path, key)};
}

/// Converts any YAML value to JSON, reporting duplicate keys inside it. Quoted scalars become
/// strings; plain ones become null, booleans, integers or doubles when they read as such.
boost::json::value to_json_value(Decoder& d, const YAML::Node& node, const std::string& path);

/// Reads one YAML map. Construction reports duplicate keys (and non-scalar keys); `take` and
/// friends consume keys; `finish` reports each key nobody consumed as unknown, with a
/// suggestion among the keys that were asked for. Holds references: use within one call.
class MapReader {
 public:
  /// `node` must be a map; `path` is its key path (empty for the document root).
  MapReader(Decoder& d, const YAML::Node& node, std::string path);

  /// The value of `key`, or nullopt when the key is absent. Marks the key known and consumed.
  /// A `null` value is returned as is; callers treat it like an absent key.
  std::optional<YAML::Node> take(std::string_view key);
  /// Where `key` was written, or the map itself when absent; the path is `path().key`.
  Position key_pos(std::string_view key) const;
  /// If `key` is present: records an `UnsupportedValue` in `out` and a
  /// `"<key>" is not supported yet` error.
  void unsupported(std::string_view key, std::vector<UnsupportedValue>& out);
  /// If `key` is present: a `"<key>" was removed in Linkerd <note>` error.
  void removed(std::string_view key, std::string_view note);
  /// Reports `missing required key "<key>"` at the map.
  void missing(std::string_view key);
  /// Reports every key not consumed by now as unknown. Call once, after all takes.
  void finish();

  Decoder& decoder() { return d_; }
  const std::string& path() const { return path_; }
  Position pos() const { return d_.at(node_.Mark(), path_); }
  /// True when `key` is present with a non-null value. Does not consume it.
  bool has_value(std::string_view key) const;
  /// The whole map as JSON, consuming every key (for plugins recognised but not supported yet).
  boost::json::value raw();

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
    bool used = false;
  };
  Entry* find(std::string_view key);
  const Entry* find(std::string_view key) const;

  Decoder& d_;
  YAML::Node node_;
  std::string path_;
  std::vector<Entry> entries_;      // first occurrence of each key, in file order
  std::vector<std::string> known_;  // every key asked for, for "did you mean" hints
};

// Typed readers. Each sets `out.pos` (to the key, or the map when absent) and, when the key holds
// a valid non-null value, `out.value` and `out.present`; on an invalid value it reports an error
// and leaves the default. `min`/`max` are inclusive.

void read_string(MapReader& m, std::string_view key, Located<std::string>& out);
void read_bool(MapReader& m, std::string_view key, Located<bool>& out);
void read_int(MapReader& m, std::string_view key, Located<int>& out, std::int64_t min,
              std::int64_t max);
void read_optional_int(MapReader& m, std::string_view key, Located<std::optional<int>>& out,
                       std::int64_t min, std::int64_t max);
void read_millis(MapReader& m, std::string_view key, Located<std::chrono::milliseconds>& out,
                 std::int64_t min, std::int64_t max);
void read_seconds(MapReader& m, std::string_view key, Located<std::chrono::seconds>& out,
                  std::int64_t min, std::int64_t max);
/// A number (an integer or a decimal fraction; `1e3` too, as JSON allows) in [`min`, `max`].
void read_double(MapReader& m, std::string_view key, Located<double>& out, double min, double max);
/// A literal IPv4 or IPv6 address (no host names, as Linkerd's `InetAddresses.forString`).
void read_ip(MapReader& m, std::string_view key, Located<std::string>& out);
/// An HTTP header field name (an RFC 9110 token). With `allow_pseudo` (h2 routers), also a
/// pseudo-header: `:` followed by a token (`:authority`, `:path`).
void read_header_name(MapReader& m, std::string_view key, Located<std::string>& out,
                      bool allow_pseudo = false);
/// A required non-empty string: reports the key missing (at the map) or empty.
void read_required_string(MapReader& m, std::string_view key, Located<std::string>& out);
/// A list of non-empty strings, each with its own position (`key[i]`).
void read_string_list(MapReader& m, std::string_view key, StringList& out);
/// A list of integers in [`min`, `max`]; an invalid element is reported at `key[i]` and
/// skipped. `out.present` is true when the key holds a list (even an empty one).
void read_int_list(MapReader& m, std::string_view key, Located<std::vector<int>>& out,
                   std::int64_t min, std::int64_t max);
/// A Finagle path parsed with `dtab::Path::read`. Parses the default text too, so `parsed` is
/// always filled when the text is valid.
void read_path(MapReader& m, std::string_view key, Located<PathValue>& out);
/// A dtab parsed with `dtab::Dtab::read`.
void read_dtab(MapReader& m, std::string_view key, Located<DtabValue>& out);

/// Calls `decode(MapReader&)`, then `finish()`, when `key` holds a map; reports a type error for
/// anything else but null.
template <class F>
void with_map(MapReader& parent, std::string_view key, F decode) {
  const Position pos = parent.key_pos(key);
  auto node = parent.take(key);
  if (!node || is_null(*node)) {
    return;
  }
  if (!node->IsMap()) {
    parent.decoder().error(pos, "expected a map, got " + describe(*node));
    return;
  }
  MapReader m(parent.decoder(), *node, pos.path);
  decode(m);
  m.finish();
}

/// Calls `decode(item, path)` for each element when `key` holds a list; returns the key's
/// position, whether it is present or not.
template <class F>
Position for_each_item(MapReader& parent, std::string_view key, F decode) {
  const Position pos = parent.key_pos(key);
  auto node = parent.take(key);
  if (!node || is_null(*node)) {
    return pos;
  }
  if (!node->IsSequence()) {
    parent.decoder().error(pos, "expected a list, got " + describe(*node));
    return pos;
  }
  std::size_t i = 0;
  for (const auto& item : *node) {
    decode(item, index(pos.path, i++));
  }
  return pos;
}

/// Parses a decimal integer scalar (`42`, `-1`, `"42"`); nullopt if `s` is not one or overflows.
std::optional<std::int64_t> parse_int(std::string_view s);
/// `v` in its shortest round-trip form (`0.2`, `1000`), for messages.
std::string format_double(double v);
/// True when `ip` is a literal IPv4 or IPv6 address.
bool is_ip_literal(std::string_view ip);

}  // namespace meshd::config::detail
