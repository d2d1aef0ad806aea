#pragma once

// The format of one `io.l5d.fs` service file.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meshd::naming::detail {

/// One line of a service file.
struct ServiceEndpoint {
  std::string host;  ///< an IP literal (normalised) or a hostname
  std::uint16_t port = 0;
  double weight = 1.0;
  bool operator==(const ServiceEndpoint&) const = default;
};

/// A parsed service file: its endpoints, or why it is invalid.
struct ServiceFile {
  std::vector<ServiceEndpoint> endpoints;
  std::string failure;  ///< non-empty: the whole file is Failed with this message
  bool operator==(const ServiceFile&) const = default;
};

/// Parses `text`: one `host port` or `host port * weight` per line, fields separated by spaces
/// or tabs, `#` to end of line is a comment, blank lines ignored, `\r\n` accepted. The first
/// bad line fails the file with `<display_name>:<line>: <reason>`.
ServiceFile parse_service_file(std::string_view text, std::string_view display_name);

}  // namespace meshd::naming::detail
