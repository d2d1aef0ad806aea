#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshd/dtab/path.h"

namespace meshd::naming {

/// Linkerd's `PathMatcher` (inventory §3.6), the pattern language of `io.l5d.rewrite` (and of
/// static client prefixes and TLS `commonName`s): `/{port}/{ns}/{svc}`, `/svc/*/foo-{x}`.
///
/// The pattern is split on `/`. Each segment is a literal (must equal the path label), `*` (any
/// one label), or text with `{name}` captures (`name` of `[A-Za-z0-9.]` and the characters
/// `:` to `_`). A capture segment is matched like the Java regex it stands for: every capture is
/// a greedy `(.*)` (not across CR or LF), the rest literal, and the match is an **unanchored
/// find** in the label, so `foo-{x}` also matches `barfoo-1` (x = `1`) and `{a}-{b}` on `a-b-c`
/// gives a = `a-b`, b = `c`. The pattern matches a path as a prefix: extra labels are ignored.
/// An immutable value; thread-safe.
class PathMatcher {
 public:
  /// Capture name → captured text. A name captured twice keeps the later value.
  using Captures = std::map<std::string, std::string, std::less<>>;

  /// Compiles `pattern`. Never fails: anything that is not a capture is literal text.
  explicit PathMatcher(std::string_view pattern);

  /// The captures if `path` starts with labels matching every pattern segment, else nullopt.
  /// Linear in the label lengths (no backtracking blow-up on hostile labels).
  std::optional<Captures> extract(const dtab::Path& path) const;

  /// `format` with every `{name}` of `captures` replaced by its value, in one left-to-right pass
  /// (values are not re-scanned); `{other}` placeholders without a capture stay as written.
  static std::string substitute(std::string_view format, const Captures& captures);

  /// `substitute(format, *extract(path))`, or nullopt when `path` does not match.
  std::optional<std::string> substitute(const dtab::Path& path, std::string_view format) const;

  /// The pattern as given.
  const std::string& pattern() const { return pattern_; }

 private:
  /// One pattern segment: `literals` around `names` (`literals.size() == names.size() + 1`).
  struct Segment {
    enum class Kind { Literal, Any, Captures };
    Kind kind = Kind::Literal;
    std::vector<std::string> literals;
    std::vector<std::string> names;
  };

  static Segment compile(std::string_view text);
  static bool find(const Segment& segment, std::string_view label, Captures& out);

  std::string pattern_;
  std::vector<Segment> segments_;
};

}  // namespace meshd::naming
