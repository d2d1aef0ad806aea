// Node locality for the io.l5d.k8s.daemonset and io.l5d.k8s.localnode transformers
// (inventory §7.3; Linkerd's DaemonSetTransformer / LocalNodeTransformer).

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <optional>
#include <tuple>

#include "meshd/k8s/objects.h"

namespace meshd::k8s {
namespace {

constexpr std::string_view kNodeName = "nodeName";

// The four bytes of IPv4 literal `text`, or nullopt.
std::optional<std::array<unsigned char, 4>> ipv4(std::string_view text) {
  // inet_pton needs a NUL-terminated string; an IPv4 literal is at most 15 characters.
  std::array<char, 16> buffer{};
  if (text.size() >= buffer.size()) {
    return std::nullopt;
  }
  std::copy(text.begin(), text.end(), buffer.begin());
  std::array<unsigned char, 4> bytes{};
  if (inet_pton(AF_INET, buffer.data(), bytes.data()) != 1) {
    return std::nullopt;
  }
  return bytes;
}

bool same_node(const dtab::Address& a, const dtab::Address& b) {
  const std::string_view node = node_name_of(a);
  return !node.empty() && node == node_name_of(b);
}

void sort_unique(std::vector<dtab::Address>& addresses) {
  std::stable_sort(addresses.begin(), addresses.end(),
                   [](const dtab::Address& a, const dtab::Address& b) {
                     return std::tie(a.host, a.port) < std::tie(b.host, b.port);
                   });
  addresses.erase(std::unique(addresses.begin(), addresses.end(),
                              [](const dtab::Address& a, const dtab::Address& b) {
                                return a.host == b.host && a.port == b.port;
                              }),
                  addresses.end());
}

}  // namespace

std::string_view node_name_of(const dtab::Address& address) {
  for (const auto& [key, value] : address.meta) {
    if (key == kNodeName) {
      return value;
    }
  }
  return {};
}

bool same_slash24(std::string_view a, std::string_view b) {
  const auto x = ipv4(a);
  const auto y = ipv4(b);
  return x && y && std::equal(x->begin(), x->begin() + 3, y->begin());
}

std::vector<dtab::Address> daemonset_map(const std::vector<dtab::Address>& destinations,
                                         const std::vector<dtab::Address>& daemon_pods,
                                         bool host_network) {
  std::vector<dtab::Address> out;
  for (const dtab::Address& destination : destinations) {
    if (!host_network && !ipv4(destination.host)) {
      out.push_back(destination);
      continue;
    }
    for (const dtab::Address& pod : daemon_pods) {
      const bool local =
          host_network ? same_node(destination, pod) : same_slash24(destination.host, pod.host);
      if (local) {
        out.push_back(pod);
      }
    }
  }
  sort_unique(out);
  return out;
}

std::vector<dtab::Address> localnode_filter(const std::vector<dtab::Address>& addresses,
                                            std::string_view local, bool host_network) {
  std::vector<dtab::Address> out;
  for (const dtab::Address& address : addresses) {
    const bool keep = host_network ? !local.empty() && node_name_of(address) == local
                                   : same_slash24(address.host, local);
    if (keep) {
      out.push_back(address);
    }
  }
  return out;
}

}  // namespace meshd::k8s
