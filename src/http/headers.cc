#include "meshd/http/headers.h"

#include <algorithm>

namespace meshd::http {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

void Headers::add(std::string_view name, std::string_view value) {
  if (entries_.empty()) {
    arena_.reserve(512);
    entries_.reserve(16);
  }
  Entry e{};
  e.name_off = static_cast<std::uint32_t>(arena_.size());
  e.name_len = static_cast<std::uint32_t>(name.size());
  arena_.append(name);
  e.value_off = static_cast<std::uint32_t>(arena_.size());
  e.value_len = static_cast<std::uint32_t>(value.size());
  arena_.append(value);
  e.removed = false;
  entries_.push_back(e);
  ++live_;
}

void Headers::set(std::string_view name, std::string_view value) {
  // `name`/`value` may point into our own arena, which add() may reallocate: copy them first
  // in that (rare) case only.
  auto inside = [this](std::string_view s) {
    return !s.empty() && s.data() >= arena_.data() && s.data() < arena_.data() + arena_.size();
  };
  if (inside(name) || inside(value)) {
    std::string n(name);
    std::string v(value);
    remove(n);
    add(n, v);
    return;
  }
  remove(name);
  add(name, value);
}

std::size_t Headers::remove(std::string_view name) {
  std::size_t n = 0;
  for (auto& e : entries_) {
    if (!e.removed && iequals(view(e.name_off, e.name_len), name)) {
      e.removed = true;
      ++n;
    }
  }
  live_ -= n;
  return n;
}

std::size_t Headers::remove_prefix(std::string_view prefix) {
  std::size_t n = 0;
  for (auto& e : entries_) {
    if (!e.removed && istarts_with(view(e.name_off, e.name_len), prefix)) {
      e.removed = true;
      ++n;
    }
  }
  live_ -= n;
  return n;
}

std::string_view Headers::get(std::string_view name) const {
  for (const auto& e : entries_) {
    if (!e.removed && iequals(view(e.name_off, e.name_len), name)) {
      return view(e.value_off, e.value_len);
    }
  }
  return {};
}

bool Headers::contains(std::string_view name) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return !e.removed && iequals(view(e.name_off, e.name_len), name);
  });
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& e : entries_) {
    if (!e.removed && iequals(view(e.name_off, e.name_len), name)) {
      out.push_back(view(e.value_off, e.value_len));
    }
  }
  return out;
}

void Headers::clear() noexcept {
  arena_.clear();
  entries_.clear();
  live_ = 0;
}

void Headers::serialize(std::string& out) const {
  for_each([&](Field f) {
    out.append(f.name);
    out.append(": ");
    out.append(f.value);
    out.append("\r\n");
  });
}

}  // namespace meshd::http
