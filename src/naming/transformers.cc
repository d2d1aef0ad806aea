#include "meshd/naming/transformers.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include "meshd/core/log.h"

namespace meshd::naming {

namespace {

namespace ip = boost::asio::ip;
using dtab::Addr;
using dtab::Address;
using dtab::BoundName;
using Tree = dtab::NameTree<BoundName>;
using Bound = dtab::Activity<Tree>;

// Nested `io.l5d.replace`/`io.l5d.const` binds allowed on one thread before giving up.
constexpr int kMaxReplaceDepth = 8;

// An IP literal as a comparable address: IPv4-mapped IPv6 as IPv4 (Java's `InetAddress` does
// the same) and without the IPv6 scope id, which `getifaddrs` and namers do not agree on.
std::optional<ip::address> parse_ip(std::string_view host) {
  boost::system::error_code ec;
  const ip::address a = ip::make_address(host, ec);
  if (ec) {
    return std::nullopt;
  }
  if (!a.is_v6()) {
    return a;
  }
  ip::address_v6 v6 = a.to_v6();
  if (v6.is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, v6);
  }
  v6.scope_id(0);
  return v6;
}

std::vector<ip::address> parse_ips(const std::vector<std::string>& hosts) {
  std::vector<ip::address> ips;
  for (const auto& host : hosts) {
    if (auto a = parse_ip(host)) {
      ips.push_back(*a);
    }
  }
  std::sort(ips.begin(), ips.end());
  return ips;
}

// Linkerd's `FilteringNameTreeTransformer` over a /32 netmask: keeps the addresses in `ips` and
// those that are not IP addresses at all; nothing left is Neg.
Addr keep_matching(const std::vector<Address>& addresses, const std::vector<ip::address>& ips) {
  std::vector<Address> kept;
  for (const Address& address : addresses) {
    const auto a = parse_ip(address.host);
    if (!a || std::binary_search(ips.begin(), ips.end(), *a)) {
      kept.push_back(address);
    }
  }
  if (kept.empty()) {
    return Addr{Addr::Kind::Neg, {}, {}};
  }
  return Addr::bound(std::move(kept));
}

// The leaf-by-leaf address transformers: id prefixed, residual and weight kept, a Bound `Addr`
// mapped by `map_bound`, any other passed through.
class AddressTransformer : public Transformer {
 public:
  using Transformer::Transformer;

  // naming::Transformer
  Bound transform_leaf(const BoundName& leaf) const final {
    BoundName out{prefix() + leaf.id, leaf.residual, leaf.addr, leaf.weight};
    if (leaf.addr && leaf.addr->kind == Addr::Kind::Bound) {
      out.addr = std::make_shared<const Addr>(map_bound(leaf.addr->addresses));
    }
    return Bound::ok(Tree::leaf(std::move(out)));
  }

 protected:
  /// The new `Addr` of a Bound one holding `addresses`.
  virtual Addr map_bound(const std::vector<Address>& addresses) const = 0;
};

class PortTransformer final : public AddressTransformer {
 public:
  PortTransformer(dtab::Path prefix, std::uint16_t port)
      : AddressTransformer(std::move(prefix), "PortTransformer"), port_(port) {}

 protected:
  Addr map_bound(const std::vector<Address>& addresses) const override {
    std::vector<Address> out = addresses;
    for (Address& address : out) {
      if (parse_ip(address.host)) {
        address.port = port_;
      }
    }
    return Addr::bound(std::move(out));
  }

 private:
  std::uint16_t port_;
};

class LocalhostTransformer final : public AddressTransformer {
 public:
  LocalhostTransformer(dtab::Path prefix, std::vector<ip::address> local)
      : AddressTransformer(std::move(prefix), "LocalhostTransformer"), local_(std::move(local)) {}

 protected:
  Addr map_bound(const std::vector<Address>& addresses) const override {
    return keep_matching(addresses, local_);
  }

 private:
  std::vector<ip::address> local_;  // sorted
};

class SpecificHostTransformer final : public AddressTransformer {
 public:
  SpecificHostTransformer(dtab::Path prefix, std::string host, InetResolverSharedPtr resolver)
      : AddressTransformer(std::move(prefix), "SpecificHostTransformer"),
        host_(std::move(host)),
        resolver_(std::move(resolver)) {
    if (auto literal = parse_ip(host_)) {
      literal_ = std::vector<ip::address>{*literal};
    } else if (resolver_) {
      resolver_->lookup(host_);  // start resolving now, on the control thread
    }
  }

