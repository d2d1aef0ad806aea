#include <arpa/inet.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "config/decoder_internal.h"

namespace meshd::config::detail {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Optimal-string-alignment distance (a transposition counts as one edit), case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (std::size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// True when `a` looks like a typo of `b`: a transposition or a few wrong letters, or a
// truncation (`root` for `rootDir`).
bool likely_typo(std::string_view a, std::string_view b) {
  const std::size_t shorter = std::min(a.size(), b.size());
  if (shorter >= 3 && lower(a[0]) == lower(b[0]) &&
      (a.substr(0, shorter) == b.substr(0, shorter))) {
    return true;
  }
  const std::size_t limit = shorter <= 4 ? 1 : 2;
  return lower(a[0]) == lower(b[0]) && edit_distance(a, b) <= limit;
}

// The known key `key` is most likely a typo of, if any.
std::optional<std::string> suggest(std::string_view key, const std::vector<std::string>& known) {
  std::optional<std::string> best;
  std::size_t best_distance = SIZE_MAX;
  for (const auto& k : known) {
    if (key.empty() || k.empty() || !likely_typo(key, k)) {
      continue;
    }
    const std::size_t dist = edit_distance(key, k);
    if (dist < best_distance) {
      best_distance = dist;
      best = k;
    }
  }
  return best;
}

bool is_quoted(const YAML::Node& node) { return node.Tag() == "!"; }

std::optional<double> parse_double(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

boost::json::value scalar_to_json(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (is_quoted(node)) {
    return boost::json::value(s);
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    return boost::json::value(true);
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    return boost::json::value(false);
  }
  if (auto i = parse_int(s)) {
    return boost::json::value(*i);
  }
  if (auto f = parse_double(s)) {
    return boost::json::value(*f);
  }
  return boost::json::value(s);
}

// Scalar readers shared by the typed `read_*` functions: each returns nullopt after reporting.
using Node = YAML::Node;

std::optional<std::string> as_string(Decoder& d, const Node& v, const Position& pos) {
  if (!v.IsScalar()) {
    d.error(pos, "expected a string, got " + describe(v));
    return std::nullopt;
  }
  return v.Scalar();
}

std::optional<bool> as_bool(Decoder& d, const Node& v, const Position& pos) {
  if (v.IsScalar()) {
    // YAML 1.2 core-schema spellings only: yes/no/on/off are strings in YAML 1.2.
    const std::string& s = v.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") {
      return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      return false;
    }
  }
  d.error(pos, "expected a boolean (true or false), got " + describe(v));
  return std::nullopt;
}

std::optional<std::int64_t> as_int(Decoder& d, const Node& v, const Position& pos, std::int64_t min,
                                   std::int64_t max) {
  std::optional<std::int64_t> i;
  if (v.IsScalar()) {
    i = parse_int(v.Scalar());
  }
  if (!i) {
    d.error(pos, "expected an integer, got " + describe(v));
    return std::nullopt;
  }
  if (*i < min || *i > max) {
    d.error(pos, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                     ", got " + std::to_string(*i));
    return std::nullopt;
  }
  return i;
}

std::optional<double> as_double(Decoder& d, const Node& v, const Position& pos, double min,
                                double max) {
  std::optional<double> f;
  if (v.IsScalar()) {
    f = parse_double(v.Scalar());
  }
  if (!f) {
    d.error(pos, "expected a number, got " + describe(v));
    return std::nullopt;
  }
  if (*f < min || *f > max) {
    d.error(pos, "must be between " + format_double(min) + " and " + format_double(max) + ", got " +
                     format_double(*f));
    return std::nullopt;
  }
  return f;
}

// Shared shape of the typed readers: position, null-as-absent, conversion.
template <class T, class Convert>
void read_with(MapReader& m, std::string_view key, Located<T>& out, Convert convert) {
  out.pos = m.key_pos(key);
  auto v = m.take(key);
  if (!v || is_null(*v)) {
    return;
  }
  if (auto converted = convert(m.decoder(), *v, out.pos)) {
    out.value = std::move(*converted);
    out.present = true;
  }
}

bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

}  // namespace

void Decoder::error(const Position& pos, std::string message) {
  errors_.push_back(ConfigError{file_, pos.line, pos.column, pos.path, std::move(message)});
}

Position Decoder::at(const YAML::Mark& mark, std::string path) const {
  if (mark.is_null() || mark.line < 0) {
    return Position{1, 1, std::move(path)};
  }
  return Position{mark.line + 1, mark.column + 1, std::move(path)};
}

std::string join(std::string_view parent, std::string_view key) {
  if (parent.empty()) {
    return std::string{key};
  }
  std::string out{parent};
  out += '.';
  out += key;
  return out;
}

std::string index(std::string_view parent, std::size_t i) {
  return std::string{parent} + "[" + std::to_string(i) + "]";
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "\"" + node.Scalar() + "\"";
    default:
      return "null";
  }
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
  }
  if (s.empty() || (s.front() == '-' && s.size() == 1)) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (ec != std::errc{} || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

std::string format_double(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::to_string(v);
}

bool is_ip_literal(std::string_view ip) {
  const std::string s{ip};
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

boost::json::value to_json_value(Decoder& d, const YAML::Node& node, const std::string& path) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return MapReader(d, node, path).raw();  // the reader reports duplicate keys
    case YAML::NodeType::Sequence: {
      boost::json::array arr;
      std::size_t i = 0;
      for (const auto& item : node) {
        arr.push_back(to_json_value(d, item, index(path, i++)));
      }
      return arr;
    }
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    default:
      return nullptr;
  }
}

