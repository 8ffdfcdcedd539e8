// A real mosquitto broker process for integration tests.
//
// Each BrokerProcess owns a fresh temporary directory (mkdtemp under /tmp)
// holding the generated mosquitto.conf, the broker log, the broker's
// stdout/stderr and (by default) the plugin's database. It listens on a free
// loopback port that stays the same across restart(), so clients and the
// database survive a broker restart exactly as in production.
//
// Set the environment variable OTA_KEEP_TEST_DIRS to keep the directories
// after the test (their paths are printed on stderr).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ota::test {

// Every occurrence of this placeholder in a plugin option value or an extra
// config line is replaced by the broker's temporary directory.
inline constexpr const char* kDirPlaceholder = "{dir}";

struct BrokerOptions {
  // Load the OTA plugin (OTA_PLUGIN_PATH). False: a plain mosquitto.
  bool with_plugin = true;
  // plugin_opt_<key> <value> lines, written in key order.
  std::map<std::string, std::string> plugin_opts = default_plugin_opts();
  // Free-form lines appended to mosquitto.conf.
  std::vector<std::string> extra_config;
  // When not empty: the whole mosquitto.conf, written instead of the
  // generated one ("{dir}" and "{port}" replaced), e.g. a shipped config
  // file. It must log to {dir}/mosquitto.log and listen on {port}.
  std::string config_text;
  // Create <dir>/db before the first start (the default db_path).
  bool create_db_dir = true;

  // db_path {dir}/db, admins admin, sys_interval 1.
  static std::map<std::string, std::string> default_plugin_opts();
};

// How a broker process ended.
struct BrokerExit {
  bool exited = false;  // false: still running when we gave up waiting
  int wait_status = 0;  // raw waitpid() status when exited
  std::string output;   // the broker's stdout/stderr followed by its log file

  bool exited_normally() const;  // WIFEXITED
  int exit_code() const;         // WEXITSTATUS, or -1
  std::string describe() const;  // "exit code 1", "killed by signal 9", ...
};

class BrokerProcess {
 public:
  explicit BrokerProcess(BrokerOptions options = {});
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  // Writes mosquitto.conf, starts the broker and waits (bounded) until it
  // logs that it is running (plugins initialised, listeners open) and its
  // port accepts TCP connections. Returns an empty string on success, else a
  // description of the failure (exit status and the tail of the output).
  // Before the first successful start, a port taken in the meantime by
  // another process is replaced by a new free one.
  std::string start(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Starts a broker whose configuration should make it exit, and waits
  // (bounded) for it to exit. A broker that logs that it is running, or is
  // still running when the timeout ends, is killed and reported as
  // exited=false.
  BrokerExit start_expect_failure(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // SIGTERM and wait (bounded); SIGKILL when it does not exit in time.
  // Returns how the process ended (exited=false when none was running).
  BrokerExit stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGKILL and wait.
  BrokerExit kill9();
  // stop() (if running), then start() with the same dir, port and config.
  std::string restart();

  // Whether the process is alive; reaps it (see last_exit()) when it is not.
  bool running();
  // How the process ended the last time it was reaped.
  const BrokerExit& last_exit() const { return last_exit_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string config_path() const { return dir_ + "/mosquitto.conf"; }
  std::string log_path() const { return dir_ + "/mosquitto.log"; }
  std::string output_path() const { return dir_ + "/stdout.log"; }
  std::string db_path() const { return dir_ + "/db"; }

  // The broker's log file, and its stdout/stderr.
  std::string log() const;
  std::string output() const;

  // The options; changes take effect at the next start()/restart().
  BrokerOptions& options() { return options_; }
  // Writes mosquitto.conf from the options (start() does this itself).
  void write_config() const;

 private:
  std::string expand(const std::string& text) const;
  std::string spawn();  // fork/exec; empty or an error
  std::string start_once(std::chrono::milliseconds timeout);
  // Whether the log, after byte `log_offset`, has mosquitto's "running" line.
  bool logged_running(size_t log_offset) const;
  std::optional<int> reap(std::chrono::milliseconds timeout);
  BrokerExit finish(int wait_status);
  bool port_accepts() const;
  std::string tail(size_t max_bytes = 4000) const;

  BrokerOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  BrokerExit last_exit_;
  bool started_once_ = false;
};

// A free TCP port on 127.0.0.1 (bind to port 0, read it, close).
int pick_free_port();

// The whole content of a file, or an empty string.
std::string read_file(const std::string& path);

}  // namespace ota::test
