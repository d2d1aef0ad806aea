// client_state_json (src/router/client_state.cc): the `/client_state.json` document.

#include "meshd/router/client_state.h"

#include <gtest/gtest.h>

namespace meshd::router {
namespace {

dtab::AddrConstSharedPtr addr(dtab::Addr a) { return std::make_shared<const dtab::Addr>(a); }

TEST(ClientStateTest, EveryLiveClientWithItsState) {
  telemetry::Registry registry;
  RouterStats out(registry.scope({"rt", "outgoing"}));
  RouterStats in(registry.scope({"rt", "incoming"}));
  auto bound = out.clients.acquire("/#/io.l5d.fs/hello");
  bound->set_addr(addr(dtab::Addr::bound({{"127.0.0.2", 81, {}, 1}, {"::1", 80, {}, 1}})));
  auto neg = out.clients.acquire("/#/io.l5d.fs/gone");
  neg->set_addr(addr(dtab::Addr{dtab::Addr::Kind::Neg, {}, {}}));
  auto failed = in.clients.acquire("/#/io.l5d.fs/bad");
  failed->set_addr(addr(dtab::Addr::failed("bad:1: expected host port")));
  auto pending = in.clients.acquire("/$/inet/example.com/80");

  EXPECT_EQ(client_state_json({&out, &in}),
            R"({"/#/io.l5d.fs/gone":{"state":"neg"},)"
            R"("/#/io.l5d.fs/hello":{"state":"bound","addresses":["127.0.0.2:81","[::1]:80"]},)"
            R"("/#/io.l5d.fs/bad":{"state":"failed","error":"bad:1: expected host port"},)"
            R"("/$/inet/example.com/80":{"state":"pending"}})");
}

TEST(ClientStateTest, ReleasedClientsAreGone) {
  telemetry::Registry registry;
  RouterStats r(registry.scope({"rt", "r"}));
  r.clients.acquire("/#/io.l5d.fs/hello");  // released at once

  EXPECT_EQ(client_state_json({&r}), "{}");
}

}  // namespace
}  // namespace meshd::router