MapReader::MapReader(Decoder& d, const YAML::Node& node, std::string path)
    : d_(d), node_(node), path_(std::move(path)) {
  for (const auto& kv : node) {
    // Copies: yaml-cpp's iterator hands out a temporary pair.
    const YAML::Node k = kv.first;
    if (!k.IsScalar()) {
      d_.error(k.Mark(), path_, "expected a string key, got " + describe(k));
      continue;
    }
    if (const Entry* first = find(k.Scalar())) {
      const Position p = d_.at(first->key_node.Mark(), {});
      d_.error(k.Mark(), join(path_, k.Scalar()),
               "duplicate key \"" + k.Scalar() + "\" (first defined at " + std::to_string(p.line) +
                   ":" + std::to_string(p.column) + ")");
      continue;
    }
    entries_.push_back(Entry{k.Scalar(), k, kv.second});
  }
}

MapReader::Entry* MapReader::find(std::string_view key) {
  for (auto& e : entries_) {
    if (e.key == key) {
      return &e;
    }
  }
  return nullptr;
}

const MapReader::Entry* MapReader::find(std::string_view key) const {
  return const_cast<MapReader*>(this)->find(key);
}

std::optional<YAML::Node> MapReader::take(std::string_view key) {
  known_.emplace_back(key);
  Entry* e = find(key);
  if (e == nullptr) {
    return std::nullopt;
  }
  e->used = true;
  return e->value;
}

Position MapReader::key_pos(std::string_view key) const {
  const Entry* e = find(key);
  return d_.at(e != nullptr ? e->key_node.Mark() : node_.Mark(), join(path_, key));
}

void MapReader::unsupported(std::string_view key, std::vector<UnsupportedValue>& out) {
  auto v = take(key);
  if (!v) {
    return;
  }
  const Position pos = key_pos(key);
  out.push_back(UnsupportedValue{std::string{key}, pos, to_json_value(d_, *v, pos.path)});
  d_.error(pos, "\"" + std::string{key} + "\" is not supported yet");
}

void MapReader::removed(std::string_view key, std::string_view note) {
  if (take(key)) {
    d_.error(key_pos(key),
             "\"" + std::string{key} + "\" was removed in Linkerd " + std::string{note});
  }
}

void MapReader::missing(std::string_view key) {
  d_.error(pos(), "missing required key \"" + std::string{key} + "\"");
}

bool MapReader::has_value(std::string_view key) const {
  const Entry* e = find(key);
  return e != nullptr && !is_null(e->value);
}

boost::json::value MapReader::raw() {
  boost::json::object obj;
  for (auto& e : entries_) {
    e.used = true;
    obj[e.key] = to_json_value(d_, e.value, join(path_, e.key));
  }
  return obj;
}

void MapReader::finish() {
  for (const auto& e : entries_) {
    if (e.used) {
      continue;
    }
    std::string msg = "unknown key \"" + e.key + "\"";
    if (auto hint = suggest(e.key, known_)) {
      msg += " (did you mean \"" + *hint + "\"?)";
    }
    d_.error(e.key_node.Mark(), join(path_, e.key), std::move(msg));
  }
}

void read_string(MapReader& m, std::string_view key, Located<std::string>& out) {
  read_with(m, key, out, as_string);
}

void read_bool(MapReader& m, std::string_view key, Located<bool>& out) {
  read_with(m, key, out, as_bool);
}

void read_int(MapReader& m, std::string_view key, Located<int>& out, std::int64_t min,
              std::int64_t max) {
  read_with(m, key, out, [&](Decoder& d, const Node& v, const Position& p) {
    auto i = as_int(d, v, p, min, max);
    return i ? std::optional<int>{static_cast<int>(*i)} : std::nullopt;
  });
}

void read_optional_int(MapReader& m, std::string_view key, Located<std::optional<int>>& out,
                       std::int64_t min, std::int64_t max) {
  read_with(m, key, out, [&](Decoder& d, const Node& v, const Position& p) {
    auto i = as_int(d, v, p, min, max);
    return i ? std::optional<std::optional<int>>{static_cast<int>(*i)} : std::nullopt;
  });
}

