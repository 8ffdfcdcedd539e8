#include "worker_processes.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <iostream>
#include <stdexcept>

#include "client_set.h"

namespace bench {

void WorkerProcesses::start(int count, const std::function<int(int)>& body, const std::string& name) {
  name_ = name;
  std::cout.flush();  // or the children print the parent's buffer again
  for (int i = 0; i < count; ++i) {
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the parent
      int rc = 1;
      try {
        rc = body(i);
      } catch (const std::exception& e) {
        std::cerr << name_ << " worker " << i << ": " << e.what() << "\n";
      }
      std::cout.flush();
      _exit(rc);
    }
    pids_.push_back(pid);
  }
}

bool WorkerProcesses::alive() {
  for (pid_t& pid : pids_) {
    if (pid <= 0) continue;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      std::cerr << name_ << ": worker " << pid << " exited unexpectedly (status " << status << ")\n";
      pid = -1;
      return false;
    }
  }
  return true;
}

void WorkerProcesses::reap(double timeout_s) {
  const int64_t deadline = now_ns() + static_cast<int64_t>(timeout_s * 1e9);
  for (pid_t& pid : pids_) {
    if (pid <= 0) continue;
    int status;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (now_ns() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      usleep(10000);
    }
    pid = -1;
  }
}

std::vector<pid_t> WorkerProcesses::pids() const {
  std::vector<pid_t> running;
  for (pid_t pid : pids_) {
    if (pid > 0) running.push_back(pid);
  }
  return running;
}

void WorkerProcesses::start_sliced(int count, size_t items,
                                   const std::function<int(int, size_t, size_t)>& body,
                                   const std::string& name) {
  const size_t per = (items + count - 1) / count;
  start(count, [&](int i) {
    const size_t begin = std::min(items, per * i);
    return body(i, begin, std::min(items, begin + per));
  }, name);
}

}  // namespace bench
