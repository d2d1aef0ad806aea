#include <boost/json/serialize.hpp>

#include <array>
#include <charconv>
#include <limits>

#include "k8s/objects_internal.h"

namespace meshd::k8s::detail {
namespace {

namespace json = boost::json;

// Strings quoted in error messages are cut here: a message names a field, it does not echo
// arbitrary payloads.
constexpr std::size_t kMaxQuoted = 64;

std::string type_error(std::string_view expected, const json::value& got) {
  return "expected " + std::string(expected) + ", got " + describe(got);
}

}  // namespace

std::string child_path(std::string_view path, std::string_view key) {
  std::string out;
  out.reserve(path.size() + key.size() + 1);
  out.append(path);
  if (!path.empty()) {
    out.push_back('.');
  }
  out.append(key);
  return out;
}

std::string index_path(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string describe(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return value.get_bool() ? "boolean true" : "boolean false";
    case json::kind::int64:
    case json::kind::uint64:
      return "number " + json::serialize(value);
    case json::kind::double_: {
      // Shortest round-trip text (`80.5`), not Boost.JSON's `8.05E1`.
      std::array<char, 32> buffer{};
      const auto result =
          std::to_chars(buffer.data(), buffer.data() + buffer.size(), value.get_double());
      return "number " + std::string(buffer.data(), result.ptr);
    }
    case json::kind::string: {
      const json::string& s = value.get_string();
      if (s.size() <= kMaxQuoted) {
        return "string " + json::serialize(value);
      }
      return "string " + json::serialize(json::string_view(s.data(), kMaxQuoted)) + "...";
    }
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "unknown";
}

void FieldReader::fail(std::string path, std::string message) {
  if (!error_) {
    error_ = ParseError{std::move(path), std::move(message)};
  }
}

const json::value* FieldReader::find(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value == nullptr || value->is_null() ? nullptr : value;
}

const json::object* FieldReader::object(const json::object& object, std::string_view key,
                                        std::string_view path) {
  const json::value* value = ok() ? find(object, key) : nullptr;
  if (value == nullptr) {
    return nullptr;
  }
  if (!value->is_object()) {
    fail(child_path(path, key), type_error("an object", *value));
    return nullptr;
  }
  return &value->get_object();
}

const json::array* FieldReader::array(const json::object& object, std::string_view key,
                                      std::string_view path) {
  const json::value* value = ok() ? find(object, key) : nullptr;
  if (value == nullptr) {
    return nullptr;
  }
  if (!value->is_array()) {
    fail(child_path(path, key), type_error("an array", *value));
    return nullptr;
  }
  return &value->get_array();
}

const json::object* FieldReader::element_object(const json::array& array, std::size_t i,
                                                std::string_view path) {
  if (!ok() || i >= array.size()) {
    return nullptr;
  }
  if (!array[i].is_object()) {
    fail(index_path(path, i), type_error("an object", array[i]));
    return nullptr;
  }
  return &array[i].get_object();
}

void FieldReader::string(const json::object& object, std::string_view key, std::string_view path,
                         std::string& out) {
  const json::value* value = ok() ? find(object, key) : nullptr;
  if (value == nullptr) {
    return;
  }
  if (!value->is_string()) {
    fail(child_path(path, key), type_error("a string", *value));
    return;
  }
  out.assign(value->get_string().data(), value->get_string().size());
}

void FieldReader::required_string(const json::object& object, std::string_view key,
                                  std::string_view path, std::string& out) {
  if (ok() && find(object, key) == nullptr) {
    fail(child_path(path, key), "required field missing");
    return;
  }
  string(object, key, path, out);
}

void FieldReader::boolean(const json::object& object, std::string_view key, std::string_view path,
                          std::optional<bool>& out) {
  const json::value* value = ok() ? find(object, key) : nullptr;
  if (value == nullptr) {
    return;
  }
  if (!value->is_bool()) {
    fail(child_path(path, key), type_error("a boolean", *value));
    return;
  }
  out = value->get_bool();
}

void FieldReader::port(const json::object& object, std::string_view key, std::string_view path,
                       std::optional<std::uint16_t>& out) {
  const json::value* value = ok() ? find(object, key) : nullptr;
  if (value == nullptr) {
    return;
  }
  if (!value->is_int64() && !value->is_uint64()) {
    fail(child_path(path, key), type_error("an integer", *value));
    return;
  }
  std::int64_t n = -1;  // out of range unless set below
  if (value->is_int64()) {
    n = value->get_int64();
  } else if (value->get_uint64() <= 65535) {
    n = static_cast<std::int64_t>(value->get_uint64());
  }
  if (n < 1 || n > 65535) {
    fail(child_path(path, key), "expected a port number (1-65535), got " + describe(*value));
    return;
  }
  out = static_cast<std::uint16_t>(n);
}

void FieldReader::int_or_string(const json::object& object, std::string_view key,
                                std::string_view path, IntOrString& out) {
  const json::value* value = ok() ? find(object, key) : nullptr;
  if (value == nullptr) {
    return;
  }
  if (value->is_string()) {
    out = std::string(value->get_string().data(), value->get_string().size());
  } else if (value->is_int64()) {
    out = value->get_int64();
  } else if (value->is_uint64() &&
             value->get_uint64() <=
                 static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    out = static_cast<std::int64_t>(value->get_uint64());
  } else {
    fail(child_path(path, key), type_error("an integer or a string", *value));
  }
}

void FieldReader::string_map(const json::object& object, std::string_view key,
                             std::string_view path,
                             std::vector<std::pair<std::string, std::string>>& out) {
  const json::object* map = this->object(object, key, path);
  if (map == nullptr) {
    return;
  }
  out.clear();
  out.reserve(map->size());
  for (const auto& entry : *map) {
    if (!entry.value().is_string()) {
      // Keys are DNS-ish names with dots and slashes: quote them rather than dot-join.
      fail(std::string(child_path(path, key)) + "[" + json::serialize(entry.key()) + "]",
           type_error("a string", entry.value()));
      return;
    }
    out.emplace_back(std::string(entry.key()), std::string(entry.value().get_string()));
  }
}

void read_meta(FieldReader& reader, const json::object& object, ObjectMeta& meta) {
  const json::object* m = reader.object(object, "metadata", "");
  if (m == nullptr) {
    return;
  }
  reader.string(*m, "namespace", "metadata", meta.ns);
  reader.string(*m, "name", "metadata", meta.name);
  reader.string(*m, "resourceVersion", "metadata", meta.resource_version);
  reader.string(*m, "creationTimestamp", "metadata", meta.creation_timestamp);
  reader.string_map(*m, "labels", "metadata", meta.labels);
  reader.string_map(*m, "annotations", "metadata", meta.annotations);
}

const std::string* find_pair(const std::vector<std::pair<std::string, std::string>>& pairs,
                             std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

}  // namespace meshd::k8s::detail
