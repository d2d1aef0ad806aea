#pragma once

// A header block being handed to nghttp2 (`nghttp2_submit_*`), built without heap allocations
// for the common case. Private to src/http2.

#include <nghttp2/nghttp2.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "meshd/http/headers.h"

namespace meshd::http2 {

/// An `nghttp2_nv` array over fields whose names are lower-cased on the way in. Values, and
/// names that are already lower case, are not copied: they must outlive the submit call (nghttp2
/// copies the whole block when it is submitted). Up to `kInlineFields` fields and
/// `kInlineNameBytes` bytes of lower-cased names live inside the object (on the caller's stack);
/// more spill to the heap.
class HeaderBlock {
 public:
  static constexpr std::size_t kInlineFields = 32;
  static constexpr std::size_t kInlineNameBytes = 512;

  HeaderBlock() = default;
  HeaderBlock(const HeaderBlock&) = delete;
  HeaderBlock& operator=(const HeaderBlock&) = delete;

  /// Appends `name` (lower-cased) and `value`.
  void add(std::string_view name, std::string_view value) {
    std::string_view lower = lower_name(name);
    nghttp2_nv nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(lower.data())),
                  reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), lower.size(),
                  value.size(), unique_per_message(lower) ? NGHTTP2_NV_FLAG_NO_INDEX
                                                          : NGHTTP2_NV_FLAG_NONE};
    if (spilled_.empty() && size_ < kInlineFields) {
      inline_[size_] = nv;
    } else {
      if (spilled_.empty()) {
        spilled_.assign(inline_.begin(), inline_.begin() + static_cast<std::ptrdiff_t>(size_));
      }
      spilled_.push_back(nv);
    }
    ++size_;
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

  /// `name` itself when it has no upper-case letter, else a lower-cased copy kept here.
  std::string_view lower_name(std::string_view name) {
    bool lower = true;
    for (char c : name) {
      if (c >= 'A' && c <= 'Z') {
        lower = false;
        break;
      }
    }
    if (lower) {
      return name;
    }
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
