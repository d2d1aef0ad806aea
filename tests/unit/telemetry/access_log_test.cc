#include "meshd/telemetry/access_log.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "testing/temp_dir.h"

namespace meshd::telemetry {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return std::chrono::sys_days{std::chrono::year{y} / mo / d} + std::chrono::hours(h) +
         std::chrono::minutes(mi) + std::chrono::seconds(s);
}

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::set<std::string> files_in(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

// A clock the test sets; shared with the log's writer thread.
struct ManualClock {
  std::shared_ptr<std::atomic<system_clock::time_point>> now =
      std::make_shared<std::atomic<system_clock::time_point>>();

  void set(system_clock::time_point t) { now->store(t); }
  AccessLog::Clock function() const {
    return [now = now] { return now->load(); };
  }
};

// Every test runs in TZ=UTC0 (the log's times are local), restored afterwards.
class AccessLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) {
      saved_tz_ = tz;
    }
    set_tz("UTC0");
  }
  void TearDown() override {
    if (saved_tz_) {
      setenv("TZ", saved_tz_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  static void set_tz(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }

  AccessLogSharedPtr open(AccessLog::Options options) {
    std::string error;
    auto log = AccessLog::open(std::move(options), &error);
    EXPECT_TRUE(log.has_value()) << error;
    return log.has_value() ? *log : nullptr;
  }

  testing::TempDir dir_;
  std::string path_ = dir_.file("access.log");
  ManualClock clock_;

 private:
  std::optional<std::string> saved_tz_;
};

AccessLogEntry full_entry() {
  AccessLogEntry e;
  e.host = "hello";
  e.remote_host = "10.0.0.1";
  e.method = "get";
  e.uri = "/path?q=1";
  e.version = "HTTP/1.1";
  e.status = 200;
  e.content_length = 12;
  e.referer = "http://r/";
  e.user_agent = "curl/8.0";
  e.time = utc(2024, 3, 10, 13, 5, 9) + 250ms;
  return e;
}

TEST_F(AccessLogTest, FormatsLinkerdsLine) {
  EXPECT_EQ(format_access_line(full_entry()),
            "hello 10.0.0.1 - - [10/03/2024:13:05:09 UTC] \"GET /path?q=1 HTTP/1.1\" 200 12 "
            "\"http://r/\" \"curl/8.0\"");
}

TEST_F(AccessLogTest, FormatsMissingFieldsAsDashes) {
  AccessLogEntry e = full_entry();
  e.host.clear();
  e.content_length.reset();
  e.referer.clear();
  e.user_agent.clear();
  e.status = 502;

  EXPECT_EQ(format_access_line(e),
            "- 10.0.0.1 - - [10/03/2024:13:05:09 UTC] \"GET /path?q=1 HTTP/1.1\" 502 - \"-\" "
            "\"-\"");
}

TEST_F(AccessLogTest, FormatsTheTimeInTheLocalZone) {
  set_tz("CET-1CEST,M3.5.0,M10.5.0/3");
  AccessLogEntry winter = full_entry();
  AccessLogEntry summer = full_entry();
  summer.time = utc(2024, 7, 1, 22, 30, 0);

  EXPECT_NE(format_access_line(winter).find("[10/03/2024:14:05:09 CET]"), std::string::npos);
  EXPECT_NE(format_access_line(summer).find("[02/07/2024:00:30:00 CEST]"), std::string::npos);
}

TEST_F(AccessLogTest, EscapesControlCharactersSoALineStaysOneLine) {
  AccessLogEntry e = full_entry();
  e.user_agent = "evil\n127.0.0.1 forged\x7f";

  EXPECT_EQ(format_access_line(e).substr(format_access_line(e).rfind(" \"")),
            " \"evil\\x0a127.0.0.1 forged\\x7f\"");
}

struct PolicyCase {
  std::string text;
  std::optional<RollPolicy> want;
  std::string error;  // expected message when `want` is empty
};

TEST(ParseRollPolicy, AcceptsLinkerdsPolicies) {
  using K = RollPolicy::Kind;
  const std::vector<PolicyCase> cases = {
      {"never", RollPolicy{}, ""},
      {"Never", RollPolicy{}, ""},
      {"HOURLY", RollPolicy{.kind = K::hourly}, ""},
      {"daily", RollPolicy{.kind = K::daily}, ""},
      {"weekly(1)", RollPolicy{.kind = K::weekly, .day_of_week = 0}, ""},
      {"Weekly(7)", RollPolicy{.kind = K::weekly, .day_of_week = 6}, ""},
      {"1.byte", RollPolicy{.kind = K::max_size, .max_bytes = 1}, ""},
      {"100.kilobytes", RollPolicy{.kind = K::max_size, .max_bytes = 100 << 10}, ""},
      {"3.megabytes", RollPolicy{.kind = K::max_size, .max_bytes = 3 << 20}, ""},
      {"1.Gigabyte", RollPolicy{.kind = K::max_size, .max_bytes = 1ULL << 30}, ""},
      {"2.terabytes", RollPolicy{.kind = K::max_size, .max_bytes = 2ULL << 40}, ""},
      {"1.petabyte", RollPolicy{.kind = K::max_size, .max_bytes = 1ULL << 50}, ""},
      {"15.exabytes", RollPolicy{.kind = K::max_size, .max_bytes = 15ULL << 60}, ""},
  };
  for (const auto& c : cases) {
    std::string error;
    EXPECT_EQ(parse_roll_policy(c.text, &error), c.want) << c.text << ": " << error;
  }
}

TEST(ParseRollPolicy, RejectsOtherTextNamingWhatIsWrong) {
  const std::string kExpected =
      "expected never, hourly, daily, weekly(1-7) or a size such as 3.megabytes";
  const std::string kDay = "the day of weekly(n) is 1 (Sunday) to 7 (Saturday)";
  const std::vector<PolicyCase> cases = {
      {"", std::nullopt, kExpected},
      {"monthly", std::nullopt, kExpected},
      {"1.5.megabytes", std::nullopt, kExpected},
      {"weekly(0)", std::nullopt, kDay},
      {"weekly(8)", std::nullopt, kDay},
      {"weekly(11)", std::nullopt, kDay},
      {"weekly()", std::nullopt, kDay},
      {"3.parsecs", std::nullopt,
       "unknown size unit \"parsecs\" (byte, kilobyte, megabyte, gigabyte, terabyte, petabyte, "
       "exabyte)"},
      {"3.megabytess", std::nullopt,
       "unknown size unit \"megabytess\" (byte, kilobyte, megabyte, gigabyte, terabyte, "
       "petabyte, exabyte)"},
      {"x.megabytes", std::nullopt, "the size \"x\" is not a whole number"},
      {"-1.megabytes", std::nullopt, "the size \"-1\" is not a whole number"},
      {".megabytes", std::nullopt, "the size \"\" is not a whole number"},
      {"0.megabytes", std::nullopt, "the size must be greater than 0"},
      {"16.exabytes", std::nullopt, "the size is too large"},
      {"99999999999999999999.bytes", std::nullopt, "the size is too large"},
      {"sighup", std::nullopt, "meshd does not reopen the access log on SIGHUP"},
  };
  for (const auto& c : cases) {
    std::string error;
    EXPECT_EQ(parse_roll_policy(c.text, &error), std::nullopt) << c.text;
    EXPECT_EQ(error, "invalid log roll policy \"" + c.text + "\": " + c.error);
  }
}

TEST_F(AccessLogTest, AppendsToAnExistingFileByDefault) {
  dir_.write("access.log", "old\n");

  auto log = open({.path = path_});
  log->write("new");
  log->flush();

  EXPECT_EQ(read(path_), "old\nnew\n");
}

TEST_F(AccessLogTest, TruncatesAnExistingFileWithoutAppend) {
  dir_.write("access.log", "old\n");

  auto log = open({.path = path_, .append = false});
  log->write("new");
  log->flush();

  EXPECT_EQ(read(path_), "new\n");
}

TEST_F(AccessLogTest, WritesEverythingQueuedOnDestruction) {
  auto log = open({.path = path_});
  for (int i = 0; i < 100; ++i) {
    log->write("line " + std::to_string(i));
  }

  log.reset();

  std::string want;
  for (int i = 0; i < 100; ++i) {
    want += "line " + std::to_string(i) + "\n";
  }
  EXPECT_EQ(read(path_), want);
}

TEST_F(AccessLogTest, SizeRollKeepsTheNewestRotateCountFiles) {
  clock_.set(utc(2024, 3, 10, 13, 5, 9));
  dir_.write("access-notes.log", "not a rolled file\n");
  auto log = open({.path = path_,
                   .policy = *parse_roll_policy("100.bytes", nullptr),
                   .rotate_count = 2,
                   .clock = clock_.function()});
  auto line = [](int i) { return "line " + std::to_string(i) + std::string(32, '.'); };  // 40 B

  // Each file takes two lines; the third would make it 120 bytes. The clock stands still, so
  // the second and third rolled files get .1 and .2.
  for (int i = 1; i <= 7; ++i) {
    log->write(line(i));
  }
  log->flush();

  EXPECT_EQ(files_in(dir_.path()),
            (std::set<std::string>{"access.log", "access-notes.log", "access-20240310-130509.1.log",
                                   "access-20240310-130509.2.log"}));
  EXPECT_EQ(read(dir_.file("access-20240310-130509.1.log")), line(3) + "\n" + line(4) + "\n");
  EXPECT_EQ(read(dir_.file("access-20240310-130509.2.log")), line(5) + "\n" + line(6) + "\n");
  EXPECT_EQ(read(path_), line(7) + "\n");
}

TEST_F(AccessLogTest, SizeRollStampsTheTimeTheFileWasOpened) {
  clock_.set(utc(2024, 3, 10, 13, 5, 9));
  dir_.write("access.log", std::string(79, 'x') + "\n");  // appended to: counts towards the size
  auto log = open({.path = path_,
                   .policy = *parse_roll_policy("100.bytes", nullptr),
                   .clock = clock_.function()});
  clock_.set(utc(2024, 3, 10, 13, 6, 0));

  log->write(std::string(39, 'a'));
  log->flush();
  clock_.set(utc(2024, 3, 10, 14, 0, 0));
  log->write(std::string(150, 'b'));  // larger than the size: goes to a file of its own
  log->flush();
  log->write("c");
  log->flush();

  EXPECT_EQ(files_in(dir_.path()),
            (std::set<std::string>{"access.log", "access-20240310-130509.log",
                                   "access-20240310-130600.log", "access-20240310-140000.log"}));
  EXPECT_EQ(read(dir_.file("access-20240310-130600.log")), std::string(39, 'a') + "\n");
  EXPECT_EQ(read(dir_.file("access-20240310-140000.log")), std::string(150, 'b') + "\n");
  EXPECT_EQ(read(path_), "c\n");
}

TEST_F(AccessLogTest, RotateCountZeroKeepsNoRolledFile) {
  auto log = open({.path = path_,
                   .policy = *parse_roll_policy("10.bytes", nullptr),
                   .rotate_count = 0,
                   .clock = clock_.function()});

  for (int i = 0; i < 3; ++i) {
    log->write("0123456789");
    log->flush();
  }

  EXPECT_EQ(files_in(dir_.path()), (std::set<std::string>{"access.log"}));
  EXPECT_EQ(read(path_), "0123456789\n");
}

TEST_F(AccessLogTest, HourlyRollHappensAtTheFirstLineAfterTheHour) {
  clock_.set(utc(2024, 3, 10, 13, 20, 0));
  auto log = open(
      {.path = path_, .policy = *parse_roll_policy("hourly", nullptr), .clock = clock_.function()});

  log->write("a");
  log->flush();
  clock_.set(utc(2024, 3, 10, 14, 0, 0));  // the boundary itself does not roll yet
  log->write("b");
  log->flush();
  clock_.set(utc(2024, 3, 10, 14, 0, 1));
  log->write("c");
  log->flush();
  clock_.set(utc(2024, 3, 10, 16, 30, 0));  // idle hours leave no empty files
  log->write("d");
  log->flush();

  EXPECT_EQ(files_in(dir_.path()), (std::set<std::string>{"access.log", "access-20240310-13.log",
                                                          "access-20240310-14.log"}));
  EXPECT_EQ(read(dir_.file("access-20240310-13.log")), "a\nb\n");
  EXPECT_EQ(read(dir_.file("access-20240310-14.log")), "c\n");
  EXPECT_EQ(read(path_), "d\n");
}

TEST_F(AccessLogTest, DailyRollHappensAfterLocalMidnight) {
  set_tz("XYZ-2");  // UTC+2: local midnight is 22:00 UTC
  clock_.set(utc(2024, 3, 10, 21, 59, 0));
  auto log = open(
      {.path = path_, .policy = *parse_roll_policy("daily", nullptr), .clock = clock_.function()});

  log->write("a");
  log->flush();
  clock_.set(utc(2024, 3, 10, 22, 0, 1));
  log->write("b");
  log->flush();

  EXPECT_EQ(read(dir_.file("access-20240310.log")), "a\n");
  EXPECT_EQ(read(path_), "b\n");
}

TEST_F(AccessLogTest, WeeklyRollHappensAtTheStartOfTheDayOfTheWeek) {
  clock_.set(utc(2024, 3, 10, 10, 0, 0));  // a Sunday
  auto log = open({.path = path_,
                   .policy = *parse_roll_policy("weekly(4)", nullptr),  // Wednesday
                   .clock = clock_.function()});

  const std::vector<std::pair<system_clock::time_point, std::string>> writes = {
      {utc(2024, 3, 12, 23, 0, 0), "tuesday"},
      {utc(2024, 3, 13, 0, 0, 1), "wednesday"},  // rolls
      {utc(2024, 3, 19, 12, 0, 0), "next tuesday"},
      {utc(2024, 3, 20, 0, 0, 1), "next wednesday"},  // rolls
  };
  for (const auto& [when, line] : writes) {
    clock_.set(when);
    log->write(line);
    log->flush();
  }

  EXPECT_EQ(files_in(dir_.path()),
            (std::set<std::string>{"access.log", "access-20240310.log", "access-20240313.log"}));
  EXPECT_EQ(read(dir_.file("access-20240310.log")), "tuesday\n");
  EXPECT_EQ(read(dir_.file("access-20240313.log")), "wednesday\nnext tuesday\n");
  EXPECT_EQ(read(path_), "next wednesday\n");
}

TEST_F(AccessLogTest, ConcurrentWritersNeverInterleaveLines) {
  constexpr int kThreads = 8;
  constexpr int kLines = 2000;
  auto log = open({.path = path_});
  auto line = [](int t, int i) {
    return "thread " + std::to_string(t) + " line " + std::to_string(i) + " " +
           std::string(60, static_cast<char>('a' + t));
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLines; ++i) {
        log->write(line(t, i));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  const std::uint64_t dropped = log->dropped();
  log.reset();

  EXPECT_EQ(dropped, 0u);
  std::istringstream in(read(path_));
  std::vector<int> next(kThreads, 0);  // each thread's lines arrive whole and in its order
  int total = 0;
  for (std::string text; std::getline(in, text); ++total) {
    int t = -1;
    int i = -1;
    ASSERT_EQ(std::sscanf(text.c_str(), "thread %d line %d", &t, &i), 2) << text;
    ASSERT_TRUE(t >= 0 && t < kThreads) << text;
    ASSERT_EQ(text, line(t, next[t]));
    ++next[t];
  }
  EXPECT_EQ(total, kThreads * kLines);
}

// A clock that, once armed, holds the writer thread inside its next call until released.
struct BlockingClock {
  struct Shared {
    std::mutex mutex;
    std::condition_variable cv;
    bool armed = false;
    bool entered = false;
    bool released = false;
  };
  std::shared_ptr<Shared> s = std::make_shared<Shared>();

  AccessLog::Clock function() const {
    return [s = s] {
      std::unique_lock lock(s->mutex);
      if (s->armed) {
        s->armed = false;
        s->entered = true;
        s->cv.notify_all();
        s->cv.wait(lock, [&] { return s->released; });
      }
      return utc(2024, 3, 10, 13, 0, 0);
    };
  }
  void arm() {
    std::lock_guard lock(s->mutex);
    s->armed = true;
  }
  bool wait_entered() {
    std::unique_lock lock(s->mutex);
    return s->cv.wait_for(lock, 5s, [&] { return s->entered; });
  }
  void release() {
    std::lock_guard lock(s->mutex);
    s->released = true;
    s->cv.notify_all();
  }
};

TEST_F(AccessLogTest, DropsAndCountsLinesWhenTheBufferIsFull) {
  BlockingClock clock;
  auto log = open({.path = path_,
                   .policy = *parse_roll_policy("hourly", nullptr),  // the writer reads the clock
                   .max_buffered_bytes = 1000,
                   .clock = clock.function()});
  clock.arm();
  log->write("first");
  ASSERT_TRUE(clock.wait_entered()) << "the writer did not take the first line";

  // The writer is stuck with "first": 10 lines of 100 bytes fill the buffer.
  const std::string line(99, 'x');
  for (int i = 0; i < 20; ++i) {
    log->write(line);
  }
  log->write(std::string(2000, 'y'));  // never fits
  const std::uint64_t dropped = log->dropped();
  clock.release();
  log->flush();

  EXPECT_EQ(dropped, 11u);
  std::string want = "first\n";
  for (int i = 0; i < 10; ++i) {
    want += line + "\n";
  }
  EXPECT_EQ(read(path_), want);
}

TEST_F(AccessLogTest, OpenErrorsNameThePathAndTheReason) {
  dir_.write("file", "a regular file");
  const std::string under_file = dir_.file("file") + "/access.log";

  std::string error;
  auto not_a_dir = AccessLog::open({.path = under_file}, &error);
  ASSERT_TRUE(not_a_dir.has_error());
  EXPECT_EQ(error.rfind("cannot open access log \"" + under_file +
                            "\": cannot create directory \"" + dir_.file("file") + "\": ",
                        0),
            0u)
      << error;

  auto is_dir = AccessLog::open({.path = dir_.path().string()}, &error);
  ASSERT_TRUE(is_dir.has_error());
  EXPECT_EQ(error, "cannot open access log \"" + dir_.path().string() + "\": Is a directory");

  auto empty = AccessLog::open({}, &error);
  ASSERT_TRUE(empty.has_error());
  EXPECT_EQ(error, "cannot open access log \"\": the path is empty");
}

TEST_F(AccessLogTest, CreatesMissingParentDirectories) {
  const std::string nested = dir_.file("a/b/access.log");

  auto log = open({.path = nested});
  log->write("x");
  log->flush();

  EXPECT_EQ(read(nested), "x\n");
}

}  // namespace
}  // namespace meshd::telemetry
