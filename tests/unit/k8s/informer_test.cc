#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "meshd/k8s/api_client.h"
#include "unit/k8s/fake_apiserver_process.h"

// The informer against the fake kube-apiserver: api.md §6.6 items 1–7 (item 8, auth, is in
// api_client_test.cc). Objects are ConfigMaps in "default"; the informer watches that namespace.

namespace meshd::k8s {
namespace {

using namespace std::chrono_literals;
using testing::config_map;
using testing::FakeApiServer;
using testing::is_watch;
using testing::param;

constexpr std::string_view kPath = "/api/v1/namespaces/default/configmaps";

class InformerTest : public ::testing::Test {
 protected:
  void start_fake(std::vector<std::string> args = {}) {
    fake_ = std::make_unique<FakeApiServer>(std::move(args));
  }

  ApiConfig config() const {
    ApiConfig config;
    config.host = "127.0.0.1";
    config.port = fake_->port();
    config.request_timeout = 2s;
    config.watch_idle_timeout = 5s;
    config.watch_timeout = 60s;
    config.backoff_min = 20ms;
    config.backoff_max = 200ms;
    return config;
  }

  void start(ApiConfig config, std::string label_selector = "") {
    client_ = ApiClient::create(io_, std::move(config), registry_, {"k8s"});
    informer_ = client_->informer(ResourceRef{"/api/v1", "configmaps", "default", label_selector});
    ASSERT_NE(informer_, nullptr);
    subscription_ = informer_->subscribe([this] { ++changes_; });
  }
  void start() { start(config()); }

  /// Starts and waits for the first list and the watch after it.
  void start_synced(ApiConfig config) {
    start(std::move(config));
    ASSERT_TRUE(eventually([&] { return informer_->synced(); }));
    ASSERT_TRUE(eventually([&] { return watches().size() == 1 && fake_->open_watches() == 1; }));
  }
  void start_synced() { start_synced(config()); }

  bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    return testing::eventually(io_, done, limit);
  }

  /// `data.k` of `default/<name>` in the store, or "-" when absent.
  std::string value(const std::string& name) const {
    auto store = informer_->store();
    auto it = store->find("default/" + name);
    if (it == store->end()) {
      return "-";
    }
    return std::string(it->second->at("data").as_object().at("k").as_string());
  }

  /// The logged list (non-watch) and watch requests of the collection.
  std::vector<boost::json::object> lists() { return filter(false); }
  std::vector<boost::json::object> watches() { return filter(true); }
  std::vector<boost::json::object> filter(bool watch) {
    std::vector<boost::json::object> out;
    for (auto& e : testing::requests_to(fake_->requests(), kPath)) {
      if (is_watch(e) == watch) {
        out.push_back(std::move(e));
      }
    }
    return out;
  }

  std::uint64_t counter(std::string group, std::string name) {
    return registry_.counter({"k8s", std::move(group), std::move(name)})->value();
  }

  void TearDown() override {
    if (client_) {
      client_->stop();
    }
  }

