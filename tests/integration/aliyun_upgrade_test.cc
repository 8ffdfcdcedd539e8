// Upgrade campaigns end to end with aliyun-dialect devices (seed 000).
#include <gtest/gtest.h>

#include <vector>

#include "aliyun_notification.h"
#include "ota_fixture.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

using AliyunUpgradeTest = OtaBrokerTest;

const char* const kStates[] = {"CONFIRM",   "QUEUED", "NOTIFIED", "IN_PROGRESS",
                               "SUCCEEDED", "FAILED", "CANCELED"};

// Expects the job's counts to be exactly `want` (state -> n), 0 elsewhere.
void expect_counts(const json_t* job, const std::map<std::string, long long>& want) {
  for (const char* state : kStates) {
    auto it = want.find(state);
    EXPECT_EQ(job_count(job, state), it == want.end() ? 0 : it->second)
        << "counts." << state << " in " << json_text(job);
  }
}

// The states of a task's history, in order.
std::vector<std::string> history_states(const json_t* task) {
  std::vector<std::string> states;
  size_t i;
  json_t* entry;
  json_array_foreach(json_at(task, "history"), i, entry) {
    states.push_back(json_string_at(entry, "state").value_or("<no state>"));
  }
  return states;
}

bool has_subsequence(const std::vector<std::string>& all, const std::vector<std::string>& part) {
  size_t j = 0;
  for (size_t i = 0; i < all.size() && j < part.size(); ++i) {
    if (all[i] == part[j]) ++j;
  }
  return j == part.size();
}

std::function<bool(const json_t*)> in_progress_at(long long step) {
  return [step](const json_t* task) {
    return json_string_at(task, "state") == "IN_PROGRESS" && json_int_at(task, "step") == step;
  };
}

