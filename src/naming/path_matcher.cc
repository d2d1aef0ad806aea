#include "meshd/naming/path_matcher.h"

#include <cstddef>
#include <utility>

namespace meshd::naming {

namespace {

constexpr std::size_t kNone = std::string_view::npos;

// `[a-zA-Z0-9\.:-_]`: Linkerd's capture-name class, whose `:-_` is the range 0x3A–0x5F.
bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || (c >= ':' && c <= '_');
}

// The length of a valid `{name}` at `text[i]` (which is `{`), or 0.
std::size_t capture_at(std::string_view text, std::size_t i) {
  std::size_t j = i + 1;
  while (j < text.size() && is_name_char(text[j])) {
    ++j;
  }
  if (j == i + 1 || j >= text.size() || text[j] != '}') {
    return 0;
  }
  return j + 1 - i;
}

// Java's `.` stops at line terminators; CR and LF are the ones a label can hold in ASCII.
bool is_line_terminator(char c) { return c == '\n' || c == '\r'; }

}  // namespace

PathMatcher::PathMatcher(std::string_view pattern) : pattern_(pattern) {
  std::size_t start = 0;
  for (std::size_t i = 0; i <= pattern.size(); ++i) {
    if (i < pattern.size() && pattern[i] != '/') {
      continue;
    }
    if (i > start) {
      segments_.push_back(compile(pattern.substr(start, i - start)));
    }
    start = i + 1;
  }
}

PathMatcher::Segment PathMatcher::compile(std::string_view text) {
  Segment segment;
  if (text == "*") {
    segment.kind = Segment::Kind::Any;
    return segment;
  }
  std::string literal;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = text[i] == '{' ? capture_at(text, i) : 0;
    if (length == 0) {
      literal.push_back(text[i++]);
      continue;
    }
    segment.literals.push_back(std::exchange(literal, {}));
    segment.names.emplace_back(text.substr(i + 1, length - 2));
    i += length;
  }
  segment.literals.push_back(std::move(literal));
  segment.kind = segment.names.empty() ? Segment::Kind::Literal : Segment::Kind::Captures;
  return segment;
}

// The leftmost match of `L0 (.*) L1 ... (.*) Lk` in `label` with greedy captures, exactly as a
// backtracking regex engine finds it, but computed with one table per capture instead of by
// backtracking. `good[j][e]`: capture j may end at `e` (literal j+1 follows there and the rest
// can match after it); a capture starting at `pos` may end anywhere up to `limit[pos]`, the
// next line terminator.
bool PathMatcher::find(const Segment& segment, std::string_view label, Captures& out) {
  const std::size_t n = label.size();
  const std::size_t k = segment.names.size();
  const auto occurs = [&](const std::string& lit, std::size_t at) {
    return at + lit.size() <= n && label.compare(at, lit.size(), lit) == 0;
  };
  std::vector<std::size_t> limit(n + 1, n);
  for (std::size_t i = n; i-- > 0;) {
    limit[i] = is_line_terminator(label[i]) ? i : limit[i + 1];
  }
  // next_good[j][p]: the smallest e >= p where capture j may end; last_good[j][p]: the largest
  // e <= p. Both kNone when there is none. Filled from the last capture back to the first.
  std::vector<std::vector<std::size_t>> next_good(k, std::vector<std::size_t>(n + 2, kNone));
  std::vector<std::vector<std::size_t>> last_good(k, std::vector<std::size_t>(n + 1, kNone));
  const auto can_start = [&](std::size_t j, std::size_t pos) {
    return pos <= n && next_good[j][pos] <= limit[pos];
  };
  for (std::size_t j = k; j-- > 0;) {
    const std::string& after = segment.literals[j + 1];
    for (std::size_t e = n + 1; e-- > 0;) {
      const bool good = occurs(after, e) && (j + 1 == k || can_start(j + 1, e + after.size()));
      next_good[j][e] = good ? e : next_good[j][e + 1];
    }
    for (std::size_t e = 0; e <= n; ++e) {
      const bool good = next_good[j][e] == e;
      last_good[j][e] = good ? e : (e == 0 ? kNone : last_good[j][e - 1]);
    }
  }
  const std::string& first = segment.literals[0];
  for (std::size_t start = 0; start + first.size() <= n; ++start) {
    if (!occurs(first, start) || !can_start(0, start + first.size())) {
      continue;
    }
    std::size_t pos = start + first.size();
    for (std::size_t j = 0; j < k; ++j) {
      const std::size_t end = last_good[j][limit[pos]];
      out[segment.names[j]] = std::string(label.substr(pos, end - pos));
      pos = end + segment.literals[j + 1].size();
    }
    return true;
  }
  return false;
}

std::optional<PathMatcher::Captures> PathMatcher::extract(const dtab::Path& path) const {
  if (path.size() < segments_.size()) {
    return std::nullopt;
  }
  Captures captures;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const Segment& segment = segments_[i];
    const std::string& label = path.elems()[i];
    switch (segment.kind) {
      case Segment::Kind::Any:
        break;
      case Segment::Kind::Literal:
        if (label != segment.literals[0]) {
          return std::nullopt;
        }
        break;
      case Segment::Kind::Captures:
        if (!find(segment, label, captures)) {
          return std::nullopt;
        }
        break;
    }
  }
  return captures;
}

std::string PathMatcher::substitute(std::string_view format, const Captures& captures) {
  std::string out;
  out.reserve(format.size());
  for (std::size_t i = 0; i < format.size();) {
    const std::size_t length = format[i] == '{' ? capture_at(format, i) : 0;
    const auto it = length == 0 ? captures.end() : captures.find(format.substr(i + 1, length - 2));
    if (it == captures.end()) {
      out.push_back(format[i++]);
      continue;
    }
    out += it->second;
    i += length;
  }
  return out;
}

std::optional<std::string> PathMatcher::substitute(const dtab::Path& path,
                                                   std::string_view format) const {
  auto captures = extract(path);
  if (!captures) {
    return std::nullopt;
  }
  return substitute(format, *captures);
}

}  // namespace meshd::naming
