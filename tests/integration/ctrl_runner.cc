#include "ctrl_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifndef OTA_CTRL_PATH
#define OTA_CTRL_PATH "mosquitto_ota_ctrl"
#endif

extern char** environ;

namespace ota::test {

std::string CtrlRun::describe() const {
  return "$ " + command_line + "\nexit " +
         (timed_out ? std::string("(killed after the timeout)") : std::to_string(exit_code)) +
         "\n--- stdout ---\n" + out + "--- stderr ---\n" + err + "---";
}

CtrlRun run_ctrl(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                 const std::vector<std::string>& env) {
  CtrlRun run;
  std::vector<std::string> argv_s{OTA_CTRL_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  for (const std::string& a : argv_s) {
    run.command_line += (run.command_line.empty() ? "" : " ");
    run.command_line += a.find_first_of(" '\"$") == std::string::npos ? a : "'" + a + "'";
  }
  // Everything the child needs is prepared before fork(): the test process
  // has threads, so the child may only call async-signal-safe functions.
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> overrides{"XDG_CONFIG_HOME=/nonexistent/mosquitto-ota-ctrl-test"};
  overrides.insert(overrides.end(), env.begin(), env.end());
  std::vector<std::string> env_s;
  auto overridden = [&](const char* entry) {
    for (const std::string& o : overrides) {
      const size_t eq = o.find('=');
      if (strncmp(entry, o.c_str(), eq + 1) == 0) return true;
    }
    return false;
  };
  for (char** e = environ; *e; ++e) {
    if (!overridden(*e)) env_s.emplace_back(*e);
  }
  // Later overrides win: keep the last of each name.
  for (size_t i = 0; i < overrides.size(); ++i) {
    const std::string name = overrides[i].substr(0, overrides[i].find('=') + 1);
    bool later = false;
    for (size_t k = i + 1; k < overrides.size(); ++k) {
      later = later || overrides[k].rfind(name, 0) == 0;
    }
    if (!later) env_s.push_back(overrides[i]);
  }
  std::vector<char*> envp;
  for (std::string& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    run.err = std::string("pipe: ") + strerror(errno);
    return run;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    const char msg[] = "exec of mosquitto_ota_ctrl failed\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&run.out, &run.err};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      run.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    const int n = poll(fds, 2, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        sinks[i]->append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!run.timed_out && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  return run;
}

JsonPtr ctrl_json(const CtrlRun& run) { return json_parse(run.out); }

}  // namespace ota::test
