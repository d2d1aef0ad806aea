#include "meshd/router/errors.h"

namespace meshd::router {
namespace {

void append_dtab(const dtab::Dtab& d, std::string& out) {
  bool first = true;
  for (const auto& dentry : d) {
    if (!first) {
      out.push_back('\n');
    }
    first = false;
    out.append("  ").append(dentry.prefix.show()).append(" => ").append(dentry.dst.show());
  }
}

}  // namespace

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '-' || c == '*' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

http::Response error_response(int status, std::string_view message,
                              std::size_t max_header_bytes) {
  auto rsp = http::Response::text(status, std::string(message));
  std::string encoded = url_encode(message);
  if (encoded.size() > max_header_bytes) {
    encoded.resize(max_header_bytes);
  }
  rsp.headers.add("l5d-err", encoded);
  return rsp;
}

std::string unknown_destination(const http::Request& req, std::string_view reason) {
  std::string out = "Unknown destination: Request(\"";
  out.append(req.method).append(" ").append(req.target).append("\", from /");
  out.append(req.ctx.remote.address().to_string()).append(":");
  out.append(std::to_string(req.ctx.remote.port())).append(") / ").append(reason);
  return out;
}

std::string no_route(const dtab::Path& dst, const dtab::Dtab& base, const dtab::Dtab& local) {
  std::string out = "Unable to route request!\n\nservice name: ";
  out.append(dst.show()).append("\ndtab:\n\nbase dtab:\n");
  append_dtab(base, out);
  out.append("\noverride dtab:\n");
  append_dtab(local, out);
  out.append("\n");
  return out;
}

std::string connect_failed(std::string_view selected, const dtab::Path& dst,
                           const dtab::Path& client, const std::vector<std::string>& addresses) {
  std::string out = "Unable to establish connection to ";
  out.append(selected).append(".\n\nservice name: ").append(dst.show());
  out.append("\nclient name: ").append(client.show()).append("\naddresses: [");
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    out.append(i ? ", " : "").append(addresses[i]);
  }
  out.append("]\nselected address: ").append(selected).append("\n");
  return out;
}

}  // namespace meshd::router
