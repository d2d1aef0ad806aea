// Decoding of `namers[]`: the common keys, `io.l5d.fs` and `io.l5d.rewrite` (with its
// PathMatcher pattern, inventory §3.6).

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "config/decode_internal.h"
#include "config/kinds_internal.h"

namespace meshd::config::detail {
namespace {

// The characters of a capture name in a PathMatcher (`{ns}`).
bool is_capture_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == ':' || c == '_' || c == '-';
}

// One `{name}` in a pattern or a substitution: where it starts and ends (one past `}`).
struct Capture {
  std::size_t begin;
  std::size_t end;
  std::string_view name;
};

// Finds the `{name}` captures of `text`. A `{` must be closed by `}` within its path segment and
// enclose a non-empty name of capture characters; a `}` must close a `{`. Returns an error
// message (without the key) for the first violation.
std::optional<std::string> find_captures(std::string_view text, std::vector<Capture>& out) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') {
      return "\"}\" at offset " + std::to_string(i) + " closes no \"{\"";
    }
    if (text[i] != '{') {
      continue;
    }
    const std::size_t close = text.find_first_of("}/{", i + 1);
    if (close == std::string_view::npos || text[close] != '}') {
      return "unclosed \"{\" at offset " + std::to_string(i);
    }
    const std::string_view name = text.substr(i + 1, close - i - 1);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_capture_char)) {
      return "\"{" + std::string{name} +
             "}\" is not a capture: names are letters, digits and \". : _ -\"";
    }
    out.push_back(Capture{i, close + 1, name});
    i = close;
  }
  return std::nullopt;
}

// Checks `pattern` (a PathMatcher: `/`-separated literal, `*` or `{capture}` segments) and
// returns its capture names; nullopt after reporting an error at `pos`.
std::optional<std::vector<Capture>> check_pattern(Decoder& d, const Located<std::string>& pattern) {
  const std::string& text = pattern.value;
  if (text.empty() || text.front() != '/') {
    d.error(pattern.pos, "invalid pattern: must start with \"/\", got \"" + text + "\"");
    return std::nullopt;
  }
  std::vector<Capture> captures;
  if (auto error = find_captures(text, captures)) {
    d.error(pattern.pos, "invalid pattern \"" + text + "\": " + *error);
    return std::nullopt;
  }
  return captures;
}

// Checks that every capture in `name` is one of `captures` and that `name`, with each capture
// replaced by its own name (captured values are path labels), is a valid path.
void check_substitution(Decoder& d, const Located<std::string>& name,
                        const std::vector<Capture>& captures) {
  const std::string& text = name.value;
  std::vector<Capture> used;
  if (auto error = find_captures(text, used)) {
    d.error(name.pos, "invalid name \"" + text + "\": " + *error);
    return;
  }
  std::string filled;
  std::size_t from = 0;
  for (const Capture& c : used) {
    const bool known = std::any_of(captures.begin(), captures.end(),
                                   [&](const Capture& p) { return p.name == c.name; });
    if (!known) {
      d.error(name.pos, "\"{" + std::string{c.name} + "}\" is not captured by the pattern");
      return;
    }
    filled.append(text, from, c.begin - from).append(c.name);
    from = c.end;
  }
  filled.append(text, from);
  if (auto parsed = dtab::Path::read(filled); !parsed) {
    d.error(name.pos, "invalid path: " + parsed.error().message);
  }
}

}  // namespace

bool check_path_matcher(Decoder& d, const Located<std::string>& pattern) {
  return check_pattern(d, pattern).has_value();
}

void decode_namer(Decoder& d, const YAML::Node& node, const std::string& path,
                  std::vector<NamerConfig>& namers) {
  if (!node.IsMap()) {
    d.error(node.Mark(), path, "expected a map, got " + describe(node));
    return;
  }
  MapReader m(d, node, path);
  NamerConfig& out = namers.emplace_back();
  out.pos = m.pos();
  auto decode = read_kind(m, registries().namers, "kind", "namer kind", out.kind, out.experimental);
  if (decode == nullptr) {
    out.settings = UnsupportedPluginConfig{m.raw()};
    return;
  }
  // Linkerd's default prefix is the kind itself; names are bound under /# ++ prefix.
  out.prefix.value.text = "/" + out.kind.value;
  read_path(m, "prefix", out.prefix);
  decode(m, out);
  decode_transformers(m, out.transformers);
  m.finish();
}

void decode_fs_namer(MapReader& m, NamerConfig& out) {
  FsNamerConfig fs;
  if (!m.has_value("rootDir")) {
    m.missing("rootDir");
  }
  read_string(m, "rootDir", fs.root_dir);
  if (fs.root_dir.present && fs.root_dir.value.empty()) {
    m.decoder().error(fs.root_dir.pos, "must not be empty");
  }
  out.settings = std::move(fs);
}

void decode_rewrite_namer(MapReader& m, NamerConfig& out) {
  RewriteNamerConfig rw;
  // Linkerd's RewritingNamer has no default prefix: the dtab must name it explicitly.
  for (auto key : {"prefix", "pattern", "name"}) {
    if (!m.has_value(key)) {
      m.missing(key);
    }
  }
  read_string(m, "pattern", rw.pattern);
  read_string(m, "name", rw.name);
  std::optional<std::vector<Capture>> captures;
  if (rw.pattern.present) {
    captures = check_pattern(m.decoder(), rw.pattern);
  }
  if (captures && rw.name.present) {
    check_substitution(m.decoder(), rw.name, *captures);
  }
  out.settings = std::move(rw);
}

}  // namespace meshd::config::detail
