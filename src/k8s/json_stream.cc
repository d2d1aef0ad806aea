#include "meshd/k8s/json_stream.h"

#include <boost/json/parse_options.hpp>
#include <boost/json/storage_ptr.hpp>

#include <algorithm>
#include <string>

// Watch bodies are concatenated JSON values (api.md §1.5). boost::json's stream_parser stops at
// the end of each complete value (swallowing the whitespace that follows it), so feeding it the
// bytes we have, then releasing and resetting on `done()`, splits the stream on value boundaries
// regardless of how the HTTP chunks fell. Whitespace before a value is skipped here so that a
// stream ending in "\n" does not count as a value in progress.

namespace meshd::k8s {

namespace {

// Kubernetes objects are shallow; boost::json's default of 32 is close to what CRDs reach.
constexpr std::size_t kMaxDepth = 128;

boost::json::parse_options parse_options() {
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  return options;
}

bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

JsonStream::JsonStream(std::size_t max_value_bytes)
    : parser_(boost::json::storage_ptr(), parse_options()),
      max_value_bytes_(std::max<std::size_t>(max_value_bytes, 1)) {}

std::optional<std::string> JsonStream::feed(std::string_view bytes,
                                            std::vector<boost::json::value>& out) {
  if (failed_) {
    return "malformed JSON at byte " + std::to_string(offset_) +
           " of the stream: the stream failed before";
  }
  while (!bytes.empty()) {
    if (!in_value_) {
      std::size_t skip = 0;
      while (skip < bytes.size() && is_json_whitespace(bytes[skip])) {
        ++skip;
      }
      offset_ += skip;
      bytes.remove_prefix(skip);
      if (bytes.empty()) {
        break;
      }
      in_value_ = true;
      value_bytes_ = 0;
    }
    // Never hand the parser more than the rest of the value's allowance, so an endless value is
    // caught at the limit instead of being buffered whole.
    std::size_t allowed = max_value_bytes_ - value_bytes_;
    if (allowed == 0) {
      failed_ = true;
      return "malformed JSON at byte " + std::to_string(offset_) +
             " of the stream: value larger than " + std::to_string(max_value_bytes_) + " bytes";
    }
    std::size_t len = std::min(bytes.size(), allowed);
    boost::system::error_code ec;
    std::size_t n = parser_.write_some(bytes.data(), len, ec);
    if (ec) {
      failed_ = true;
      return "malformed JSON at byte " + std::to_string(offset_ + n) +
             " of the stream: " + ec.message();
    }
    value_bytes_ += n;
    offset_ += n;
    bytes.remove_prefix(n);
    if (parser_.done()) {
      out.push_back(parser_.release());
      parser_.reset();
      in_value_ = false;
    }
  }
  return std::nullopt;
}

bool JsonStream::mid_value() const noexcept { return in_value_; }

}  // namespace meshd::k8s
