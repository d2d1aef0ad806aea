#include <cctype>
#include <string_view>

#include "meshd/http/headers.h"
#include "meshd/router/identifier.h"

namespace meshd::router {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

/// The path part of an origin-form target, without query or fragment.
std::string_view uri_path(std::string_view target) {
  auto end = target.find_first_of("?#");
  return target.substr(0, end);
}

std::vector<std::string> path_segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    auto slash = path.find('/', pos);
    if (slash == std::string_view::npos) {
      slash = path.size();
    }
    if (slash > pos) {
      out.emplace_back(path.substr(pos, slash - pos));
    }
    pos = slash + 1;
  }
  return out;
}

/// The value of header `name`, where the h2 pseudo-headers the codec does not keep as header
/// fields are read from the request itself: `:path` is the target, `:method` the method
/// (`:authority` and `:scheme` are header fields). Empty when absent.
std::string_view header_value(const http::Request& req, std::string_view name) {
  if (http::iequals(name, ":path")) {
    return req.target;
  }
  if (http::iequals(name, ":method")) {
    return req.method;
  }
  return req.headers.get(name);
}

/// `io.l5d.header.token`. Linkerd words the reason differently for http (`Host header is
/// absent`) and h2 (`missing header: ':authority'`).
class HeaderTokenIdentifier final : public Identifier {
 public:
  HeaderTokenIdentifier(dtab::Path prefix, std::string header, bool h2)
      : prefix_(std::move(prefix)),
        header_(std::move(header)),
        absent_(h2 ? "missing header: '" + header_ + "'" : header_ + " header is absent") {}
  Identification identify(http::Request& req) const override {
    auto value = header_value(req, header_);
    if (value.empty()) {
      return {std::nullopt, absent_};
    }
    std::vector<std::string> elems;
    elems.reserve(prefix_.size() + 1);
    elems = prefix_.elems();
    elems.emplace_back(value);
    return {dtab::Path(std::move(elems)), {}};
  }

 private:
  dtab::Path prefix_;
  std::string header_;
  std::string absent_;
};

/// `io.l5d.header` (http): the header value read as a path.
class HeaderIdentifier final : public Identifier {
 public:
  HeaderIdentifier(dtab::Path prefix, std::string header)
      : prefix_(std::move(prefix)), header_(std::move(header)) {}
  Identification identify(http::Request& req) const override {
    auto value = req.headers.get(header_);
    if (value.empty()) {
      return {std::nullopt, header_ + " header is absent"};
    }
    auto path = dtab::Path::read(value);
    if (!path) {
      return {std::nullopt, path.error().message};
    }
    return {prefix_ + *path, {}};
  }

 private:
  dtab::Path prefix_;
  std::string header_;
};

/// `io.l5d.header.path` (h2; Linkerd's h2 HeaderPathIdentifier): the path of a header (`:path`
/// by default), without query and one trailing `/`, read as a path and cut to `segments`.
class HeaderPathIdentifier final : public Identifier {
 public:
  HeaderPathIdentifier(dtab::Path prefix, std::string header, std::optional<int> segments)
      : prefix_(std::move(prefix)), header_(std::move(header)), segments_(segments) {}
  Identification identify(http::Request& req) const override {
    std::string_view path = header_value(req, header_);
    path = path.substr(0, path.find('?'));
    if (!path.empty() && path.back() == '/') {
      path.remove_suffix(1);
    }
    dtab::Path parsed;
    if (!path.empty()) {
      auto read = dtab::Path::read(path);
      if (!read) {
        return {std::nullopt, read.error().message};
      }
      parsed = *std::move(read);
    }
    if (!segments_) {
      if (parsed.empty()) {
        return {std::nullopt, "Missing destination path"};
      }
      return {prefix_ + parsed, {}};
    }
    const auto n = static_cast<std::size_t>(*segments_);
    if (parsed.size() < n) {
      return {std::nullopt, "Path must have at least " + std::to_string(n) + " segment(s)"};
    }
    std::vector<std::string> used(parsed.elems().begin(),
                                  parsed.elems().begin() + static_cast<long>(n));
    return {prefix_ + dtab::Path(std::move(used)), {}};
  }

 private:
  dtab::Path prefix_;
  std::string header_;
  std::optional<int> segments_;
};

class MethodAndHostIdentifier final : public Identifier {
 public:
  MethodAndHostIdentifier(dtab::Path prefix, bool uri_in_dst)
      : prefix_(std::move(prefix)), uri_in_dst_(uri_in_dst) {}
  Identification identify(http::Request& req) const override {
    std::vector<std::string> elems;
    if (req.version == http::Version{1, 1}) {
      auto host = req.headers.get("Host");
      if (host.empty()) {
        return {std::nullopt, "HTTP/1.1 request missing hostname"};
      }
      elems = {"1.1", req.method, lower(host)};
    } else if (req.version == http::Version{1, 0}) {
      elems = {"1.0", req.method};
    } else {
      return {std::nullopt, "Unknown HTTP version " + std::to_string(req.version.major) + "." +
                                std::to_string(req.version.minor)};
    }
    if (uri_in_dst_) {
      for (auto& seg : path_segments(uri_path(req.target))) {
        elems.push_back(std::move(seg));
      }
    }
    return {prefix_ + dtab::Path(std::move(elems)), {}};
  }

