// What the in-process benchmarks (ota_service_bench, ota_encode_bench)
// share: the process's CPU time, and a switch for callgrind so that only
// the measured part is counted (run with --collect-atstart=no).
#pragma once

#include <sys/resource.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define OTA_COLLECT_TOGGLE() CALLGRIND_TOGGLE_COLLECT
#else
#define OTA_COLLECT_TOGGLE() ((void)0)
#endif

namespace ota::bench {

// User and system CPU seconds of this process so far.
inline double cpu_seconds() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace ota::bench
