#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meshd::http {

/// Compares two header names ASCII-case-insensitively.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// `c` lower-cased if it is an ASCII upper-case letter (header names; no locale involved).
constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// An ordered multimap of header fields stored in one contiguous arena: adding a field appends
/// its bytes, so a message's headers cost a couple of allocations however many there are.
/// Names keep the case they were received with; lookups ignore case. Not thread-safe.
class Headers {
 public:
  struct Field {
    std::string_view name;
    std::string_view value;
  };

  /// Appends a field; duplicates are kept in order.
  void add(std::string_view name, std::string_view value);
  /// Replaces every field named `name` with one field (appended if there was none).
  void set(std::string_view name, std::string_view value);
  /// Removes every field named `name`; returns how many were removed.
  std::size_t remove(std::string_view name);
  /// Removes every field whose name starts with `prefix` (case-insensitive).
  std::size_t remove_prefix(std::string_view prefix);

  /// The first value of `name`, or an empty view when absent (see `contains`).
  std::string_view get(std::string_view name) const;
  bool contains(std::string_view name) const;
  /// Every value of `name`, in order.
  std::vector<std::string_view> get_all(std::string_view name) const;

  std::size_t size() const noexcept { return live_; }
  bool empty() const noexcept { return live_ == 0; }
  void clear() noexcept;

  /// Calls `f(Field)` for each live field in order.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& e : entries_) {
      if (!e.removed) {
        f(Field{view(e.name_off, e.name_len), view(e.value_off, e.value_len)});
      }
    }
  }

  /// Appends `name: value\r\n` for each field to `out`.
  void serialize(std::string& out) const;

 private:
  struct Entry {
    std::uint32_t name_off;
    std::uint32_t name_len;
    std::uint32_t value_off;
    std::uint32_t value_len;
    bool removed;
  };
  std::string_view view(std::uint32_t off, std::uint32_t len) const {
    return std::string_view(arena_).substr(off, len);
  }

  std::string arena_;
  std::vector<Entry> entries_;
  std::size_t live_ = 0;
};

}  // namespace meshd::http
