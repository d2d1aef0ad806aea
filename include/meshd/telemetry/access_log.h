#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "meshd/core/result.h"

/// Linkerd's `httpAccessLog` (inventory §4.1, §4.6): one line per answered request, written to a
/// file off the request path and rolled by `httpAccessLogRollPolicy`.
namespace meshd::telemetry {

/// When the access log file is rolled (twitter-util logging's `Policy`): never, at the top of
/// each hour / day (local time), weekly at the midnight that starts a day of the week, or before
/// a line would make the file larger than `max_bytes`.
struct RollPolicy {
  enum class Kind { never, hourly, daily, weekly, max_size };
  Kind kind = Kind::never;
  int day_of_week = 0;          ///< weekly: 0 = Sunday … 6 = Saturday (`struct tm`'s `tm_wday`)
  std::uint64_t max_bytes = 0;  ///< max_size: > 0

  friend bool operator==(const RollPolicy&, const RollPolicy&) = default;
};

/// Parses a roll policy as Linkerd does (twitter-util `Policy.parse`), case-insensitively:
/// `never`, `hourly`, `daily`, `weekly(n)` with n = 1 (Sunday) … 7 (Saturday), as Java's
/// `Calendar` numbers the days, or a storage size `<n>.<unit>` (`3.megabytes`, `100.kilobytes`,
/// `1.gigabyte`; units byte, kilobyte, megabyte, gigabyte, terabyte, petabyte, exabyte, each
/// optionally plural, powers of 1024, n > 0). `sighup` is rejected: meshd does not reopen the
/// file on SIGHUP. On failure returns nullopt and sets `error` (if not null) to a message naming
/// the text and what was wrong.
std::optional<RollPolicy> parse_roll_policy(std::string_view text, std::string* error);

/// The facts of one answered request, as `format_access_line` prints them.
struct AccessLogEntry {
  std::string host;         ///< Host header ("" → `-`)
  std::string remote_host;  ///< the client's IP address ("" → `-`)
  std::string method;       ///< printed upper-cased
  std::string uri;          ///< request target as received (origin-form after the proxy rewrite)
  std::string version;      ///< `HTTP/1.1`
  int status = 0;
  std::optional<std::uint64_t> content_length;  ///< response Content-Length; nullopt → `-`
  std::string referer;                          ///< "" → `-`
  std::string user_agent;                       ///< "" → `-`
  std::chrono::system_clock::time_point time;   ///< when the response was returned
};

/// Linkerd's access log line, without the newline:
/// `<host> <remote> - - [dd/MM/yyyy:HH:mm:ss z] "<METHOD> <uri> <version>" <status> <bytes>
/// "<referer>" "<user-agent>"`, the time in the process's local time zone (`TZ`) with the
/// zone's abbreviation. Every empty text field prints as `-`. Control characters (below 0x20,
/// and 0x7f) print as `\xHH`, so a line is always one line; Linkerd prints fields as received.
std::string format_access_line(const AccessLogEntry& entry);

/// An open access log. `write` is called from every worker and never blocks on the disk: lines
/// go to an in-memory buffer that a writer thread appends to the file (once 64 KiB are waiting,
/// and at most 100 ms after a line was queued; an idle log costs no wake-ups). The buffer is
/// bounded (`Options::max_buffered_bytes`): when the disk cannot keep up, further lines are
/// dropped and counted, never held.
///
/// Rolling follows twitter-util's `FileHandler`, which Linkerd uses. A roll happens when a line
/// is written: for time policies, the first write after the hour / day / week boundary (an idle
/// log is not rolled); for `max_size`, before a line that would take a non-empty file past
/// `max_bytes`. The file is renamed to `<stem>-<stamp><ext>` (`access.log` →
/// `access-20240310-13.log`), where `<ext>` is the file name's last `.` suffix and `<stamp>` is
/// the local time the file was opened: `yyyyMMdd-HH` (hourly), `yyyyMMdd` (daily, weekly) or
/// `yyyyMMdd-HHmmss` (size). A new file is opened at `path`, and then only the `rotate_count`
/// newest rolled files are kept (-1: all; 0: none), the oldest deleted. Unlike twitter-util, a
/// name already taken (two size rolls within one second, a repeated hour at a DST change) gets
/// `.1`, `.2`, … before `<ext>` instead of overwriting the older file, and only files named this
/// way count as rolled files (twitter-util counts, and deletes, any `<stem>*<ext>`).
///
/// Thread-safe. Destruction writes everything queued, then stops the writer thread.
class AccessLog {
 public:
  /// Returns the current time (`Options::clock`).
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  struct Options {
    std::string path{};     ///< created (with missing parent directories) if absent
    RollPolicy policy{};    ///< when to roll; see the class comment
    bool append = true;     ///< false truncates an existing file at open
    int rotate_count = -1;  ///< rolled files kept; -1 keeps all
    /// Bytes of queued lines (newlines included) not yet taken by the writer thread; a line that
    /// does not fit is dropped. The batch being written is not counted.
    std::size_t max_buffered_bytes = 4 << 20;
    /// Decides when time policies roll and stamps rolled files; empty: the system clock. It runs
    /// on the writer thread (and in `open`).
    Clock clock{};
  };

  /// Opens (creating) the file and starts the writer thread. On failure returns the system's
  /// error code and sets `error` (if not null) to a message naming the path and the reason.
  static Result<std::shared_ptr<AccessLog>> open(Options options, std::string* error);

  /// Writes everything queued, then stops the writer thread.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  /// Queues `line`, which must not contain a newline, and a newline. Any thread; never blocks on
  /// I/O (it takes a mutex held only to copy a line or swap buffers).
  void write(std::string_view line);
  /// Returns once every line queued before the call was handed to the file (write(2) done, not
  /// fsync'ed) or counted as dropped. Any thread but the writer's (tests, shutdown).
  void flush();
  /// Lines dropped since open: the buffer was full, or writing them to the file failed.
  std::uint64_t dropped() const noexcept;

 private:
  struct State;
  explicit AccessLog(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

using AccessLogSharedPtr = std::shared_ptr<AccessLog>;

}  // namespace meshd::telemetry