  telemetry::Registry registry_;
  asio::io_context io_;
  std::unique_ptr<FakeApiServer> fake_;
  ApiClientSharedPtr client_;
  InformerSharedPtr informer_;
  std::shared_ptr<void> subscription_;
  int changes_ = 0;
};

// §6.6.1: LIST, then WATCH from the list's resourceVersion with bookmarks.
TEST_F(InformerTest, ListsThenWatchesFromTheListResourceVersion) {
  start_fake();
  fake_->put(config_map("default", "a", "1"));
  fake_->put(config_map("default", "b", "2"));
  fake_->put(config_map("other", "c", "3"));
  const std::string rv = fake_->resource_version();

  start_synced();

  EXPECT_EQ(informer_->store()->size(), 2u);
  EXPECT_EQ(value("a"), "1");
  EXPECT_EQ(value("b"), "2");
  EXPECT_EQ(informer_->last_error(), "");
  EXPECT_EQ(changes_, 1);
  // The watch starts after the synced list: under load it may come a moment later.
  ASSERT_TRUE(eventually([&] {
    return fake_->requests().size() >= 2 &&
           registry_.gauge({"k8s", "watch", "active"})->value() == 1.0;
  }));
  auto log = fake_->requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_FALSE(is_watch(log[0].as_object()));
  const auto& watch = log[1].as_object();
  EXPECT_TRUE(is_watch(watch));
  EXPECT_EQ(param(watch, "resourceVersion"), rv);
  EXPECT_EQ(param(watch, "allowWatchBookmarks"), "true");
  EXPECT_EQ(param(watch, "timeoutSeconds"), "60");
  EXPECT_EQ(counter("watch", "started"), 1u);
  EXPECT_EQ(registry_.gauge({"k8s", "watch", "active"})->value(), 1.0);
}

// §6.6.2: ADDED/MODIFIED upsert, DELETED removes, each one notification.
TEST_F(InformerTest, AppliesAddedModifiedAndDeletedEvents) {
  start_fake();
  fake_->put(config_map("default", "a", "1"));
  start_synced();
  const int before = changes_;

  fake_->put(config_map("default", "b", "2"));
  ASSERT_TRUE(eventually([&] { return value("b") == "2"; }));
  fake_->put(config_map("default", "a", "changed"));
  ASSERT_TRUE(eventually([&] { return value("a") == "changed"; }));
  fake_->remove("v1/configmaps/default/b");
  ASSERT_TRUE(eventually([&] { return value("b") == "-"; }));

  EXPECT_EQ(informer_->store()->size(), 1u);
  EXPECT_EQ(changes_ - before, 3);
  EXPECT_EQ(counter("watch", "events"), 3u);
  EXPECT_EQ(lists().size(), 1u);
}

// The selector goes URL-encoded on list and watch; an object leaving it is DELETED.
TEST_F(InformerTest, SendsTheLabelSelectorAndDropsObjectsLeavingIt) {
  start_fake();
  fake_->put(config_map("default", "a", "1", R"({"app":"web"})"));
  fake_->put(config_map("default", "b", "2", R"({"app":"db"})"));
  start(config(), "app=web");
  ASSERT_TRUE(eventually([&] { return informer_->synced() && watches().size() == 1; }));
  EXPECT_EQ(value("a"), "1");
  EXPECT_EQ(value("b"), "-");

  fake_->put(config_map("default", "a", "1", R"({"app":"other"})"));
  ASSERT_TRUE(eventually([&] { return value("a") == "-"; }));

  auto log = fake_->requests();
  for (const auto& e : log) {
    EXPECT_EQ(param(e.as_object(), "labelSelector"), "app=web");
    EXPECT_NE(std::string(e.at("query").as_string()).find("labelSelector=app%3Dweb"),
              std::string::npos);
  }
}

// §6.6.2: BOOKMARK moves the resourceVersion and changes nothing; the next watch resumes there.
TEST_F(InformerTest, BookmarkMovesTheResourceVersionWithoutAChange) {
  start_fake({"--bookmark-interval", "0.1"});
  fake_->put(config_map("default", "a", "1"));
  start_synced();
  const auto store = informer_->store();
  const int before = changes_;
  fake_->put(config_map("other", "x", "1"));  // moves the global rv; invisible to the watch
  const std::string rv = fake_->resource_version();
  const auto bookmarks = counter("watch", "bookmarks");

  ASSERT_TRUE(eventually([&] { return counter("watch", "bookmarks") > bookmarks + 1; }));
  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return watches().size() == 2; }));

  EXPECT_EQ(informer_->store(), store);
  EXPECT_EQ(changes_, before);
  EXPECT_EQ(param(watches()[1], "resourceVersion"), rv);
  EXPECT_EQ(lists().size(), 1u);
}

