#pragma once

#include <string>
#include <string_view>

#include "meshd/telemetry/registry.h"

namespace meshd::telemetry {

/// Renders `root` as Linkerd's flat `/admin/metrics.json`: one object whose keys are the scope
/// elements joined with `/`, relative to `root`. A counter is an integer, a gauge a float
/// (`1.0`); a histogram `X` gives `X.count` and, when the count is positive, `X.max`, `X.min`,
/// `X.p50`, `X.p90`, `X.p95`, `X.p99`, `X.p9990`, `X.p9999`, `X.sum` (integers) and `X.avg`.
/// Compact (`{"a/b":1}`); with `pretty`, indented and sorted by metric name. Non-finite gauge
/// values are written as `null`.
std::string to_json_flat(const MetricsNode& root, bool pretty = false);

/// Renders `root` as Linkerd's `?tree=1` form: one nested object per scope element; a node's
/// own metric is the key `counter` or `gauge`, or the keys `stat.count`, `stat.max`, ... of a
/// histogram, written before its children.
std::string to_json_tree(const MetricsNode& root, bool pretty = false);

/// The node at `path` below `root` (`?q=rt/outgoing`): elements separated by `/`, where an
/// element that itself contains `/` (`127.0.0.1/4140`) is matched whole. An empty path is
/// `root`. Returns null when there is no such node. The result points into `root`.
const MetricsNode* find_subtree(const MetricsNode& root, std::string_view path);

}  // namespace meshd::telemetry
