#include "meshd/admin/security.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace meshd::admin {
namespace {

bool full_match(const std::regex& re, std::string_view path) {
  return std::regex_match(path.begin(), path.end(), re);
}

template <class Patterns>
bool matches_any(const Patterns& list, std::string_view path) {
  return std::any_of(list.begin(), list.end(),
                     [path](const std::regex& re) { return full_match(re, path); });
}

/// The Java-only construct in `pattern` that std::regex would accept but read differently
/// (`\A` as a literal "A", `a++` as `(a+)+`, `[a[b]]` as `[a[b]` then "]"), or "". A
/// blacklist entry misread that way would silently stop protecting its path.
std::string java_only_syntax(std::string_view pattern) {
  // Letter escapes ECMAScript defines; Java's others (\A \z \Z \G \Q \E \p \h \R …) differ.
  constexpr std::string_view kEcmaLetterEscapes = "bBcdDfnrsStuvwWx";
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    const char next = i + 1 < pattern.size() ? pattern[i + 1] : '\0';
    if (c == '\\') {
      if (std::isalpha(static_cast<unsigned char>(next)) != 0 &&
          kEcmaLetterEscapes.find(next) == std::string_view::npos) {
        return std::string("escape \\") + next + " is Java-only";
      }
      ++i;
    } else if (in_class) {
      if (c == ']') {
        in_class = false;
      } else if (c == '&' && next == '&') {
        return "class intersection && is Java-only";
      } else if (c == '[') {
        return "nested character classes are Java-only (escape a literal [ as \\[)";
      }
    } else if (c == '[') {
      in_class = true;
    } else if ((c == '+' || c == '*' || c == '?' || c == '}') && next == '+') {
      return "possessive quantifiers are Java-only";
    }
  }
  return "";
}

/// Compiles `patterns` into `out`; reports each bad one as `<name>[i]: invalid regex …`.
void compile_list(const char* name, const std::vector<std::string>& patterns,
                  std::vector<std::regex>& out, std::vector<std::string>& errors) {
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    std::string why = java_only_syntax(patterns[i]);
    if (why.empty()) {
      try {
        out.emplace_back(patterns[i], std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        why = e.what();
      }
    }
    if (!why.empty()) {
      errors.push_back(std::string(name) + "[" + std::to_string(i) + "]: invalid regex \"" +
                       patterns[i] + "\": " + why);
    }
  }
}

enum class Category { Ui, Control, Diagnostics };

Category categorize(std::string_view path) {
  // Compiled once; Linkerd 1.7 `UiCategory` and `ControlCategory`, checked in that order.
  static const std::array<std::regex, 11> kUi = {
      std::regex("/"),
      std::regex("/files/.*"),
      std::regex("/admin/files/.*"),
      std::regex("/config[.]json"),
      std::regex("/metrics[.]json"),
      std::regex("/admin/metrics[.]json"),
      std::regex("/admin/metrics"),
      std::regex("/delegator"),
      std::regex("/delegator[.]json"),
      std::regex("/logging"),
      std::regex("/help"),
  };
  static const std::array<std::regex, 2> kControl = {
      std::regex("/admin/shutdown"),
      std::regex("/logging[.]json"),
  };
  if (matches_any(kUi, path)) {
    return Category::Ui;
  }
  if (matches_any(kControl, path)) {
    return Category::Control;
  }
  return Category::Diagnostics;
}

}  // namespace

std::optional<SecurityFilter> SecurityFilter::compile(const SecurityOptions& options,
                                                      std::vector<std::string>& errors) {
  const std::size_t errors_before = errors.size();
  SecurityFilter filter;
  filter.ui_enabled_ = options.ui_enabled;
  filter.control_enabled_ = options.control_enabled;
  filter.diagnostics_enabled_ = options.diagnostics_enabled;
  compile_list("pathWhitelist", options.path_whitelist, filter.whitelist_, errors);
  compile_list("pathBlacklist", options.path_blacklist, filter.blacklist_, errors);
  if (errors.size() != errors_before) {
    return std::nullopt;
  }
  return filter;
}

bool SecurityFilter::allows(std::string_view path) const {
  if (path.size() > kMaxPathBytes || matches_any(blacklist_, path)) {
    return false;
  }
  bool enabled = diagnostics_enabled_;
  switch (categorize(path)) {
    case Category::Ui:
      enabled = ui_enabled_;
      break;
    case Category::Control:
      enabled = control_enabled_;
      break;
    case Category::Diagnostics:
      break;
  }
  return enabled || matches_any(whitelist_, path);
}

}  // namespace meshd::admin