// §6.6.3: a clean end resumes from the last event's resourceVersion, without a relist.
TEST_F(InformerTest, CleanCloseResumesFromTheLastResourceVersionWithoutRelisting) {
  start_fake();
  start_synced();
  fake_->put(config_map("default", "a", "1"));
  ASSERT_TRUE(eventually([&] { return value("a") == "1"; }));
  const std::string rv = fake_->resource_version();

  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return watches().size() == 2 && fake_->open_watches() == 1; }));
  fake_->put(config_map("default", "a", "2"));
  ASSERT_TRUE(eventually([&] { return value("a") == "2"; }));

  EXPECT_EQ(param(watches()[1], "resourceVersion"), rv);
  EXPECT_EQ(lists().size(), 1u);
  EXPECT_EQ(counter("watch", "reconnects"), 1u);
  EXPECT_EQ(counter("watch", "relists"), 0u);
}

/// Deletes b and adds c while the informer is cut off, then forgets history, so the resume gets
/// a 410 and only a relist can learn that b is gone.
void change_while_disconnected(FakeApiServer& fake) {
  fake.outage(true);
  fake.remove("v1/configmaps/default/b");
  fake.put(config_map("default", "c", "3"));
  fake.compact();
}

// §6.6.4, the modern shape: HTTP 200 then an ERROR event with code 410 (reason Expired).
TEST_F(InformerTest, ExpiredResourceVersionRelistsAndReplacesTheStore) {
  start_fake();
  fake_->put(config_map("default", "a", "1"));
  fake_->put(config_map("default", "b", "2"));
  start_synced();

  change_while_disconnected(*fake_);
  ASSERT_TRUE(eventually([&] { return !informer_->last_error().empty(); }));
  EXPECT_EQ(value("b"), "2");  // kept while disconnected
  fake_->outage(false);
  ASSERT_TRUE(eventually([&] { return value("c") == "3"; }));

  EXPECT_EQ(value("b"), "-");
  EXPECT_EQ(value("a"), "1");
  EXPECT_EQ(informer_->store()->size(), 2u);
  EXPECT_EQ(counter("watch", "gone"), 1u);
  EXPECT_EQ(counter("watch", "relists"), 1u);
  EXPECT_EQ(lists().size(), 2u);
  ASSERT_TRUE(eventually([&] { return fake_->open_watches() == 1; }));
  auto w = watches();
  EXPECT_EQ(param(w.back(), "resourceVersion"), fake_->resource_version());
  EXPECT_EQ(informer_->last_error(), "");
}

// §6.6.4, the older shape: HTTP 410 with a Status body.
TEST_F(InformerTest, Http410RelistsAndReplacesTheStore) {
  start_fake();
  fake_->put(config_map("default", "a", "1"));
  fake_->put(config_map("default", "b", "2"));
  start_synced();
  fake_->fault(R"({"path": "watch=true", "status": 410})");
  fake_->remove("v1/configmaps/default/b");
  fake_->compact();

  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return lists().size() == 2 && informer_->store()->size() == 1; }));

  EXPECT_EQ(value("b"), "-");
  EXPECT_EQ(counter("watch", "gone"), 1u);
}

// §6.6.4, an ERROR event with code 410 but reason Gone; and an ERROR event with another code.
TEST_F(InformerTest, ErrorEventsRelist) {
  start_fake();
  fake_->put(config_map("default", "a", "1"));
  start_synced();
  fake_->fault(R"({"path": "watch=true", "gone_event": true})");
  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return lists().size() == 2; }));
  fake_->fault(
      R"({"path": "watch=true", "error_event": {"code": 500, "reason": "InternalError"}})");
  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return lists().size() == 3 && fake_->open_watches() == 1; }));

  EXPECT_EQ(counter("watch", "gone"), 1u);
  EXPECT_EQ(counter("watch", "relists"), 2u);
  EXPECT_EQ(value("a"), "1");
  EXPECT_TRUE(informer_->synced());
}

