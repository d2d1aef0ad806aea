// `/delegator.json` encoding of a DelegateTree (dtab-spec §9.4): Jackson's field order and
// escaping, Java's `Double.toString` for weights.

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "meshd/naming/delegate.h"

namespace meshd::naming {

using dtab::BoundName;
using dtab::Dentry;
using dtab::Path;
using Kind = DelegateTree::Kind;

// ---- JSON ------------------------------------------------------------------------------------

std::string java_double_to_string(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "Infinity" : "-Infinity";
  }
  if (value == 0) {
    return std::signbit(value) ? "-0.0" : "0.0";
  }
  // The shortest digits that read back exactly, as `d.ddde±x`.
  char buf[64];
  const auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, std::fabs(value), std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  const auto e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') {
      digits.push_back(c);
    }
  }
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + (sci[e_pos + 1] == '+' ? 2 : 1), sci.data() + sci.size(),
                  exponent);
  std::string out = value < 0 ? "-" : "";
  if (std::fabs(value) >= 1e-3 && std::fabs(value) < 1e7) {
    if (exponent >= 0) {
      const auto int_len = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() < int_len) {
        digits.append(int_len - digits.size(), '0');
      }
      out.append(digits, 0, int_len).append(".");
      out.append(digits.size() > int_len ? digits.substr(int_len) : "0");
    } else {
      out.append("0.").append(static_cast<std::size_t>(-exponent - 1), '0').append(digits);
    }
    return out;
  }
  out.append(digits, 0, 1).append(".");
  out.append(digits.size() > 1 ? digits.substr(1) : "0");
  return out.append("E").append(std::to_string(exponent));
}

namespace {

// A JSON string the way Jackson writes one: `"` and `\` escaped, control characters as the
// short escapes or `\u00XX` (upper-case hex), `/` and non-ASCII bytes as they are.
void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04X", static_cast<unsigned>(c));
          out.append(esc);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// `,"key":` (the key needs no escaping).
void append_key(std::string& out, std::string_view key) {
  out.append(",\"").append(key).append("\":");
}

// Linkerd leaves out any dentry `Equiv` to `Dentry.nop`: same prefix, dst simplifying to Neg.
void append_dentry(std::string& out, const Dentry& dentry) {
  static const Dentry kNop = Dentry::nop();
  if (dentry.prefix == kNop.prefix &&
      dentry.dst.simplified().kind() == dtab::NameTree<Path>::Kind::Neg) {
    return;
  }
  append_key(out, "dentry");
  out.append("{\"prefix\":");
  append_string(out, dentry.prefix.show());
  out.append(",\"dst\":");
  append_string(out, dentry.dst.show());
  out.push_back('}');
}

void append_address(std::string& out, const dtab::Address& address) {
  out.append("{\"ip\":");
  append_string(out, address.host);
  out.append(",\"port\":").append(std::to_string(address.port)).append(",\"meta\":{");
  bool first = true;
  for (const auto& [key, value] : address.meta) {
    out.append(first ? "" : ",");
    first = false;
    append_string(out, key);
    out.push_back(':');
    append_string(out, value);
  }
  if (address.weight != 1.0) {  // Finagle `WeightedAddress` keeps the weight in the metadata
    out.append(first ? "" : ",").append("\"endpoint_addr_weight\":");
    out.append(java_double_to_string(address.weight));
  }
  out.append("}}");
}

void append_addr(std::string& out, const dtab::AddrConstSharedPtr& addr) {
  if (addr == nullptr || addr->kind == dtab::Addr::Kind::Pending) {
    out.append(R"({"type":"pending"})");
    return;
  }
  switch (addr->kind) {
    case dtab::Addr::Kind::Neg:
      out.append(R"({"type":"neg"})");
      return;
    case dtab::Addr::Kind::Failed:
      out.append(R"({"type":"failed","cause":)");
      append_string(out, addr->failure);
      out.push_back('}');
      return;
    default:
      break;
  }
  out.append(R"({"type":"bound","addrs":[)");
  bool first = true;
  for (const auto& address : addr->addresses) {
    out.append(first ? "" : ",");
    first = false;
    append_address(out, address);
  }
  out.append(R"(],"meta":{}})");
}

void append_bound(std::string& out, const BoundName& bound) {
  append_key(out, "bound");
  out.append("{\"addr\":");
  append_addr(out, bound.addr);
  out.append(",\"id\":");
  append_string(out, bound.id.show());
  out.append(",\"path\":");
  append_string(out, bound.residual.show());
  out.push_back('}');
}

std::string_view type_name(Kind kind) {
  switch (kind) {
    case Kind::Delegate:
      return "delegate";
    case Kind::Alt:
      return "alt";
    case Kind::Union:
      return "union";
    case Kind::Leaf:
      return "leaf";
    case Kind::Transformation:
      return "transformation";
    case Kind::Neg:
      return "neg";
    case Kind::Fail:
      return "fail";
    case Kind::Empty:
      return "empty";
    case Kind::Exception:
      break;
  }
  return "exception";
}

std::string shown_path(const DelegateTree& tree) {
  if (tree.kind() == Kind::Neg && tree.path().empty()) {
    return "~";
  }
  if (tree.kind() == Kind::Fail && !tree.path().starts_with(Path::of({"$", "fail"}))) {
    return "!";
  }
  return tree.path().show();
}

void append_tree(std::string& out, const DelegateTree& tree) {
  out.append("{\"type\":\"").append(type_name(tree.kind())).append("\",\"path\":");
  append_string(out, shown_path(tree));
  if (tree.kind() == Kind::Transformation) {
    append_key(out, "name");
    append_string(out, tree.text());
    append_bound(out, tree.bound());
    append_key(out, "tree");
    append_tree(out, tree.children().front());
    out.push_back('}');
    return;
  }
  append_dentry(out, tree.dentry());
  switch (tree.kind()) {
    case Kind::Delegate:
      append_key(out, "delegate");
      append_tree(out, tree.children().front());
      break;
    case Kind::Alt: {
      append_key(out, "alt");
      out.push_back('[');
      for (std::size_t i = 0; i < tree.children().size(); ++i) {
        out.append(i == 0 ? "" : ",");
        append_tree(out, tree.children()[i]);
      }
      out.push_back(']');
      break;
    }
    case Kind::Union: {
      append_key(out, "union");
      out.push_back('[');
      for (std::size_t i = 0; i < tree.weighted().size(); ++i) {
        const auto& w = tree.weighted()[i];
        out.append(i == 0 ? "" : ",").append("{\"weight\":");
        out.append(java_double_to_string(w.weight)).append(",\"tree\":");
        append_tree(out, w.tree);
        out.push_back('}');
      }
      out.push_back(']');
      break;
    }
    case Kind::Leaf:
      append_bound(out, tree.bound());
      break;
    case Kind::Exception:
      append_key(out, "message");
      append_string(out, tree.text());
      break;
    default:
      break;
  }
  out.push_back('}');
}

}  // namespace

std::string to_json(const DelegateTree& tree) {
  std::string out;
  append_tree(out, tree);
  return out;
}

}  // namespace meshd::naming
