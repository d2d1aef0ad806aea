#pragma once

#include <boost/json/value.hpp>

#include "meshd/config/model.h"

namespace meshd::config {

/// Serialises a loaded config back to JSON with Linkerd's key names and every default filled
/// in (for `/config.json`), except where Linkerd's value is optional: a router's `interpreter`,
/// `bindingTimeoutMs` and `bindingCache` keys (and `experimental` flags) are written only as the
/// file had them. Dtabs and paths are written as the text from the file. Keys and plugins that
/// are recognised but not supported yet are written back as captured. Pure; any thread.
boost::json::value to_json(const Config& config);

}  // namespace meshd::config
