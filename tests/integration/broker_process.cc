#include "broker_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef OTA_PLUGIN_PATH
#define OTA_PLUGIN_PATH "mosquitto_ota.so"
#endif

namespace ota::test {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string mosquitto_binary() {
  if (const char* env = std::getenv("OTA_MOSQUITTO_BIN"); env && *env) {
    return env;
  }
  for (const char* candidate : {"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto",
                                "/usr/bin/mosquitto", "/usr/local/bin/mosquitto"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return "mosquitto";  // execvp searches PATH
}

}  // namespace

std::map<std::string, std::string> BrokerOptions::default_plugin_opts() {
  return {
      {"db_path", std::string(kDirPlaceholder) + "/db"},
      {"admins", "admin"},
      {"sys_interval", "1"},
      // No acl_file in these brokers: the plugin answers for other topics.
      {"acl_default", "allow"},
  };
}

bool BrokerExit::exited_normally() const {
  return exited && WIFEXITED(wait_status);
}

int BrokerExit::exit_code() const {
  return exited_normally() ? WEXITSTATUS(wait_status) : -1;
}

std::string BrokerExit::describe() const {
  if (!exited) return "still running";
  if (WIFEXITED(wait_status)) {
    return "exit code " + std::to_string(WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    return "killed by signal " + std::to_string(WTERMSIG(wait_status));
  }
  return "wait status " + std::to_string(wait_status);
}

int pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket: " + std::string(strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string err = strerror(errno);
    ::close(fd);
    throw std::runtime_error("bind/getsockname: " + err);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

BrokerProcess::BrokerProcess(BrokerOptions options) : options_(std::move(options)) {
  char templ[] = "/tmp/ota-it-XXXXXX";
  if (::mkdtemp(templ) == nullptr) {
    throw std::runtime_error("mkdtemp: " + std::string(strerror(errno)));
  }
  dir_ = templ;
  port_ = pick_free_port();
  if (options_.create_db_dir) ::mkdir((dir_ + "/db").c_str(), 0700);
}

BrokerProcess::~BrokerProcess() {
  if (pid_ > 0) stop(5s);
  if (std::getenv("OTA_KEEP_TEST_DIRS") != nullptr) {
    std::cerr << "[broker] kept test dir " << dir_ << "\n";
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string BrokerProcess::expand(const std::string& text) const {
  std::string out = text;
  const std::string placeholder = kDirPlaceholder;
  for (size_t pos = out.find(placeholder); pos != std::string::npos;
       pos = out.find(placeholder, pos + dir_.size())) {
    out.replace(pos, placeholder.size(), dir_);
  }
  return out;
}

void BrokerProcess::write_config() const {
  std::ofstream conf(config_path(), std::ios::trunc);
  if (!options_.config_text.empty()) {
    std::string text = expand(options_.config_text);
    const std::string port = "{port}";
    for (size_t pos = text.find(port); pos != std::string::npos; pos = text.find(port, pos)) {
      text.replace(pos, port.size(), std::to_string(port_));
    }
    conf << text;
    if (!conf) throw std::runtime_error("cannot write " + config_path());
    return;
  }
  conf << "per_listener_settings false\n"
       << "listener " << port_ << " 127.0.0.1\n"
       << "allow_anonymous true\n"
       << "user root\n"
       << "set_tcp_nodelay true\n"
       << "log_dest file " << log_path() << "\n"
       << "log_type all\n";
  if (options_.with_plugin) {
    conf << "plugin " << OTA_PLUGIN_PATH << "\n";
    for (const auto& [key, value] : options_.plugin_opts) {
      conf << "plugin_opt_" << key << " " << expand(value) << "\n";
    }
  }
  for (const auto& line : options_.extra_config) conf << expand(line) << "\n";
  if (!conf) throw std::runtime_error("cannot write " + config_path());
}

std::string BrokerProcess::spawn() {
  if (pid_ > 0) return "broker already running (pid " + std::to_string(pid_) + ")";
  write_config();

  // Everything the child needs is prepared before fork(): between fork and
  // exec only async-signal-safe calls are allowed (the test process has
  // libmosquitto threads).
  const std::string binary = mosquitto_binary();
  const std::string conf = config_path();
  const std::string out = output_path();
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()), const_cast<char*>("-c"),
                             const_cast<char*>(conf.c_str()), nullptr};
  const long max_fd = ::sysconf(_SC_OPEN_MAX);

  pid_t pid = ::fork();
  if (pid < 0) return "fork: " + std::string(strerror(errno));
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    // Do not let the broker inherit the test's client sockets: a client's
    // close() must reach the broker it talks to.
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
    {
      for (long i = 3; i < max_fd && i < 65536; ++i) ::close(static_cast<int>(i));
    }
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  return {};
}

std::optional<int> BrokerProcess::reap(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) return status;
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

BrokerExit BrokerProcess::finish(int wait_status) {
  pid_ = -1;
  BrokerExit result;
  result.exited = true;
  result.wait_status = wait_status;
  result.output = output() + log();
  last_exit_ = result;
  return result;
}

bool BrokerProcess::port_accepts() const {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

std::string BrokerProcess::tail(size_t max_bytes) const {
  auto cut = [max_bytes](const std::string& s) {
    return s.size() <= max_bytes ? s : "..." + s.substr(s.size() - max_bytes);
  };
  return "--- output (" + output_path() + ") ---\n" + cut(output()) + "\n--- log (" +
         log_path() + ") ---\n" + cut(log());
}

std::string BrokerProcess::start(std::chrono::milliseconds timeout) {
  std::string error = start_once(timeout);
  // Another process may take the free port between pick_free_port() and the
  // broker's bind (parallel ctest): before the first successful start the
  // port is ours to change.
  for (int attempt = 0; attempt < 3 && !started_once_ && !error.empty() &&
                        error.find("Address already in use") != std::string::npos;
       ++attempt) {
    port_ = pick_free_port();
    ::unlink(log_path().c_str());
    ::unlink(output_path().c_str());
    error = start_once(timeout);
  }
  if (error.empty()) started_once_ = true;
  return error;
}

std::string BrokerProcess::start_once(std::chrono::milliseconds timeout) {
  const size_t log_offset = log().size();  // the log is appended to
  if (std::string err = spawn(); !err.empty()) return err;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      BrokerExit exit = finish(status);
      return "mosquitto exited during start-up (" + exit.describe() + ")\n" + tail();
    }
    // mosquitto loads and initialises plugins, then opens its listeners,
    // then logs "mosquitto version X running". Waiting for that line (not
    // only for the port, which another process could hold) means the
    // broker's own listener is up and the plugin is initialised.
    if (logged_running(log_offset) && port_accepts()) return {};
    if (Clock::now() >= deadline) {
      std::string msg = "mosquitto did not open port " + std::to_string(port_) + " within " +
                        std::to_string(timeout.count()) + " ms\n" + tail();
      kill9();
      return msg;
    }
    std::this_thread::sleep_for(10ms);
  }
}

BrokerExit BrokerProcess::start_expect_failure(std::chrono::milliseconds timeout) {
  BrokerExit result;
  const size_t log_offset = log().size();
  if (std::string err = spawn(); !err.empty()) {
    result.output = err;
    return result;
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto status = reap(0ms)) return finish(*status);
    if (logged_running(log_offset) || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(10ms);
  }
  // Running: the configuration did not make it fail.
  BrokerExit killed = kill9();
  killed.exited = false;
  return killed;
}

bool BrokerProcess::logged_running(size_t log_offset) const {
  // "<time>: mosquitto version 2.0.11 running", after the listeners opened.
  const std::string text = log();
  for (size_t pos = text.find(" running", log_offset); pos != std::string::npos;
       pos = text.find(" running", pos + 1)) {
    const size_t line = text.rfind('\n', pos);
    const size_t start = line == std::string::npos ? 0 : line + 1;
    if (start >= log_offset && text.find("mosquitto version", start) < pos) return true;
  }
  return false;
}

BrokerExit BrokerProcess::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return {};
  ::kill(pid_, SIGTERM);
  if (auto status = reap(timeout)) return finish(*status);
  std::cerr << "[broker] pid " << pid_ << " ignored SIGTERM for " << timeout.count()
            << " ms; sending SIGKILL\n";
  return kill9();
}

BrokerExit BrokerProcess::kill9() {
  if (pid_ <= 0) return {};
  ::kill(pid_, SIGKILL);
  if (auto status = reap(10s)) return finish(*status);
  BrokerExit result;  // cannot happen short of a kernel problem
  result.output = "pid " + std::to_string(pid_) + " survived SIGKILL";
  return result;
}

std::string BrokerProcess::restart() {
  if (pid_ > 0) stop();
  return start();
}

bool BrokerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    finish(status);
    return false;
  }
  return true;
}

std::string BrokerProcess::log() const { return read_file(log_path()); }

std::string BrokerProcess::output() const { return read_file(output_path()); }

}  // namespace ota::test
