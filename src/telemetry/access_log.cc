#include "meshd/telemetry/access_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "meshd/core/log.h"

namespace meshd::telemetry {
namespace {

namespace fs = std::filesystem;
using SystemClock = std::chrono::system_clock;
using TimePoint = SystemClock::time_point;

// The writer takes the queued lines once this many bytes wait, or this long after the first one.
constexpr std::size_t kBatchBytes = 64 * 1024;
constexpr auto kBatchDelay = std::chrono::milliseconds(100);
// Rolled files with one stamp (`.1`, `.2`, …) before a roll gives up and keeps the file as is.
constexpr int kMaxSameStamp = 1000;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

std::optional<RollPolicy> invalid(std::string* error, std::string_view text, std::string_view why) {
  if (error != nullptr) {
    *error = "invalid log roll policy \"" + std::string(text) + "\": " + std::string(why);
  }
  return std::nullopt;
}

// `<n>.<unit>` as twitter-util's `StorageUnit.parse` reads it (units are powers of 1024).
std::optional<RollPolicy> parse_size(std::string_view text, std::string_view s,
                                     std::string* error) {
  const auto dot = s.find('.');
  if (dot == std::string_view::npos || s.find('.', dot + 1) != std::string_view::npos) {
    return invalid(error, text,
                   "expected never, hourly, daily, weekly(1-7) or a size such as 3.megabytes");
  }
  const std::string_view number = s.substr(0, dot);
  std::string_view unit = s.substr(dot + 1);
  if (unit.ends_with('s')) {
    unit.remove_suffix(1);
  }
  static constexpr std::pair<std::string_view, int> kUnits[] = {
      {"byte", 0},      {"kilobyte", 10}, {"megabyte", 20}, {"gigabyte", 30},
      {"terabyte", 40}, {"petabyte", 50}, {"exabyte", 60}};
  const auto* u = std::find_if(std::begin(kUnits), std::end(kUnits),
                               [&](const auto& k) { return k.first == unit; });
  if (u == std::end(kUnits)) {
    return invalid(error, text,
                   "unknown size unit \"" + std::string(s.substr(dot + 1)) +
                       "\" (byte, kilobyte, megabyte, gigabyte, terabyte, petabyte, exabyte)");
  }
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (number.empty() || ec == std::errc::invalid_argument || end != number.data() + number.size()) {
    return invalid(error, text, "the size \"" + std::string(number) + "\" is not a whole number");
  }
  if (ec == std::errc::result_out_of_range || n > (UINT64_MAX >> u->second)) {
    return invalid(error, text, "the size is too large");
  }
  if (n == 0) {
    return invalid(error, text, "the size must be greater than 0");
  }
  return RollPolicy{.kind = RollPolicy::Kind::max_size, .max_bytes = n << u->second};
}

// Replaces control characters, so that a field cannot break its line, and empty text by `-`.
void append_field(std::string& out, std::string_view value) {
  if (value.empty()) {
    out += '-';
    return;
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
}

std::tm local_time(TimePoint t) {
  const std::time_t secs = SystemClock::to_time_t(t);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm;
}

std::string format_local(TimePoint t, const char* format) {
  const std::tm tm = local_time(t);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

// twitter-util's `computeNextRollTime`: the top of the next local hour, the next local midnight,
// or the next local midnight that starts `day_of_week` (at least one day later).
std::optional<TimePoint> next_roll_after(const RollPolicy& policy, TimePoint opened) {
  std::tm tm = local_time(opened);
  const std::time_t secs = SystemClock::to_time_t(opened);
  switch (policy.kind) {
    case RollPolicy::Kind::hourly:
      return SystemClock::from_time_t(secs - tm.tm_min * 60 - tm.tm_sec + 3600);
    case RollPolicy::Kind::daily:
      tm.tm_mday += 1;
      break;
    case RollPolicy::Kind::weekly: {
      const int days = (policy.day_of_week - tm.tm_wday + 7) % 7;
      tm.tm_mday += days == 0 ? 7 : days;
      break;
    }
    case RollPolicy::Kind::never:
    case RollPolicy::Kind::max_size:
      return std::nullopt;
  }
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  return SystemClock::from_time_t(std::mktime(&tm));
}

// The stamp of a file opened at `opened` (twitter-util's `timeSuffix`).
std::string roll_stamp(const RollPolicy& policy, TimePoint opened) {
  switch (policy.kind) {
    case RollPolicy::Kind::hourly:
      return format_local(opened, "%Y%m%d-%H");
    case RollPolicy::Kind::max_size:
      return format_local(opened, "%Y%m%d-%H%M%S");
    default:
      return format_local(opened, "%Y%m%d");
  }
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// `yyyyMMdd`, `yyyyMMdd-HH` or `yyyyMMdd-HHmmss`.
bool is_stamp(std::string_view s) {
  if (s.size() == 8) {
    return all_digits(s);
  }
  return (s.size() == 11 || s.size() == 15) && all_digits(s.substr(0, 8)) && s[8] == '-' &&
         all_digits(s.substr(9));
}

// The names of the rolled files of a log file: `<stem>-<stamp>[.<n>]<ext>`.
struct RolledNames {
  fs::path dir;
  std::string stem;
  std::string ext;

  explicit RolledNames(const fs::path& file) : dir(file.parent_path()) {
    if (dir.empty()) {
      dir = ".";
    }
    const std::string name = file.filename().string();
    const auto dot = name.rfind('.');
    stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
    ext = name.substr(stem.size());
  }

  fs::path name(std::string_view stamp, int n) const {
    std::string file = stem + "-" + std::string(stamp);
    if (n > 0) {
      file += "." + std::to_string(n);
    }
    return dir / (file + ext);
  }

  // The first name for `stamp` that no file has, if any of the first `kMaxSameStamp` is free.
  std::optional<fs::path> free_name(std::string_view stamp) const {
    for (int n = 0; n < kMaxSameStamp; ++n) {
      fs::path candidate = name(stamp, n);
      std::error_code ec;
      if (!fs::exists(fs::symlink_status(candidate, ec))) {
        return candidate;
      }
    }
    return std::nullopt;
  }

  // The age order of a rolled file's name, oldest first; nullopt for any other name.
  std::optional<std::pair<std::string, int>> key(std::string_view file) const {
    if (file.size() <= stem.size() + 1 + ext.size() || !file.starts_with(stem) ||
        file[stem.size()] != '-' || !file.ends_with(ext)) {
      return std::nullopt;
    }
    std::string_view middle =
        file.substr(stem.size() + 1, file.size() - stem.size() - 1 - ext.size());
    int n = 0;
    if (const auto dot = middle.find('.'); dot != std::string_view::npos) {
      const std::string_view digits = middle.substr(dot + 1);
      if (!all_digits(digits) || digits.size() > 6) {
        return std::nullopt;
      }
      std::from_chars(digits.data(), digits.data() + digits.size(), n);
      middle = middle.substr(0, dot);
    }
    if (!is_stamp(middle)) {
      return std::nullopt;
    }
    return std::pair{std::string(middle), n};
  }
};

AccessLog::Options with_default_clock(AccessLog::Options options) {
  if (!options.clock) {
    options.clock = [] { return SystemClock::now(); };
  }
  return options;
}

}  // namespace

std::optional<RollPolicy> parse_roll_policy(std::string_view text, std::string* error) {
  const std::string s = lower(text);
  if (s == "never") {
    return RollPolicy{};
  }
  if (s == "hourly") {
    return RollPolicy{.kind = RollPolicy::Kind::hourly};
  }
  if (s == "daily") {
    return RollPolicy{.kind = RollPolicy::Kind::daily};
  }
  if (s == "sighup") {
    return invalid(error, text, "meshd does not reopen the access log on SIGHUP");
  }
  if (s.starts_with("weekly(") && s.ends_with(')')) {
    const std::string_view day = std::string_view(s).substr(7, s.size() - 8);
    if (day.size() != 1 || day[0] < '1' || day[0] > '7') {
      return invalid(error, text, "the day of weekly(n) is 1 (Sunday) to 7 (Saturday)");
    }
    return RollPolicy{.kind = RollPolicy::Kind::weekly, .day_of_week = day[0] - '1'};
  }
  return parse_size(text, s, error);
}

std::string format_access_line(const AccessLogEntry& entry) {
  std::string out;
  out.reserve(160 + entry.uri.size() + entry.user_agent.size() + entry.referer.size());
  append_field(out, entry.host);
  out += ' ';
  append_field(out, entry.remote_host);
  out += " - - [";
  out += format_local(entry.time, "%d/%m/%Y:%H:%M:%S %Z");
  out += "] \"";
  std::string method = entry.method;
  std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  });
  append_field(out, method);
  out += ' ';
  append_field(out, entry.uri);
  out += ' ';
  append_field(out, entry.version);
  out += "\" ";
  out += std::to_string(entry.status);
  out += ' ';
  out += entry.content_length ? std::to_string(*entry.content_length) : "-";
  out += " \"";
  append_field(out, entry.referer);
  out += "\" \"";
  append_field(out, entry.user_agent);
  out += '"';
  return out;
}

struct AccessLog::State {
  explicit State(Options o) : options(with_default_clock(std::move(o))), names(options.path) {}
  ~State() {
    if (fd >= 0) {
      ::close(fd);
    }
  }

