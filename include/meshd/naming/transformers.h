#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "meshd/dtab/bind.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"
#include "meshd/naming/inet_resolver.h"
#include "meshd/naming/transformer.h"

// Factories of the built-in transformers (inventory §7.3). Every `prefix` is the full id prefix,
// `/%` ++ the configured one (`config::transformer_prefix_path`). The address transformers
// (port, localhost, specificHost) keep a leaf's residual and weight, prefix its id, and map only
// a Bound `Addr`: Neg, Pending and Failed pass through, as do addresses whose host is not an IP
// literal. Transformers are immutable and thread-safe; build them on the control thread.
namespace meshd::naming {

/// Binds `path` with an empty dtab through the configured namers, then `/$` (what
/// `io.l5d.replace` and `io.l5d.const` bind, Linkerd's global interpreter). Thread-safe; must not
/// block (an `Interpreter::bind`).
using PathBinder =
    std::function<dtab::Activity<dtab::NameTree<dtab::BoundName>>(const dtab::Path& path)>;

/// `io.l5d.port` (`PortTransformer`): every address gets `port`.
TransformerConstSharedPtr make_port_transformer(dtab::Path prefix, std::uint16_t port);

/// `io.l5d.localhost` (`LocalhostTransformer`): keeps the addresses equal to an IP of an up
/// local interface, read once now with `local_interface_ips()`; nothing left → `Addr` Neg.
TransformerConstSharedPtr make_localhost_transformer(dtab::Path prefix);

/// Like `make_localhost_transformer(prefix)` with the local IPs given (`10.0.0.1`, `::1`);
/// unparsable entries are ignored. For tests.
TransformerConstSharedPtr make_localhost_transformer(dtab::Path prefix,
                                                     const std::vector<std::string>& local_ips);

/// The IPs of every up network interface (`getifaddrs`), IPv4 and IPv6, without scope ids.
/// Empty (and logged) if the interfaces cannot be listed. Blocking system call: control thread.
std::vector<std::string> local_interface_ips();

/// `io.l5d.specificHost` (`SpecificHostTransformer`): keeps the addresses equal to an IP of
/// `host`, an IP literal or a hostname resolved by `resolver` (which it starts resolving now;
/// may be null only for a literal). While the host is not resolved yet the leaf's `Addr` is
/// Pending; a resolver failure makes it Failed; nothing left (or no such host) → Neg. A new
/// answer for `host` bumps `naming::generation()` (the resolver does), so bindings are redone.
TransformerConstSharedPtr make_specific_host_transformer(dtab::Path prefix, std::string host,
                                                         InetResolverSharedPtr resolver);

/// `io.l5d.replace` (`ReplaceTransformer`): every leaf is replaced by the tree `bind(path)`
/// returns, its ids prefixed; Neg, Fail and Empty stay. A Pending/Failed `bind` makes the result
/// so. A replacement that recurses into itself (a namer transformer whose `path` goes back
/// through that namer) fails after a few levels instead of overflowing the stack.
TransformerConstSharedPtr make_replace_transformer(dtab::Path prefix, dtab::Path path,
                                                   PathBinder bind);

/// `io.l5d.const` (`ConstTransformer`): the whole tree, whatever it is (even Neg), becomes
/// `bind(path)` with its ids prefixed.
TransformerConstSharedPtr make_const_transformer(dtab::Path prefix, dtab::Path path,
                                                 PathBinder bind);

}  // namespace meshd::naming
