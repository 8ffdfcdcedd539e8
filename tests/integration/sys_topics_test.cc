// Monitoring: the plugin's retained $SYS/broker/ota/... counters.
#include <gtest/gtest.h>

#include "ota_fixture.h"
#include "sys_monitor.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

using SysTopicsTest = OtaBrokerTest;

TEST_F(SysTopicsTest, CountersAreRetainedPlainNumbers) {
  SysMonitor sys;
  ASSERT_TRUE(sys.connect(broker().port()));
  for (const char* topic :
       {"devices/total", "messages/received", "messages/rejected", "notifications/sent",
        "tasks/CONFIRM", "tasks/QUEUED", "tasks/NOTIFIED", "tasks/IN_PROGRESS",
        "tasks/SUCCEEDED", "tasks/FAILED", "tasks/CANCELED"}) {
    auto v = sys.value(topic, 3s);
    EXPECT_TRUE(v.has_value()) << topic << " not published (raw: "
                               << sys.raw(topic).value_or("<none>") << ")";
    if (v) {
      EXPECT_EQ(*v, 0) << topic;
    }
  }

  // A client that subscribes later gets the values at once: retained.
  MqttClient late;
  ASSERT_TRUE(late.connect(broker().port(), "late"));
  ASSERT_TRUE(late.subscribe("$SYS/broker/ota/devices/total", 0));
  auto m = late.wait_message("$SYS/broker/ota/devices/total", 1s);
  ASSERT_TRUE(m.has_value()) << "devices/total is not retained";
  EXPECT_TRUE(m->retain);
  EXPECT_EQ(m->payload, "0");
}

TEST_F(SysTopicsTest, CountersFollowACampaign) {
  SysMonitor sys;
  ASSERT_TRUE(sys.connect(broker().port()));
  auto received0 = sys.value("messages/received");
  auto sent0 = sys.value("notifications/sent");
  ASSERT_TRUE(received0 && sent0);

  auto d1 = device("pk1", "d1", "1.0.0");
  auto d2 = device("pk1", "d2", "1.0.0");
  auto d3 = device("pk2", "d1", "1.0.0");
  auto eq = [](long long want) { return [want](long long v) { return v == want; }; };
  EXPECT_TRUE(sys.wait_for("devices/total", eq(3)))
      << "devices/total: " << sys.raw("devices/total").value_or("<none>");
  EXPECT_TRUE(sys.wait_for("messages/received", eq(*received0 + 3)))
      << "messages/received: " << sys.raw("messages/received").value_or("<none>");

  long long job_id = start_job(PackageSpec{}, {"d1", "d2"});
  ASSERT_GT(job_id, 0);
  ASSERT_TRUE(d1->wait_upgrade());
  ASSERT_TRUE(d2->wait_upgrade());
  EXPECT_TRUE(sys.wait_for("notifications/sent", eq(*sent0 + 2)))
      << sys.raw("notifications/sent").value_or("<none>");
  EXPECT_TRUE(sys.wait_for("tasks/NOTIFIED", eq(2)))
      << sys.raw("tasks/NOTIFIED").value_or("<none>");

  ASSERT_TRUE(d1->report_progress("\"10\"", ""));
  EXPECT_TRUE(sys.wait_for("tasks/IN_PROGRESS", eq(1)));
  ASSERT_TRUE(d1->report_version("2.0.0"));
  ASSERT_TRUE(d2->report_progress("\"-3\"", "bad checksum"));
  EXPECT_TRUE(sys.wait_for("tasks/SUCCEEDED", eq(1)));
  EXPECT_TRUE(sys.wait_for("tasks/FAILED", eq(1)));
  EXPECT_TRUE(sys.wait_for("tasks/NOTIFIED", eq(0)));
  EXPECT_TRUE(sys.wait_for("tasks/IN_PROGRESS", eq(0)));
  EXPECT_TRUE(sys.wait_for("messages/received", eq(*received0 + 6)))
      << sys.raw("messages/received").value_or("<none>");
  EXPECT_TRUE(sys.wait_for("devices/total", eq(3)));
  EXPECT_TRUE(sys.wait_for("messages/rejected", eq(0)));
}

TEST_F(SysTopicsTest, DeviceTotalSurvivesRestart) {
  auto d1 = device("pk1", "d1", "1.0.0");
  auto d2 = device("pk1", "d2", "1.0.0");
  {
    SysMonitor sys;
    ASSERT_TRUE(sys.connect(broker().port()));
    ASSERT_TRUE(sys.wait_for("devices/total", [](long long v) { return v == 2; }));
  }
  d1.reset();
  d2.reset();
  ASSERT_EQ(broker().restart(), "");
  SysMonitor sys;
  ASSERT_TRUE(sys.connect(broker().port()));
  EXPECT_TRUE(sys.wait_for("devices/total", [](long long v) { return v == 2; }))
      << sys.raw("devices/total").value_or("<none>");
}

}  // namespace
}  // namespace ota::test