// §6.6.5: a dropped connection resumes from the last resourceVersion (no relist) with the
// backoff, and the store stays as it was meanwhile.
TEST_F(InformerTest, DroppedWatchResumesAndKeepsTheStore) {
  start_fake();
  fake_->put(config_map("default", "a", "1"));
  start_synced();
  const auto store = informer_->store();
  fake_->fault(R"({"path": "watch=true", "drop_after_events": 0, "count": 3})");

  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return watches().size() == 5 && fake_->open_watches() == 1; }));

  EXPECT_EQ(informer_->store(), store);
  EXPECT_EQ(lists().size(), 1u);
  EXPECT_EQ(counter("watch", "errors"), 3u);
  EXPECT_EQ(counter("watch", "relists"), 0u);
  auto w = watches();
  EXPECT_EQ(param(w[4], "resourceVersion"), param(w[1], "resourceVersion"));
}

// §6.6.5: an event cut in the middle: resume (the event is replayed), no relist.
TEST_F(InformerTest, MidEventCutResumesAndReplaysTheEvent) {
  start_fake();
  start_synced();
  fake_->fault(R"({"path": "watch=true", "drop_mid_event": true})");
  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return watches().size() == 2 && fake_->open_watches() == 1; }));

  fake_->put(config_map("default", "a", "1"));
  ASSERT_TRUE(eventually([&] { return value("a") == "1"; }));

  EXPECT_EQ(watches().size(), 3u);
  EXPECT_EQ(lists().size(), 1u);
  EXPECT_EQ(counter("watch", "errors"), 1u);
}

// §6.6.5: a truncated event followed by a close is a cut, not a parse error.
TEST_F(InformerTest, TruncatedEventThenCloseResumes) {
  start_fake();
  fake_->put(config_map("default", "a", "1"));
  start_synced();
  fake_->fault(R"({"path": "watch=true", "malformed_json": true})");

  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return watches().size() == 3 && fake_->open_watches() == 1; }));

  EXPECT_EQ(value("a"), "1");
  EXPECT_EQ(lists().size(), 1u);
}

// Bytes that are not JSON cannot be trusted to have been applied: relist.
TEST_F(InformerTest, NonJsonWatchBodyRelists) {
  start_fake();
  fake_->put(config_map("default", "a", "1"));
  start_synced();
  fake_->fault(R"({"path": "watch=true", "non_json": true})");

  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return lists().size() == 2 && fake_->open_watches() == 1; }));

  EXPECT_EQ(value("a"), "1");
  EXPECT_EQ(counter("watch", "relists"), 1u);
}

// Events split over several chunks, or several to a chunk, apply the same.
TEST_F(InformerTest, SplitAndCoalescedEventsApply) {
  start_fake();
  start_synced();
  fake_->fault(R"({"path": "watch=true", "split_events": 4})");
  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return watches().size() == 2 && fake_->open_watches() == 1; }));

  fake_->control("PUT", "/_fake/objects",
                 "{\"objects\":[" + config_map("default", "a", "1") + "," +
                     config_map("default", "b", "2") + "," + config_map("default", "c", "3") +
                     "]}");
  ASSERT_TRUE(eventually([&] { return informer_->store()->size() == 3; }));

  EXPECT_EQ(value("c"), "3");
  EXPECT_EQ(counter("watch", "events"), 3u);
}

// §6.6.5: 503s retry with the backoff; the store is kept and last_error says why.
TEST_F(InformerTest, ServiceUnavailableRetriesAndKeepsTheStore) {
  start_fake();
  fake_->put(config_map("default", "a", "1"));
  start_synced();
  fake_->fault(R"({"path": "watch=true", "status": 503, "count": 2, "retry_after": 0})");

  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return watches().size() == 4 && fake_->open_watches() == 1; }));

  EXPECT_EQ(value("a"), "1");
  EXPECT_EQ(lists().size(), 1u);
  EXPECT_EQ(registry_.counter({"k8s", "client", "status", "503"})->value(), 2u);
}

// A server that goes away entirely: the last store is served, then everything recovers.
TEST_F(InformerTest, OutageKeepsTheStoreAndRecovers) {
  start_fake();
  fake_->put(config_map("default", "a", "1"));
  start_synced();

  fake_->outage(true);
  ASSERT_TRUE(eventually([&] { return !informer_->last_error().empty(); }));
  EXPECT_TRUE(informer_->synced());
  EXPECT_EQ(value("a"), "1");
  fake_->outage(false);
  fake_->put(config_map("default", "a", "2"));
  ASSERT_TRUE(eventually([&] { return value("a") == "2"; }));

  EXPECT_EQ(lists().size(), 1u);
  EXPECT_EQ(informer_->last_error(), "");
}

