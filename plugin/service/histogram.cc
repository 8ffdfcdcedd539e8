#include "service/histogram.h"

#include <time.h>

#include <algorithm>
#include <stdexcept>

namespace ota {
namespace {

constexpr int64_t kMicrosecond = 1'000;
constexpr int64_t kMillisecond = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;

// 50 µs .. 10 s: an unsynced commit takes microseconds, an fsync on a
// disk milliseconds, a stalled one seconds.
std::vector<int64_t> latency_bounds() {
  return {50 * kMicrosecond, 100 * kMicrosecond, 250 * kMicrosecond, 500 * kMicrosecond,
          1 * kMillisecond,  2500 * kMicrosecond, 5 * kMillisecond,   10 * kMillisecond,
          25 * kMillisecond, 50 * kMillisecond,  100 * kMillisecond, 250 * kMillisecond,
          500 * kMillisecond, 1 * kSecond,        2500 * kMillisecond, 10 * kSecond};
}

}  // namespace

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kSecond + ts.tv_nsec;
}

Histogram::Histogram(std::vector<int64_t> upper_bounds_ns) : bounds_(std::move(upper_bounds_ns)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    throw std::invalid_argument("histogram bounds must be strictly ascending");
  }
  buckets_.assign(bounds_.size() + 1, 0);
}

void Histogram::observe(int64_t ns) {
  if (ns < 0) ns = 0;
  // Bucket i holds (bound[i-1], bound[i]]: the first bound not below ns.
  const size_t i = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), ns) - bounds_.begin());
  buckets_[i]++;
  count_++;
  sum_ns_ += static_cast<uint64_t>(ns);
}

std::vector<uint64_t> Histogram::cumulative_counts() const {
  std::vector<uint64_t> out(buckets_.size());
  uint64_t running = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) out[i] = running += buckets_[i];
  return out;
}

ServiceTimings::ServiceTimings()
    : report_to_notification(latency_bounds()),
      batch_commit_durable(latency_bounds()),
      batch_commit_unsynced(latency_bounds()),
      store_sync(latency_bounds()) {}

}  // namespace ota
