// A fixed-bucket histogram of durations, as Prometheus exposes them
// (metrics_exposition.h). Observing is a few comparisons and increments on
// the broker thread; the buckets are chosen once, at construction.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace ota {

// Monotonic nanoseconds (CLOCK_MONOTONIC in the plugin, a fake in tests).
using MonotonicClock = std::function<int64_t()>;

// CLOCK_MONOTONIC, for the plugin's own measurements.
int64_t monotonic_ns();

class Histogram {
 public:
  // `upper_bounds_ns`: ascending bucket bounds; a last, unbounded bucket
  // (+Inf) is implied.
  explicit Histogram(std::vector<int64_t> upper_bounds_ns);

  // Counts one duration (negative ones, from a clock step, as 0).
  void observe(int64_t ns);

  const std::vector<int64_t>& upper_bounds_ns() const { return bounds_; }
  // Observations at most each bound (cumulative, as exposed), then all.
  std::vector<uint64_t> cumulative_counts() const;
  uint64_t count() const { return count_; }
  uint64_t sum_ns() const { return sum_ns_; }

 private:
  std::vector<int64_t> bounds_;
  std::vector<uint64_t> buckets_;  // per bucket, not cumulative; last = +Inf
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
};

// The durations the service measures when metrics are on
// (docs/metrics.md): names are the exposed metric names.
struct ServiceTimings {
  ServiceTimings();
  // From a device message's arrival to the notification it caused being
  // handed to the broker (no commit waited for: decisions.md "Durability").
  Histogram report_to_notification;
  // One batch's store commit, with and without the fsync.
  Histogram batch_commit_durable;
  Histogram batch_commit_unsynced;
  // A deferred sync of earlier unsynced commits (no batch open).
  Histogram store_sync;
};

}  // namespace ota
