#include "meshd/http/headers.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace meshd::http {
namespace {

/// Arena bytes allocated by the first field: enough for a usual message's head.
constexpr std::size_t kFirstArena = 512;
/// Entries allocated by the first field.
constexpr std::size_t kFirstEntries = 16;

template <class W>
W load(const char* p) noexcept {
  W w;
  std::memcpy(&w, p, sizeof(w));
  return w;
}

/// `ascii_lower` of each byte of `x` at once (bytes from 0x80 up are left as they are).
template <class W>
constexpr W lower_bytes(W x) noexcept {
  constexpr W kOnes = static_cast<W>(~W{0}) / 0xff;  // 0x0101...01
  constexpr W kHigh = kOnes * 0x80;
  // With the top bit of each byte cleared, adding these cannot carry into the next byte; the top
  // bit of each sum then tells whether the byte is above 'Z', or at least 'A'.
  W low7 = x & (kOnes * 0x7f);
  W above_z = low7 + kOnes * (0x7f - 'Z');
  W from_a = low7 + kOnes * (0x80 - 'A');
  W upper = from_a & ~above_z & ~x & kHigh;
  return x | (upper >> 2);  // 0x80 >> 2 is the case bit, 0x20
}

template <class W>
bool iequals_word(const char* a, const char* b) noexcept {
  W x = load<W>(a);
  W y = load<W>(b);
  return x == y || lower_bytes(x) == lower_bytes(y);
}

/// `iequals` of two strings of `n` bytes each: a word at a time, the last word overlapping the
/// one before.
inline bool same_size_iequals(const char* a, const char* b, std::size_t n) noexcept {
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      if (!iequals_word<std::uint64_t>(a + i, b + i)) {
        return false;
      }
    }
    return iequals_word<std::uint64_t>(a + n - 8, b + n - 8);
  }
  if (n >= 4) {
    return iequals_word<std::uint32_t>(a, b) && iequals_word<std::uint32_t>(a + n - 4, b + n - 4);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) {
      return false;
    }
  }
  return true;
}

/// Copies `n` bytes that do not overlap; the short ones (most names and values) without a call.
inline void copy_bytes(char* dst, const char* src, std::size_t n) noexcept {
  if (n > 16) {
    std::memcpy(dst, src, n);
  } else if (n >= 8) {
    std::uint64_t head = load<std::uint64_t>(src);
    std::uint64_t tail = load<std::uint64_t>(src + n - 8);
    std::memcpy(dst, &head, 8);
    std::memcpy(dst + n - 8, &tail, 8);
  } else if (n >= 4) {
    std::uint32_t head = load<std::uint32_t>(src);
    std::uint32_t tail = load<std::uint32_t>(src + n - 4);
    std::memcpy(dst, &head, 4);
    std::memcpy(dst + n - 4, &tail, 4);
  } else if (n > 0) {
    char first = src[0];
    char middle = src[n / 2];
    char last = src[n - 1];
    dst[0] = first;
    dst[n / 2] = middle;
    dst[n - 1] = last;
  }
}

}  // namespace

bool detail::iequals_n(const char* a, const char* b, std::size_t n) noexcept {
  return same_size_iequals(a, b, n);
}

std::uint64_t Headers::name_bit(std::string_view name) noexcept {
  if (name.empty()) {
    return 1;
  }
  auto front = static_cast<std::uint32_t>(static_cast<unsigned char>(ascii_lower(name.front())));
  auto back = static_cast<std::uint32_t>(static_cast<unsigned char>(ascii_lower(name.back())));
  std::uint32_t h = static_cast<std::uint32_t>(name.size()) * 0x9E3779B1U ^ front * 0x85EBCA77U ^
                    back * 0xC2B2AE3DU;
  return std::uint64_t{1} << (h >> 26);
}

Headers::Headers(const Headers& other)
    : size_(other.size_),
      capacity_(other.size_),
      committed_(other.committed_),
      pending_value_(other.pending_value_),
      entries_(other.entries_),
      live_(other.live_),
      checked_(other.checked_),
      names_(other.names_) {
  if (size_ > 0) {
    arena_ = std::make_unique_for_overwrite<char[]>(size_);
    std::memcpy(arena_.get(), other.arena_.get(), size_);
  }
}

