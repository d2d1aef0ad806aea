#pragma once

#include <string>
#include <vector>

#include "meshd/router/stats.h"

namespace meshd::router {

/// `/client_state.json` (Linkerd 1.3.5+): every client some worker of `routers` holds, by bound
/// id, with the address set it is bound to now:
/// `{"/#/io.l5d.fs/hello":{"state":"bound","addresses":["127.0.0.1:8080"]}}`; `state` is
/// otherwise `neg`, `pending` or `failed` (then with `"error"`). Addresses as `ip:port`
/// (`[ip]:port` for IPv6), sorted. Thread-safe.
std::string client_state_json(const std::vector<const RouterStats*>& routers);

}  // namespace meshd::router
