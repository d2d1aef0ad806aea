#pragma once

#include <span>
#include <string_view>

#include "meshd/admin/admin_service.h"

// Private parts of the admin UI (include/meshd/admin/dashboard.h).
namespace meshd::admin {

/// One file of src/admin/assets/, embedded at build time by cmake/admin_assets.cmake.
struct EmbeddedAsset {
  std::string_view name;     ///< file name, without directory: `dashboard.js`
  std::string_view content;  ///< the file's bytes
};

/// Every embedded file, sorted by name. Defined in the generated `admin_assets.cc`.
std::span<const EmbeddedAsset> embedded_assets();

/// `/logging.json`: lists the loggers (GET) or sets one's level (POST); see dashboard.h.
AdminHandler logging_json_handler();

}  // namespace meshd::admin
