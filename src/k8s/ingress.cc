// match_ingress: which backend an Ingress set routes a request to (api.md §2.6 algorithm).

#include <algorithm>
#include <memory>
#include <numeric>
#include <regex>
#include <tuple>
#include <unordered_map>

#include "meshd/k8s/objects.h"

namespace meshd::k8s {
namespace {

// libstdc++'s std::regex matches recursively, using a few hundred bytes of stack per input
// character: a long path could overflow a worker's stack. Longer paths never match a regex path.
constexpr std::size_t kMaxRegexPathLength = 1024;
// Compiled patterns kept per thread; the cache is dropped whole when it reaches this size.
constexpr std::size_t kRegexCacheCapacity = 256;
constexpr std::string_view kRegexMetacharacters = ".*+?()[]{}|^$\\";

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// The Host header as rules see it: lower-case, without port, brackets or one trailing dot.
std::string normalize_host(std::string_view header) {
  std::string host(header);
  std::transform(host.begin(), host.end(), host.begin(), lower);
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    host = host.substr(1, close == std::string::npos ? std::string::npos : close - 1);
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    host.resize(host.find(':'));
  }
  if (!host.empty() && host.back() == '.') {
    host.pop_back();
  }
  return host;
}

// `*.foo.com` matches `bar.foo.com`: exactly one non-empty extra leading label.
bool wildcard_matches(std::string_view rule_host, std::string_view host) {
  if (rule_host.size() < 3 || rule_host.substr(0, 2) != "*.") {
    return false;
  }
  const std::size_t dot = host.find('.');
  return dot != std::string_view::npos && dot != 0 &&
         iequals(host.substr(dot + 1), rule_host.substr(2));
}

// The next non-empty `/`-separated element of `rest`, consumed; "" when none is left.
std::string_view next_element(std::string_view& rest) {
  while (!rest.empty() && rest.front() == '/') {
    rest.remove_prefix(1);
  }
  const std::string_view element = rest.substr(0, rest.find('/'));
  rest.remove_prefix(element.size());
  return element;
}

// Ingress v1 Prefix: `pattern`'s elements are a prefix of `path`'s elements.
bool prefix_matches(std::string_view pattern, std::string_view path) {
  for (;;) {
    const std::string_view expected = next_element(pattern);
    if (expected.empty()) {
      return true;
    }
    if (next_element(path) != expected) {
      return false;
    }
  }
}

// `pattern` compiled (ECMAScript), or null if it is not a valid regex.
const std::regex* compiled(const std::string& pattern) {
  // One cache per worker thread: no locking on the request path.
  thread_local std::unordered_map<std::string, std::unique_ptr<const std::regex>> cache;
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    if (cache.size() >= kRegexCacheCapacity) {
      cache.clear();
    }
    std::unique_ptr<const std::regex> regex;
    try {
      regex = std::make_unique<const std::regex>(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      // An invalid pattern stays null: it never matches.
    }
    it = cache.emplace(pattern, std::move(regex)).first;
  }
  return it->second.get();
}

// Linkerd 1: the whole path must match `pattern` (a Java regex there, ECMAScript here).
bool regex_matches(const std::string& pattern, std::string_view path) {
  const std::regex* regex = path.size() <= kMaxRegexPathLength ? compiled(pattern) : nullptr;
  if (regex == nullptr) {
    return false;
  }
  try {
    return std::regex_match(path.begin(), path.end(), *regex);
  } catch (const std::regex_error&) {  // error_complexity, error_stack
    return false;
  }
}

bool path_matches(const IngressPath& rule, std::string_view path) {
  if (rule.path.empty()) {
    return true;
  }
  switch (rule.type) {
    case IngressPath::Type::Exact:
      return rule.path == path;
    case IngressPath::Type::Prefix:
      return prefix_matches(rule.path, path);
    case IngressPath::Type::ImplementationSpecific:
      if (rule.path.find_first_of(kRegexMetacharacters) != std::string::npos) {
        return regex_matches(rule.path, path);
      }
      return prefix_matches(rule.path, path);
  }
  return false;
}

// Indices of `ingresses`, oldest first: creationTimestamp (absent last), namespace, name, index.
std::vector<std::size_t> by_age(const std::vector<Ingress>& ingresses) {
  std::vector<std::size_t> order(ingresses.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto key = [&](std::size_t i) {
    const ObjectMeta& m = ingresses[i].meta;
    return std::tie(m.creation_timestamp, m.ns, m.name);
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const bool a_unknown = ingresses[a].meta.creation_timestamp.empty();
    const bool b_unknown = ingresses[b].meta.creation_timestamp.empty();
    if (a_unknown != b_unknown) {
      return b_unknown;
    }
    return key(a) < key(b);
  });
  return order;
}

struct RuleRef {
  std::size_t ingress;
  std::size_t rule;
};

// Host stage: precise rules, else single-label wildcard rules, else rules without a host.
std::vector<RuleRef> select_rules(const std::vector<Ingress>& ingresses, std::string_view host) {
  std::vector<RuleRef> precise, wildcard, any_host;
  for (std::size_t i = 0; i < ingresses.size(); ++i) {
    const std::vector<IngressRule>& rules = ingresses[i].rules;
    for (std::size_t r = 0; r < rules.size(); ++r) {
      const std::string& rule_host = rules[r].host;
      if (rule_host.empty()) {
        any_host.push_back({i, r});
      } else if (rule_host.starts_with("*.")) {
        if (wildcard_matches(rule_host, host)) {
          wildcard.push_back({i, r});
        }
      } else if (iequals(rule_host, host)) {
        precise.push_back({i, r});
      }
    }
  }
  return !precise.empty() ? precise : !wildcard.empty() ? wildcard : any_host;
}

struct PathRef {
  std::size_t rank;  // of the Ingress in age order
  std::size_t rule;
  std::size_t path;
  const IngressPath* value;
  std::size_t ingress;
};

// Precedence: longest path, Exact over the other types, oldest Ingress, rule and path order.
bool precedes(const PathRef& a, const PathRef& b) {
  const auto key = [](const PathRef& p) {
    return std::make_tuple(-static_cast<std::ptrdiff_t>(p.value->path.size()),
                           p.value->type != IngressPath::Type::Exact, p.rank, p.rule, p.path);
  };
  return key(a) < key(b);
}

std::optional<PathRef> best_path(const std::vector<Ingress>& ingresses,
                                 const std::vector<RuleRef>& rules,
                                 const std::vector<std::size_t>& rank, std::string_view path) {
  std::optional<PathRef> best;
  for (const RuleRef& ref : rules) {
    const std::vector<IngressPath>& paths = ingresses[ref.ingress].rules[ref.rule].paths;
    for (std::size_t p = 0; p < paths.size(); ++p) {
      const PathRef candidate{rank[ref.ingress], ref.rule, p, &paths[p], ref.ingress};
      if (path_matches(paths[p], path) && (!best || precedes(candidate, *best))) {
        best = candidate;
      }
    }
  }
  return best;
}

// No path matched: the default backend of the oldest Ingress owning a selected rule, else of the
// oldest Ingress that has one. `ignore_default_backends` disables both: Linkerd's strict mode
// identifies only requests that match an explicit rule.
std::optional<IngressMatch> default_backend(const std::vector<Ingress>& ingresses,
                                            const std::vector<RuleRef>& rules,
                                            const std::vector<std::size_t>& order,
                                            const IngressOptions& options) {
  if (options.ignore_default_backends) {
    return std::nullopt;
  }
  for (std::size_t i : order) {
    const bool owner =
        std::any_of(rules.begin(), rules.end(), [i](const RuleRef& r) { return r.ingress == i; });
    if (owner && ingresses[i].default_backend) {
      return IngressMatch{ingresses[i].meta.ns, *ingresses[i].default_backend};
    }
  }
  for (std::size_t i : order) {
    if (ingresses[i].default_backend) {
      return IngressMatch{ingresses[i].meta.ns, *ingresses[i].default_backend};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<IngressMatch> match_ingress(const std::vector<Ingress>& ingresses,
                                          std::string_view host, std::string_view path,
                                          const IngressOptions& options) {
  const std::vector<std::size_t> order = by_age(ingresses);
  std::vector<std::size_t> rank(ingresses.size());
  for (std::size_t position = 0; position < order.size(); ++position) {
    rank[order[position]] = position;
  }
  const std::vector<RuleRef> rules = select_rules(ingresses, normalize_host(host));
  if (std::optional<PathRef> best = best_path(ingresses, rules, rank, path)) {
    return IngressMatch{ingresses[best->ingress].meta.ns, best->value->backend};
  }
  return default_backend(ingresses, rules, order, options);
}

}  // namespace meshd::k8s