// §6.6.6: under a persistent 503 the request rate stays bounded by the backoff.
TEST_F(InformerTest, PersistentFailureKeepsTheRequestRateBounded) {
  start_fake();
  fake_->fault(R"({"path": "configmaps", "status": 503, "count": -1, "retry_after": 0})");
  auto c = config();
  c.backoff_min = 20ms;
  c.backoff_max = 100ms;
  start(c);

  testing::run_for(io_, 1000ms);

  // Delays are ≥ 20 ms and reach [20, 100] ms after three tries: about 60 ms on average.
  const auto n = lists().size();
  EXPECT_GE(n, 5u);
  EXPECT_LE(n, 30u);
  EXPECT_FALSE(informer_->synced());
  EXPECT_NE(informer_->last_error().find("503 Service Unavailable"), std::string::npos)
      << informer_->last_error();
}

// §6.6.6: Retry-After (1 s here) is honoured up to backoff_max.
TEST_F(InformerTest, HonoursRetryAfter) {
  start_fake();
  fake_->fault(R"({"path": "configmaps", "status": 503, "retry_after": 1})");
  auto c = config();
  c.backoff_max = 2s;
  start(c);

  ASSERT_TRUE(eventually([&] { return informer_->synced(); }, 5s));

  auto l = lists();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_GE(l[1].at("time").as_double() - l[0].at("time").as_double(), 0.9);
}

// A first list refused: not synced, last_error names the resource and the status, then it syncs.
TEST_F(InformerTest, ReportsTheErrorUntilTheFirstListSucceeds) {
  start_fake();
  fake_->fault(R"({"path": "configmaps", "status": 403, "count": 3})");
  start();

  ASSERT_TRUE(eventually([&] { return !informer_->last_error().empty(); }));
  EXPECT_FALSE(informer_->synced());
  EXPECT_NE(
      informer_->last_error().find(
          "GET /api/v1/namespaces/default/configmaps: 403 Forbidden: configmaps is forbidden"),
      std::string::npos)
      << informer_->last_error();
  ASSERT_TRUE(eventually([&] { return informer_->synced(); }));
  EXPECT_EQ(informer_->last_error(), "");
  EXPECT_EQ(changes_, 1);
}

// A watch that goes silent (no events, no bookmarks) is closed after watch_idle_timeout and
// resumed from the same resourceVersion.
TEST_F(InformerTest, IdleWatchIsResumed) {
  start_fake();
  auto c = config();
  c.watch_idle_timeout = 300ms;
  fake_->fault(R"({"path": "watch=true", "stall": true})");
  start(c);

  ASSERT_TRUE(eventually([&] { return watches().size() == 2; }));

  EXPECT_EQ(lists().size(), 1u);
  EXPECT_EQ(param(watches()[1], "resourceVersion"), param(watches()[0], "resourceVersion"));
}

// §6.6.7: nothing depends on resourceVersions being numbers.
TEST_F(InformerTest, OpaqueResourceVersionsWork) {
  start_fake({"--opaque-rv"});
  fake_->put(config_map("default", "a", "1"));
  fake_->put(config_map("default", "b", "2"));
  start_synced();
  EXPECT_FALSE(std::isdigit(static_cast<unsigned char>(fake_->resource_version()[0])));

  fake_->put(config_map("default", "a", "2"));
  ASSERT_TRUE(eventually([&] { return value("a") == "2"; }));
  fake_->close_watches();
  ASSERT_TRUE(eventually([&] { return watches().size() == 2 && fake_->open_watches() == 1; }));
  fake_->put(config_map("default", "a", "3"));
  ASSERT_TRUE(eventually([&] { return value("a") == "3"; }));
  change_while_disconnected(*fake_);
  fake_->outage(false);
  ASSERT_TRUE(eventually([&] { return value("c") == "3" && value("b") == "-"; }));

  EXPECT_EQ(lists().size(), 2u);
  EXPECT_EQ(counter("watch", "gone"), 1u);
}