Headers& Headers::operator=(const Headers& other) {
  if (this == &other) {
    return *this;
  }
  if (other.size_ > capacity_) {
    arena_ = std::make_unique_for_overwrite<char[]>(other.size_);
    capacity_ = other.size_;
  }
  if (other.size_ > 0) {
    std::memcpy(arena_.get(), other.arena_.get(), other.size_);
  }
  size_ = other.size_;
  committed_ = other.committed_;
  pending_value_ = other.pending_value_;
  entries_ = other.entries_;
  live_ = other.live_;
  checked_ = other.checked_;
  names_ = other.names_;
  return *this;
}

/// A few arenas and entry vectors of destroyed headers, for the next headers of the thread. The
/// request's storage usually ends in the router while a new one is needed for the next response
/// read from an upstream connection: this saves their allocation and release.
struct Headers::Spares {
  /// Arenas and entry vectors bigger than these are freed (one unusual message should not hold
  /// memory for good).
  static constexpr std::size_t kMaxArena = 8 * kFirstArena;
  static constexpr std::size_t kMaxEntries = 4 * kFirstEntries;
  static constexpr std::size_t kCount = 4;

  ~Spares() { gone = true; }

  /// This thread's.
  static thread_local Spares mine;
  /// Set once `mine` is destroyed (thread exit): headers destroyed later free their memory. A
  /// bool has no destructor, so it can be read until the thread is gone.
  static thread_local bool gone;

  std::unique_ptr<char[]> arenas[kCount];
  std::uint32_t capacities[kCount] = {};
  std::size_t arena_count = 0;
  std::vector<Entry> entries[kCount];
  std::size_t entries_count = 0;
};

thread_local Headers::Spares Headers::Spares::mine;
thread_local bool Headers::Spares::gone = false;

void Headers::recycle() noexcept {
  if (Spares::gone) {
    return;
  }
  Spares& s = Spares::mine;
  // A copy's arena is as small as its fields: only arenas of the usual size or more are kept.
  if (arena_ && capacity_ >= kFirstArena && capacity_ <= Spares::kMaxArena &&
      s.arena_count < Spares::kCount) {
    s.capacities[s.arena_count] = capacity_;
    s.arenas[s.arena_count++] = std::move(arena_);
  }
  std::size_t n = entries_.capacity();
  if (n >= kFirstEntries && n <= Spares::kMaxEntries && s.entries_count < Spares::kCount) {
    entries_.clear();
    s.entries[s.entries_count++] = std::move(entries_);
  }
}

void Headers::reserve_more(std::size_t n) {
  std::size_t need = std::size_t{size_} + n;
  if (need >= kRemoved) {
    throw std::length_error("http::Headers: fields larger than 4 GiB");
  }
  if (capacity_ == 0 && need <= kFirstArena && !Spares::gone && Spares::mine.arena_count > 0) {
    // Every kept arena has at least kFirstArena bytes.
    Spares& s = Spares::mine;
    --s.arena_count;
    arena_ = std::move(s.arenas[s.arena_count]);
    capacity_ = s.capacities[s.arena_count];
    return;
  }
  std::size_t cap = std::max({need, 2 * std::size_t{capacity_}, kFirstArena});
  cap = std::min<std::size_t>(cap, kRemoved - 1);
  auto bigger = std::make_unique_for_overwrite<char[]>(cap);
  if (size_ > 0) {
    std::memcpy(bigger.get(), arena_.get(), size_);
  }
  arena_ = std::move(bigger);
  capacity_ = static_cast<std::uint32_t>(cap);
}

inline void Headers::push_entry(std::uint32_t off, std::uint32_t name_len, std::uint32_t value_len,
                                std::uint64_t bit) {
  if (entries_.capacity() == 0) [[unlikely]] {
    if (!Spares::gone && Spares::mine.entries_count > 0) {
      Spares& s = Spares::mine;
      entries_ = std::move(s.entries[--s.entries_count]);
    } else {
      entries_.reserve(kFirstEntries);
    }
  }
  entries_.push_back(Entry{off, name_len, value_len});
  ++live_;
  names_ |= bit;
}

