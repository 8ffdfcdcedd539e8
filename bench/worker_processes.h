// Worker processes of a bench program: the parent forks them once (before
// any client exists), each runs one function and exits with its result, and
// the parent notices a worker that died early and reaps them all at the end.
// The programs share state with their workers through an anonymous shared
// mapping made before start().
#pragma once

#include <mosquitto.h>
#include <sys/types.h>

#include <csignal>
#include <exception>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace bench {

class WorkerProcesses {
 public:
  // Forks `count` workers; worker i runs body(i) and exits with its result
  // (an exception is printed, prefixed by `name`, and exits 1).
  void start(int count, const std::function<int(int)>& body, const std::string& name);
  // The same over `items` split into `count` contiguous slices: worker i
  // runs body(i, begin, end) for items [begin, end).
  void start_sliced(int count, size_t items, const std::function<int(int, size_t, size_t)>& body,
                    const std::string& name);
  // False, with a message, if a worker has exited already.
  bool alive();
  // Waits up to timeout_s for every worker to exit (after the caller told
  // them to), then kills those left.
  void reap(double timeout_s);
  // The running workers' process ids (CPU time from /proc).
  std::vector<pid_t> pids() const;

 private:
  std::string name_;
  std::vector<pid_t> pids_;  // -1 once reaped
};

// The end of a bench program's main(): libmosquitto initialised, the
// program's Orchestrator (which starts the workers) run on the parsed
// options, an exception reported as "name: what". Returns the exit status.
template <typename Orchestrator, typename Options>
int run_orchestrator(const char* name, const Options& options) {
  std::signal(SIGPIPE, SIG_IGN);
  mosquitto_lib_init();
  int rc = 1;
  try {
    Orchestrator orchestrator(options);
    rc = orchestrator.run();
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
  }
  mosquitto_lib_cleanup();
  return rc;
}

}  // namespace bench
