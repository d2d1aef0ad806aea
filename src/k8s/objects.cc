// resolve_endpoints: the address set an io.l5d.k8s name binds to (api.md §1.7–1.8, §2.3).

#include <algorithm>
#include <charconv>
#include <tuple>

#include "meshd/k8s/objects.h"

namespace meshd::k8s {
namespace {

// An address of a group with the port number that group resolved.
struct Candidate {
  const EndpointAddress* address;
  std::uint16_t port;
};

bool is_tcp(std::string_view protocol) { return protocol == "TCP"; }

// The decimal port number `text` names; nullopt when it is not all digits. 0 or more than 65535
// yields 0, which matches no Service port.
std::optional<std::uint16_t> numeric_port(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) {
    return std::uint16_t{0};
  }
  return static_cast<std::uint16_t>(value);
}

// The number of `group`'s TCP port named `name`.
std::optional<std::uint16_t> named_port(const EndpointGroup& group, std::string_view name) {
  for (const EndpointPort& p : group.ports) {
    if (p.name == name && is_tcp(p.protocol) && p.port) {
      return p.port;
    }
  }
  return std::nullopt;
}

// The Service's TCP port numbered `number`.
const ServicePort* service_port(const Service& service, std::uint16_t number) {
  for (const ServicePort& p : service.ports) {
    if (p.port == number && is_tcp(p.protocol)) {
      return &p;
    }
  }
  return nullptr;
}

// The port `group`'s addresses serve `port` on: the endpoint port carrying the Service port's
// name (the controller resolved the targetPort per pod), else the numeric targetPort (or the
// port itself). A named targetPort cannot be resolved without the endpoint port: nullopt.
std::optional<std::uint16_t> group_port(const EndpointGroup& group, const ServicePort& port) {
  if (auto number = named_port(group, port.name)) {
    return number;
  }
  if (const auto* target = std::get_if<std::uint16_t>(&port.target_port)) {
    return *target;
  }
  if (std::holds_alternative<std::monostate>(port.target_port)) {
    return port.port;
  }
  return std::nullopt;
}

// Linkerd's readiness plus the EndpointSlice drain rule (api.md §2.3): ready (or unknown)
// endpoints; when none, the serving-and-terminating ones.
std::vector<Candidate> usable(const std::vector<Candidate>& candidates) {
  std::vector<Candidate> out;
  for (const Candidate& c : candidates) {
    if (c.address->ready != false) {
      out.push_back(c);
    }
  }
  if (!out.empty()) {
    return out;
  }
  for (const Candidate& c : candidates) {
    if (c.address->serving == true && c.address->terminating == true) {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<dtab::Address> to_addresses(const std::vector<Candidate>& candidates) {
  std::vector<dtab::Address> out;
  out.reserve(candidates.size());
  for (const Candidate& c : candidates) {
    dtab::Address address{c.address->ip, c.port, {}, 1.0};
    if (!c.address->node_name.empty()) {
      address.meta.emplace_back("nodeName", c.address->node_name);
    }
    out.push_back(std::move(address));
  }
  // Stable: of duplicates (an address moving between slices), the first group's copy stays.
  std::stable_sort(out.begin(), out.end(), [](const dtab::Address& a, const dtab::Address& b) {
    return std::tie(a.host, a.port) < std::tie(b.host, b.port);
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const dtab::Address& a, const dtab::Address& b) {
                          return a.host == b.host && a.port == b.port;
                        }),
            out.end());
  return out;
}

}  // namespace

std::optional<std::vector<dtab::Address>> resolve_endpoints(
    const std::vector<EndpointGroup>& groups, std::string_view port, const Service* service) {
  const std::optional<std::uint16_t> number = numeric_port(port);
  const ServicePort* by_number = nullptr;
  if (number) {
    by_number = service != nullptr ? service_port(*service, *number) : nullptr;
    if (by_number == nullptr) {
      return std::nullopt;
    }
  }
  bool any_group = false;
  std::vector<Candidate> candidates;
  for (const EndpointGroup& group : groups) {
    const std::optional<std::uint16_t> target =
        by_number != nullptr ? group_port(group, *by_number) : named_port(group, port);
    if (!target) {
      continue;
    }
    any_group = true;
    for (const EndpointAddress& address : group.addresses) {
      if (!address.ip.empty()) {
        candidates.push_back({&address, *target});
      }
    }
  }
  if (!any_group) {
    return std::nullopt;
  }
  return to_addresses(usable(candidates));
}

}  // namespace meshd::k8s
