#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

namespace meshd::itest {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd,
            const std::map<std::string, std::string>& env) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    for (const auto& [k, v] : env) {
      ::setenv(k.c_str(), v.c_str(), 1);
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace

std::filesystem::path source_dir() { return MESHD_SOURCE_DIR; }

bool have_tool(const std::string& tool) {
  return run_tool({"sh", "-c", "command -v " + tool}, std::chrono::seconds(5)).exit_code == 0;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / ("meshd-itest-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ToolResult run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                    const std::map<std::string, std::string>& env) {
  TempDir dir;
  auto out = dir.path() / "out";
  auto err = dir.path() / "err";
  int in_fd = ::open("/dev/null", O_RDONLY);
  int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = spawn(argv, in_fd, out_fd, err_fd, env);
  ::close(in_fd);
  ::close(out_fd);
  ::close(err_fd);
  ToolResult r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      r.exit_code = decode_status(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.exit_code = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling a child, not syncing
  }
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

Process::Process(const std::vector<std::string>& argv, const std::filesystem::path& dir,
                 const std::string& name, const std::map<std::string, std::string>& env)
    : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
  // Close-on-exec from the start: a child that inherited a write end of its own (or another
  // child's) stdin pipe would never see EOF and would have to be killed.
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return;
  }
  int out_fd = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_ = spawn(argv, pipe_fds[0], out_fd, err_fd, env);
  ::close(pipe_fds[0]);
  ::close(out_fd);
  ::close(err_fd);
  stdin_fd_ = pipe_fds[1];
}

Process::~Process() {
  if (stdin_fd_ >= 0) {
    ::close(stdin_fd_);
  }
  if (pid_ > 0 && status_ < 0) {
    if (wait(std::chrono::milliseconds(2000)) < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
}

std::optional<std::string> Process::wait_for(const std::string& needle, bool in_stderr,
                                             std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = read_file(in_stderr ? err_ : out_);
    auto pos = text.find(needle);
    if (pos != std::string::npos) {
      auto start = pos + needle.size();
      auto end = text.find('\n', start);
      if (end != std::string::npos) {
        return text.substr(start, end - start);
      }
    }
    if (wait(std::chrono::milliseconds(0)) >= 0) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a log file
  }
  return std::nullopt;
}

int Process::wait(std::chrono::milliseconds timeout) {
  if (status_ >= 0) {
    return status_;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      status_ = decode_status(status);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int Process::signal_and_wait(int sig, std::chrono::milliseconds timeout) {
  if (status_ < 0) {
    ::kill(pid_, sig);
  }
  return wait(timeout);
}

std::string Process::stdout_text() const { return read_file(out_); }
std::string Process::stderr_text() const { return read_file(err_); }

Backend::Backend(const std::filesystem::path& dir, const std::string& name, const std::string& host)
    : process_({"python3", (source_dir() / "tests/integration/backend.py").string(), "--name", name,
                "--host", host},
               dir, name) {
  auto port = process_.wait_for("port ", false, std::chrono::seconds(10));
  if (port) {
    port_ = static_cast<std::uint16_t>(std::stoi(*port));
  }
}

Meshd::Meshd(const std::filesystem::path& dir, const std::string& yaml,
             const std::map<std::string, std::string>& env, const std::string& name)
    : process_(
          [&] {
            std::ofstream(dir / (name + ".yaml")) << yaml;
            return std::vector<std::string>{MESHD_BINARY, (dir / (name + ".yaml")).string()};
          }(),
          dir, name, env) {
  auto addr = process_.wait_for("admin listening addr=", true, std::chrono::seconds(15));
  if (!addr) {
    ADD_FAILURE() << "meshd did not start:\n" << process_.stderr_text();
    return;
  }
  admin_port_ = static_cast<std::uint16_t>(std::stoi(addr->substr(addr->rfind(':') + 1)));
  auto listeners = raw_exchange(admin_port_,
                                "GET /admin/listeners.json HTTP/1.1\r\nHost: a\r\n"
                                "Connection: close\r\n\r\n");
  auto body = listeners.substr(listeners.find("\r\n\r\n") + 4);
  boost::system::error_code ec;
  auto json = boost::json::parse(body, ec);
  if (ec || !json.is_array()) {
    ADD_FAILURE() << "bad listeners.json: " << listeners;
    return;
  }
  for (const auto& l : json.as_array()) {
    std::string router(l.at("router").as_string());
    if (!ports_.count(router)) {
      ports_[router] = static_cast<std::uint16_t>(l.at("port").to_number<int>());
    }
  }
}

Meshd::~Meshd() {
  int status = process_.signal_and_wait(SIGTERM, std::chrono::seconds(15));
  EXPECT_EQ(status, 0) << "meshd did not exit cleanly on SIGTERM";
  if (::testing::Test::HasFailure() || status != 0) {
    std::cerr << "---- meshd stderr (exit " << status << ") ----\n"
              << process_.stderr_text() << "----\n";
  }
}

std::uint16_t Meshd::port(const std::string& router) const {
  auto it = ports_.find(router);
  return it == ports_.end() ? 0 : it->second;
}

double Meshd::metric(const std::string& key) const {
  auto rsp = raw_exchange(
      admin_port_, "GET /admin/metrics.json HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  auto body = rsp.substr(rsp.find("\r\n\r\n") + 4);
  boost::system::error_code ec;
  auto json = boost::json::parse(body, ec);
  if (ec || !json.is_object() || !json.as_object().contains(key)) {
    return -1;
  }
  return json.as_object().at(key).to_number<double>();
}

long Meshd::peak_rss_kib() const {
  std::ifstream in("/proc/" + std::to_string(const_cast<Process&>(process_).pid()) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

std::string raw_exchange(std::uint16_t port, const std::string& raw, const std::string& until,
                         std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  std::size_t sent = 0;
  while (sent < raw.size()) {
    auto n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      break;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[16384];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
    if (!until.empty() && out.find(until) != std::string::npos) {
      break;
    }
  }
  ::close(fd);
  return out;
}

ToolResult curl(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{"curl", "-s", "-S", "-i", "--max-time", "20"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_tool(argv, std::chrono::seconds(30), env);
}

std::string header_value(const std::string& curl_out, const std::string& header) {
  std::smatch m;
  std::regex re("(^|\\n)" + header + ": ([^\\r\\n]*)", std::regex::icase);
  return std::regex_search(curl_out, m, re) ? m[2].str() : "";
}

std::string fs_namer_config(const std::filesystem::path& disco) {
  return "admin: {ip: 127.0.0.1, port: 0}\n"
         "routers:\n"
         "- protocol: http\n"
         "  label: outgoing\n"
         "  dtab: /svc => /#/io.l5d.fs;\n"
         "  servers: [{ip: 127.0.0.1, port: 0}]\n"
         "namers:\n"
         "- kind: io.l5d.fs\n"
         "  rootDir: " +
         disco.string() + "\n";
}

}  // namespace meshd::itest
