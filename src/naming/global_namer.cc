#include "meshd/naming/global_namer.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "naming/rewriting_namers_internal.h"

namespace meshd::naming {

namespace {

using dtab::Addr;
using dtab::Path;
using Lookup = dtab::Activity<dtab::NameTree<dtab::Name>>;

// Where `/$/inet/<port>` points: Finagle binds the wildcard address, which reaches this host.
constexpr const char* kLocalHost = "127.0.0.1";

// Java `Integer.parseInt`: an optional sign and decimal digits within 32 bits.
std::optional<std::int32_t> java_int(const std::string& s) {
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  value = negative ? -value : value;
  if (value < std::numeric_limits<std::int32_t>::min() ||
      value > std::numeric_limits<std::int32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<std::int32_t>(value);
}

Addr addr_of(const InetResolver::HostAddrs& answer, std::uint16_t port) {
  switch (answer.state) {
    case InetResolver::HostAddrs::State::Ok: {
      std::vector<dtab::Address> addresses;
      for (const auto& ip : answer.ips) {
        addresses.push_back({ip, port, {}, 1.0});
      }
      return Addr::bound(std::move(addresses));
    }
    case InetResolver::HostAddrs::State::Neg:
      return Addr{Addr::Kind::Neg, {}, {}};
    case InetResolver::HostAddrs::State::Failed:
      return Addr::failed(answer.failure);
    case InetResolver::HostAddrs::State::Pending:
      break;
  }
  return Addr{};
}

Lookup unknown_namer(const std::string& kind, const Path& path) {
  return Lookup::failed("Unknown namer: " + kind + " for path: " + path.show());
}

}  // namespace

GlobalNamer::GlobalNamer(InetResolverSharedPtr resolver)
    : Namer(Path::of({"$"})), resolver_(std::move(resolver)) {}

Lookup GlobalNamer::lookup(const Path& residual) const {
  if (residual.empty()) {
    return Lookup::ok(dtab::NameTree<dtab::Name>::neg());
  }
  const std::string& kind = residual.elems()[0];
  const Path rest = residual.drop(1);
  const auto& e = rest.elems();
  if (kind == "inet" || kind == "fixedinet") {
    if (e.size() >= 2 && java_int(e[1])) {
      return bind_inet(prefix() + residual.take(3), e[0], e[1], rest.drop(2));
    }
    if (!e.empty() && java_int(e[0])) {
      return bind_inet(prefix() + residual.take(2), kLocalHost, e[0], rest.drop(1));
    }
    return unknown_namer(kind, prefix() + residual);
  }
  if (kind == "io.buoyant.rinet") {
    if (e.size() < 2) {
      return Lookup::ok(dtab::NameTree<dtab::Name>::neg());
    }
    return bind_inet(prefix() + residual.take(3), e[1], e[0], rest.drop(2));
  }
  if (kind == "fail") {
    return Lookup::ok(dtab::NameTree<dtab::Name>::fail());
  }
  if (kind == "nil") {
    return Lookup::ok(dtab::NameTree<dtab::Name>::empty());
  }
  if (auto rewritten = detail::rewrite_system_path(kind, rest)) {
    return std::move(*rewritten);
  }
  return unknown_namer(kind, prefix() + residual);
}

Lookup GlobalNamer::bind_inet(const Path& id, const std::string& host, const std::string& port,
                              const Path& residual) const {
  const std::optional<std::int32_t> number = java_int(port);
  Addr addr;
  if (!number) {
    addr = Addr::failed("For input string: \"" + port + "\"");  // Java's NumberFormatException
  } else if (*number < 0 || *number > 65535) {
    addr = Addr::failed("port out of range:" + std::to_string(*number));  // InetSocketAddress
  } else {
    addr = addr_of(*resolver_->lookup(host), static_cast<std::uint16_t>(*number));
  }
  return Lookup::ok(dtab::NameTree<dtab::Name>::leaf(
      dtab::BoundName{id, residual, std::make_shared<const Addr>(std::move(addr)), 1.0}));
}

}  // namespace meshd::naming
