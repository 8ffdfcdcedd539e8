#include "service/histogram.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ota {
namespace {

TEST(Histogram, BoundsAreInclusiveAndTheLastBucketIsUnbounded) {
  Histogram h({10, 100, 1000});
  h.observe(10);    // at the first bound: in it (Prometheus' le)
  h.observe(11);
  h.observe(100);
  h.observe(5000);  // above every bound: +Inf only
  EXPECT_EQ(h.cumulative_counts(), (std::vector<uint64_t>{1, 3, 3, 4}));
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.sum_ns(), 10u + 11 + 100 + 5000);
}

TEST(Histogram, ANegativeDurationCountsAsZero) {
  Histogram h({10});
  h.observe(-5);
  EXPECT_EQ(h.cumulative_counts(), (std::vector<uint64_t>{1, 1}));
  EXPECT_EQ(h.sum_ns(), 0u);
}

TEST(Histogram, EmptyHasZeroEverywhere) {
  Histogram h({10, 20});
  EXPECT_EQ(h.cumulative_counts(), (std::vector<uint64_t>{0, 0, 0}));
  EXPECT_EQ(h.count(), 0u);
}

TEST(Histogram, BoundsMustAscend) {
  EXPECT_THROW(Histogram({20, 10}), std::invalid_argument);
  EXPECT_THROW(Histogram({10, 10}), std::invalid_argument);
}

TEST(ServiceTimings, EveryHistogramSpansMicrosecondsToSeconds) {
  ServiceTimings t;
  for (const Histogram* h : {&t.report_to_notification, &t.batch_commit_durable,
                             &t.batch_commit_unsynced, &t.store_sync}) {
    ASSERT_FALSE(h->upper_bounds_ns().empty());
    EXPECT_EQ(h->upper_bounds_ns().front(), 50'000);
    EXPECT_EQ(h->upper_bounds_ns().back(), 10'000'000'000);
  }
}

TEST(MonotonicClock, NeverGoesBack) {
  const int64_t a = monotonic_ns();
  const int64_t b = monotonic_ns();
  EXPECT_GT(a, 0);
  EXPECT_GE(b, a);
}

}  // namespace
}  // namespace ota