// (a) The seed walkthrough: report, package, job, notification, progress,
// new version, SUCCEEDED.
TEST_F(AliyunUpgradeTest, SeedWalkthroughSucceeds) {
  auto d1 = device("pk1", "d1", "1.0.0");

  PackageSpec spec;  // pk1, module default, 2.0.0
  JsonPtr pkg = api().create_package(spec);
  ASSERT_TRUE(pkg);
  auto package_id = json_int_at(pkg.get(), "id");
  ASSERT_TRUE(package_id.has_value()) << json_text(pkg.get());
  EXPECT_EQ(json_string_at(pkg.get(), "product"), "pk1");
  EXPECT_EQ(json_string_at(pkg.get(), "module"), "default");
  EXPECT_EQ(json_string_at(pkg.get(), "version"), "2.0.0");
  EXPECT_EQ(json_int_at(pkg.get(), "size"), 432945);
  EXPECT_EQ(json_string_at(pkg.get(), "url"), spec.url);
  EXPECT_EQ(json_string_at(pkg.get(), "sign"), spec.sign);
  EXPECT_EQ(json_string_at(pkg.get(), "signMethod"), "MD5");
  EXPECT_EQ(json_string_at(pkg.get(), "md5"), spec.sign);

  JsonPtr job = api().create_job(*package_id, {"d1"});
  ASSERT_TRUE(job);
  auto job_id = json_int_at(job.get(), "id");
  ASSERT_TRUE(job_id.has_value()) << json_text(job.get());
  EXPECT_EQ(json_string_at(job.get(), "state"), "running");

  JsonPtr note = d1->wait_upgrade();
  ASSERT_TRUE(note) << "no upgrade notification on " << d1->upgrade_topic();
  EXPECT_TRUE(notification_matches(note.get(), spec));
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", *job_id, "NOTIFIED"));

  ASSERT_TRUE(d1->report_progress("\"10\"", "downloading"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", *job_id, in_progress_at(10), "IN_PROGRESS step 10"));
  ASSERT_TRUE(d1->report_progress("50", "downloading"));  // a numeric step
  ASSERT_TRUE(api().wait_task("pk1", "d1", *job_id, in_progress_at(50), "IN_PROGRESS step 50"));
  ASSERT_TRUE(d1->report_progress("\"100\"", "flashing"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", *job_id, in_progress_at(100), "IN_PROGRESS step 100"));

  ASSERT_TRUE(d1->report_version("2.0.0"));
  JsonPtr task = api().wait_task_state("pk1", "d1", *job_id, "SUCCEEDED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "module"), "default") << json_text(task.get());
  EXPECT_EQ(json_string_at(task.get(), "reason"), "") << json_text(task.get());
  EXPECT_EQ(json_int_at(task.get(), "step"), 100) << json_text(task.get());
  EXPECT_TRUE(json_is_string(json_at(task.get(), "detail"))) << json_text(task.get());
  const auto states = history_states(task.get());
  EXPECT_TRUE(has_subsequence(states, {"NOTIFIED", "IN_PROGRESS", "SUCCEEDED"}))
      << json_text(task.get());
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "SUCCEEDED") << json_text(task.get());
  long long previous_at = 0;
  size_t i;
  json_t* entry;
  json_array_foreach(json_at(task.get(), "history"), i, entry) {
    auto at = json_int_at(entry, "at");
    ASSERT_TRUE(at.has_value()) << "history[" << i << "].at: " << json_text(entry);
    EXPECT_GE(*at, previous_at) << json_text(task.get());
    EXPECT_GT(*at, 1'000'000'000'000LL) << "not milliseconds since the epoch";
    previous_at = *at;
    EXPECT_TRUE(json_is_integer(json_at(entry, "step"))) << json_text(entry);
    EXPECT_TRUE(json_is_string(json_at(entry, "detail"))) << json_text(entry);
  }

  JsonPtr dev = api().get_device("pk1", "d1");
  ASSERT_TRUE(dev);
  EXPECT_EQ(json_string_at(dev.get(), "product"), "pk1");
  EXPECT_EQ(json_string_at(dev.get(), "device"), "d1");
  EXPECT_EQ(json_string_at(dev.get(), "modules/default/version"), "2.0.0") << json_text(dev.get());
  EXPECT_GT(json_int_at(dev.get(), "modules/default/reportedAt").value_or(0),
            1'000'000'000'000LL)
      << json_text(dev.get());

  JsonPtr done = api().wait_job_state(*job_id, "completed");
  ASSERT_TRUE(done);
  expect_counts(done.get(), {{"SUCCEEDED", 1}});
  EXPECT_TRUE(d1->no_upgrade(200ms)) << "unexpected second notification: " << d1->last_raw();
}

// A module package with extData: "module" and "extData" in the notification.
TEST_F(AliyunUpgradeTest, ModuleNotificationCarriesModuleAndExtData) {
  auto d1 = device("pk1", "d1", "1.0.0", "MCU");
  PackageSpec spec;
  spec.module = "MCU";
  spec.version = "1.1.0";
  spec.ext_data_json =
      R"({"key1":"value1","key2":"value2","_package_udi":"{\"ota_notice\":\"升级底层摄像头驱动\"}"})";
  long long job_id = start_job(spec, {"d1"});
  ASSERT_GT(job_id, 0);
  JsonPtr note = d1->wait_upgrade();
  ASSERT_TRUE(note);
  EXPECT_TRUE(notification_matches(note.get(), spec));

  ASSERT_TRUE(d1->report_progress("\"30\"", "downloading", "MCU"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", job_id, in_progress_at(30), "IN_PROGRESS step 30"));
  ASSERT_TRUE(d1->report_version("1.1.0", "MCU"));
  JsonPtr task = api().wait_task_state("pk1", "d1", job_id, "SUCCEEDED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "module"), "MCU");
  JsonPtr dev = api().get_device("pk1", "d1");
  ASSERT_TRUE(dev);
  EXPECT_EQ(json_string_at(dev.get(), "modules/MCU/version"), "1.1.0") << json_text(dev.get());
}

// A SHA256 package: signMethod SHA256, no md5.
TEST_F(AliyunUpgradeTest, Sha256PackageNotification) {
  auto d1 = device("pk1", "d1", "1.0.0");
  PackageSpec spec;
  spec.sign_method = "SHA256";
  spec.sign = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  ASSERT_GT(start_job(spec, {"d1"}), 0);
  JsonPtr note = d1->wait_upgrade();
  ASSERT_TRUE(note);
  EXPECT_TRUE(notification_matches(note.get(), spec));
}

// The device reports the target version without any progress.
TEST_F(AliyunUpgradeTest, TargetVersionWithoutProgressSucceeds) {
  auto d1 = device("pk1", "d1", "1.0.0");
  long long job_id = start_job(PackageSpec{}, {"d1"});
  ASSERT_GT(job_id, 0);
  ASSERT_TRUE(d1->wait_upgrade());
  ASSERT_TRUE(d1->report_version("2.0.0"));
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", job_id, "SUCCEEDED"));
  JsonPtr job = api().wait_job_state(job_id, "completed");
  ASSERT_TRUE(job);
  expect_counts(job.get(), {{"SUCCEEDED", 1}});
}

// (b) step -2 with a desc: FAILED, reason "download failed", detail = desc.
TEST_F(AliyunUpgradeTest, DownloadFailure) {
  auto d1 = device("pk1", "d1", "1.0.0");
  long long job_id = start_job(PackageSpec{}, {"d1"});
  ASSERT_GT(job_id, 0);
  ASSERT_TRUE(d1->wait_upgrade());
  ASSERT_TRUE(d1->report_progress("\"20\"", "downloading"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", job_id, in_progress_at(20), "IN_PROGRESS step 20"));
  const std::string desc = "OTA升级失败,请求不到升级包信息。";
  ASSERT_TRUE(d1->report_progress("\"-2\"", desc));
  JsonPtr task = api().wait_task_state("pk1", "d1", job_id, "FAILED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "reason"), "download failed") << json_text(task.get());
  EXPECT_EQ(json_string_at(task.get(), "detail"), desc) << json_text(task.get());
  const auto states = history_states(task.get());
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "FAILED");
  JsonPtr job = api().wait_job_state(job_id, "completed");
  ASSERT_TRUE(job);
  expect_counts(job.get(), {{"FAILED", 1}});
  // The device is free again: a later report of the old version does not
  // bring the failed task back.
  ASSERT_TRUE(d1->report_version("1.0.0"));
  EXPECT_TRUE(d1->no_upgrade(300ms)) << d1->last_raw();
  JsonPtr again = api().wait_task_state("pk1", "d1", job_id, "FAILED");
  ASSERT_TRUE(again);
}

// Every device failure code maps onto its reason.
TEST_F(AliyunUpgradeTest, FailureCodesMapToReasons) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\"-1\"", "upgrade failed"},
      {"\"-2\"", "download failed"},
      {"\"-3\"", "verification failed"},
      {"-4", "flashing failed"},  // numeric, as some devices send it
  };
  std::vector<std::unique_ptr<AliyunDevice>> devices;
  std::vector<std::string> names;
  for (size_t i = 0; i < cases.size(); ++i) {
    names.push_back("f" + std::to_string(i));
    devices.push_back(device("pk1", names.back(), "1.0.0"));
  }
  long long job_id = start_job(PackageSpec{}, names);
  ASSERT_GT(job_id, 0);
  for (size_t i = 0; i < cases.size(); ++i) {
    ASSERT_TRUE(devices[i]->wait_upgrade()) << names[i];
    ASSERT_TRUE(devices[i]->report_progress(cases[i].first, "code " + cases[i].first));
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    JsonPtr task = api().wait_task_state("pk1", names[i], job_id, "FAILED");
    ASSERT_TRUE(task) << "step " << cases[i].first;
    EXPECT_EQ(json_string_at(task.get(), "reason"), cases[i].second) << json_text(task.get());
    EXPECT_EQ(json_string_at(task.get(), "detail"), "code " + cases[i].first);
  }
  JsonPtr job = api().wait_job_state(job_id, "completed");
  ASSERT_TRUE(job);
  expect_counts(job.get(), {{"FAILED", 4}});
}

// (c) A second job for a device with an active task fails that device's
// task at once with "device busy"; the first job goes on.
TEST_F(AliyunUpgradeTest, BusyDeviceFailsSecondJob) {
  auto d1 = device("pk1", "d1", "1.0.0");
  ASSERT_TRUE(d1->report_version("1.0.0", "MCU"));

  PackageSpec first;
  long long job1 = start_job(first, {"d1"});
  ASSERT_GT(job1, 0);
  ASSERT_TRUE(d1->wait_upgrade());
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", job1, "NOTIFIED"));

  PackageSpec mcu;
  mcu.module = "MCU";
  mcu.version = "3.0.0";
  long long job2 = start_job(mcu, {"d1"});
  ASSERT_GT(job2, 0);

  // At once: the createJob reply came back, so the task is already failed.
  JsonPtr dev = api().get_device("pk1", "d1");
  ASSERT_TRUE(dev);
  JsonPtr busy = find_task(dev.get(), job2);
  ASSERT_TRUE(busy) << json_text(dev.get());
  EXPECT_EQ(json_string_at(busy.get(), "state"), "FAILED") << json_text(busy.get());
  EXPECT_EQ(json_string_at(busy.get(), "reason"), "device busy") << json_text(busy.get());
  EXPECT_EQ(json_string_at(busy.get(), "module"), "MCU") << json_text(busy.get());
  JsonPtr active = find_task(dev.get(), job1);
  ASSERT_TRUE(active) << json_text(dev.get());
  EXPECT_EQ(json_string_at(active.get(), "state"), "NOTIFIED") << json_text(active.get());

  EXPECT_TRUE(d1->no_upgrade(300ms)) << "busy device was notified: " << d1->last_raw();
  JsonPtr j2 = api().wait_job_state(job2, "completed");
  ASSERT_TRUE(j2);
  expect_counts(j2.get(), {{"FAILED", 1}});
  JsonPtr j1 = api().get_job(job1);
  ASSERT_TRUE(j1);
  EXPECT_EQ(json_string_at(j1.get(), "state"), "running");
  expect_counts(j1.get(), {{"NOTIFIED", 1}});

  // The first job still completes normally.
  ASSERT_TRUE(d1->report_version("2.0.0"));
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", job1, "SUCCEEDED"));
  JsonPtr still = api().wait_task_state("pk1", "d1", job2, "FAILED");
  ASSERT_TRUE(still);
  EXPECT_EQ(json_string_at(still.get(), "reason"), "device busy");
}

// The same rule when the second job targets the same module.
TEST_F(AliyunUpgradeTest, BusyDeviceFailsSecondJobForSameModule) {
  auto d1 = device("pk1", "d1", "1.0.0");
  long long job1 = start_job(PackageSpec{}, {"d1"});
  ASSERT_GT(job1, 0);
  ASSERT_TRUE(d1->wait_upgrade());
  ASSERT_TRUE(d1->report_progress("\"5\"", "downloading"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", job1, in_progress_at(5), "IN_PROGRESS step 5"));
  PackageSpec newer;
  newer.version = "2.1.0";
  long long job2 = start_job(newer, {"d1"});
  ASSERT_GT(job2, 0);
  JsonPtr dev = api().get_device("pk1", "d1");
  ASSERT_TRUE(dev);
  JsonPtr busy = find_task(dev.get(), job2);
  ASSERT_TRUE(busy) << json_text(dev.get());
  EXPECT_EQ(json_string_at(busy.get(), "state"), "FAILED") << json_text(busy.get());
  EXPECT_EQ(json_string_at(busy.get(), "reason"), "device busy") << json_text(busy.get());
  JsonPtr active = find_task(dev.get(), job1);
  ASSERT_TRUE(active);
  EXPECT_EQ(json_string_at(active.get(), "state"), "IN_PROGRESS") << json_text(active.get());
  EXPECT_TRUE(d1->no_upgrade(300ms)) << "busy device was notified: " << d1->last_raw();
}

// (d) A device that never answers fails with "timeout".
TEST_F(AliyunUpgradeTest, SilentDeviceTimesOut) {
  auto d1 = device("pk1", "d1", "1.0.0");
  long long job_id = start_job(PackageSpec{}, {"d1"}, /*timeout_seconds=*/1);
  ASSERT_GT(job_id, 0);
  ASSERT_TRUE(d1->wait_upgrade());
  JsonPtr task = api().wait_task_state("pk1", "d1", job_id, "FAILED", 5s);
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "reason"), "timeout") << json_text(task.get());
  JsonPtr job = api().wait_job_state(job_id, "completed");
  ASSERT_TRUE(job);
  expect_counts(job.get(), {{"FAILED", 1}});
}

// (e) A notified device that reports its old version again gets the
// notification again (and so does one in progress).
TEST_F(AliyunUpgradeTest, OldVersionReportRenotifies) {
  auto d1 = device("pk1", "d1", "1.0.0");
  PackageSpec spec;
  long long job_id = start_job(spec, {"d1"});
  ASSERT_GT(job_id, 0);
  JsonPtr first = d1->wait_upgrade();
  ASSERT_TRUE(first);
  EXPECT_TRUE(notification_matches(first.get(), spec));

  ASSERT_TRUE(d1->report_version("1.0.0"));
  JsonPtr second = d1->wait_upgrade();
  ASSERT_TRUE(second) << "no second notification after re-reporting 1.0.0";
  EXPECT_TRUE(notification_matches(second.get(), spec));
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", job_id, "NOTIFIED"));

  ASSERT_TRUE(d1->report_progress("\"40\"", "downloading"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", job_id, in_progress_at(40), "IN_PROGRESS step 40"));
  ASSERT_TRUE(d1->report_version("1.0.0"));
  JsonPtr third = d1->wait_upgrade();
  ASSERT_TRUE(third) << "no notification for a device in progress re-reporting 1.0.0";
  EXPECT_TRUE(notification_matches(third.get(), spec));
  EXPECT_TRUE(d1->no_upgrade(200ms)) << "more than one notification per report";

  ASSERT_TRUE(d1->report_version("2.0.0"));
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", job_id, "SUCCEEDED"));
}

// createJob naming a device the plugin has never seen: error, nothing made.
TEST_F(AliyunUpgradeTest, UnknownDeviceInCreateJobIsAnError) {
  auto d1 = device("pk1", "d1", "1.0.0");
  JsonPtr pkg = api().create_package(PackageSpec{});
  ASSERT_TRUE(pkg);
  const long long package_id = json_int_at(pkg.get(), "id").value_or(-1);

  auto error = api().expect_error(
      "createJob", R"({"packageId":)" + std::to_string(package_id) + R"(,"devices":["ghost"]})");
  ASSERT_TRUE(error.has_value());
  EXPECT_FALSE(error->empty());
  error = api().expect_error("createJob", R"({"packageId":)" + std::to_string(package_id) +
                                              R"(,"devices":["d1","ghost"]})");
  ASSERT_TRUE(error.has_value());

  EXPECT_TRUE(d1->no_upgrade(300ms)) << "d1 notified by a refused job: " << d1->last_raw();
  JsonPtr dev = api().get_device("pk1", "d1");
  ASSERT_TRUE(dev);
  EXPECT_EQ(json_array_size(json_at(dev.get(), "tasks")), 0u)
      << "a refused createJob left a task: " << json_text(dev.get());

  // The package is still usable.
  JsonPtr job = api().create_job(package_id, {"d1"});
  ASSERT_TRUE(job);
  EXPECT_TRUE(d1->wait_upgrade());
}

}  // namespace
}  // namespace ota::test
