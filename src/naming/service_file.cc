#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#include "naming/service_file_internal.h"

namespace meshd::naming::detail {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i])) {
      ++i;
    }
    const std::size_t start = i;
    while (i < line.size() && !is_blank(line[i])) {
      ++i;
    }
    if (i > start) {
      fields.push_back(line.substr(start, i - start));
    }
  }
  return fields;
}

// An IP literal in its canonical text, or a DNS name (letters, digits, `.`, `-`, `_`).
std::optional<std::string> parse_host(std::string_view text) {
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(std::string(text), ec);
  if (!ec) {
    return ip.to_string();
  }
  const bool dns = std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
  return dns ? std::optional<std::string>(text) : std::nullopt;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::optional<double> parse_weight(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

// The endpoint on `line`, or the reason it is invalid.
std::string parse_line(const std::vector<std::string_view>& f, ServiceEndpoint& out) {
  if (f.size() != 2 && !(f.size() == 4 && f[2] == "*")) {
    return "expected \"host port\" or \"host port * weight\"";
  }
  const auto host = parse_host(f[0]);
  if (!host) {
    return "invalid host \"" + std::string(f[0]) + "\"";
  }
  const auto port = parse_port(f[1]);
  if (!port) {
    return "invalid port \"" + std::string(f[1]) + "\" (expected 1-65535)";
  }
  std::optional<double> weight = 1.0;
  if (f.size() == 4 && !(weight = parse_weight(f[3]))) {
    return "invalid weight \"" + std::string(f[3]) + "\" (expected a number >= 0)";
  }
  out = {*host, *port, *weight};
  return {};
}

}  // namespace

ServiceFile parse_service_file(std::string_view text, std::string_view display_name) {
  ServiceFile file;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t eol = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(std::min(eol + 1, text.size()));
    line = line.substr(0, line.find('#'));
    const auto fields = fields_of(line);
    if (fields.empty()) {
      continue;
    }
    ServiceEndpoint endpoint;
    if (std::string why = parse_line(fields, endpoint); !why.empty()) {
      return {{}, std::string(display_name) + ":" + std::to_string(line_number) + ": " + why};
    }
    file.endpoints.push_back(std::move(endpoint));
  }
  return file;
}

}  // namespace meshd::naming::detail