 private:
  dtab::Path prefix_;
  bool uri_in_dst_;
};

class PathIdentifier final : public Identifier {
 public:
  PathIdentifier(dtab::Path prefix, int segments, bool consume)
      : prefix_(std::move(prefix)),
        segments_(static_cast<std::size_t>(segments)),
        consume_(consume) {}
  Identification identify(http::Request& req) const override {
    auto path = uri_path(req.target);
    auto segs = path_segments(path);
    if (segs.size() < segments_) {
      return {std::nullopt, "not enough segments in path"};
    }
    std::vector<std::string> used(segs.begin(), segs.begin() + static_cast<long>(segments_));
    if (consume_) {
      consume(req, path);
    }
    return {prefix_ + dtab::Path(std::move(used)), {}};
  }

 private:
  /// Drops the first `segments_` segments from the target, keeping a trailing '/' and the query.
  void consume(http::Request& req, std::string_view path) const {
    std::size_t pos = 0;
    for (std::size_t n = 0; n < segments_; ++n) {
      while (pos < path.size() && path[pos] == '/') {
        ++pos;
      }
      while (pos < path.size() && path[pos] != '/') {
        ++pos;
      }
    }
    std::string rest(path.substr(pos));
    if (rest.empty()) {
      rest = "/";
    }
    rest.append(req.target.substr(path.size()));
    req.target = std::move(rest);
  }

  dtab::Path prefix_;
  std::size_t segments_;
  bool consume_;
};

class StaticIdentifier final : public Identifier {
 public:
  explicit StaticIdentifier(dtab::Path dst) : dst_(std::move(dst)) {}
  Identification identify(http::Request&) const override { return {dst_, {}}; }

 private:
  dtab::Path dst_;
};

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

IdentifierConstSharedPtr make_identifier(const dtab::Path& prefix, bool h2,
                                         const config::IdentifierConfig& cfg,
                                         const ExternalIdentifierFactory& external) {
  return std::visit(
      Overloaded{
          [&](const config::HeaderTokenIdentifierConfig& c) -> IdentifierConstSharedPtr {
            return std::make_shared<HeaderTokenIdentifier>(prefix, c.header.value, h2);
          },
          [&](const config::HeaderPathIdentifierConfig& c) -> IdentifierConstSharedPtr {
            return std::make_shared<HeaderPathIdentifier>(prefix, c.header.value, c.segments.value);
          },
          [&](const config::MethodAndHostIdentifierConfig& c) -> IdentifierConstSharedPtr {
            return std::make_shared<MethodAndHostIdentifier>(prefix, c.http_uri_in_dst.value);
          },
          [&](const config::PathIdentifierConfig& c) -> IdentifierConstSharedPtr {
            return std::make_shared<PathIdentifier>(prefix, c.segments.value, c.consume.value);
          },
          [&](const config::HeaderIdentifierConfig& c) -> IdentifierConstSharedPtr {
            return std::make_shared<HeaderIdentifier>(prefix, c.header.value);
          },
          [&](const config::StaticIdentifierConfig& c) -> IdentifierConstSharedPtr {
            return std::make_shared<StaticIdentifier>(prefix + c.path.value.parsed);
          },
          [&](const config::IngressIdentifierConfig&) -> IdentifierConstSharedPtr {
            return external ? external(prefix, cfg) : nullptr;
          },
          [&](const config::UnsupportedPluginConfig&) -> IdentifierConstSharedPtr {
            return nullptr;  // rejected by config validation; never reaches the runtime
          },
      },
      cfg.settings);
}

}  // namespace

std::vector<IdentifierConstSharedPtr> make_identifiers(const config::RouterConfig& router,
                                                       const ExternalIdentifierFactory& external) {
  const dtab::Path& prefix = router.dst_prefix.value.parsed;
  const bool h2 = router.protocol.value == "h2";
  std::vector<IdentifierConstSharedPtr> out;
  for (const auto& cfg : router.identifiers) {
    if (auto id = make_identifier(prefix, h2, cfg, external)) {
      out.push_back(std::move(id));
    }
  }
  if (out.empty()) {
    out.push_back(std::make_shared<HeaderTokenIdentifier>(prefix, h2 ? ":authority" : "Host", h2));
  }
  return out;
}

Identification identify(const std::vector<IdentifierConstSharedPtr>& identifiers,
                        http::Request& req) {
  Identification last{std::nullopt, "no identifier"};
  for (const auto& id : identifiers) {
    last = id->identify(req);
    if (last.dst) {
      return last;
    }
  }
  return last;
}

}  // namespace meshd::router
