#pragma once

#include <gtest/gtest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "meshd/config/load.h"
#include "meshd/core/asio.h"
#include "meshd/dtab/bind.h"
#include "meshd/dtab/dtab.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"
#include "meshd/http/body.h"
#include "meshd/http/message.h"
#include "meshd/router/router.h"
#include "testing/run.h"

// Helpers shared by the router tests: requests as the codec builds them, the shared bounded
// io_context driver (testing/run.h), a scripted BindFn, and the fixture wiring a RouterWorker and
// a ServerService.
namespace meshd::router::test {

using meshd::testing::run;
using meshd::testing::run_until;

using BoundTree = dtab::Activity<dtab::NameTree<dtab::BoundName>>;

/// Starts `task` on `io`; an exception escaping it fails the test (never a silent `detached`).
inline void spawn(asio::io_context& io, asio::awaitable<void> task) {
  asio::co_spawn(io, std::move(task), [](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        ADD_FAILURE() << "task failed: " << ex.what();
      }
    }
  });
}

/// A request as the HTTP/1 codec builds it: bodiless, from 127.0.0.1:5555, started now.
inline http::Request request(std::string method, std::string target,
                             std::vector<std::pair<std::string, std::string>> headers = {},
                             http::Version version = {1, 1}) {
  http::Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.version = version;
  for (const auto& [name, value] : headers) {
    req.headers.add(name, value);
  }
  req.body = std::make_unique<http::BufferBody>(std::string());
  req.ctx.remote = {asio::ip::make_address("127.0.0.1"), 5555};
  req.ctx.local = {asio::ip::make_address("127.0.0.1"), 4140};
  req.ctx.start = std::chrono::steady_clock::now();
  return req;
}

/// Calls `service` with `req` and stores the outcome in `*out`; both must outlive the call.
inline asio::awaitable<void> call_into(ServerService* service, http::Request req,
                                       std::optional<Result<http::Response>>* out) {
  auto rsp = co_await service->call(req);
  out->emplace(std::move(rsp));
}

/// Calls `service` with `req` as the HTTP/1 server connection does when the client goes away
/// after `after`: the call races a timer (instead of the client socket) and is cancelled when
/// the timer wins. Sets `*done` at the end; `service` and `done` must outlive the call.
inline asio::awaitable<void> call_abandoned(ServerService* service, http::Request req,
                                            std::chrono::milliseconds after, bool* done) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer client_gone(co_await asio::this_coro::executor, after);
  auto r = co_await (service->call(req) || client_gone.async_wait(asio::use_awaitable));
  EXPECT_EQ(r.index(), 1u) << "the call finished before the client left";
  *done = true;
}

/// Reads `body` to its end (a coroutine without captures, see the GCC 12 note in STYLE.md).
inline asio::awaitable<std::string> read_body(http::Body* body) {
  std::string out;
  auto r = co_await http::read_all(*body, out);
  EXPECT_TRUE(r.has_value()) << r.error().message();
  co_return out;
}

/// The whole body of `rsp`.
inline std::string body_of(asio::io_context& io, http::Response& rsp) {
  return run(io, read_body(rsp.body.get()));
}

/// Loads a one-router config whose router section gets `router_yaml` (indented lines such as
/// `  identifier: {kind: io.l5d.path}`) and returns that router. Fails the test when invalid.
inline config::RouterConfig router_config(const std::string& router_yaml) {
  std::string yaml =
      "routers:\n- protocol: http\n  label: r\n" + router_yaml + "  servers: [{port: 0}]\n";
  auto loaded = config::load(yaml, "t.yaml");
  std::string errors;
  for (const auto& e : loaded.errors) {
    errors += e.to_string() + "\n";
  }
  EXPECT_TRUE(loaded.ok()) << yaml << errors;
  if (!loaded.ok() || loaded.config.routers.empty()) {
    throw std::runtime_error("invalid test config");
  }
  return loaded.config.routers[0];
}

/// One call the router made to its BindFn.
struct BindCall {
  std::string dtab;  ///< `Dtab::show()` of what it received (base ++ local)
  std::string path;  ///< `Path::show()` of the logical name
};

/// A BindFn whose answer the test scripts, and which records every call.
struct FakeNaming {
  BoundTree answer = BoundTree::ok(dtab::NameTree<dtab::BoundName>::neg());
  std::vector<BindCall> calls;
  std::uint64_t generation = 0;
};

/// A `BindFn` backed by `naming`, which must outlive the router using it.
inline BindFn bind_fn(std::shared_ptr<FakeNaming> naming) {
  return [naming](const dtab::Dtab& d, const dtab::Path& p) {
    naming->calls.push_back({d.show(), p.show()});
    return naming->answer;
  };
}

/// A bound leaf `id` with address snapshot `addr`.
inline dtab::NameTree<dtab::BoundName> bound_leaf(std::string_view id, dtab::Addr addr,
                                                  std::string_view residual = "") {
  dtab::BoundName name;
  name.id = *dtab::Path::read(id);
  if (!residual.empty()) {
    name.residual = *dtab::Path::read(residual);
  }
  name.addr = std::make_shared<const dtab::Addr>(std::move(addr));
  return dtab::NameTree<dtab::BoundName>::leaf(std::move(name));
}

/// The bound leaf of `/$/inet/127.0.0.1/<port>`, with one address.
inline dtab::NameTree<dtab::BoundName> inet_leaf(std::uint16_t port,
                                                 std::string_view residual = "") {
  return bound_leaf("/$/inet/127.0.0.1/" + std::to_string(port),
                    dtab::Addr::bound({{"127.0.0.1", port, {}, 1.0}}), residual);
}

/// The router of label `r` on one worker, and one server of it, with a scripted BindFn. The
/// io_context is declared first so that it is destroyed last: coroutine frames still pending in
/// it (test backends) may own sockets.
class RouterFixture : public ::testing::Test {
 protected:
  /// Builds the worker and the server service; call again after changing `options_`/`settings_`.
  void build() {
    options_.label = "r";
    options_.bind = bind_fn(naming_);
    options_.generation = [naming = naming_] { return naming->generation; };
    if (options_.identifiers.empty()) {
      options_.identifiers = make_identifiers(router_config(""));
    }
    worker_ = std::make_unique<RouterWorker>(std::make_shared<const RouterOptions>(options_),
                                             router_stats_);
    service_ = std::make_unique<ServerService>(*worker_, settings_, server_stats_);
  }

  /// Sends `req` through the server service and returns its response (never an error here).
  http::Response call(http::Request req) {
    auto rsp = run(io_, service_->call(req));
    EXPECT_TRUE(rsp.has_value()) << rsp.error().message();
    if (!rsp) {
      throw std::runtime_error("no response");
    }
    return std::move(*rsp);
  }

  /// The value of the counter `rt/r/<path...>`.
  std::uint64_t counter(std::vector<std::string> path) {
    telemetry::Name name{"rt", "r"};
    name.insert(name.end(), path.begin(), path.end());
    return registry_.counter(name)->value();
  }

  asio::io_context io_;
  telemetry::Registry registry_;
  RouterStats router_stats_{registry_.scope({"rt", "r"})};
  ServerStats server_stats_{registry_.scope({"rt", "r", "server", "127.0.0.1/4140"})};
  std::shared_ptr<FakeNaming> naming_ = std::make_shared<FakeNaming>();
  RouterOptions options_;
  ServerSettings settings_;
  std::unique_ptr<RouterWorker> worker_;
  std::unique_ptr<ServerService> service_;
};

}  // namespace meshd::router::test
