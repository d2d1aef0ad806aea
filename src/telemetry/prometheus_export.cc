#include "meshd/telemetry/prometheus_export.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "telemetry/number_format_internal.h"

namespace meshd::telemetry {
namespace {

// Most of a large scrape is repeated names and labels; this avoids the first reallocations.
constexpr std::size_t kInitialCapacity = 64 * 1024;

struct Label {
  std::string_view key;
  std::string value;  // escaped
};

bool is_stack(std::string_view element) {
  return element == "service" || element == "client" || element == "server";
}

void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

std::string escaped(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  append_escaped(out, value);
  return out;
}

// Appends `name` with every character outside [a-zA-Z0-9:] replaced by `_`.
void append_sanitized(std::string& out, std::string_view name) {
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':';
    out += ok ? c : '_';
  }
}

// A finite double as Java's `Double.toString` lays it out (Linkerd appends gauges and averages
// with it): plain decimal with at least one fractional digit for 1e-3 <= |v| < 1e7 (`1.0`,
// `0.25`, `1234567.5`), else `<d>.<digits>E<exponent>` (`1.0E7`, `1.5E-4`). The digits are the
// shortest that read back exactly.
void append_java_double(std::string& out, double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(end - buf));  // -d.ddde±XX
  if (s.front() == '-') {
    out += '-';
    s.remove_prefix(1);
  }
  const auto e = s.find('e');
  int exponent = 0;
  std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exponent);
  std::string digits;
  for (char c : s.substr(0, e)) {
    if (c != '.') {
      digits += c;
    }
  }
  if (v == 0 || exponent < -3 || exponent >= 7) {
    out += digits[0];
    out += '.';
    out += digits.size() > 1 ? std::string_view(digits).substr(1) : "0";
    if (v != 0) {
      out += exponent < 0 ? "E-" : "E";
      append_uint(out, static_cast<std::uint64_t>(std::abs(exponent)));
    }
    return;
  }
  if (exponent < 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-exponent - 1), '0');
    out += digits;
    return;
  }
  const auto integer_digits = static_cast<std::size_t>(exponent) + 1;
  if (digits.size() <= integer_digits) {
    out += digits;
    out.append(integer_digits - digits.size(), '0');
    out += ".0";
  } else {
    out.append(digits, 0, integer_digits);
    out += '.';
    out.append(digits, integer_digits);
  }
}

void append_float(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    append_java_double(out, v);
  }
}

// One depth-first pass over the tree, as Linkerd's `writeMetrics`: `path_` is the name so far
// (its `prefix1`) after ids moved into `labels_`; both are changed in place on the way down and
// restored on the way back up.
class Renderer {
 public:
  Renderer(std::string& out, std::string_view prefix) : out_(out), prefix_(prefix) {}

  void node(const MetricsNode& node) {
    write_metric(node);
    for (const auto& [element, child] : node.children) {
      descend(element, child);
    }
  }

 private:
  // What `rewrite` changed, to undo it.
  struct Undo {
    std::size_t path_size;
    std::size_t label_count;
    std::optional<std::string> exception;  // the exception label's value before nesting
    bool renamed_exn = false;              // `exn` became `exceptions`
  };

  void descend(std::string_view element, const MetricsNode& child) {
    Undo undo{path_.size(), labels_.size(), std::nullopt};
    path_.push_back(element);
    rewrite(undo);
    node(child);
    path_.resize(undo.path_size);
    if (undo.renamed_exn) {
      path_.back() = "exn";
    }
    labels_.resize(undo.label_count);
    if (undo.exception) {
      exception_label()->value = std::move(*undo.exception);
    }
  }

  // Linkerd's label extraction, case by case on the whole path (its `prefix0`).
  void rewrite(Undo& undo) {
    const auto& p = path_;
    if (p.size() == 2 && p[0] == "rt" && !has_label("rt")) {
      move_last_to_label("rt");
    } else if (p.size() == 3 && p[0] == "rt" && is_stack(p[1]) && !has_label(p[1])) {
      move_last_to_label(p[1]);
    } else if (p.size() == 4 && p[0] == "rt" && p[1] == "client" && p[2] == "service" &&
               !has_label("service")) {
      move_last_to_label("service");
    } else if (p.size() == 4 && p[0] == "rt" && is_stack(p[1]) &&
               (p[2] == "failures" || p[2] == "exn")) {
      if (p[2] == "exn") {
        path_[2] = "exceptions";
        undo.renamed_exn = true;
      }
      add_exception(undo);
    }
  }

