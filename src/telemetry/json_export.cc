#include "meshd/telemetry/json_export.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "telemetry/number_format_internal.h"

namespace meshd::telemetry {
namespace {

// A minimal streaming JSON writer: objects of numbers. The pretty form follows Jackson's default
// printer, which Linkerd users have seen (`"key" : value`, two-space indent, `{ }` when empty).
class JsonWriter {
 public:
  explicit JsonWriter(bool pretty) : pretty_(pretty) {}

  void begin_object() {
    out_ += '{';
    members_.push_back(0);
  }

  void end_object() {
    bool empty = members_.back() == 0;
    members_.pop_back();
    if (pretty_) {
      if (empty) {
        out_ += ' ';
      } else {
        newline();
      }
    }
    out_ += '}';
  }

  void key(std::string_view k) {
    if (members_.back()++ > 0) {
      out_ += ',';
    }
    if (pretty_) {
      newline();
    }
    append_string(k);
    out_ += pretty_ ? " : " : ":";
  }

  void key(std::string_view base, std::string_view suffix) {
    std::string k;
    k.reserve(base.size() + suffix.size());
    k.append(base).append(suffix);
    key(k);
  }

  void value(std::uint64_t v) { append_uint(out_, v); }

  void value(double v) {
    if (std::isfinite(v)) {
      append_double(out_, v);
    } else {
      out_ += "null";
    }
  }

  std::string take() && { return std::move(out_); }

 private:
  void newline() {
    out_ += '\n';
    out_.append(2 * members_.size(), ' ');
  }

  void append_string(std::string_view s) {
    out_ += '"';
    for (char c : s) {
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out_ += buf;
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }

  bool pretty_;
  std::string out_;
  std::vector<std::size_t> members_;  // members written so far, per open object
};

// Writes a histogram's fields as `<name>.count`, `<name>.max`, ... (flat) or `stat.count`, ...
// (tree): the summary is spread over the enclosing object in both forms.
void write_summary(JsonWriter& w, std::string_view name, const HistogramSummary& s) {
  w.key(name, ".count");
  w.value(s.count);
  if (s.count == 0) {
    return;
  }
  const std::pair<std::string_view, std::uint64_t> fields[] = {
      {".max", s.max}, {".min", s.min},     {".p50", s.p50},     {".p90", s.p90}, {".p95", s.p95},
      {".p99", s.p99}, {".p9990", s.p9990}, {".p9999", s.p9999}, {".sum", s.sum},
  };
  for (const auto& [suffix, v] : fields) {
    w.key(name, suffix);
    w.value(v);
  }
  w.key(name, ".avg");
  w.value(s.avg);
}

// Writes `metric` under `name`; nothing for a node without a metric.
void write_metric(JsonWriter& w, std::string_view name, const MetricsNode& node, bool tree_keys) {
  if (const auto* c = std::get_if<CounterSample>(&node.metric)) {
    w.key(tree_keys ? std::string_view("counter") : name);
    w.value(c->value);
  } else if (const auto* g = std::get_if<GaugeSample>(&node.metric)) {
    w.key(tree_keys ? std::string_view("gauge") : name);
    w.value(g->value);
  } else if (const auto* h = std::get_if<HistogramSummary>(&node.metric)) {
    write_summary(w, tree_keys ? std::string_view("stat") : name, *h);
  }
}

struct FlatEntry {
  std::string name;
  const MetricsNode* node;
};

// Appends every metric below `node`; `name` is its key and is restored before returning.
void flatten(const MetricsNode& node, std::string& name, std::vector<FlatEntry>& out) {
  if (!std::holds_alternative<std::monostate>(node.metric)) {
    out.push_back({name, &node});
  }
  std::size_t base = name.size();
  for (const auto& [element, child] : node.children) {
    if (base > 0) {
      name += '/';
    }
    name += element;
    flatten(child, name, out);
    name.resize(base);
  }
}

void write_tree(JsonWriter& w, const MetricsNode& node) {
  w.begin_object();
  write_metric(w, {}, node, true);
  for (const auto& [element, child] : node.children) {
    w.key(element);
    write_tree(w, child);
  }
  w.end_object();
}

const MetricsNode* resolve(const MetricsNode& node, std::string_view rest) {
  if (rest.empty()) {
    return &node;
  }
  for (const auto& [element, child] : node.children) {
    if (!rest.starts_with(element)) {
      continue;
    }
    if (rest.size() == element.size()) {
      return &child;
    }
    if (rest[element.size()] == '/') {
      // Backtracks: "a/b" may be one element or two.
      if (const auto* found = resolve(child, rest.substr(element.size() + 1))) {
        return found;
      }
    }
  }
  return nullptr;
}

}  // namespace

std::string to_json_flat(const MetricsNode& root, bool pretty) {
  std::vector<FlatEntry> entries;
  std::string name;
  flatten(root, name, entries);
  if (pretty) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const FlatEntry& a, const FlatEntry& b) { return a.name < b.name; });
  }
  JsonWriter w(pretty);
  w.begin_object();
  for (const auto& e : entries) {
    write_metric(w, e.name, *e.node, false);
  }
  w.end_object();
  return std::move(w).take();
}

std::string to_json_tree(const MetricsNode& root, bool pretty) {
  JsonWriter w(pretty);
  write_tree(w, root);
  return std::move(w).take();
}

const MetricsNode* find_subtree(const MetricsNode& root, std::string_view path) {
  while (path.starts_with('/')) {
    path.remove_prefix(1);
  }
  return resolve(root, path);
}

}  // namespace meshd::telemetry
