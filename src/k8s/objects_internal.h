#pragma once

// Field readers shared by the object parsers (objects_parse.cc, ingress_parse.cc). They never
// throw: a wrong type records the first error, with the JSON path of the field, and every later
// call is a no-op, so a parser reads on and checks `ok()` once at the end.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "meshd/k8s/objects.h"

namespace meshd::k8s::detail {

/// `path.key`, or `key` at the root.
std::string child_path(std::string_view path, std::string_view key);

/// `path[i]`.
std::string index_path(std::string_view path, std::size_t i);

/// A short description of `value` for error messages: `string "http"`, `number 80`, `object`.
std::string describe(const boost::json::value& value);

/// An integer or a string (Kubernetes IntOrString); monostate when absent.
using IntOrString = std::variant<std::monostate, std::int64_t, std::string>;

/// Reads typed fields of JSON objects, remembering the first type error.
///
/// Absent fields and fields set to `null` are treated alike (Go omits or nulls unset pointers
/// and slices) and leave the output unchanged.
class FieldReader {
 public:
  /// True while no error has been recorded.
  bool ok() const { return !error_.has_value(); }
  /// The recorded error; call only when `!ok()`.
  ParseError take_error() { return std::move(*error_); }
  /// Records an error at `path` unless one is already recorded.
  void fail(std::string path, std::string message);

  /// The field `key` of `object`, or null when absent or JSON null.
  static const boost::json::value* find(const boost::json::object& object, std::string_view key);

  /// An object field; null when absent, null, or of the wrong type (then an error is recorded).
  const boost::json::object* object(const boost::json::object& object, std::string_view key,
                                    std::string_view path);
  /// An array field; null when absent, null, or of the wrong type (then an error is recorded).
  const boost::json::array* array(const boost::json::object& object, std::string_view key,
                                  std::string_view path);
  /// Element `i` of `array` (at `path`) as an object; null and an error if it is not one.
  const boost::json::object* element_object(const boost::json::array& array, std::size_t i,
                                            std::string_view path);

  /// A string field into `out`.
  void string(const boost::json::object& object, std::string_view key, std::string_view path,
              std::string& out);
  /// A required string field: absent is an error.
  void required_string(const boost::json::object& object, std::string_view key,
                       std::string_view path, std::string& out);
  /// A boolean field into `out`.
  void boolean(const boost::json::object& object, std::string_view key, std::string_view path,
               std::optional<bool>& out);
  /// A port number field (an integer 1–65535) into `out`.
  void port(const boost::json::object& object, std::string_view key, std::string_view path,
            std::optional<std::uint16_t>& out);
  /// An integer-or-string field into `out`.
  void int_or_string(const boost::json::object& object, std::string_view key, std::string_view path,
                     IntOrString& out);
  /// An object of strings (labels, annotations) into `out`, in document order.
  void string_map(const boost::json::object& object, std::string_view key, std::string_view path,
                  std::vector<std::pair<std::string, std::string>>& out);

 private:
  std::optional<ParseError> error_;
};

/// Reads `metadata` of `object` into `meta`.
void read_meta(FieldReader& reader, const boost::json::object& object, ObjectMeta& meta);

/// The value of `key` in `pairs`, or null.
const std::string* find_pair(const std::vector<std::pair<std::string, std::string>>& pairs,
                             std::string_view key);

}  // namespace meshd::k8s::detail
