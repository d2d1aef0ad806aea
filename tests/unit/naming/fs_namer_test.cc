#include "meshd/naming/fs_namer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "meshd/naming/generation.h"
#include "unit/naming/naming_test_util.h"

namespace meshd::naming {
namespace {

using dtab::Addr;
using testing::path;
using testing::show;
using Lookup = dtab::Activity<dtab::NameTree<dtab::Name>>;

class FsNamerTest : public ::testing::Test {
 protected:
  void start(FsNamer::Options options = {}) {
    namer_ = FsNamer::create(io_, dir_.path(), path("/#/io.l5d.fs"), nullptr, options);
    namer_->start();
  }

  void TearDown() override {
    if (namer_) {
      namer_->stop();
    }
  }

  Lookup lookup(std::string_view residual) const { return namer_->lookup(path(residual)); }

  // The addresses of a bound leaf as `host:port` strings, or the Addr state.
  std::string addrs(std::string_view residual) const {
    const Lookup l = lookup(residual);
    if (!l.is_ok() || l.value.kind() != dtab::NameTree<dtab::Name>::Kind::Leaf) {
      return show(l);
    }
    return testing::show_addr(*l.value.value().as_bound()->addr);
  }

  bool eventually(const std::function<bool()>& done) { return testing::run_until(io_, done); }

