#pragma once

#include <string>
#include <vector>

#include "meshd/trace/trace.h"

namespace meshd::trace::detail {

/// Zipkin's JSON v2 list of `spans` (the body of `POST /api/v2/spans`): ids in lower hex, `kind`
/// `SERVER`/`CLIENT`, `localEndpoint`/`remoteEndpoint` (`serviceName` when not empty, `ipv4` or
/// `ipv6`, `port` when not 0), `timestamp`, `duration` (when positive), the annotations other
/// than the core `sr`/`ss`/`cs`/`cr` (which v2 expresses with `kind`), `tags` as strings and
/// `debug` when set.
std::string encode_spans_json_v2(const std::vector<Span>& spans);

}  // namespace meshd::trace::detail