void Headers::add(std::string_view name, std::string_view value) {
  assert(size_ == committed_ && "add() while a field is being built");
  std::size_t n = name.size() + value.size() + 4;
  if (n > capacity_ - size_) {
    if (inside(name) || inside(value)) {
      // Growing frees the bytes these point into: copy them first (a rare case).
      std::string copy(name);
      copy.append(value);
      std::string_view c(copy);
      add(c.substr(0, name.size()), c.substr(name.size()));
      return;
    }
    reserve_more(n);
  }
  // Bytes already in the arena (a field's own name, say) may be copied: they are below size_.
  char* p = arena_.get() + size_;
  copy_bytes(p, name.data(), name.size());
  p += name.size();
  p[0] = ':';
  p[1] = ' ';
  p += 2;
  copy_bytes(p, value.data(), value.size());
  p += value.size();
  p[0] = '\r';
  p[1] = '\n';
  push_entry(size_, static_cast<std::uint32_t>(name.size()),
             static_cast<std::uint32_t>(value.size()), name_bit(name));
  size_ += static_cast<std::uint32_t>(n);
  committed_ = size_;
}

void Headers::set(std::string_view name, std::string_view value) {
  // Removing a field leaves its bytes in place, so `name`/`value` may point into them.
  remove(name);
  add(name, value);
}

std::size_t Headers::remove(std::string_view name) {
  if (!may_contain(name)) {
    return 0;
  }
  const char* base = arena_.get();
  std::size_t n = 0;
  for (auto& e : entries_) {
    if (e.name_len == name.size() && same_size_iequals(base + e.off, name.data(), name.size())) {
      e.name_len = kRemoved;
      ++n;
    }
  }
  live_ -= n;
  return n;
}

std::size_t Headers::remove_prefix(std::string_view prefix) {
  const char* base = arena_.get();
  std::size_t n = 0;
  for (auto& e : entries_) {
    if (e.name_len != kRemoved && e.name_len >= prefix.size() &&
        same_size_iequals(base + e.off, prefix.data(), prefix.size())) {
      e.name_len = kRemoved;
      ++n;
    }
  }
  live_ -= n;
  return n;
}

std::string_view Headers::get(std::string_view name) const {
  if (!may_contain(name)) {
    return {};
  }
  const char* base = arena_.get();
  for (const auto& e : entries_) {
    if (e.name_len == name.size() && same_size_iequals(base + e.off, name.data(), name.size())) {
      return field(e).value;
    }
  }
  return {};
}

bool Headers::contains(std::string_view name) const {
  if (!may_contain(name)) {
    return false;
  }
  const char* base = arena_.get();
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.name_len == name.size() && same_size_iequals(base + e.off, name.data(), name.size());
  });
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  if (!may_contain(name)) {
    return out;
  }
  const char* base = arena_.get();
  for (const auto& e : entries_) {
    if (e.name_len == name.size() && same_size_iequals(base + e.off, name.data(), name.size())) {
      out.push_back(field(e).value);
    }
  }
  return out;
}

void Headers::clear() noexcept {
  size_ = 0;
  committed_ = 0;
  pending_value_ = 0;
  entries_.clear();
  live_ = 0;
  checked_ = 0;
  names_ = 0;
}

void Headers::serialize(std::string& out) const {
  // The arena already holds `name: value\r\n` per field, in order: copy each run of adjacent
  // live fields at once (removed fields split runs).
  if (live_ == entries_.size()) {
    if (committed_ > 0) {
      out.append(arena_.get(), committed_);  // nothing removed: every field at once
    }
    return;
  }
  const char* base = arena_.get();
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  for (const auto& e : entries_) {
    if (e.name_len == kRemoved) {
      continue;
    }
    if (e.off != end) {
      out.append(base + begin, end - begin);
      begin = e.off;
    }
    end = e.off + e.name_len + e.value_len + 4;
  }
  if (end > begin) {
    out.append(base + begin, end - begin);
  }
}

void Headers::commit_pending(std::size_t value_size) {
  assert(pending_value_ != 0 && "commit_pending() before end_pending_name()");
  assert(value_size <= size_ - pending_value_);
  std::uint32_t name_len = pending_value_ - 2 - committed_;
  size_ = pending_value_ + static_cast<std::uint32_t>(value_size);
  append_pending("\r\n");
  push_entry(committed_, name_len, static_cast<std::uint32_t>(value_size),
             name_bit(std::string_view(arena_.get() + committed_, name_len)));
  committed_ = size_;
  pending_value_ = 0;
}

}  // namespace meshd::http
