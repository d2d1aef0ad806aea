#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace meshd::admin {

/// `admin.security` (Linkerd 1.4.5+): which admin paths are served. Defaults serve everything.
struct SecurityOptions {
  /// `uiEnabled`: the dashboard's paths (`/`, `/files/…`, `/config.json`, `/delegator`, …).
  bool ui_enabled = true;
  /// `controlEnabled`: `/admin/shutdown` and `/logging.json`.
  bool control_enabled = true;
  /// `diagnosticsEnabled`: every other path (`/admin/ping`, `/admin/metrics/prometheus`, …).
  bool diagnostics_enabled = true;
  /// `pathWhitelist`: regexes of paths served although their category is disabled.
  std::vector<std::string> path_whitelist;
  /// `pathBlacklist`: regexes of paths never served, whatever else says.
  std::vector<std::string> path_blacklist;
};

/// Linkerd's admin SecurityFilter (`admin/.../SecurityFilter.scala`, 1.7): a path on the
/// blacklist is refused; otherwise it is served when its category is enabled or it is on the
/// whitelist. A refused request gets an empty 404, as an unknown path does, so a scanner cannot
/// tell them apart. Categories, by Linkerd's patterns, each matching the whole path:
/// - UI: `/`, `/files/.*`, `/admin/files/.*`, `/config[.]json`, `/metrics[.]json`,
///   `/admin/metrics[.]json`, `/admin/metrics`, `/delegator`, `/delegator[.]json`, `/logging`,
///   `/help`;
/// - control: `/admin/shutdown`, `/logging[.]json`;
/// - diagnostics: every other path, among them `/admin`, `/admin/index.txt`, `/admin/ping`,
///   `/admin/ready`, `/admin/metrics/prometheus`, `/client_state.json`, `/bound-names.json`,
///   `/namer_state/…`, `/requests`, `/services` and `/favicon.ico`.
///
/// Regexes must match the whole path (Java `Matcher.matches()`) and use ECMAScript syntax
/// (`std::regex`): Linkerd's usual patterns (`^/admin/shutdown$`, `/admin/.*`, `[.]`, `(a|b)`)
/// mean the same. Java-only features are not supported and are rejected rather than misread:
/// inline flags (`(?i)`), lookbehind, named groups, possessive quantifiers (`a++`), class
/// union and intersection (`[a[b]]`, `[a-z&&[^b]]`) and Java's letter escapes (`\A`, `\z`, `\Q…\E`,
/// `\p{…}`). The path matched is the percent-decoded one the admin server routes on (Linkerd
/// matches the raw path), so an encoded path cannot slip past a pattern. Immutable; safe to share
/// between threads.
class SecurityFilter {
 public:
  /// Paths longer than this are refused without running a regex: libstdc++'s matcher recurses
  /// once per input character, and admin paths are short.
  static constexpr std::size_t kMaxPathBytes = 8 * 1024;

  /// Compiles the lists of `options`. On failure returns nullopt and appends one error per bad
  /// regex, naming its list and index: `pathWhitelist[1]: invalid regex "(": <reason>`.
  static std::optional<SecurityFilter> compile(const SecurityOptions& options,
                                               std::vector<std::string>& errors);

  /// Whether `path` (percent-decoded, without query) may be served.
  bool allows(std::string_view path) const;

 private:
  SecurityFilter() = default;

  bool ui_enabled_ = true;
  bool control_enabled_ = true;
  bool diagnostics_enabled_ = true;
  std::vector<std::regex> whitelist_;
  std::vector<std::regex> blacklist_;
};

}  // namespace meshd::admin