void read_millis(MapReader& m, std::string_view key, Located<std::chrono::milliseconds>& out,
                 std::int64_t min, std::int64_t max) {
  read_with(m, key, out, [&](Decoder& d, const Node& v, const Position& p) {
    auto i = as_int(d, v, p, min, max);
    return i ? std::optional{std::chrono::milliseconds{*i}} : std::nullopt;
  });
}

void read_seconds(MapReader& m, std::string_view key, Located<std::chrono::seconds>& out,
                  std::int64_t min, std::int64_t max) {
  read_with(m, key, out, [&](Decoder& d, const Node& v, const Position& p) {
    auto i = as_int(d, v, p, min, max);
    return i ? std::optional{std::chrono::seconds{*i}} : std::nullopt;
  });
}

void read_double(MapReader& m, std::string_view key, Located<double>& out, double min, double max) {
  read_with(m, key, out, [&](Decoder& d, const Node& v, const Position& p) {
    return as_double(d, v, p, min, max);
  });
}

void read_ip(MapReader& m, std::string_view key, Located<std::string>& out) {
  read_with(m, key, out, [](Decoder& d, const Node& v, const Position& p) {
    auto s = as_string(d, v, p);
    if (s && !is_ip_literal(*s)) {
      d.error(p, "expected a literal IP address, got \"" + *s + "\"");
      return std::optional<std::string>{};
    }
    return s;
  });
}

void read_header_name(MapReader& m, std::string_view key, Located<std::string>& out,
                      bool allow_pseudo) {
  read_with(m, key, out, [allow_pseudo](Decoder& d, const Node& v, const Position& p) {
    auto s = as_string(d, v, p);
    if (!s) {
      return s;
    }
    std::string_view name = *s;
    if (allow_pseudo && name.size() > 1 && name.front() == ':') {
      name.remove_prefix(1);
    }
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) {
      d.error(p, "\"" + *s + "\" is not a valid HTTP header name");
      return std::optional<std::string>{};
    }
    return s;
  });
}

void read_required_string(MapReader& m, std::string_view key, Located<std::string>& out) {
  if (!m.has_value(key)) {
    m.missing(key);
  }
  read_string(m, key, out);
  if (out.present && out.value.empty()) {
    m.decoder().error(out.pos, "must not be empty");
  }
}

void read_string_list(MapReader& m, std::string_view key, StringList& out) {
  Decoder& d = m.decoder();
  for_each_item(m, key, [&](const YAML::Node& item, const std::string& path) {
    Position pos = d.at(item.Mark(), path);
    if (!item.IsScalar()) {
      d.error(pos, "expected a string, got " + describe(item));
      return;
    }
    auto& v = out.emplace_back();
    v.value = item.Scalar();
    v.pos = pos;
    v.present = true;
    if (v.value.empty()) {
      d.error(pos, "must not be empty");
    }
  });
}

void read_int_list(MapReader& m, std::string_view key, Located<std::vector<int>>& out,
                   std::int64_t min, std::int64_t max) {
  Decoder& d = m.decoder();
  out.pos = m.key_pos(key);
  auto node = m.take(key);
  if (!node || is_null(*node)) {
    return;
  }
  if (!node->IsSequence()) {
    d.error(out.pos, "expected a list, got " + describe(*node));
    return;
  }
  std::vector<int> values;
  std::size_t i = 0;
  for (const auto& item : *node) {
    if (auto v = as_int(d, item, d.at(item.Mark(), index(out.pos.path, i++)), min, max)) {
      values.push_back(static_cast<int>(*v));
    }
  }
  out.value = std::move(values);
  out.present = true;
}

void read_path(MapReader& m, std::string_view key, Located<PathValue>& out) {
  read_with(m, key, out, [](Decoder& d, const Node& v, const Position& p) {
    auto s = as_string(d, v, p);
    if (!s) {
      return std::optional<PathValue>{};
    }
    auto parsed = dtab::Path::read(*s);
    if (!parsed) {
      d.error(p, "invalid path: " + parsed.error().message);
      return std::optional<PathValue>{};
    }
    return std::optional{PathValue{*s, *std::move(parsed)}};
  });
  if (!out.present) {
    // Defaults (`/svc`, `/io.l5d.fs`) are parsed too; an empty default stays the empty path.
    if (auto parsed = dtab::Path::read(out.value.text)) {
      out.value.parsed = *std::move(parsed);
    }
  }
}

void read_dtab(MapReader& m, std::string_view key, Located<DtabValue>& out) {
  read_with(m, key, out, [](Decoder& d, const Node& v, const Position& p) {
    auto s = as_string(d, v, p);
    if (!s) {
      return std::optional<DtabValue>{};
    }
    auto parsed = dtab::Dtab::read(*s);
    if (!parsed) {
      d.error(p, "invalid dtab: " + parsed.error().message);
      return std::optional<DtabValue>{};
    }
    return std::optional{DtabValue{*s, *std::move(parsed)}};
  });
}

}  // namespace meshd::config::detail
