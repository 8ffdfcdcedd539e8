#include "service/log_throttle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ota {
namespace {

TEST(LogThrottle, LimitsEachWindowAndReportsWhatItSuppressed) {
  LogThrottle t(2);
  const TimeMs t0 = 10'000;
  EXPECT_TRUE(t.admit(t0).write);
  EXPECT_TRUE(t.admit(t0 + 1).write);
  EXPECT_FALSE(t.admit(t0 + 2).write);
  EXPECT_FALSE(t.admit(t0 + 999).write);
  // The next window opens with the count of the lines it kept back.
  LogThrottle::Admission a = t.admit(t0 + 1000);
  EXPECT_TRUE(a.write);
  EXPECT_EQ(a.suppressed, 2u);
  EXPECT_EQ(t.admit(t0 + 1001).suppressed, 0u);
}

TEST(RejectionLog, CountsEveryRejectionLogsWithinTheLimit) {
  std::vector<std::string> lines;
  Logger log = [&](LogLevel, const std::string& l) { lines.push_back(l); };
  uint64_t rejected = 0;
  RejectionLog r(log, rejected);
  int conn = 0;
  for (int i = 0; i < 25; ++i) r.reject("t/1", {&conn, "c1", ""}, "bad", 5'000);
  EXPECT_EQ(rejected, 25u);
  ASSERT_EQ(lines.size(), RejectionLog::kLinesPerSecond);
  EXPECT_EQ(lines[0], "mosquitto-ota: rejected message on 't/1' from client 'c1' (username ''): bad");
  r.reject("t/1", {&conn, "c1", ""}, "bad", 6'000);
  ASSERT_EQ(lines.size(), RejectionLog::kLinesPerSecond + 2);
  EXPECT_EQ(lines[RejectionLog::kLinesPerSecond],
            "mosquitto-ota: 5 more rejected messages were not logged");
}

}  // namespace
}  // namespace ota
