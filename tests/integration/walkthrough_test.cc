// The README's first upgrade, as a user runs it: the device listens with
// one connection (mosquitto_sub) and reports with short-lived others
// (mosquitto_pub), so presence must follow the listening connection.
#include <gtest/gtest.h>

#include "ota_fixture.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

// As the quick start runs it: plugin_opt_device_identity none, so that the
// mosquitto_pub/mosquitto_sub clients (client ids of their own, no
// username) may speak for d1.
class WalkthroughTest : public OtaBrokerTest {
 protected:
  BrokerOptions broker_options() override {
    BrokerOptions o;
    o.plugin_opts["device_identity"] = "none";
    return o;
  }
};

// mosquitto_pub: connect, publish once, disconnect.
testing::AssertionResult pub_once(int port, const std::string& topic, const std::string& payload) {
  MqttClient pub;
  if (auto c = pub.connect(port, "mosqpub-once"); !c) return c;
  auto p = pub.publish(topic, payload);
  pub.disconnect();
  return p;
}

TEST_F(WalkthroughTest, ReadmeFirstUpgradeWithSubAndPub) {
  MqttClient sub;
  ASSERT_TRUE(sub.connect(broker().port(), "mosqsub-d1"));
  ASSERT_TRUE(sub.subscribe("/ota/device/upgrade/pk1/d1"));
  ASSERT_TRUE(pub_once(broker().port(), "/ota/device/inform/pk1/d1",
                       R"({"id":"1","params":{"version":"1.0.0"}})"));

  PackageSpec spec;
  spec.product = "pk1";
  spec.module = "";
  JsonPtr package = api().create_package(spec);
  ASSERT_TRUE(package);
  JsonPtr job = api().create_job(json_int_at(package.get(), "id").value_or(-1), {"d1"});
  ASSERT_TRUE(job);
  const long long job_id = json_int_at(job.get(), "id").value_or(-1);

  auto notification = sub.wait_message("/ota/device/upgrade/pk1/d1", 3s);
  ASSERT_TRUE(notification.has_value()) << "the listening device was not notified";
  JsonPtr parsed = json_parse(notification->payload);
  EXPECT_EQ(json_string_at(parsed.get(), "data/version"), "2.0.0");

  ASSERT_TRUE(pub_once(broker().port(), "/ota/device/progress/pk1/d1",
                       R"({"id":"2","params":{"step":"50","desc":"downloading"}})"));
  ASSERT_TRUE(pub_once(broker().port(), "/ota/device/inform/pk1/d1",
                       R"({"id":"3","params":{"version":"2.0.0"}})"));
  JsonPtr done = api().wait_job_state(job_id, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 1);
  // Still listening, so still online.
  JsonPtr device = api().get_device("pk1", "d1");
  ASSERT_TRUE(device);
  EXPECT_EQ(json_text(json_at(device.get(), "online")), "true");
  sub.disconnect();
}

}  // namespace
}  // namespace ota::test
