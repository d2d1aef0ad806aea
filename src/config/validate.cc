// Global validation (STYLE.md §7.3): what no single object can check on its own.

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "config/decode_internal.h"
#include "meshd/config/load.h"

namespace meshd::config::detail {
namespace {

// A listener address in a form where equal addresses compare equal however they were written.
struct Address {
  std::array<unsigned char, 16> bytes{};
  bool v6 = false;
  bool wildcard = false;  // 0.0.0.0 or ::, which takes the port on every address

  bool overlaps(const Address& o) const {
    return wildcard || o.wildcard || (v6 == o.v6 && bytes == o.bytes);
  }
};

std::optional<Address> parse_address(const std::string& ip) {
  Address a;
  if (::inet_pton(AF_INET, ip.c_str(), a.bytes.data()) == 1) {
    a.wildcard = a.bytes == std::array<unsigned char, 16>{};
    return a;
  }
  if (::inet_pton(AF_INET6, ip.c_str(), a.bytes.data()) == 1) {
    a.v6 = true;
    a.wildcard = a.bytes == std::array<unsigned char, 16>{};
    return a;
  }
  return std::nullopt;
}

// A router the runtime would build: decoded with a supported protocol.
bool is_built(const RouterConfig& r) { return r.protocol.present && r.raw.is_null(); }

struct Listener {
  Address address;
  int port;
  std::string owner;  // how the error names it: `router "outgoing"`, `the admin server`
};

// True when decoding already reported an error at `pos` (its value is then a stand-in default
// that must not produce follow-on errors).
bool has_error(Decoder& d, const Position& pos) {
  return std::any_of(d.errors().begin(), d.errors().end(),
                     [&](const ConfigError& e) { return e.path == pos.path; });
}

void check_labels(Decoder& d, const Config& config) {
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < config.routers.size(); ++i) {
    const RouterConfig& r = config.routers[i];
    if (!is_built(r) || r.label.value.empty() || has_error(d, r.label.pos)) {
      continue;
    }
    auto [it, inserted] = seen.emplace(r.label.value, i);
    if (!inserted) {
      std::string msg = "label \"" + r.label.value + "\" already used by routers[" +
                        std::to_string(it->second) + "]";
      if (!r.label.present) {
        msg += "; give each router a distinct \"label\"";
      }
      d.error(r.label.pos, std::move(msg));
    }
  }
}

// Finds two listeners on one ip:port (Linkerd `ConflictingPorts`), including the admin server.
// Port 0 is chosen by the OS and never conflicts.
void check_ports(Decoder& d, const Config& config) {
  std::vector<Listener> listeners;
  const AdminConfig& admin = config.admin;
  if (auto a = parse_address(admin.ip.value);
      a && admin.port.value != 0 && !has_error(d, admin.ip.pos) && !has_error(d, admin.port.pos)) {
    listeners.push_back({*a, admin.port.value, "the admin server"});
  }
  for (const RouterConfig& r : config.routers) {
    if (!is_built(r)) {
      continue;
    }
    for (const ServerConfig& s : r.servers) {
      const int port = s.port.value;
      auto address = parse_address(s.ip.value);
      if (port == 0 || !address || has_error(d, s.ip.pos) || has_error(d, s.port.pos)) {
        continue;
      }
      for (const Listener& l : listeners) {
        if (l.port == port && l.address.overlaps(*address)) {
          d.error(s.port.pos, std::to_string(port) + " already used by " + l.owner);
          break;
        }
      }
      listeners.push_back({*address, port, "router \"" + r.label.value + "\""});
    }
  }
}

// Until meshd's runtime runs h2 routers, every decoded one is rejected, and only here (after
// all other checks), so a config with h2 routers gets exactly one error per h2 router once the
// rest is valid.
void check_h2_runnable(Decoder& d, const Config& config) {
  if (h2_routers_runnable()) {
    return;
  }
  for (const RouterConfig& r : config.routers) {
    if (is_built(r) && r.protocol.value == "h2") {
      d.error(r.protocol.pos, "protocol \"h2\" is not supported yet");
    }
  }
}

}  // namespace

void validate(Decoder& d, const Config& config) {
  check_labels(d, config);
  check_ports(d, config);
  check_h2_runnable(d, config);
}

}  // namespace meshd::config::detail

namespace meshd::config {

// ---------------------------------------------------------------------------------------------
// THE SWITCH FOR h2 ROUTERS. Flip to `true` once app::Linker builds h2 routers: `config::load`
// then stops adding `protocol "h2" is not supported yet` to each decoded h2 router.
// ---------------------------------------------------------------------------------------------
bool h2_routers_runnable() noexcept { return true; }

}  // namespace meshd::config
