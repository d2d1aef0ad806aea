#pragma once

// Integration-test fixtures: the real meshd binary on loopback with OS-chosen ports, a scripted
// backend (backend.py), and real clients (curl, wrk) run as processes. Every wait is bounded.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meshd::itest {

/// Output of a finished command.
struct ToolResult {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

/// True if `tool` is on PATH.
bool have_tool(const std::string& tool);

/// Runs `argv` to completion (killed after `timeout`), capturing stdout and stderr. `env` adds
/// variables to the environment.
ToolResult run_tool(const std::vector<std::string>& argv,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30),
                    const std::map<std::string, std::string>& env = {});

/// A child process with its stdin kept open (closing it tells backend.py to exit) and its
/// stdout and stderr written to files in a temp dir.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::filesystem::path& dir,
          const std::string& name, const std::map<std::string, std::string>& env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Waits until stdout (or stderr) contains `needle`; returns the text after it up to the end
  /// of its line, or nullopt after `timeout` / if the process exited.
  std::optional<std::string> wait_for(const std::string& needle, bool in_stderr,
                                      std::chrono::milliseconds timeout);
  /// Sends `sig`; returns the exit status (or 128+signal) once it exits within `timeout`, else -1.
  int signal_and_wait(int sig, std::chrono::milliseconds timeout);
  /// Waits for exit within `timeout`; -1 if still running.
  int wait(std::chrono::milliseconds timeout);
  std::string stdout_text() const;
  std::string stderr_text() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int status_ = -1;
  std::filesystem::path out_, err_;
};

/// Asks `done` every 10 ms until it returns true or `timeout` passes; returns its last answer.
/// For state that another process updates after the client has seen its bytes.
bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// A unique temporary directory, removed when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The scripted backend (tests/integration/backend.py) on a loopback port. `name` (unique per
/// `dir`) names its output files and is sent in an `x-backend` header on every response.
class Backend {
 public:
  /// Listens on `host` (any loopback address: 127.0.0.1 by default).
  explicit Backend(const std::filesystem::path& dir, const std::string& name = "backend",
                   const std::string& host = "127.0.0.1");
  std::uint16_t port() const { return port_; }
  Process& process() { return process_; }

 private:
  Process process_;
  std::uint16_t port_ = 0;
};

/// meshd started on a YAML config (ports 0 everywhere); learns the real ports from the log line
/// of the admin server and then `/admin/listeners.json`. SIGTERMs it on destruction and dumps
/// its stderr if the test failed.
class Meshd {
 public:
  /// `env` adds environment variables (POD_IP, KUBERNETES_SERVICE_HOST, …). Files go to `dir`
  /// prefixed with `name` when several meshd share a directory.
  Meshd(const std::filesystem::path& dir, const std::string& yaml,
        const std::map<std::string, std::string>& env = {}, const std::string& name = "meshd");
  ~Meshd();

  bool started() const { return admin_port_ != 0; }
  std::uint16_t admin_port() const { return admin_port_; }
  /// The port of the first server of `router`.
  std::uint16_t port(const std::string& router) const;
  Process& process() { return process_; }
  /// `/admin/metrics.json` value of `key`, or -1.
  double metric(const std::string& key) const;
  /// Peak resident set size (VmHWM) in KiB.
  long peak_rss_kib() const;

 private:
  Process process_;
  std::uint16_t admin_port_ = 0;
  std::map<std::string, std::uint16_t> ports_;
};

/// A minimal blocking HTTP exchange over loopback: sends `raw` and reads until the peer closes,
/// `until` appears in the output, or `timeout` passes.
std::string raw_exchange(std::uint16_t port, const std::string& raw, const std::string& until = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// GET `path` on 127.0.0.1:`port` with curl; returns status line + headers + body (`curl -si`).
ToolResult curl(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {});

/// The value of `header` (case-insensitive name) in a `curl -i` output, or "".
std::string header_value(const std::string& curl_out, const std::string& header);

/// A config with the admin server and one `outgoing` router on OS-chosen ports, dtab
/// `/svc => /#/io.l5d.fs;`, and an io.l5d.fs namer over `disco`.
std::string fs_namer_config(const std::filesystem::path& disco);

/// The source tree root and the backend script.
std::filesystem::path source_dir();

}  // namespace meshd::itest
