#include "service/monitoring.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace ota {
namespace {

std::map<std::string, std::string> by_topic(const std::vector<OutboundMessage>& out) {
  std::map<std::string, std::string> m;
  for (const OutboundMessage& msg : out) {
    EXPECT_TRUE(msg.retain) << msg.topic;
    EXPECT_EQ(msg.qos, 0) << msg.topic;
    m[msg.topic] = msg.payload;
  }
  return m;
}

TEST(SysPublisher, DueEveryIntervalAndNeverWhenOff) {
  SysPublisher off(0);
  EXPECT_FALSE(off.take_due(1'000));
  SysPublisher p(10);
  EXPECT_TRUE(p.take_due(1'000));
  EXPECT_FALSE(p.take_due(10'999));
  EXPECT_TRUE(p.take_due(11'000));
}

TEST(SysPublisher, RendersFiguresAndClearsJobsThatStoppedRunning) {
  SysPublisher p(10);
  MonitoringFigures f;
  f.store = StoreFigures{};
  f.store->devices_total = 7;
  f.store->devices_online = 3;
  f.store->tasks[static_cast<int>(TaskState::kSucceeded)] = 4;
  f.store->running_jobs[5][static_cast<int>(TaskState::kNotified)] = 2;
  f.counters.messages_received = 11;
  f.counters.store_syncs = 9;
  auto m = by_topic(p.messages(f));
  EXPECT_EQ(m["$SYS/broker/ota/devices/total"], "7");
  EXPECT_EQ(m["$SYS/broker/ota/devices/online"], "3");
  EXPECT_EQ(m["$SYS/broker/ota/tasks/SUCCEEDED"], "4");
  EXPECT_EQ(m["$SYS/broker/ota/jobs/5/NOTIFIED"], "2");
  EXPECT_EQ(m["$SYS/broker/ota/messages/received"], "11");
  EXPECT_EQ(m["$SYS/broker/ota/store/syncs"], "9");
  EXPECT_EQ(m.count("$SYS/broker/ota/downloads/bytes"), 0u);  // no firmware served

  f.store->running_jobs.clear();
  f.downloads = true;
  f.counters.download_bytes = 100;
  m = by_topic(p.messages(f));
  // An empty retained payload deletes the finished job's counts.
  ASSERT_EQ(m.count("$SYS/broker/ota/jobs/5/NOTIFIED"), 1u);
  EXPECT_EQ(m["$SYS/broker/ota/jobs/5/NOTIFIED"], "");
  EXPECT_EQ(m["$SYS/broker/ota/downloads/bytes"], "100");
  // ... once.
  m = by_topic(p.messages(f));
  EXPECT_EQ(m.count("$SYS/broker/ota/jobs/5/NOTIFIED"), 0u);
}

TEST(SysPublisher, WithoutStoreFiguresOnlyCounters) {
  SysPublisher p(10);
  MonitoringFigures f;
  f.counters.store_errors = 1;
  auto m = by_topic(p.messages(f));
  EXPECT_EQ(m.count("$SYS/broker/ota/devices/total"), 0u);
  EXPECT_EQ(m["$SYS/broker/ota/store/errors"], "1");
}

}  // namespace
}  // namespace ota
