#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "meshd/dtab/dtab.h"
#include "meshd/dtab/path.h"
#include "meshd/http/message.h"

namespace meshd::router {

/// Encodes `s` like `java.net.URLEncoder` (what Linkerd puts in `l5d-err`): ASCII letters,
/// digits and `.-*_` stay, space becomes `+`, every other byte `%XX` (upper-case hex).
std::string url_encode(std::string_view s);

/// A Linkerd-generated error response: `status`, `Content-Type: text/plain`, body = `message`,
/// `l5d-err` = the URL-encoded message truncated to `max_header_bytes` (maxHeadersKB).
http::Response error_response(int status, std::string_view message,
                              std::size_t max_header_bytes);

/// `Unknown destination: Request("GET /x", from /127.0.0.1:5555) / <reason>`.
[[gnu::cold]] std::string unknown_destination(const http::Request& req, std::string_view reason);

/// The "Unable to route request!" text of a name that bound to no endpoints.
[[gnu::cold]] std::string no_route(const dtab::Path& dst, const dtab::Dtab& base,
                                   const dtab::Dtab& local);

/// The "Unable to establish connection to …" text of a failed connect.
[[gnu::cold]] std::string connect_failed(std::string_view selected, const dtab::Path& dst,
                                         const dtab::Path& client,
                                         const std::vector<std::string>& addresses);

}  // namespace meshd::router