 protected:
  Addr map_bound(const std::vector<Address>& addresses) const override {
    if (literal_) {
      return keep_matching(addresses, *literal_);
    }
    if (!resolver_) {
      return Addr::failed("specificHost " + host_ + ": no resolver");
    }
    const auto answer = resolver_->lookup(host_);
    switch (answer->state) {
      case InetResolver::HostAddrs::State::Pending:
        return Addr{};
      case InetResolver::HostAddrs::State::Failed:
        return Addr::failed(host_ + ": " + answer->failure);
      case InetResolver::HostAddrs::State::Neg:
        return keep_matching(addresses, {});
      case InetResolver::HostAddrs::State::Ok:
        break;
    }
    return keep_matching(addresses, parse_ips(answer->ips));
  }

 private:
  std::string host_;
  InetResolverSharedPtr resolver_;
  std::optional<std::vector<ip::address>> literal_;
};

// `bind(path)` with every id prefixed, guarded against unbounded recursion.
class PathBindingTransformer : public Transformer {
 public:
  PathBindingTransformer(dtab::Path prefix, std::string name, dtab::Path path, PathBinder bind)
      : Transformer(std::move(prefix), std::move(name)),
        path_(std::move(path)),
        bind_(std::move(bind)) {}

 protected:
  Bound bound() const {
    // Workers bind on their own threads, so the nesting depth is per thread.
    thread_local int depth = 0;
    if (depth >= kMaxReplaceDepth) {
      return Bound::failed(name() + ": binding " + path_.show() + " recursed too deeply");
    }
    ++depth;
    Bound result = bind_(path_);
    --depth;
    if (result.is_ok()) {
      result.value = result.value.map([this](const BoundName& b) {
        return BoundName{prefix() + b.id, b.residual, b.addr, b.weight};
      });
    }
    return result;
  }

 private:
  dtab::Path path_;
  PathBinder bind_;
};

class ReplaceTransformer final : public PathBindingTransformer {
 public:
  ReplaceTransformer(dtab::Path prefix, dtab::Path path, PathBinder bind)
      : PathBindingTransformer(std::move(prefix), "ReplaceTransformer", std::move(path),
                               std::move(bind)) {}

  // naming::Transformer
  Bound transform_leaf(const BoundName& /*leaf*/) const override { return bound(); }
};

class ConstTransformer final : public PathBindingTransformer {
 public:
  ConstTransformer(dtab::Path prefix, dtab::Path path, PathBinder bind)
      : PathBindingTransformer(std::move(prefix), "ConstTransformer", std::move(path),
                               std::move(bind)) {}

  // naming::Transformer
  Bound transform_leaf(const BoundName& /*leaf*/) const override { return bound(); }
  Bound transform(const Tree& /*tree*/) const override { return bound(); }
};

std::optional<std::string> interface_ip(const sockaddr* sa) {
  if (sa == nullptr) {
    return std::nullopt;
  }
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return ip::address_v4(ntohl(in->sin_addr.s_addr)).to_string();
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), in6->sin6_addr.s6_addr, bytes.size());
    return ip::address_v6(bytes).to_string();
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> local_interface_ips() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    log::get("naming")->error("cannot list network interfaces error=\"{}\"", std::strerror(errno));
    return {};
  }
  std::vector<std::string> ips;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if ((i->ifa_flags & IFF_UP) == 0) {
      continue;
    }
    if (auto text = interface_ip(i->ifa_addr)) {
      ips.push_back(std::move(*text));
    }
  }
  ::freeifaddrs(list);
  return ips;
}

TransformerConstSharedPtr make_port_transformer(dtab::Path prefix, std::uint16_t port) {
  return std::make_shared<const PortTransformer>(std::move(prefix), port);
}

TransformerConstSharedPtr make_localhost_transformer(dtab::Path prefix) {
  return make_localhost_transformer(std::move(prefix), local_interface_ips());
}

TransformerConstSharedPtr make_localhost_transformer(dtab::Path prefix,
                                                     const std::vector<std::string>& local_ips) {
  return std::make_shared<const LocalhostTransformer>(std::move(prefix), parse_ips(local_ips));
}

TransformerConstSharedPtr make_specific_host_transformer(dtab::Path prefix, std::string host,
                                                         InetResolverSharedPtr resolver) {
  return std::make_shared<const SpecificHostTransformer>(std::move(prefix), std::move(host),
                                                         std::move(resolver));
}

TransformerConstSharedPtr make_replace_transformer(dtab::Path prefix, dtab::Path path,
                                                   PathBinder bind) {
  return std::make_shared<const ReplaceTransformer>(std::move(prefix), std::move(path),
                                                    std::move(bind));
}

TransformerConstSharedPtr make_const_transformer(dtab::Path prefix, dtab::Path path,
                                                 PathBinder bind) {
  return std::make_shared<const ConstTransformer>(std::move(prefix), std::move(path),
                                                  std::move(bind));
}

}  // namespace meshd::naming