  boost::system::error_code open_file(bool truncate);
  void run();
  void write_batch(std::string_view batch);
  void write_lines(std::string_view lines);
  void roll();
  void remove_old_files();

  const Options options;
  const RolledNames names;

  // Writer thread only (and `open` before the thread starts).
  int fd = -1;
  std::uint64_t file_bytes = 0;
  TimePoint opened_at;
  std::optional<TimePoint> next_roll;
  bool write_failing = false;

  std::mutex mutex;
  std::condition_variable wake_writer;  // lines, a flush request or stop
  std::condition_variable flushed;      // `flush_done` moved
  std::string pending;                  // guarded by `mutex`: lines not taken by the writer
  bool stopping = false;                // guarded by `mutex`
  std::uint64_t flush_requested = 0;    // guarded by `mutex`
  std::uint64_t flush_done = 0;         // guarded by `mutex`
  std::atomic<std::uint64_t> dropped{0};
  std::thread writer;
};

boost::system::error_code AccessLog::State::open_file(bool truncate) {
  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  fd = ::open(options.path.c_str(), flags, 0666);
  if (fd < 0) {
    return {errno, boost::system::system_category()};
  }
  struct stat st {};
  file_bytes = ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  opened_at = options.clock();
  next_roll = next_roll_after(options.policy, opened_at);
  return {};
}

void AccessLog::State::run() {
  std::string batch;
  std::unique_lock lock(mutex);
  for (;;) {
    wake_writer.wait(lock,
                     [&] { return stopping || !pending.empty() || flush_requested != flush_done; });
    // A line is waiting: let more join it for a while, unless a flush or stop is asked for.
    wake_writer.wait_for(lock, kBatchDelay, [&] {
      return stopping || pending.size() >= kBatchBytes || flush_requested != flush_done;
    });
    batch.swap(pending);
    const std::uint64_t ticket = flush_requested;
    const bool stop = stopping;
    lock.unlock();
    write_batch(batch);
    batch.clear();
    lock.lock();
    flush_done = ticket;
    flushed.notify_all();
    if (stop && pending.empty()) {
      return;
    }
  }
}

void AccessLog::State::write_batch(std::string_view batch) {
  if (batch.empty()) {
    return;
  }
  if (next_roll && options.clock() > *next_roll) {
    roll();
  }
  if (options.policy.kind != RollPolicy::Kind::max_size) {
    write_lines(batch);
    return;
  }
  // Roll before each line that would take a non-empty file past the size.
  std::size_t start = 0;
  for (std::size_t pos = 0; pos < batch.size();) {
    const std::size_t end = batch.find('\n', pos) + 1;
    const std::uint64_t before = file_bytes + (pos - start);
    if (before > 0 && before + (end - pos) > options.policy.max_bytes) {
      write_lines(batch.substr(start, pos - start));
      roll();
      start = pos;
    }
    pos = end;
  }
  write_lines(batch.substr(start));
}

void AccessLog::State::write_lines(std::string_view lines) {
  if (lines.empty()) {
    return;
  }
  if (fd < 0) {  // a roll could not reopen the file: try again
    if (auto ec = open_file(false); ec) {
      if (!write_failing) {
        log::get("telemetry")
            ->warn("cannot reopen access log path={} error=\"{}\"", options.path, ec.message());
      }
      write_failing = true;
      dropped.fetch_add(std::count(lines.begin(), lines.end(), '\n'), std::memory_order_relaxed);
      return;
    }
  }
  while (!lines.empty()) {
    const ssize_t n = ::write(fd, lines.data(), lines.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      if (!write_failing) {
        log::get("telemetry")
            ->warn("access log write failed path={} error=\"{}\"", options.path,
                   std::strerror(errno));
      }
      write_failing = true;
      dropped.fetch_add(std::count(lines.begin(), lines.end(), '\n'), std::memory_order_relaxed);
      return;
    }
    file_bytes += static_cast<std::uint64_t>(n);
    lines.remove_prefix(static_cast<std::size_t>(n));
  }
  write_failing = false;
}

void AccessLog::State::roll() {
  if (fd < 0) {  // the file could not be reopened: `write_lines` keeps trying
    return;
  }
  ::close(fd);
  fd = -1;
  auto logger = log::get("telemetry");
  if (auto target = names.free_name(roll_stamp(options.policy, opened_at))) {
    std::error_code ec;
    fs::rename(options.path, *target, ec);
    if (ec) {
      logger->warn("access log roll failed path={} to={} error=\"{}\"", options.path,
                   target->string(), ec.message());
    }
  } else {
    logger->warn("access log roll skipped path={}: too many rolled files with one stamp",
                 options.path);
  }
  if (auto ec = open_file(false); ec) {
    logger->error("cannot reopen access log path={} error=\"{}\"", options.path, ec.message());
  }
  remove_old_files();
}

// twitter-util's `removeOldFiles`: keep the `rotate_count` newest rolled files.
void AccessLog::State::remove_old_files() {
  if (options.rotate_count < 0) {
    return;
  }
  std::vector<std::pair<std::pair<std::string, int>, fs::path>> rolled;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(names.dir, ec)) {
    if (auto key = names.key(entry.path().filename().string())) {
      rolled.emplace_back(std::move(*key), entry.path());
    }
  }
  const auto keep = static_cast<std::size_t>(options.rotate_count);
  if (rolled.size() <= keep) {
    return;
  }
  std::sort(rolled.begin(), rolled.end());
  for (std::size_t i = 0; i < rolled.size() - keep; ++i) {
    if (!fs::remove(rolled[i].second, ec) && ec) {
      log::get("telemetry")
          ->warn("cannot remove rolled access log path={} error=\"{}\"", rolled[i].second.string(),
                 ec.message());
    }
  }
}

Result<std::shared_ptr<AccessLog>> AccessLog::open(Options options, std::string* error) {
  const std::string path = options.path;
  auto fail = [&](boost::system::error_code ec, const std::string& why) {
    if (error != nullptr) {
      *error = "cannot open access log \"" + path + "\": " + why;
    }
    return ec;
  };
  const auto invalid_argument = make_error_code(boost::system::errc::invalid_argument);
  if (options.path.empty()) {
    return fail(invalid_argument, "the path is empty");
  }
  if (options.policy.kind == RollPolicy::Kind::max_size && options.policy.max_bytes == 0) {
    return fail(invalid_argument, "the roll size is 0");
  }
  if (options.rotate_count < -1) {
    return fail(invalid_argument, "the rotate count is below -1");
  }
  if (const fs::path dir = fs::path(options.path).parent_path(); !dir.empty()) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return fail(ec, "cannot create directory \"" + dir.string() + "\": " + ec.message());
    }
  }
  const bool truncate = !options.append;
  auto state = std::make_unique<State>(std::move(options));
  if (auto ec = state->open_file(truncate); ec) {
    return fail(ec, ec.message());
  }
  State* s = state.get();
  s->writer = std::thread([s] { s->run(); });
  return std::shared_ptr<AccessLog>(new AccessLog(std::move(state)));
}

AccessLog::AccessLog(std::unique_ptr<State> state) : state_(std::move(state)) {}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake_writer.notify_one();
  state_->writer.join();
}

void AccessLog::write(std::string_view line) {
  State& s = *state_;
  const std::size_t size = line.size() + 1;
  bool wake = false;
  {
    std::lock_guard lock(s.mutex);
    const std::size_t before = s.pending.size();
    if (before + size > s.options.max_buffered_bytes) {
      s.dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    s.pending.append(line);
    s.pending += '\n';
    wake = before == 0 || (before < kBatchBytes && s.pending.size() >= kBatchBytes);
  }
  if (wake) {
    s.wake_writer.notify_one();
  }
}

void AccessLog::flush() {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  const std::uint64_t ticket = ++s.flush_requested;
  s.wake_writer.notify_one();
  s.flushed.wait(lock, [&] { return s.flush_done >= ticket; });
}

std::uint64_t AccessLog::dropped() const noexcept {
  return state_->dropped.load(std::memory_order_relaxed);
}

}  // namespace meshd::telemetry
