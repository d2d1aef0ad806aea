#include "meshd/admin/delegator.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <optional>
#include <unordered_set>
#include <utility>

#include "admin/handlers_internal.h"
#include "meshd/naming/delegate.h"

namespace meshd::admin {
namespace {

using Clock = std::chrono::steady_clock;

// First and largest pause between two evaluations of a pending delegation.
constexpr std::chrono::milliseconds kFirstBackoff{5};
constexpr std::chrono::milliseconds kMaxBackoff{50};

// The three fields of a delegation request, as strings (absent: nullopt).
struct DelegationRequest {
  std::optional<std::string> ns;
  std::optional<std::string> dtab;
  std::optional<std::string> path;
};

// The media type of a Content-Type value without its parameters, lower-cased.
std::string media_type(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && std::isspace(static_cast<unsigned char>(content_type.back()))) {
    content_type.remove_suffix(1);
  }
  while (!content_type.empty() && std::isspace(static_cast<unsigned char>(content_type.front()))) {
    content_type.remove_prefix(1);
  }
  std::string out(content_type);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A POST body `{"namespace":…, "dtab":…, "path":…}`; unknown keys are ignored and null means
// absent, as Linkerd's Jackson codec does. Nullopt unless `dtab` and `path` are strings.
std::optional<DelegationRequest> read_json_request(const std::string& body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    return std::nullopt;
  }
  DelegationRequest out;
  const std::pair<const char*, std::optional<std::string>*> fields[] = {
      {"namespace", &out.ns}, {"dtab", &out.dtab}, {"path", &out.path}};
  for (const auto& [key, field] : fields) {
    const boost::json::value* v = parsed.as_object().if_contains(key);
    if (v == nullptr || v->is_null()) {
      continue;
    }
    if (!v->is_string()) {
      return std::nullopt;
    }
    *field = std::string(v->as_string());
  }
  if (!out.dtab || !out.path) {
    return std::nullopt;
  }
  return out;
}

// Evaluates until nothing is pending any more, pausing on a timer of the current executor
// between evaluations, or gives up after `timeout`.
asio::awaitable<http::Response> explain(std::shared_ptr<const naming::Interpreter> interpreter,
                                        dtab::Dtab dtab, dtab::Path path,
                                        std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto backoff = kFirstBackoff;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    naming::Delegation d = naming::delegate(*interpreter, dtab, path);
    if (d.failure) {
      co_return http::Response::text(500, *d.failure);
    }
    if (!d.pending) {
      co_return json_response(200, naming::to_json(d.tree));
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      break;
    }
    timer.expires_after(std::min<Clock::duration>(backoff, deadline - now));
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) {
      break;  // cancelled: the client is gone
    }
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  co_return http::Response::text(503, "Request timed out.");
}

asio::awaitable<http::Response> serve_delegation(std::shared_ptr<const DelegatorOptions> options,
                                                 AdminRequest req) {
  DelegationRequest r;
  if (req.method == "POST") {
    if (media_type(req.headers.get("Content-Type")) != "application/json") {
      co_return http::Response::text(415, "");
    }
    auto parsed = read_json_request(req.body);
    if (!parsed) {
      co_return http::Response::text(400, "Malformed delegation request: " + req.body);
    }
    r = std::move(*parsed);
  } else if (req.method == "GET") {
    auto to_string = [](std::optional<std::string_view> v) {
      return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
    };
    r = {to_string(req.param("namespace")), to_string(req.param("dtab")),
         to_string(req.param("path"))};
  } else {
    co_return http::Response::text(405, "");
  }

  std::shared_ptr<const naming::Interpreter> interpreter = options->namers_only;
  if (r.ns) {
    interpreter = options->interpreter ? options->interpreter(*r.ns) : nullptr;
    if (interpreter == nullptr) {
      co_return http::Response::text(501,
                                     "Name Interpreter for " + *r.ns + " cannot show delegations");
    }
  }
  auto dtab = dtab::Dtab::read(r.dtab.value_or(""));
  if (!dtab) {
    co_return http::Response::text(400, "Invalid dtab: " + dtab.error().message);
  }
  if (!r.path) {  // Linkerd reads a null path and reports the NullPointerException's message
    co_return http::Response::text(400, "Invalid path: null");
  }
  auto path = dtab::Path::read(*r.path);
  if (!path) {
    co_return http::Response::text(400, "Invalid path: " + path.error().message);
  }
  co_return co_await explain(std::move(interpreter), std::move(*dtab), std::move(*path),
                             options->timeout);
}

asio::awaitable<http::Response> serve_bound_names(std::vector<std::string> names) {
  boost::json::array out;
  std::unordered_set<std::string> seen;
  for (auto& name : names) {
    if (seen.insert(name).second) {
      out.emplace_back(std::move(name));
    }
  }
  co_return json_response(200, boost::json::serialize(out));
}

}  // namespace

AdminHandler delegator_json_handler(DelegatorOptions options) {
  auto shared = std::make_shared<const DelegatorOptions>(std::move(options));
  return [shared](AdminRequest req) { return serve_delegation(shared, std::move(req)); };
}

AdminHandler bound_names_handler(std::function<std::vector<std::string>()> names) {
  return [names = std::move(names)](AdminRequest) {
    return serve_bound_names(names ? names() : std::vector<std::string>{});
  };
}

}  // namespace meshd::admin
