#include "meshd/naming/dtab_file.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "meshd/naming/generation.h"
#include "meshd/naming/interpreter.h"
#include "unit/naming/naming_test_util.h"

namespace meshd::naming {
namespace {

using testing::path;
using testing::show;

class DtabFileTest : public ::testing::Test {
 protected:
  void start(DtabFile::Options options = {}) {
    file_ = DtabFile::create(io_, dir_.path() / "dtab", options);
    file_->start();
  }

  void TearDown() override {
    if (file_) {
      file_->stop();
    }
  }

  std::string dtab() const { return file_->state()->dtab.show(); }
  std::string failure() const { return file_->state()->failure; }

  // Drives the control loop until `done` holds or 5 s pass.
  bool eventually(const std::function<bool()>& done) { return testing::run_until(io_, done); }

  // An `io.l5d.fs` interpreter over this file, without namers.
  std::string bind(std::string_view router_dtab, std::string_view p) {
    InterpreterOptions options;
    options.dtab_file = file_;
    const Interpreter interpreter(std::vector<NamerSharedPtr>{}, global_, options);
    return show(interpreter.bind(dtab::Dtab::read(router_dtab).value(), path(p)));
  }

  boost::asio::io_context io_;
  testing::TempDir dir_;
  DtabFileSharedPtr file_;
  GlobalNamer global_{InetResolver::create(io_)};
};

TEST_F(DtabFileTest, ReadsTheDtabAtStart) {
  dir_.write("dtab", "/svc => /$/inet/127.0.0.1/8080;\n# comment\n/web => /svc/web;\n");

  start();

  EXPECT_EQ(dtab(), "/svc=>/$/inet/127.0.0.1/8080;/web=>/svc/web");
  EXPECT_EQ(failure(), "");
  EXPECT_EQ(file_->file(), dir_.path() / "dtab");
}

TEST_F(DtabFileTest, InterpreterPrependsItToTheRouterDtab) {
  dir_.write("dtab", "/svc=>/$/inet/127.0.0.1/1;/svc/a=>/$/inet/127.0.0.1/2");
  start();
  InterpreterOptions options;
  options.dtab_file = file_;
  const Interpreter interpreter(std::vector<NamerSharedPtr>{}, global_, options);

  EXPECT_EQ(bind("", "/svc/a"), "/$/inet/127.0.0.1/2");
  EXPECT_EQ(bind("", "/svc/b"), "/$/inet/127.0.0.1/1");
  // The router dtab comes later, so it takes precedence.
  EXPECT_EQ(bind("/svc=>/$/inet/127.0.0.1/3", "/svc/a"), "/$/inet/127.0.0.1/3");
  EXPECT_EQ(interpreter.own_dtab().show(), "/svc=>/$/inet/127.0.0.1/1;/svc/a=>/$/inet/127.0.0.1/2");
}

TEST_F(DtabFileTest, PicksUpEditsAndBumpsTheGeneration) {
  dir_.write("dtab", "/svc=>/$/inet/127.0.0.1/1");
  start({std::chrono::hours(1)});  // inotify only: no periodic re-read during the test
  const std::uint64_t before = generation();

  dir_.write("dtab", "/svc=>/$/inet/127.0.0.1/2");

  ASSERT_TRUE(eventually([&] { return generation() != before; }));
  EXPECT_TRUE(eventually([&] { return bind("", "/svc") == "/$/inet/127.0.0.1/2"; }))
      << bind("", "/svc");
}

TEST_F(DtabFileTest, PicksUpAFileRenamedOverIt) {
  dir_.write("dtab", "/svc=>/$/inet/127.0.0.1/1");
  start({std::chrono::hours(1)});

  dir_.write(".dtab.tmp", "/svc=>/$/inet/127.0.0.1/2");
  std::filesystem::rename(dir_.path() / ".dtab.tmp", dir_.path() / "dtab");

  EXPECT_TRUE(eventually([&] { return dtab() == "/svc=>/$/inet/127.0.0.1/2"; })) << dtab();
}

TEST_F(DtabFileTest, BadEditKeepsTheLastGoodDtab) {
  dir_.write("dtab", "/svc=>/$/inet/127.0.0.1/1");
  start({std::chrono::hours(1)});

  dir_.write("dtab", "/svc=>/$/inet/127.0.0.1/2;/bad=");
  file_->reload();

  EXPECT_EQ(dtab(), "/svc=>/$/inet/127.0.0.1/1");
  EXPECT_EQ(failure(), "");
  EXPECT_EQ(bind("", "/svc"), "/$/inet/127.0.0.1/1");
  dir_.write("dtab", "/svc=>/$/inet/127.0.0.1/4");
  EXPECT_TRUE(eventually([&] { return dtab() == "/svc=>/$/inet/127.0.0.1/4"; })) << dtab();
}

TEST_F(DtabFileTest, NeverValidFileFailsBindingsNamingFileAndError) {
  dir_.write("dtab", "/svc=>");

  start({std::chrono::hours(1)});

  const std::string prefix = "dtabFile " + (dir_.path() / "dtab").string() + ": ";
  EXPECT_EQ(failure().rfind(prefix, 0), 0u) << failure();
  EXPECT_GT(failure().size(), prefix.size());
  EXPECT_EQ(bind("", "/svc/a"), "failed: " + failure());
  dir_.write("dtab", "/svc=>/$/inet/127.0.0.1/1");
  EXPECT_TRUE(eventually([&] { return bind("", "/svc") == "/$/inet/127.0.0.1/1"; }))
      << bind("", "/svc");
}

TEST_F(DtabFileTest, MissingFileIsTheEmptyDtab) {
  start({std::chrono::hours(1)});

  EXPECT_EQ(dtab(), "");
  EXPECT_EQ(failure(), "");
  EXPECT_EQ(bind("/svc=>/$/nil", "/svc"), "$");
  dir_.write("dtab", "/svc=>/$/fail");
  EXPECT_TRUE(eventually([&] { return dtab() == "/svc=>/$/fail"; })) << dtab();
  std::filesystem::remove(dir_.path() / "dtab");
  EXPECT_TRUE(eventually([&] { return dtab().empty(); })) << dtab();
}

TEST_F(DtabFileTest, PeriodicRereadFindsChangesWithoutEvents) {
  std::filesystem::remove_all(dir_.path());
  DtabFile::Options options;
  options.rescan_interval = std::chrono::milliseconds(50);
  start(options);  // the directory is missing: nothing to watch

  dir_.write("dtab", "/svc=>/$/nil");

  EXPECT_TRUE(eventually([&] { return dtab() == "/svc=>/$/nil"; })) << dtab();
}

}  // namespace
}  // namespace meshd::naming
