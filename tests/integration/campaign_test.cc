// A staged rollout on a real broker: 200 simulated devices, two groups; the
// first group's failures reach the failure threshold and pause the job, a
// resume finishes it, and every device is accounted for.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "ota_fixture.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

constexpr int kDevices = 200;
constexpr int kFailing = 5;  // devices of the first group that fail

std::string device_name(int i) {
  char buf[16];
  snprintf(buf, sizeof buf, "cd%03d", i);
  return buf;
}

class CampaignTest : public OtaBrokerTest {
 protected:
  // One MQTT connection speaks for the whole fleet: aliyun devices are
  // named by their topics, so the plugin sees 200 devices. That needs
  // plugin_opt_device_identity none (identity binding is security_test's).
  BrokerOptions broker_options() override {
    BrokerOptions o;
    o.plugin_opts["device_identity"] = "none";
    return o;
  }
  void SetUp() override {
    OtaBrokerTest::SetUp();
    ASSERT_TRUE(fleet_.connect(broker().port(), "fleet"));
    ASSERT_TRUE(fleet_.subscribe("/ota/device/upgrade/camp/+"));
    for (int i = 0; i < kDevices; ++i) report(device_name(i), "1.0.0");
  }
  void report(const std::string& device, const std::string& version) {
    ASSERT_TRUE(fleet_.publish("/ota/device/inform/camp/" + device,
                               R"({"id":"1","params":{"version":")" + version + R"("}})"));
  }
  void progress(const std::string& device, const std::string& step) {
    ASSERT_TRUE(fleet_.publish("/ota/device/progress/camp/" + device,
                               R"({"id":"2","params":{"step":")" + step + R"(","desc":"x"}})"));
  }
  // Collects notifications until `n` distinct devices were notified.
  std::vector<std::string> notified(size_t n, std::chrono::milliseconds timeout = 10s) {
    std::vector<std::string> devices;
    std::set<std::string> seen;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (devices.size() < n && std::chrono::steady_clock::now() < deadline) {
      auto m = fleet_.wait_message("/ota/device/upgrade/camp/+", 200ms);
      if (!m) continue;
      const std::string device = m->topic.substr(m->topic.rfind('/') + 1);
      if (seen.insert(device).second) devices.push_back(device);
    }
    return devices;
  }
  JsonPtr job(long long id) { return api().get_job(id); }

  MqttClient fleet_;
};

TEST_F(CampaignTest, TwoGroupRolloutPausesOnFailuresAndFinishesAfterResume) {
  PackageSpec spec;
  spec.product = "camp";
  spec.module = "";
  JsonPtr package = api().create_package(spec);
  ASSERT_TRUE(package);
  const long long package_id = json_int_at(package.get(), "id").value_or(-1);
  JsonPtr created = api().run(
      "createJob",
      R"({"packageId":)" + std::to_string(package_id) +
          R"(,"all":true,"groups":[{"percent":10},{"percent":90}],)"
          R"("failureThreshold":{"count":)" + std::to_string(kFailing) + "}}",
      "job");
  ASSERT_TRUE(created);
  const long long job_id = json_int_at(created.get(), "id").value_or(-1);
  EXPECT_EQ(json_text(json_at(created.get(), "groupSizes")), "[20,180]");

  // Group 1: twenty devices are notified, and only they.
  std::vector<std::string> first = notified(20);
  ASSERT_EQ(first.size(), 20u);
  EXPECT_TRUE(fleet_.no_message("/ota/device/upgrade/camp/+", 300ms))
      << "a device of group 2 was notified while group 1 ran";
  // Successes first, so that the threshold is reached by the last result.
  for (int i = 0; i < 20; ++i) {
    progress(first[i], "50");
    if (i >= kFailing) report(first[i], "2.0.0");
  }
  for (int i = 0; i < kFailing; ++i) progress(first[i], "-2");
  JsonPtr paused = api().wait_job_state(job_id, "paused");
  ASSERT_TRUE(paused);
  EXPECT_EQ(json_string_at(paused.get(), "stateReason"),
            "failure threshold reached: 5 of 20 finished tasks failed");
  EXPECT_EQ(job_count(paused.get(), "FAILED"), kFailing);
  EXPECT_EQ(job_count(paused.get(), "SUCCEEDED"), 20 - kFailing);
  EXPECT_EQ(job_count(paused.get(), "QUEUED"), 180);
  EXPECT_TRUE(fleet_.no_message("/ota/device/upgrade/camp/+", 500ms))
      << "a paused job notified a device";

  // Resume: group 2 runs and every device finishes.
  ASSERT_TRUE(api().run("resumeJob", R"({"jobId":)" + std::to_string(job_id) + "}", "job"));
  std::vector<std::string> second = notified(180);
  ASSERT_EQ(second.size(), 180u);
  std::set<std::string> everyone(first.begin(), first.end());
  everyone.insert(second.begin(), second.end());
  EXPECT_EQ(everyone.size(), static_cast<size_t>(kDevices)) << "a device was notified twice";
  for (const std::string& d : second) report(d, "2.0.0");

  JsonPtr done = api().wait_job_state(job_id, "completed", 10s);
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), kDevices - kFailing);
  EXPECT_EQ(job_count(done.get(), "FAILED"), kFailing);
  long long total = 0;
  for (const char* s : {"CONFIRM", "QUEUED", "NOTIFIED", "IN_PROGRESS", "SUCCEEDED", "FAILED",
                        "CANCELED"}) {
    total += job_count(done.get(), s);
  }
  EXPECT_EQ(total, kDevices);
  EXPECT_EQ(json_text(json_at(done.get(), "failureReasons")), R"({"download failed":5})");

  // The version distribution agrees.
  JsonPtr stats = api().run("getStatistics", R"({"product":"camp"})", "statistics");
  ASSERT_TRUE(stats);
  EXPECT_EQ(json_text(json_at(stats.get(), "versions")), R"({"1.0.0":5,"2.0.0":195})");
}

TEST_F(CampaignTest, RetryTaskRequeuesAFailedDevice) {
  PackageSpec spec;
  spec.product = "camp";
  spec.module = "";
  JsonPtr package = api().create_package(spec);
  ASSERT_TRUE(package);
  JsonPtr created = api().run(
      "createJob",
      R"({"packageId":)" + std::to_string(json_int_at(package.get(), "id").value_or(-1)) +
          R"(,"devices":["cd000"]})",
      "job");
  ASSERT_TRUE(created);
  const long long job_id = json_int_at(created.get(), "id").value_or(-1);
  ASSERT_EQ(notified(1).size(), 1u);
  progress("cd000", "-3");
  ASSERT_TRUE(api().wait_job_state(job_id, "completed"));
  JsonPtr task = api().run("retryTask", R"({"jobId":)" + std::to_string(job_id) +
                                            R"(,"device":"cd000"})", "task");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "state"), "QUEUED");
  ASSERT_EQ(notified(1).size(), 1u);
  report("cd000", "2.0.0");
  JsonPtr done = api().wait_job_state(job_id, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 1);
}

}  // namespace
}  // namespace ota::test
