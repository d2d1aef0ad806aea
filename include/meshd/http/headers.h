#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshd::http {

namespace detail {
/// `iequals` of two strings of `n` bytes each.
bool iequals_n(const char* a, const char* b, std::size_t n) noexcept;
}  // namespace detail

/// Compares two header names ASCII-case-insensitively.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && detail::iequals_n(a.data(), b.data(), a.size());
}

/// `c` lower-cased if it is an ASCII upper-case letter (header names; no locale involved).
constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// An ordered multimap of header fields stored in one contiguous arena: adding a field appends
/// its bytes, so a message's headers cost a couple of allocations however many there are.
/// Names keep the case they were received with; lookups ignore case. Not thread-safe.
///
/// The arena holds each field as it goes on an HTTP/1 wire (`name: value\r\n`), so `serialize`
/// copies runs of fields at once, and a small filter of the names added lets a lookup of an
/// absent name (the usual case) return without scanning the fields.
class Headers {
 public:
  struct Field {
    std::string_view name;
    std::string_view value;
  };

  Headers() = default;
  Headers(const Headers& other);
  Headers& operator=(const Headers& other);
  /// Leaves `other` empty.
  Headers(Headers&& other) noexcept
      : arena_(std::move(other.arena_)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)),
        committed_(std::exchange(other.committed_, 0)),
        pending_value_(std::exchange(other.pending_value_, 0)),
        entries_(std::move(other.entries_)),
        live_(std::exchange(other.live_, 0)),
        checked_(std::exchange(other.checked_, 0)),
        names_(std::exchange(other.names_, 0)) {}
  /// Leaves `other` empty.
  Headers& operator=(Headers&& other) noexcept {
    if (this != &other) {
      arena_ = std::move(other.arena_);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
      committed_ = std::exchange(other.committed_, 0);
      pending_value_ = std::exchange(other.pending_value_, 0);
      entries_ = std::move(other.entries_);
      other.entries_.clear();
      live_ = std::exchange(other.live_, 0);
      checked_ = std::exchange(other.checked_, 0);
      names_ = std::exchange(other.names_, 0);
    }
    return *this;
  }
  /// Keeps the memory for the next `Headers` made on this thread (a message's usually ends on
  /// the thread where the next is made), so that most messages allocate nothing for headers.
  ~Headers() {
    if (arena_ || entries_.capacity() != 0) {
      recycle();
    }
  }

  /// Appends a field; duplicates are kept in order.
  void add(std::string_view name, std::string_view value);
  /// Replaces every field named `name` with one field (appended if there was none).
  void set(std::string_view name, std::string_view value);
  /// Removes every field named `name`; returns how many were removed.
  std::size_t remove(std::string_view name);
  /// Removes every field whose name starts with `prefix` (case-insensitive).
  std::size_t remove_prefix(std::string_view prefix);
  /// Removes, in one pass, every field for which `pred(Field)` is true; returns how many.
  template <class F>
  std::size_t remove_if(F&& pred) {
    std::size_t n = 0;
    for (auto& e : entries_) {
      if (e.name_len != kRemoved && pred(field(e))) {
        e.name_len = kRemoved;
        ++n;
      }
    }
    live_ -= n;
    return n;
  }

  /// The first value of `name`, or an empty view when absent (see `contains`).
  std::string_view get(std::string_view name) const;
  bool contains(std::string_view name) const;
  /// Every value of `name`, in order.
  std::vector<std::string_view> get_all(std::string_view name) const;

  std::size_t size() const noexcept { return live_; }
  bool empty() const noexcept { return live_ == 0; }
  /// Drops every field (and a field being built); keeps the memory for the next ones.
  void clear() noexcept;

  /// Calls `f(Field)` for each live field in order.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& e : entries_) {
      if (e.name_len != kRemoved) {
        f(field(e));
      }
    }
  }
  /// Marks every field added so far as one an HTTP/2 decoder accepted (nghttp2 with its HTTP
  /// messaging checks): a name of token characters in lower case, none of the
  /// connection-specific ones but `te: trailers`, and a value HTTP/2 allows. Fields added
  /// later are not; `clear` unmarks all.
  void mark_h2_checked() noexcept { checked_ = static_cast<std::uint32_t>(entries_.size()); }
  /// `for_each` that also tells whether a field is one `mark_h2_checked` vouched for:
  /// `f(Field, bool checked)`.
  template <class F>
  void for_each_checked(F&& f) const {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].name_len != kRemoved) {
        f(field(entries_[i]), i < checked_);
      }
    }
  }

  /// Appends `name: value\r\n` for each field to `out`.
  void serialize(std::string& out) const;

  // Building a field from pieces, for a parser that receives it in parts (llhttp callbacks):
  // the bytes go straight to the arena instead of being gathered elsewhere and copied. Call
  // `append_pending` with the pieces of the name, `end_pending_name`, `append_pending` with the
  // pieces of the value, then `commit_pending`. While a field is being built, no other member
  // but `clear` may change these headers; the field is not visible until committed.

  /// Appends `piece` to the field being built (starting one if none is): to its name until
  /// `end_pending_name`, then to its value.
  void append_pending(std::string_view piece) {
    if (piece.empty()) {
      return;  // (memcpy to a null arena is undefined even for no bytes)
    }
    if (piece.size() > capacity_ - size_) {
      reserve_more(piece.size());
    }
    std::memcpy(arena_.get() + size_, piece.data(), piece.size());
    size_ += static_cast<std::uint32_t>(piece.size());
  }
  /// The part of the field being built received so far: its name until `end_pending_name`,
  /// then its value. Valid until the next change.
  std::string_view pending_part() const noexcept {
    std::uint32_t begin = pending_value_ == 0 ? committed_ : pending_value_;
    return std::string_view(arena_.get() + begin, size_ - begin);
  }
  /// Ends the name of the field being built; what `append_pending` adds next is its value.
  void end_pending_name() {
    append_pending(": ");
    pending_value_ = size_;
  }
  /// Adds the field being built, with its name and the first `value_size` bytes of its value
  /// (`value_size` <= the size of `pending_part()`), as `add` would.
  void commit_pending(std::size_t value_size);

 private:
  static constexpr std::uint32_t kRemoved = UINT32_MAX;  ///< `Entry::name_len` of a removed field

  /// One field: `name: value\r\n` at `off` in the arena.
  struct Entry {
    std::uint32_t off;
    std::uint32_t name_len;  ///< kRemoved once removed
    std::uint32_t value_len;
  };

  /// The bit of `names_` that a name (and every case variant of it) sets.
  static std::uint64_t name_bit(std::string_view name) noexcept;
  bool may_contain(std::string_view name) const noexcept {
    return name.size() < kRemoved && (names_ & name_bit(name)) != 0;
  }

  Field field(const Entry& e) const noexcept {
    const char* p = arena_.get() + e.off;
    return Field{std::string_view(p, e.name_len),
                 std::string_view(p + e.name_len + 2, e.value_len)};
  }
  /// Storage of destroyed `Headers` kept on a thread for the next ones (see the destructor).
  struct Spares;

  /// Makes room for at least `n` more arena bytes (the slow path of adding).
  void reserve_more(std::size_t n);
  /// Hands the memory of headers being destroyed to this thread's spares.
  void recycle() noexcept;
  void push_entry(std::uint32_t off, std::uint32_t name_len, std::uint32_t value_len,
                  std::uint64_t bit);
  bool inside(std::string_view s) const noexcept {
    return !s.empty() && s.data() >= arena_.get() && s.data() < arena_.get() + size_;
  }

  std::unique_ptr<char[]> arena_;
  std::uint32_t size_ = 0;           ///< arena bytes used, a field being built included
  std::uint32_t capacity_ = 0;       ///< arena bytes allocated
  std::uint32_t committed_ = 0;      ///< arena bytes of committed fields (a built one follows)
  std::uint32_t pending_value_ = 0;  ///< where the value of the field being built starts, once
                                     ///< its name ended (0 before: a value never starts there)
  std::vector<Entry> entries_;
  std::uint32_t live_ = 0;
  std::uint32_t checked_ = 0;  ///< the first `checked_` entries: see `mark_h2_checked`
  std::uint64_t names_ = 0;  ///< `name_bit` of every name added since the last `clear`
};

}  // namespace meshd::http
