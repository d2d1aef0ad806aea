#pragma once

#include <string>
#include <string_view>

#include "meshd/telemetry/registry.h"

namespace meshd::telemetry {

/// Renders `root` in the Prometheus text format the way Linkerd's `io.l5d.prometheus` does
/// (no `# TYPE` lines). The name is `prefix` plus the scope elements joined with `:`, every
/// character outside `[a-zA-Z0-9:]` replaced by `_`. Under `rt/` the router, server, client and
/// service ids become labels (`rt:server:requests{rt="incoming", server="0.0.0.0/4141"} 42`),
/// and `failures/<exn>` / `exn/<exn>` become `failures` / `exceptions` with an `exception`
/// label (nested elements joined with `:`). Counters print as integers, gauges as floats
/// (`1.0`). A histogram prints `_count`, `_sum`, `_avg` and the quantiles 0, 0.5, 0.9, 0.95,
/// 0.99, 0.999, 0.9999 and 1 (min..max); one with a zero count is omitted.
std::string to_prometheus(const MetricsNode& root, std::string_view prefix = {});

}  // namespace meshd::telemetry
