#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "naming/rewriting_namers_internal.h"

namespace meshd::naming::detail {

namespace {

using dtab::Path;
using Lookup = dtab::Activity<dtab::NameTree<dtab::Name>>;
using Labels = std::vector<std::string>;

// `^[A-Za-z0-9.:_-]+$`: Linkerd's deliberately coarse host pattern (DNS names, IPv4, IPv6).
bool is_host(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '_' ||
           c == '-';
  });
}

// `[A-Z]+`: an HTTP method.
bool is_method(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// An RFC 1123 label as Kubernetes writes it, ≤ 63 chars: the port part of `host:port`.
bool is_dns_label(const std::string& s) {
  const auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return !s.empty() && s.size() <= 63 && ok(s.front()) &&
         std::all_of(s.begin(), s.end(), [&](char c) { return ok(c) || c == '-'; });
}

// Java `String.split` on one char: trailing empty pieces are dropped.
Labels java_split(const std::string& s, char sep) {
  Labels parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  while (!parts.empty() && parts.back().empty()) {
    parts.pop_back();
  }
  return parts;
}

Labels reversed_domain(const std::string& host) {
  Labels labels = java_split(host, '.');
  std::reverse(labels.begin(), labels.end());
  return labels;
}

// The part of `host` (port dropped) before `.domain`, if non-empty.
std::optional<std::string> subdomain(const std::string& domain, const std::string& host) {
  const std::size_t colon = host.find(':');
  const std::string bare = colon != std::string::npos && colon > 0 ? host.substr(0, colon) : host;
  const std::string suffix = "." + domain;
  if (bare.size() <= suffix.size() ||
      bare.compare(bare.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  return bare.substr(0, bare.size() - suffix.size());
}

Labels join(Labels head, const Labels& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// `host:port` with exactly one colon and a DNS-label port (no IPv6).
std::optional<std::pair<std::string, std::string>> host_colon_port(const std::string& s) {
  Labels parts = java_split(s, ':');
  if (parts.size() != 2 || !is_dns_label(parts[1])) {
    return std::nullopt;
  }
  return std::make_pair(parts[0], parts[1]);
}

// Each rewrite below receives exactly the elements its namer consumes and returns the labels
// that replace them, or nullopt when the pattern does not match.
using Rewrite = std::optional<Labels> (*)(const Labels& e);

std::optional<Labels> host_port_pfx(const Labels& e) {
  const auto hp = host_colon_port(e[1]);
  return hp ? std::optional(Labels{e[0], hp->first, hp->second}) : std::nullopt;
}

std::optional<Labels> port_host_pfx(const Labels& e) {
  const auto hp = host_colon_port(e[1]);
  return hp ? std::optional(Labels{e[0], hp->second, hp->first}) : std::nullopt;
}

std::optional<Labels> any_method(const Labels& e) {
  return is_method(e[0]) ? std::optional(Labels{}) : std::nullopt;
}

std::optional<Labels> any_method_pfx(const Labels& e) {
  return is_method(e[1]) ? std::optional(Labels{e[0]}) : std::nullopt;
}

std::optional<Labels> any_host(const Labels& e) {
  return is_host(e[0]) ? std::optional(Labels{}) : std::nullopt;
}

std::optional<Labels> any_host_pfx(const Labels& e) {
  return is_host(e[1]) ? std::optional(Labels{e[0]}) : std::nullopt;
}

std::optional<Labels> subdomain_of(const Labels& e) {
  if (!is_host(e[0]) || !is_host(e[1])) {
    return std::nullopt;
  }
  const auto sub = subdomain(e[0], e[1]);
  return sub ? std::optional(Labels{*sub}) : std::nullopt;
}

std::optional<Labels> subdomain_of_pfx(const Labels& e) {
  if (!is_host(e[0]) || !is_host(e[2])) {
    return std::nullopt;
  }
  const auto sub = subdomain(e[0], e[2]);
  return sub ? std::optional(Labels{e[1], *sub}) : std::nullopt;
}

std::optional<Labels> domain_to_path(const Labels& e) {
  return is_host(e[0]) ? std::optional(reversed_domain(e[0])) : std::nullopt;
}

std::optional<Labels> domain_to_path_pfx(const Labels& e) {
  return is_host(e[1]) ? std::optional(join({e[0]}, reversed_domain(e[1]))) : std::nullopt;
}

// A `/$/<kind>` rewriting namer: its Java class name, how many leading elements it consumes
// (fewer means Neg), and the rewrite of those; the rest of the path is appended unchanged.
struct RewritingNamer {
  std::string_view kind;
  std::size_t consumed;
  Rewrite rewrite;
};

constexpr std::array<RewritingNamer, 10> kRewritingNamers = {{
    {"io.buoyant.hostportPfx", 2, &host_port_pfx},
    {"io.buoyant.porthostPfx", 2, &port_host_pfx},
    {"io.buoyant.http.anyMethod", 1, &any_method},
    {"io.buoyant.http.anyMethodPfx", 2, &any_method_pfx},
    {"io.buoyant.http.anyHost", 1, &any_host},
    {"io.buoyant.http.anyHostPfx", 2, &any_host_pfx},
    {"io.buoyant.http.subdomainOf", 2, &subdomain_of},
    {"io.buoyant.http.subdomainOfPfx", 3, &subdomain_of_pfx},
    {"io.buoyant.http.domainToPath", 1, &domain_to_path},
    {"io.buoyant.http.domainToPathPfx", 2, &domain_to_path_pfx},
}};

}  // namespace

std::optional<Lookup> rewrite_system_path(std::string_view kind, const Path& rest) {
  const auto it = std::find_if(kRewritingNamers.begin(), kRewritingNamers.end(),
                               [&](const RewritingNamer& n) { return n.kind == kind; });
  if (it == kRewritingNamers.end()) {
    return std::nullopt;
  }
  if (rest.size() < it->consumed) {
    return Lookup::ok(dtab::NameTree<dtab::Name>::neg());
  }
  std::optional<Labels> labels = it->rewrite(rest.take(it->consumed).elems());
  // Linkerd throws on an empty label (e.g. `:80` as host:port); here that is just no match.
  if (!labels ||
      std::any_of(labels->begin(), labels->end(), [](const auto& l) { return l.empty(); })) {
    return Lookup::ok(dtab::NameTree<dtab::Name>::neg());
  }
  const Path rewritten = Path(std::move(*labels)) + rest.drop(it->consumed);
  return Lookup::ok(dtab::NameTree<dtab::Name>::leaf(dtab::Name(rewritten)));
}

}  // namespace meshd::naming::detail
