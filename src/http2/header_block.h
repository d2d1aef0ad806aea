#pragma once

// A header block being handed to nghttp2 (`nghttp2_submit_*`), built without heap allocations
// for the common case. Private to src/http2.

#include <nghttp2/nghttp2.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "meshd/http/headers.h"

namespace meshd::http2 {

/// What nghttp2 accepts in a regular (not pseudo) field name once lower-cased: RFC 9110 tchars
/// without upper-case letters; non-empty. Same answer as `nghttp2_check_header_name` for names
/// that do not start with ':', one table lookup per byte.
inline bool valid_field_name(std::string_view lower) noexcept {
  static constexpr auto kNameChar = [] {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) {
      t[static_cast<std::size_t>(c)] = true;
    }
    for (int c = 'a'; c <= 'z'; ++c) {
      t[static_cast<std::size_t>(c)] = true;
    }
    for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) {
      t[c] = true;
    }
    return t;
  }();
  bool ok = !lower.empty();
  for (unsigned char c : lower) {
    ok &= kNameChar[c];
  }
  return ok;
}

/// What nghttp2 accepts in a field value (`nghttp2_check_header_value`): HTAB, SP through '~'
/// and obs-text; no other control byte, no DEL. Eight bytes at a time: a word with no byte
/// below 0x20 and none equal to 0x7f is fine as it is; the rare other word is looked at byte by
/// byte (a tab is allowed).
inline bool valid_field_value(std::string_view value) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto* p = reinterpret_cast<const unsigned char*>(value.data());
  const std::size_t n = value.size();
  auto byte_ok = [](unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); };
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, p + i, sizeof x);
    const std::uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
    const std::uint64_t y = x ^ (kOnes * 0x7f);
    const std::uint64_t del = (y - kOnes) & ~y & kHigh;
    if ((below_space | del) != 0) {
      for (std::size_t j = i; j < i + 8; ++j) {
        if (!byte_ok(p[j])) {
          return false;
        }
      }
    }
  }
  for (; i < n; ++i) {
    if (!byte_ok(p[i])) {
      return false;
    }
  }
  return true;
}

/// Whether `s` has an ASCII upper-case letter. Eight bytes at a time: a byte is one when its
/// low seven bits are 'A' or above but not above 'Z' and its high bit is clear (every name of a
/// block is looked at, and most have no upper-case letter).
inline bool has_upper(std::string_view s) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  auto any_upper = [](std::uint64_t x) {
    const std::uint64_t low7 = x & (kOnes * 0x7f);
    const std::uint64_t from_a = low7 + kOnes * (0x80 - 'A');       // high bit: >= 'A'
    const std::uint64_t above_z = low7 + kOnes * (0x80 - 'Z' - 1);  // high bit: > 'Z'
    return (from_a & ~above_z & ~x & kHigh) != 0;
  };
  const char* p = s.data();
  const std::size_t n = s.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, p + i, sizeof x);
    if (any_upper(x)) {
      return true;
    }
  }
  if (i == n) {
    return false;
  }
  std::uint64_t x = 0;  // zero bytes are no letters
  std::memcpy(&x, p + i, n - i);
  return any_upper(x);
}

/// An `nghttp2_nv` array over fields whose names are lower-cased on the way in. Values, and
/// names that are already lower case, are not copied: they must outlive the submit call, where
/// nghttp2 copies (and lower-cases again) every name and value, unless a field is added with
/// `Bytes::OutliveFrame`. Up to `kInlineFields` fields and `kInlineNameBytes` bytes of
/// lower-cased names live inside the object (on the caller's stack); more spill to the heap.
class HeaderBlock {
 public:
  /// How long the bytes of a field's name and value stay valid.
  enum class Bytes {
    /// Until the submit call returns: nghttp2 copies them.
    OutliveSubmit,
    /// Until nghttp2 has written the frame or dropped it (its stream closed, or a request
    /// HEADERS cancelled by RST_STREAM while queued): nghttp2 uses them in place. A name that
    /// had to be lower-cased here is still copied (the copy lives in this block).
    OutliveFrame,
  };

  static constexpr std::size_t kInlineFields = 32;
  static constexpr std::size_t kInlineNameBytes = 512;

  HeaderBlock() = default;
  HeaderBlock(const HeaderBlock&) = delete;
  HeaderBlock& operator=(const HeaderBlock&) = delete;

