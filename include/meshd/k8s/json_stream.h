#pragma once

#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshd::k8s {

/// Splits a watch response body into JSON values (one per event), independent of how the bytes
/// were chunked: values may be separated by newlines or nothing, split across reads, or several
/// to one read (api.md §1.5). Whitespace between values is skipped.
class JsonStream {
 public:
  /// `max_value_bytes` bounds one value (a larger one is an error, not unbounded buffering).
  explicit JsonStream(std::size_t max_value_bytes = 16 << 20);

  /// Feeds `bytes`; appends every value completed by them to `out`. Returns an error text
  /// (`malformed JSON at byte N of the stream: <reason>`) on bad input, after which the stream is
  /// unusable (the caller drops the connection and relists).
  std::optional<std::string> feed(std::string_view bytes, std::vector<boost::json::value>& out);

  /// True if a value has started but not finished (the stream ended mid-event).
  bool mid_value() const noexcept;

 private:
  boost::json::stream_parser parser_;
  std::size_t max_value_bytes_;
  std::size_t value_bytes_ = 0;
  std::size_t offset_ = 0;
  bool in_value_ = false;
  bool failed_ = false;
};

}  // namespace meshd::k8s
