#include "meshd/telemetry/prometheus_export.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "telemetry/number_format_internal.h"

namespace meshd::telemetry {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Where the traversal is: the name elements kept so far and the labels pulled out of the path.
struct Position {
  std::vector<std::string> elements;
  Labels labels;

  bool has_label(std::string_view key) const {
    return std::any_of(labels.begin(), labels.end(), [&](const auto& l) { return l.first == key; });
  }
  Labels::iterator exception_label() {
    return std::find_if(labels.begin(), labels.end(),
                        [](const auto& l) { return l.first == "exception"; });
  }
};

bool elements_are(const std::vector<std::string>& e, std::initializer_list<std::string_view> want) {
  return e.size() == want.size() + 1 && std::equal(want.begin(), want.end(), e.begin());
}

// Moves an id out of the name into a label: rt/<router>, rt/{server,client,service}/<id> and
// rt/client/service/<svc> (after the router and client were moved), as Linkerd does.
void extract_labels(Position& p) {
  auto move_last_to = [&](std::string_view key) {
    p.labels.emplace_back(std::string(key), std::move(p.elements.back()));
    p.elements.pop_back();
  };
  const auto& e = p.elements;
  if (elements_are(e, {"rt"}) && !p.has_label("rt")) {
    move_last_to("rt");
  } else if (elements_are(e, {"rt", "service"}) && !p.has_label("service")) {
    move_last_to("service");
  } else if (elements_are(e, {"rt", "client"}) && !p.has_label("client")) {
    move_last_to("client");
  } else if (elements_are(e, {"rt", "client", "service"}) && !p.has_label("service")) {
    move_last_to("service");
  } else if (elements_are(e, {"rt", "server"}) && !p.has_label("server")) {
    move_last_to("server");
  }
}

// The position of child `element` below `p`: under rt/.../failures and rt/.../exn the child is
// an exception name, which goes to the `exception` label (nested names joined with `:`).
Position descend(const Position& p, const std::string& element) {
  Position c = p;
  if (auto it = c.exception_label(); it != c.labels.end()) {
    it->second.append(":").append(element);
    return c;
  }
  const auto& e = c.elements;
  if (e.size() >= 2 && e.front() == "rt" && (e.back() == "failures" || e.back() == "exn")) {
    if (c.elements.back() == "exn") {
      c.elements.back() = "exceptions";
    }
    c.labels.emplace_back("exception", element);
    return c;
  }
  c.elements.push_back(element);
  return c;
}

std::string metric_name(std::string_view prefix, const std::vector<std::string>& elements) {
  std::string name(prefix);
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) {
      name += ':';
    }
    name += elements[i];
  }
  for (char& ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == ':';
    if (!ok) {
      ch = '_';
    }
  }
  return name;
}

void append_labels(std::string& out, const Labels& labels, std::string_view quantile = {}) {
  if (labels.empty() && quantile.empty()) {
    return;
  }
  out += '{';
  bool first = true;
  auto one = [&](std::string_view k, std::string_view v) {
    if (!first) {
      out += ", ";
    }
    first = false;
    for (char ch : k) {
      bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
      out += ok ? ch : '_';
    }
    out += "=\"";
    for (char ch : v) {
      if (ch == '\\') {
        out += "\\\\";
      } else if (ch == '"') {
        out += "\\\"";
      } else if (ch == '\n') {
        out += "\\n";
      } else {
        out += ch;
      }
    }
    out += '"';
  };
  for (const auto& [k, v] : labels) {
    one(k, v);
  }
  if (!quantile.empty()) {
    one("quantile", quantile);
  }
  out += '}';
}

void append_float(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    append_double(out, v);
  }
}

void write_summary(std::string& out, const std::string& name, const Labels& labels,
                   const HistogramSummary& s) {
  auto begin_line = [&](std::string_view suffix, std::string_view quantile) {
    out += name;
    out += suffix;
    append_labels(out, labels, quantile);
    out += ' ';
  };
  begin_line("_count", {});
  append_uint(out, s.count);
  out += '\n';
  begin_line("_sum", {});
  append_uint(out, s.sum);
  out += '\n';
  begin_line("_avg", {});
  append_float(out, s.avg);
  out += '\n';
  const std::pair<std::string_view, std::uint64_t> quantiles[] = {
      {"0", s.min},    {"0.5", s.p50},     {"0.9", s.p90},      {"0.95", s.p95},
      {"0.99", s.p99}, {"0.999", s.p9990}, {"0.9999", s.p9999}, {"1", s.max},
  };
  for (const auto& [q, v] : quantiles) {
    begin_line({}, q);
    append_uint(out, v);
    out += '\n';
  }
}

void write_node(std::string& out, std::string_view prefix, const MetricsNode& node, Position p) {
  extract_labels(p);
  if (!std::holds_alternative<std::monostate>(node.metric) && !p.elements.empty()) {
    std::string name = metric_name(prefix, p.elements);
    if (const auto* c = std::get_if<CounterSample>(&node.metric)) {
      out += name;
      append_labels(out, p.labels);
      out += ' ';
      append_uint(out, c->value);
      out += '\n';
    } else if (const auto* g = std::get_if<GaugeSample>(&node.metric)) {
      out += name;
      append_labels(out, p.labels);
      out += ' ';
      append_float(out, g->value);
      out += '\n';
    } else if (const auto* h = std::get_if<HistogramSummary>(&node.metric); h && h->count > 0) {
      write_summary(out, name, p.labels, *h);
    }
  }
  for (const auto& [element, child] : node.children) {
    write_node(out, prefix, child, descend(p, element));
  }
}

}  // namespace

std::string to_prometheus(const MetricsNode& root, std::string_view prefix) {
  std::string out;
  write_node(out, prefix, root, Position{});
  return out;
}

}  // namespace meshd::telemetry
