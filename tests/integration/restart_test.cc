// (f) State survives a broker restart: a clean stop (SIGTERM) and kill -9.
#include <gtest/gtest.h>

#include "aliyun_notification.h"
#include "ota_fixture.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

using RestartTest = OtaBrokerTest;

// getDevice's device without "online" (which a restart may change).
std::string stored_view(const json_t* device) {
  JsonPtr copy(json_deep_copy(device));
  json_object_del(copy.get(), "online");
  return json_text(copy.get());
}

std::function<bool(const json_t*)> in_progress_at(long long step) {
  return [step](const json_t* task) {
    return json_string_at(task, "state") == "IN_PROGRESS" && json_int_at(task, "step") == step;
  };
}

TEST_F(RestartTest, CleanRestartKeepsDevicesJobsAndTasks) {
  auto d1 = device("pk1", "d1", "1.0.0");
  ASSERT_TRUE(d1->report_version("5.1", "MCU"));
  auto d2 = device("pk1", "d2", "1.0.0");
  long long package_id = 0;
  PackageSpec spec;
  long long job_id = start_job(spec, {"d1", "d2"}, std::nullopt, &package_id);
  ASSERT_GT(job_id, 0);
  ASSERT_TRUE(d1->wait_upgrade());
  ASSERT_TRUE(d2->wait_upgrade());
  ASSERT_TRUE(d1->report_progress("\"50\"", "downloading"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", job_id, in_progress_at(50), "IN_PROGRESS step 50"));
  ASSERT_TRUE(d2->report_version("2.0.0"));
  ASSERT_TRUE(api().wait_task_state("pk1", "d2", job_id, "SUCCEEDED"));

  JsonPtr dev1 = api().get_device("pk1", "d1");
  JsonPtr dev2 = api().get_device("pk1", "d2");
  JsonPtr job = api().get_job(job_id);
  ASSERT_TRUE(dev1 && dev2 && job);

  d1.reset();
  d2.reset();
  BrokerExit exit = broker().stop();
  EXPECT_EQ(exit.exit_code(), 0) << exit.describe() << "\n" << log_tail(broker());
  ASSERT_EQ(broker().start(), "");
  ASSERT_TRUE(connect_admin());

  JsonPtr after1 = api().get_device("pk1", "d1");
  JsonPtr after2 = api().get_device("pk1", "d2");
  JsonPtr job_after = api().get_job(job_id);
  ASSERT_TRUE(after1 && after2 && job_after);
  EXPECT_EQ(stored_view(after1.get()), stored_view(dev1.get()));
  EXPECT_EQ(stored_view(after2.get()), stored_view(dev2.get()));
  EXPECT_EQ(stable_job_text(job_after.get()), stable_job_text(job.get()));

  // New ids do not reuse old ones.
  PackageSpec next;
  next.version = "2.0.1";
  JsonPtr pkg2 = api().create_package(next);
  ASSERT_TRUE(pkg2);
  EXPECT_NE(json_int_at(pkg2.get(), "id"), package_id) << json_text(pkg2.get());

  // The restored task goes on: the one-active-task rule and the job state
  // were restored too.
  d1 = device("pk1", "d1", "");
  ASSERT_TRUE(d1->report_progress("\"90\"", "flashing"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", job_id, in_progress_at(90), "IN_PROGRESS step 90"));
  ASSERT_TRUE(d1->report_version("2.0.0"));
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", job_id, "SUCCEEDED"));
  JsonPtr done = api().wait_job_state(job_id, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 2);
}

TEST_F(RestartTest, Kill9KeepsWhatWasObserved) {
  auto d1 = device("pk1", "d1", "1.0.0");
  auto d2 = device("pk1", "d2", "1.0.0");
  PackageSpec spec;
  long long job_id = start_job(spec, {"d1", "d2"});
  ASSERT_GT(job_id, 0);
  ASSERT_TRUE(d1->wait_upgrade());
  ASSERT_TRUE(d2->wait_upgrade());
  ASSERT_TRUE(d1->report_progress("\"50\"", "downloading"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", job_id, in_progress_at(50), "IN_PROGRESS step 50"));
  JsonPtr observed1 = api().get_device("pk1", "d1");
  JsonPtr observed2 = api().get_device("pk1", "d2");
  JsonPtr observed_job = api().get_job(job_id);
  ASSERT_TRUE(observed1 && observed2 && observed_job);

  BrokerExit exit = broker().kill9();
  ASSERT_TRUE(exit.exited);
  d1.reset();
  d2.reset();
  ASSERT_EQ(broker().start(), "");
  ASSERT_TRUE(connect_admin());

  JsonPtr after1 = api().get_device("pk1", "d1");
  JsonPtr after2 = api().get_device("pk1", "d2");
  JsonPtr job_after = api().get_job(job_id);
  ASSERT_TRUE(after1 && after2 && job_after);
  EXPECT_EQ(stored_view(after1.get()), stored_view(observed1.get()));
  EXPECT_EQ(stored_view(after2.get()), stored_view(observed2.get()));
  EXPECT_EQ(stable_job_text(job_after.get()), stable_job_text(observed_job.get()));

  // Both devices still finish exactly once.
  d1 = device("pk1", "d1", "2.0.0");
  d2 = device("pk1", "d2", "2.0.0");
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", job_id, "SUCCEEDED"));
  ASSERT_TRUE(api().wait_task_state("pk1", "d2", job_id, "SUCCEEDED"));
  JsonPtr done = api().wait_job_state(job_id, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 2);
  EXPECT_EQ(json_array_size(json_at(api().get_device("pk1", "d1").get(), "tasks")), 1u);
}

// The moment right after a createJob reply and the notification: kill -9
// then restart must still know the job, and the task the device was told
// about must not be back to an earlier state (every state change is
// committed before the message it causes leaves the broker).
TEST_F(RestartTest, Kill9RightAfterNotification) {
  auto d1 = device("pk1", "d1", "1.0.0");
  PackageSpec spec;
  long long job_id = start_job(spec, {"d1"});
  ASSERT_GT(job_id, 0);
  ASSERT_TRUE(d1->wait_upgrade());
  broker().kill9();
  d1.reset();
  ASSERT_EQ(broker().start(), "");
  ASSERT_TRUE(connect_admin());

  JsonPtr job = api().get_job(job_id);
  ASSERT_TRUE(job) << "the job acknowledged before kill -9 is gone";
  EXPECT_EQ(job_count(job.get(), "NOTIFIED"), 1) << json_text(job.get());
  JsonPtr dev = api().get_device("pk1", "d1");
  ASSERT_TRUE(dev);
  JsonPtr task = find_task(dev.get(), job_id);
  ASSERT_TRUE(task) << json_text(dev.get());
  EXPECT_EQ(json_string_at(task.get(), "state"), "NOTIFIED") << json_text(task.get());

  // The device re-reports its old version after reconnecting and is told again.
  d1 = device("pk1", "d1", "1.0.0");
  JsonPtr note = d1->wait_upgrade();
  ASSERT_TRUE(note);
  EXPECT_TRUE(notification_matches(note.get(), spec));
}

}  // namespace
}  // namespace ota::test
