#include "meshd/config/load.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "config/decode_internal.h"

namespace meshd::config {
namespace {

// Linkerd's rule (config Parser.peekJsonObject): a file whose first non-whitespace character is
// `{` is JSON, anything else is YAML. yaml-cpp reads both (JSON is YAML 1.2 flow syntax), so
// positions and duplicate-key detection are the same; the format only names the syntax errors.
bool looks_like_json(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{';
}

// Parses `text` into one document; syntax errors (and a second document) become errors.
std::optional<YAML::Node> parse(detail::Decoder& d, std::string_view text) {
  const char* syntax = looks_like_json(text) ? "invalid JSON: " : "invalid YAML: ";
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string{text});
    if (docs.size() > 1) {
      d.error(docs[1].Mark(), "", "expected one document, found " + std::to_string(docs.size()));
      return std::nullopt;
    }
    return docs.empty() ? YAML::Node{} : docs.front();
  } catch (const YAML::Exception& e) {
    d.error(e.mark, "", syntax + e.msg);
    return std::nullopt;
  }
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line) + ":" + std::to_string(column);
  }
  out += ": ";
  if (!path.empty()) {
    out += path + ": ";
  }
  out += message;
  return out;
}

std::ostream& operator<<(std::ostream& os, const ConfigError& e) { return os << e.to_string(); }

LoadResult load(std::string_view text, std::string_view file_name) {
  LoadResult result;
  detail::Decoder d{std::string{file_name}};
  if (auto root = parse(d, text)) {
    try {
      detail::decode_config(d, *root, result.config);
      detail::validate(d, result.config);
    } catch (const YAML::Exception& e) {
      // yaml-cpp throws on a few malformed inputs while walking nodes (not only when parsing).
      d.error(e.mark, "", "invalid YAML: " + e.msg);
    }
  }
  result.errors = std::move(d.errors());
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  return result;
}

LoadResult load_file(const std::string& path) {
  const bool is_stdin = path == "-";
  const std::string name = is_stdin ? "<stdin>" : path;
  std::ostringstream text;
  if (is_stdin) {
    text << std::cin.rdbuf();
  } else {
    std::error_code ec;
    std::ifstream in(path, std::ios::binary);
    const int open_errno = errno;
    if (!in || std::filesystem::is_directory(path, ec)) {
      LoadResult r;
      r.unreadable = true;
      const char* why = in ? std::strerror(EISDIR) : std::strerror(open_errno);
      r.errors.push_back(ConfigError{name, 0, 0, "", std::string{"cannot read: "} + why});
      return r;
    }
    text << in.rdbuf();
  }
  return load(text.str(), name);
}

}  // namespace meshd::config
