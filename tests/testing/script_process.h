#pragma once

// A test fake written in Python (tests/k8s/fake_apiserver.py, tests/trace/fake_zipkin.py) as a
// child process of a unit test: started with its stdin kept open (closing it tells the fake to
// exit) and its first stdout line read, which is where the fakes announce their ports.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace meshd::testing {

/// The Python that has Debian's modules (python3-h2, python3-grpcio, python3-yaml): the system
/// one at /usr/bin/python3 when present (a pyenv or virtualenv `python3` on PATH lacks them),
/// else `python3` from PATH.
inline const char* system_python() {
  return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/// `python3 <MESHD_SOURCE_DIR>/<script> <args…>` (the `system_python()`). The constructor returns once the script has
/// printed its first line (`first_line()`); if it does not within 10 s, it fails the test and
/// throws. The destructor closes the pipes, SIGTERMs the script and reaps it (SIGKILL after 5 s).
class ScriptProcess {
 public:
  ScriptProcess(const std::string& script, const std::vector<std::string>& args) {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<std::string> argv_s{system_python(), MESHD_SOURCE_DIR "/" + script};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    int rc = ::posix_spawnp(&pid_, argv_s[0].c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
    if (rc != 0) {
      pid_ = -1;
      ADD_FAILURE() << "cannot spawn python3 " << script;
      throw std::runtime_error("spawn failed");
    }
    read_first_line();
    if (first_line_.empty()) {
      ADD_FAILURE() << script << " did not start (no line on stdout within 10 s)";
      throw std::runtime_error(script + " did not start");
    }
  }

  ~ScriptProcess() {
    ::close(stdin_fd_);
    ::close(stdout_fd_);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      reap();
    }
  }
  ScriptProcess(const ScriptProcess&) = delete;
  ScriptProcess& operator=(const ScriptProcess&) = delete;

  /// The script's first line on stdout, without its newline.
  const std::string& first_line() const { return first_line_; }

  /// Writes `line` and a newline to the script's stdin (a script that waits for the test).
  void send_line(const std::string& line) {
    const std::string text = line + "\n";
    ASSERT_EQ(::write(stdin_fd_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  /// The script's next line on stdout after those read so far (empty if none within 10 s).
  std::string next_line() { return read_line(); }

 private:
  void read_first_line() { first_line_ = read_line(); }
  std::string read_line() {
    std::string text = std::move(rest_);
    rest_.clear();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (text.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{stdout_fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return {};
      }
      char buf[256];
      ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
      if (n <= 0) {
        return {};
      }
      text.append(buf, static_cast<std::size_t>(n));
    }
    const auto end = text.find('\n');
    rest_ = text.substr(end + 1);
    return text.substr(0, end);
  }

  void reap() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        return;
      }
      ::usleep(10'000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string first_line_;
  std::string rest_;  ///< read past the last line returned
};

}  // namespace meshd::testing
