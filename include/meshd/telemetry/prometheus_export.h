#pragma once

#include <string>
#include <string_view>

#include "meshd/telemetry/registry.h"

namespace meshd::telemetry {

/// Renders `root` in the Prometheus text format exactly as Linkerd 1.7's `io.l5d.prometheus`
/// telemeter does (`PrometheusTelemeter.scala`), in one depth-first pass, a node's own metric
/// before its children, children in byte order (Linkerd's order is a hash map's).
///
/// - **Names**: `prefix` plus the path's elements joined with `:`, every character outside
///   `[a-zA-Z0-9:]` (in the prefix too) replaced by `_`: `jvm:uptime`,
///   `namer:__io_l5d_k8s:client:requests`. No `# TYPE` or `# HELP` lines.
/// - **Labels**, `{k="v", k2="v2"}`, pulled out of the path under `rt/`: `rt/<r>` → `rt="<r>"`;
///   then `rt:{server,service,client}/<id>` → `server|service|client="<id>"`;
///   `rt:client:service/<svc>` → `service="<svc>"` (so per-service stats through a client carry
///   both); `rt:<stack>:failures/<exn>` → `rt:<stack>:failures{…, exception="<exn>"}`, deeper
///   elements appended to the label with `:` (`exception="Outer:Inner"`); `rt:<stack>:exn/<exn>`
///   → `rt:<stack>:exceptions{…, exception="<exn>"}`, where Linkerd keeps deeper elements in the
///   name (`rt:server:exceptions:Inner{…, exception="Outer"}`). `<stack>` is server, service or
///   client directly under the router; anywhere else (`rt:client:service:failures:<exn>`) the
///   elements stay in the name. Label values escape `\`, `"` and newline as `\\`, `\"`, `\n`.
/// - **Values**: counters as integers; gauges and `_avg` as Java prints a double (`1.0`,
///   `1.5E7`; `NaN`, `+Inf`, `-Inf`). A histogram with a count above 0 prints `_count`, `_sum`,
///   `_avg` and then the quantiles 0 (min), 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999 and 1 (max) as a
///   `quantile` label; one with a zero count, or not yet snapshotted, prints nothing.
///
/// Appends to `out`, so a caller can reuse one buffer across scrapes.
void append_prometheus(std::string& out, const MetricsNode& root, std::string_view prefix = {});

/// `append_prometheus` into a new string.
std::string to_prometheus(const MetricsNode& root, std::string_view prefix = {});

}  // namespace meshd::telemetry