  /// Appends `name` (lower-cased) and `value`.
  void add(std::string_view name, std::string_view value, Bytes bytes = Bytes::OutliveSubmit) {
    std::string_view lower = lower_name(name);
    push(lower, value, flags_of(lower, bytes, lower.data() == name.data()));
  }
  /// `add` of a name known to be in lower case (an HTTP/2 decoder's): not looked at again.
  void add_lower(std::string_view name, std::string_view value,
                 Bytes bytes = Bytes::OutliveSubmit) {
    push(name, value, flags_of(name, bytes, true));
  }
  /// Appends a pseudo-header field (`:method`, `:status`...): `name` is lower case and lives
  /// as long as the block's bytes must (a literal).
  void add_pseudo(std::string_view name, std::string_view value,
                  Bytes bytes = Bytes::OutliveSubmit) {
    push(name, value, flags_of(name, bytes, true) | NGHTTP2_NV_FLAG_NO_COPY_NAME);
  }
  /// The field added last (the block must not be empty).
  const nghttp2_nv& back() const noexcept { return data()[size_ - 1]; }
  /// Removes the field added last (the block must not be empty).
  void pop_back() noexcept {
    --size_;
    if (!spilled_.empty()) {
      spilled_.pop_back();
    }
  }

  nghttp2_nv* data() noexcept { return spilled_.empty() ? inline_.data() : spilled_.data(); }
  const nghttp2_nv* data() const noexcept {
    return spilled_.empty() ? inline_.data() : spilled_.data();
  }
  std::size_t size() const noexcept { return size_; }

 private:
  /// Fields whose value differs in every message: never worth a place in the HPACK dynamic
  /// table, and indexing them would fill it with entries of one name that every later lookup of
  /// that name walks (nghttp2 already leaves `:path`, `content-length` and the like out).
  static bool unique_per_message(std::string_view lower) noexcept {
    return lower.size() >= 9 && lower.starts_with("l5d-") &&
           (lower == "l5d-reqid" || lower == "l5d-ctx-trace" || lower == "l5d-ctx-deadline");
  }

  /// The flags of a field named `lower`; `callers_name`: `lower` is the caller's bytes (not a
  /// copy lower-cased here).
  static std::uint8_t flags_of(std::string_view lower, Bytes bytes, bool callers_name) noexcept {
    std::uint8_t flags =
        unique_per_message(lower) ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE;
    if (bytes == Bytes::OutliveFrame) {
      flags |= NGHTTP2_NV_FLAG_NO_COPY_VALUE;
      if (callers_name) {
        flags |= NGHTTP2_NV_FLAG_NO_COPY_NAME;
      }
    }
    return flags;
  }

  void push(std::string_view name, std::string_view value, std::uint8_t flags) {
    nghttp2_nv nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                  reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                  value.size(), flags};
    if (spilled_.empty() && size_ < kInlineFields) [[likely]] {
      inline_[size_] = nv;
      ++size_;
    } else {
      spill(nv);
    }
  }

  /// `push` past the inline fields (out of line: most blocks never get here).
  [[gnu::noinline]] void spill(const nghttp2_nv& nv) {
    if (spilled_.empty()) {
      spilled_.assign(inline_.begin(), inline_.begin() + static_cast<std::ptrdiff_t>(size_));
    }
    spilled_.push_back(nv);
    ++size_;
  }

  /// `name` itself when it has no upper-case letter, else a lower-cased copy kept here.
  std::string_view lower_name(std::string_view name) {
    if (!has_upper(name)) [[likely]] {
      return name;
    }
    return lowered(name);
  }

  /// A lower-cased copy of `name`, kept here (out of line: names are lower case in HTTP/2).
  [[gnu::noinline]] std::string_view lowered(std::string_view name) {
    char* out = nullptr;
    if (name.size() <= kInlineNameBytes - names_used_) {
      out = names_.data() + names_used_;
      names_used_ += name.size();
    } else {
      out = spilled_names_.emplace_back(std::make_unique<char[]>(name.size())).get();
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
      out[i] = http::ascii_lower(name[i]);
    }
    return {out, name.size()};
  }

  std::array<nghttp2_nv, kInlineFields> inline_;
  std::vector<nghttp2_nv> spilled_;  ///< every field once there are more than fit inline
  std::size_t size_ = 0;
  std::array<char, kInlineNameBytes> names_;
  std::size_t names_used_ = 0;
  std::vector<std::unique_ptr<char[]>> spilled_names_;
};

}  // namespace meshd::http2