  boost::asio::io_context io_;
  testing::TempDir dir_;
  FsNamerSharedPtr namer_;
};

TEST_F(FsNamerTest, BindsOneFilePerServiceWithResidual) {
  dir_.write("web", "127.0.0.1 8080\n127.0.0.2 8081 * 0.5\n");
  start();

  const Lookup l = lookup("/web/a/b");

  ASSERT_TRUE(l.is_ok());
  const dtab::BoundName& b = *l.value.value().as_bound();
  EXPECT_EQ(b.id, path("/#/io.l5d.fs/web"));
  EXPECT_EQ(b.residual, path("/a/b"));
  EXPECT_EQ(addrs("/web"), "127.0.0.1:8080,127.0.0.2:8081");
  EXPECT_EQ(b.addr->addresses[1].weight, 0.5);
  EXPECT_EQ(namer_->prefix(), path("/#/io.l5d.fs"));
}

TEST_F(FsNamerTest, MissingFilesAndDirectoriesAreNeg) {
  dir_.write("web", "127.0.0.1 8080\n");
  dir_.write("team/api", "127.0.0.1 9000\n");
  start();

  EXPECT_EQ(show(lookup("/nope")), "~");
  EXPECT_EQ(show(lookup("/")), "~");
  EXPECT_EQ(show(lookup("/team")), "~");
  EXPECT_EQ(show(lookup("/team/nope/x")), "~");
  EXPECT_EQ(show(lookup("/web/x")), "/#/io.l5d.fs/web");
  EXPECT_EQ(show(lookup("/team/api/v1")), "/#/io.l5d.fs/team/api");
  EXPECT_EQ(lookup("/team/api/v1").value.value().as_bound()->residual, path("/v1"));
}

TEST_F(FsNamerTest, BadLineFailsTheFileNamingFileAndLine) {
  dir_.write("web", "127.0.0.1 8080\n127.0.0.1 99999\n");
  start();

  EXPECT_EQ(addrs("/web"), "failed: " + (dir_.path() / "web").string() +
                               ":2: invalid port \"99999\" (expected 1-65535)");
}

TEST_F(FsNamerTest, EmptyFileBindsNoAddresses) {
  dir_.write("web", "# none yet\n");
  start();

  EXPECT_EQ(addrs("/web"), "");
  EXPECT_EQ(lookup("/web").value.value().as_bound()->addr->kind, Addr::Kind::Bound);
}

TEST_F(FsNamerTest, PicksUpModifiedCreatedAndDeletedFiles) {
  dir_.write("web", "127.0.0.1 8080\n");
  start({std::chrono::hours(1)});  // inotify only: no periodic rescan during the test
  const std::uint64_t before = generation();

  dir_.write("web", "127.0.0.1 8081\n");
  ASSERT_TRUE(eventually([&] { return addrs("/web") == "127.0.0.1:8081"; })) << addrs("/web");
  dir_.write("api", "127.0.0.1 9000\n");
  ASSERT_TRUE(eventually([&] { return addrs("/api") == "127.0.0.1:9000"; })) << addrs("/api");
  std::filesystem::remove(dir_.path() / "web");
  ASSERT_TRUE(eventually([&] { return show(lookup("/web")) == "~"; }));
  dir_.write("sub/deep", "127.0.0.1 7000\n");
  ASSERT_TRUE(eventually([&] { return addrs("/sub/deep") == "127.0.0.1:7000"; }));
  dir_.write("sub/deep", "127.0.0.1 7001\n");
  ASSERT_TRUE(eventually([&] { return addrs("/sub/deep") == "127.0.0.1:7001"; }));

  EXPECT_NE(generation(), before);
}

TEST_F(FsNamerTest, PicksUpFilesReplacedByRename) {
  dir_.write("web", "127.0.0.1 8080\n");
  start({std::chrono::hours(1)});

  dir_.write(".web.tmp", "127.0.0.1 8082\n");
  std::filesystem::rename(dir_.path() / ".web.tmp", dir_.path() / "web");

  EXPECT_TRUE(eventually([&] { return addrs("/web") == "127.0.0.1:8082"; })) << addrs("/web");
}

TEST_F(FsNamerTest, PeriodicRescanFindsChangesWithoutEvents) {
  std::filesystem::remove_all(dir_.path());
  FsNamer::Options options;
  options.rescan_interval = std::chrono::milliseconds(50);
  start(options);  // the root is missing: nothing to watch yet

  EXPECT_EQ(show(lookup("/web")), "~");
  dir_.write("web", "127.0.0.1 8080\n");

  EXPECT_TRUE(eventually([&] { return addrs("/web") == "127.0.0.1:8080"; }));
}

TEST_F(FsNamerTest, ResolvesHostnamesAsynchronously) {
  dir_.write("web", "localhost 8080\n10.0.0.1 8081\n");
  dir_.write("solo", "localhost 8080\n");
  start();

  const std::string first = addrs("/solo");
  const bool resolved = eventually([&] { return addrs("/solo") != "pending"; });

  EXPECT_EQ(first, "pending");
  ASSERT_TRUE(resolved);
  EXPECT_NE(addrs("/solo").find(":8080"), std::string::npos) << addrs("/solo");
  EXPECT_NE(addrs("/web").find("10.0.0.1:8081"), std::string::npos) << addrs("/web");
}

TEST_F(FsNamerTest, LookupIsSafeFromWorkerThreadsWhileFilesChange) {
  dir_.write("web", "127.0.0.1 8080\n");
  dir_.write("dns", "localhost 8080\n");
  start();
  std::atomic<bool> done{false};
  std::atomic<int> bound{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 2; ++i) {
    workers.emplace_back([&] {
      while (!done.load()) {
        const Lookup web = lookup("/web");
        const Lookup dns = lookup("/dns");
        if (web.is_ok() && dns.is_ok() &&
            web.value.kind() == dtab::NameTree<dtab::Name>::Kind::Leaf) {
          bound.fetch_add(1);
        }
      }
    });
  }

  bool all_seen = true;
  for (int port = 8081; port <= 8085; ++port) {
    const std::string expected = "127.0.0.1:" + std::to_string(port);
    dir_.write("web", expected.substr(0, 9) + " " + std::to_string(port) + "\n");
    all_seen = all_seen && eventually([&] { return addrs("/web") == expected; });
  }
  done.store(true);
  for (auto& t : workers) {
    t.join();
  }

  EXPECT_TRUE(all_seen);
  EXPECT_GT(bound.load(), 0);
}

TEST_F(FsNamerTest, EnumeratesOneIdPerFile) {
  dir_.write("web", "127.0.0.1 8080\n");
  dir_.write("team/api", "127.0.0.1 9000\n");
  dir_.write(".hidden/x", "127.0.0.1 9001\n");
  start();

  const std::vector<dtab::Path> ids = namer_->enumerate();

  EXPECT_EQ(ids,
            (std::vector<dtab::Path>{path("/#/io.l5d.fs/team/api"), path("/#/io.l5d.fs/web")}));
}

TEST_F(FsNamerTest, StopKeepsServingTheLastSnapshot) {
  dir_.write("web", "127.0.0.1 8080\n");
  start();

  namer_->stop();
  dir_.write("web", "127.0.0.1 9999\n");
  io_.restart();
  io_.run_for(std::chrono::milliseconds(50));

  EXPECT_EQ(addrs("/web"), "127.0.0.1:8080");
}

}  // namespace
}  // namespace meshd::naming