/// Serves `responses` to successive connections, recording each request head; the connection
/// of the last response stays open until the client closes it.
struct Script {
  std::vector<std::string> responses;
  std::vector<std::string> heads;
};

asio::awaitable<void> scripted_server(asio::ip::tcp::acceptor& acceptor,
                                      std::shared_ptr<Script> script) {
  for (std::size_t i = 0; i < script->responses.size(); ++i) {
    auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
    if (ec) {
      co_return;
    }
    std::string head;
    char buf[1024];
    while (head.find("\r\n\r\n") == std::string::npos) {
      auto [rec, n] = co_await socket.async_read_some(asio::buffer(buf), use_nothrow);
      if (rec) {
        co_return;
      }
      head.append(buf, n);
    }
    script->heads.push_back(head);
    auto [wec, wn] =
        co_await asio::async_write(socket, asio::buffer(script->responses[i]), use_nothrow);
    (void)wn;
    while (!wec && i + 1 == script->responses.size()) {
      auto [rec, n] = co_await socket.async_read_some(asio::buffer(buf), use_nothrow);
      (void)n;
      wec = rec;
    }
  }
}

std::string chunk(std::string_view data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + std::string(data) + "\r\n";
}

// §6.6.2: an event type the informer does not know is logged and skipped; the stream goes on.
TEST_F(InformerTest, UnknownEventTypesAreIgnored) {
  asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
  const std::string list =
      R"({"kind":"ConfigMapList","metadata":{"resourceVersion":"10"},"items":[]})";
  auto script = std::make_shared<Script>();
  script->responses = {
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(list.size()) + "\r\n\r\n" + list,
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
          chunk(R"({"type":"FOO","object":{"metadata":{"name":"x","namespace":"default"}}})"
                "\n") +
          chunk(R"({"type":"ADDED","object":{"metadata":{"name":"a","namespace":"default",)"
                R"("resourceVersion":"11"},"data":{"k":"1"}}})"
                "\n")};
  asio::co_spawn(io_, scripted_server(acceptor, script), asio::detached);
  ApiConfig c;
  c.host = "127.0.0.1";
  c.port = acceptor.local_endpoint().port();

  start(c);
  ASSERT_TRUE(eventually([&] { return value("a") == "1"; }));

  EXPECT_EQ(informer_->store()->size(), 1u);
  ASSERT_EQ(script->heads.size(), 2u);
  EXPECT_NE(script->heads[1].find("resourceVersion=10&"), std::string::npos) << script->heads[1];
  EXPECT_EQ(counter("watch", "relists"), 0u);
}

// stop() ends the watch, and no callback runs after it.
TEST_F(InformerTest, StopEndsTheWatchAndTheCallbacks) {
  start_fake();
  start_synced();
  const int before = changes_;

  client_->stop();
  fake_->put(config_map("default", "a", "1"));
  testing::eventually(io_, [&] { return fake_->open_watches() == 0; });

  EXPECT_EQ(fake_->open_watches(), 0);
  EXPECT_EQ(changes_, before);
  EXPECT_EQ(registry_.gauge({"k8s", "watch", "active"})->value(), 0.0);
}

// A dropped subscription handle is not called any more.
TEST_F(InformerTest, DroppingTheHandleUnsubscribes) {
  start_fake();
  start_synced();
  int other = 0;
  auto handle = informer_->subscribe([&] { ++other; });

  fake_->put(config_map("default", "a", "1"));
  ASSERT_TRUE(eventually([&] { return other == 1; }));
  handle.reset();
  fake_->put(config_map("default", "b", "1"));
  ASSERT_TRUE(eventually([&] { return value("b") == "1"; }));

  EXPECT_EQ(other, 1);
}

}  // namespace
}  // namespace meshd::k8s