  void move_last_to_label(std::string_view key) {
    labels_.push_back({key, escaped(path_.back())});
    path_.pop_back();
  }

  // Adds the last element as the `exception` label, or appends it (`:`) to the one there.
  void add_exception(Undo& undo) {
    if (Label* label = exception_label()) {
      undo.exception = label->value;
      label->value += ':';
      append_escaped(label->value, path_.back());
    } else {
      labels_.push_back({"exception", escaped(path_.back())});
    }
    path_.pop_back();
  }

  bool has_label(std::string_view key) const {
    return std::any_of(labels_.begin(), labels_.end(),
                       [&](const Label& l) { return l.key == key; });
  }

  Label* exception_label() {
    auto it = std::find_if(labels_.begin(), labels_.end(),
                           [](const Label& l) { return l.key == "exception"; });
    return it == labels_.end() ? nullptr : &*it;
  }

  void write_metric(const MetricsNode& node) {
    if (path_.empty() || std::holds_alternative<std::monostate>(node.metric)) {
      return;
    }
    const auto* h = std::get_if<HistogramSummary>(&node.metric);
    if (h != nullptr && h->count == 0) {
      return;
    }
    build_name_and_labels();
    if (const auto* c = std::get_if<CounterSample>(&node.metric)) {
      begin_line({}, {});
      append_uint(out_, c->value);
      out_ += '\n';
    } else if (const auto* g = std::get_if<GaugeSample>(&node.metric)) {
      begin_line({}, {});
      append_float(out_, g->value);
      out_ += '\n';
    } else if (h != nullptr) {
      write_summary(*h);
    }
  }

  void write_summary(const HistogramSummary& s) {
    begin_line("_count", {});
    append_uint(out_, s.count);
    out_ += '\n';
    begin_line("_sum", {});
    append_uint(out_, s.sum);
    out_ += '\n';
    begin_line("_avg", {});
    append_float(out_, s.avg);
    out_ += '\n';
    const std::array<std::pair<std::string_view, std::uint64_t>, 8> quantiles = {{
        {"0", s.min},
        {"0.5", s.p50},
        {"0.9", s.p90},
        {"0.95", s.p95},
        {"0.99", s.p99},
        {"0.999", s.p9990},
        {"0.9999", s.p9999},
        {"1", s.max},
    }};
    for (const auto& [q, v] : quantiles) {
      begin_line({}, q);
      append_uint(out_, v);
      out_ += '\n';
    }
  }

  // The metric's name (`<prefix><path joined by :>`, sanitized) and its labels (`k="v", …`),
  // which a histogram's eleven lines share.
  void build_name_and_labels() {
    name_.clear();
    append_sanitized(name_, prefix_);
    for (std::size_t i = 0; i < path_.size(); ++i) {
      if (i > 0) {
        name_ += ':';
      }
      append_sanitized(name_, path_[i]);
    }
    labels_text_.clear();
    for (const Label& label : labels_) {
      if (!labels_text_.empty()) {
        labels_text_ += ", ";
      }
      labels_text_.append(label.key).append("=\"").append(label.value) += '"';
    }
  }

  // `<name><suffix>{<labels>[, quantile="q"]} `.
  void begin_line(std::string_view suffix, std::string_view quantile) {
    out_ += name_;
    out_ += suffix;
    if (!labels_text_.empty() || !quantile.empty()) {
      out_ += '{';
      out_ += labels_text_;
      if (!quantile.empty()) {
        out_ += labels_text_.empty() ? "quantile=\"" : ", quantile=\"";
        out_ += quantile;
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
  }

  std::string& out_;
  std::string_view prefix_;
  std::vector<std::string_view> path_;
  std::vector<Label> labels_;
  std::string name_;         // scratch: the current metric's name
  std::string labels_text_;  // scratch: the current metric's labels
};

}  // namespace

void append_prometheus(std::string& out, const MetricsNode& root, std::string_view prefix) {
  Renderer(out, prefix).node(root);
}

std::string to_prometheus(const MetricsNode& root, std::string_view prefix) {
  std::string out;
  out.reserve(kInitialCapacity);
  append_prometheus(out, root, prefix);
  return out;
}

}  // namespace meshd::telemetry
