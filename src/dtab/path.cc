#include "meshd/dtab/path.h"

#include <algorithm>
#include <cassert>

#include "dtab/name_tree_parser_internal.h"

namespace meshd::dtab {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

Path::Path(std::vector<std::string> elems) : elems_(std::move(elems)) {
  assert(std::none_of(elems_.begin(), elems_.end(), [](const auto& e) { return e.empty(); }));
}

ParseResult<Path> Path::read(std::string_view text) {
  return detail::NameTreeParser(text).read_path();
}

Path Path::of(std::initializer_list<std::string_view> elems) {
  std::vector<std::string> v;
  v.reserve(elems.size());
  for (std::string_view e : elems) {
    v.emplace_back(e);
  }
  return Path(std::move(v));
}

bool Path::starts_with(const Path& prefix) const {
  return prefix.size() <= size() &&
         std::equal(prefix.elems_.begin(), prefix.elems_.end(), elems_.begin());
}

Path Path::take(std::size_t n) const {
  n = std::min(n, size());
  return Path(
      std::vector<std::string>(elems_.begin(), elems_.begin() + static_cast<std::ptrdiff_t>(n)));
}

Path Path::drop(std::size_t n) const {
  n = std::min(n, size());
  return Path(
      std::vector<std::string>(elems_.begin() + static_cast<std::ptrdiff_t>(n), elems_.end()));
}

Path Path::operator+(const Path& other) const {
  if (other.empty()) {
    return *this;
  }
  std::vector<std::string> v = elems_;
  v.insert(v.end(), other.elems_.begin(), other.elems_.end());
  return Path(std::move(v));
}

bool Path::is_showable(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
    return true;
  }
  switch (c) {
    case '_':
    case ':':
    case '.':
    case '#':
    case '$':
    case '%':
    case '-':
      return true;
    default:
      return false;
  }
}

std::string Path::show_elem(std::string_view label) {
  if (std::all_of(label.begin(), label.end(), &Path::is_showable)) {
    return std::string(label);
  }
  std::string out;
  out.reserve(label.size() * 4);
  for (char c : label) {
    const auto b = static_cast<unsigned char>(c);
    out += "\\x";
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 0xF];
  }
  return out;
}

std::string Path::show() const {
  std::string out;
  for (const auto& e : elems_) {
    out += '/';
    out += show_elem(e);
  }
  return out.empty() ? "/" : out;
}

std::string Path::to_string() const {
  std::string out = "Path(";
  for (std::size_t i = 0; i < elems_.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += show_elem(elems_[i]);
  }
  return out + ")";
}

std::strong_ordering Path::operator<=>(const Path& other) const {
  return std::lexicographical_compare_three_way(elems_.begin(), elems_.end(), other.elems_.begin(),
                                                other.elems_.end());
}

}  // namespace meshd::dtab

std::size_t std::hash<meshd::dtab::Path>::operator()(const meshd::dtab::Path& p) const noexcept {
  std::size_t h = p.size();
  for (const auto& e : p.elems()) {
    // boost::hash_combine's mixing step.
    h ^= std::hash<std::string>{}(e) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  }
  return h;
}
