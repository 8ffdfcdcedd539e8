// Campaign rules of the engine: pacing, groups, thresholds, retries, time
// windows, confirmation, offline devices, dynamic jobs, verification and
// statistics. Time is simulated; the store is a real LmdbStore.
#include <gtest/gtest.h>

#include <set>

#include "engine/engine.h"
#include "storage/lmdb_store.h"
#include "temp_dir.h"

namespace ota {
namespace {

constexpr TimeMs kT0 = 1'800'000'000'000;
constexpr TimeMs kSecond = 1000;
constexpr TimeMs kMinute = 60 * kSecond;
const std::string kMd5 = "0123456789abcdef0123456789abcdef";

// Devices are online unless a test takes them offline.
class TestPresence : public Presence {
 public:
  bool is_online(const DeviceKey& d) const override { return !offline.count(d.device); }
  std::set<std::string> offline;
};

class CampaignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = LmdbStore::open(tmp_.sub("db"), {});
    engine_ = std::make_unique<Engine>(*store_, EngineOptions{}, &presence_);
  }

  void devices(int n, const std::string& version = "1.0.0", const std::string& module = "default") {
    for (int i = 0; i < n; ++i) report(name(i), version, module);
  }
  static std::string name(int i) {
    char buf[16];
    snprintf(buf, sizeof buf, "d%05d", i);
    return buf;
  }
  void report(const std::string& device, const std::string& version,
              const std::string& module = "default") {
    engine_->on_version_report({{"pk", device}, module, version}, now_, out_);
  }
  void progress(const std::string& device, int step) {
    engine_->on_progress_report({{"pk", device}, "default", step, "", std::nullopt, false, ""},
                                now_, out_);
  }
  PackageId package(const std::string& version = "2.0.0", const std::string& module = "default") {
    PackageSpec spec;
    spec.product = "pk";
    spec.module = module;
    spec.version = version;
    spec.url = "https://fw/" + version;
    spec.size = 10;
    spec.sign = kMd5;
    Result<Package> p = engine_->create_package(spec, now_);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error());
    return p.value().id;
  }
  JobSpec all_devices(PackageId package) {
    JobSpec spec;
    spec.package_id = package;
    spec.filter.all = true;
    spec.timeout_s = 3600;
    return spec;
  }
  Job create(const JobSpec& spec) {
    Result<Job> j = engine_->create_job(spec, now_);
    EXPECT_TRUE(j.ok()) << (j.ok() ? "" : j.error());
    return j.ok() ? j.value() : Job{};
  }
  // A job over more devices than one slice is planned over several
  // run_due calls (job_expansion_test.cc): the job once all are planned.
  Job planned(const Job& created) {
    Job j = created;
    while (j.expanding) {
      now_ += 1;
      engine_->run_due(now_, out_);
      j = job(created.id);
    }
    return j;
  }
  // Advances simulated time in steps, running due work at each.
  void run_until(TimeMs until, TimeMs step = kSecond) {
    while (now_ < until) {
      now_ = std::min(now_ + step, until);
      engine_->run_due(now_, out_);
    }
  }
  std::vector<std::string> take_notified() {
    std::vector<std::string> names;
    for (const Notification& n : out_) names.push_back(n.device.device);
    out_.clear();
    return names;
  }
  Task task(JobId job, const std::string& device) {
    return store_->get_task(job, {"pk", device}).value_or(Task{});
  }
  Job job(JobId id) { return store_->get_job(id).value_or(Job{}); }
  uint64_t count(JobId id, TaskState s) { return store_->job_task_counts(id)[int(s)]; }

  test::TempDir tmp_;
  std::unique_ptr<LmdbStore> store_;
  TestPresence presence_;
  std::unique_ptr<Engine> engine_;
  Outbox out_;
  TimeMs now_ = kT0;
};

TEST_F(CampaignTest, RateIsKeptOverTenMinutesWithoutBursts) {
  devices(2000);
  JobSpec spec = all_devices(package());
  spec.rate_per_minute = 100;
  create(spec);
  std::vector<TimeMs> sent;
  while (now_ < kT0 + 10 * kMinute) {
    engine_->run_due(now_, out_);
    for (size_t i = 0; i < out_.size(); ++i) sent.push_back(now_);
    out_.clear();
    now_ += 100;  // a broker tick
  }
  // 100 per minute over ten minutes: 1000 pushes, within 2%.
  EXPECT_GE(sent.size(), 980u);
  EXPECT_LE(sent.size(), 1020u);
  // And never a burst: pushes are 600 ms apart (to the tick).
  for (size_t i = 1; i < sent.size(); ++i) {
    ASSERT_GE(sent[i] - sent[i - 1], 500) << "pushes " << i - 1 << " and " << i;
  }
  // In any one minute, at most the rate (plus the tick rounding).
  for (TimeMs start = kT0; start + kMinute <= kT0 + 10 * kMinute; start += 7 * kSecond) {
    const auto n = std::count_if(sent.begin(), sent.end(),
                                 [&](TimeMs t) { return t >= start && t < start + kMinute; });
    ASSERT_LE(n, 101) << "minute from " << (start - kT0);
  }
}

TEST_F(CampaignTest, UnlimitedRatePushesEveryDeviceAtOnce) {
  devices(50);
  create(all_devices(package()));
  engine_->run_due(now_, out_);
  EXPECT_EQ(out_.size(), 50u);
}

TEST_F(CampaignTest, GroupsRunInOrderAndTheNextStartsWhenOneFinishes) {
  devices(20);
  JobSpec spec = all_devices(package());
  spec.groups = {{5, 0}, {0, 100}};
  Job j = create(spec);
  EXPECT_EQ(j.group_sizes, (std::vector<uint32_t>{5, 15}));
  engine_->run_due(now_, out_);
  std::vector<std::string> first = take_notified();
  ASSERT_EQ(first.size(), 5u);
  for (size_t i = 0; i + 1 < first.size(); ++i) report(first[i], "2.0.0");
  engine_->run_due(now_, out_);
  EXPECT_TRUE(take_notified().empty()) << "group 2 started before group 1 finished";
  progress(first.back(), -2);  // the last of group 1 fails: the group is finished
  engine_->run_due(now_, out_);
  EXPECT_EQ(take_notified().size(), 15u);
  EXPECT_EQ(job(j.id).current_group, 1u);
}

TEST_F(CampaignTest, SuccessThresholdStartsTheNextGroupExactlyAtThePercentage) {
  devices(20);
  JobSpec spec = all_devices(package());
  spec.groups = {{10, 0}, {10, 0}};
  spec.success_threshold = 80;
  Job j = create(spec);
  engine_->run_due(now_, out_);
  std::vector<std::string> first = take_notified();
  ASSERT_EQ(first.size(), 10u);
  for (int i = 0; i < 7; ++i) report(first[i], "2.0.0");
  engine_->run_due(now_, out_);
  EXPECT_TRUE(take_notified().empty()) << "70% started the next group";
  report(first[7], "2.0.0");  // 80%
  engine_->run_due(now_, out_);
  EXPECT_EQ(take_notified().size(), 10u);
  EXPECT_EQ(job(j.id).state, JobState::kRunning);
}

TEST_F(CampaignTest, GroupBelowItsThresholdPausesTheJob) {
  devices(4);
  JobSpec spec = all_devices(package());
  spec.groups = {{2, 0}, {2, 0}};
  spec.success_threshold = 100;
  Job j = create(spec);
  engine_->run_due(now_, out_);
  std::vector<std::string> first = take_notified();
  report(first[0], "2.0.0");
  progress(first[1], -1);
  EXPECT_EQ(job(j.id).state, JobState::kPaused);
  EXPECT_EQ(job(j.id).state_reason, "group 1 finished below its success threshold of 100%");
}

TEST_F(CampaignTest, WithoutAutoAdvanceTheJobPausesBetweenGroups) {
  devices(4);
  JobSpec spec = all_devices(package());
  spec.groups = {{2, 0}, {2, 0}};
  spec.auto_advance = false;
  Job j = create(spec);
  engine_->run_due(now_, out_);
  for (const std::string& d : take_notified()) report(d, "2.0.0");
  EXPECT_EQ(job(j.id).state, JobState::kPaused);
  EXPECT_EQ(job(j.id).state_reason,
            "group 1 of 2 reached its success threshold; resume to start the next");
  engine_->run_due(now_ + kMinute, out_);
  EXPECT_TRUE(take_notified().empty());
  ASSERT_TRUE(engine_->resume_job(j.id, now_).ok());
  engine_->run_due(now_, out_);
  EXPECT_EQ(take_notified().size(), 2u);
  EXPECT_EQ(job(j.id).current_group, 1u);
}

TEST_F(CampaignTest, FailureCountThresholdPausesAndStopsPushes) {
  devices(10);
  JobSpec spec = all_devices(package());
  spec.rate_per_minute = 60;  // one a second
  spec.failure_threshold = {3, 0};
  Job j = create(spec);
  run_until(now_ + 2 * kSecond);  // pushes at 0, 1 and 2 s
  std::vector<std::string> notified = take_notified();
  ASSERT_EQ(notified.size(), 3u);
  progress(notified[0], -1);
  progress(notified[1], -3);
  EXPECT_EQ(job(j.id).state, JobState::kRunning);
  progress(notified[2], -4);  // the third failure: exactly the threshold
  EXPECT_EQ(job(j.id).state, JobState::kPaused);
  EXPECT_EQ(job(j.id).state_reason, "failure threshold reached: 3 of 3 finished tasks failed");
  run_until(now_ + kMinute);
  EXPECT_TRUE(take_notified().empty()) << "a paused job kept pushing";
  ASSERT_TRUE(engine_->resume_job(j.id, now_).ok());
  run_until(now_ + 10 * kSecond);
  EXPECT_EQ(take_notified().size(), 7u);
}

TEST_F(CampaignTest, FailurePercentThresholdCountsFinishedTasks) {
  devices(10);
  JobSpec spec = all_devices(package());
  spec.failure_threshold = {0, 50};
  Job j = create(spec);
  engine_->run_due(now_, out_);
  std::vector<std::string> n = take_notified();
  report(n[0], "2.0.0");
  report(n[1], "2.0.0");
  progress(n[2], -1);  // 1 of 3 failed: 33%
  EXPECT_EQ(job(j.id).state, JobState::kRunning);
  progress(n[3], -1);  // 2 of 4: 50%
  EXPECT_EQ(job(j.id).state, JobState::kPaused);
}

TEST_F(CampaignTest, RetriesHonourCountAndInterval) {
  devices(1);
  JobSpec spec = all_devices(package());
  spec.retry_count = 2;
  spec.retry_interval_s = 600;
  Job j = create(spec);
  engine_->run_due(now_, out_);
  ASSERT_EQ(take_notified().size(), 1u);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    progress(name(0), -2);
    Task t = task(j.id, name(0));
    EXPECT_EQ(t.state, TaskState::kQueued) << "attempt " << attempt;
    EXPECT_EQ(t.attempts, static_cast<uint32_t>(attempt));
    run_until(now_ + 599 * kSecond);
    EXPECT_TRUE(take_notified().empty()) << "retried before the interval";
    run_until(now_ + kSecond);
    EXPECT_EQ(take_notified().size(), 1u) << "not retried after the interval";
  }
  progress(name(0), -2);  // the third failure is final
  EXPECT_EQ(task(j.id, name(0)).state, TaskState::kFailed);
  EXPECT_EQ(task(j.id, name(0)).reason, FailReason::kDownloadFailed);
  EXPECT_EQ(job(j.id).state, JobState::kCompleted);
}

TEST_F(CampaignTest, WindowEndFailsUnfinishedTasks) {
  devices(3);
  JobSpec spec = all_devices(package());
  spec.end_at = now_ + 10 * kMinute;
  Job j = create(spec);
  engine_->run_due(now_, out_);
  std::vector<std::string> n = take_notified();
  report(n[0], "2.0.0");
  progress(n[1], 40);
  run_until(now_ + 10 * kMinute - kSecond);
  EXPECT_EQ(job(j.id).state, JobState::kRunning);
  run_until(now_ + kSecond);
  EXPECT_EQ(job(j.id).state, JobState::kCompleted);
  EXPECT_EQ(job(j.id).state_reason, "window closed");
  EXPECT_EQ(task(j.id, n[1]).reason, FailReason::kWindowClosed);
  EXPECT_EQ(to_string(FailReason::kWindowClosed), "window closed");
  EXPECT_EQ(task(j.id, n[0]).state, TaskState::kSucceeded);
  EXPECT_EQ(count(j.id, TaskState::kFailed), 2u);
}

TEST_F(CampaignTest, ScheduledJobStartsAtItsTime) {
  devices(2);
  JobSpec spec = all_devices(package());
  spec.start_at = now_ + 5 * kMinute;
  Job j = create(spec);
  EXPECT_EQ(j.state, JobState::kScheduled);
  run_until(now_ + 5 * kMinute - kSecond);
  EXPECT_TRUE(take_notified().empty());
  run_until(now_ + kSecond);
  EXPECT_EQ(take_notified().size(), 2u);
  EXPECT_EQ(job(j.id).state, JobState::kRunning);
}

TEST_F(CampaignTest, ConfirmationHoldsTheTaskUntilConfirmed) {
  devices(2);
  JobSpec spec = all_devices(package());
  spec.need_confirm = true;
  Job j = create(spec);
  EXPECT_EQ(count(j.id, TaskState::kConfirm), 2u);
  engine_->run_due(now_, out_);
  EXPECT_TRUE(take_notified().empty());
  ASSERT_TRUE(engine_->confirm_task(j.id, {"pk", name(1)}, now_).ok());
  engine_->run_due(now_, out_);
  EXPECT_EQ(take_notified(), std::vector<std::string>{name(1)});
  EXPECT_FALSE(engine_->confirm_task(j.id, {"pk", name(1)}, now_).ok());
}

TEST_F(CampaignTest, OfflineDeviceWaitsThenGetsItsPush) {
  devices(1);
  presence_.offline.insert(name(0));
  Job j = create(all_devices(package()));
  engine_->run_due(now_, out_);
  EXPECT_TRUE(take_notified().empty());
  EXPECT_TRUE(task(j.id, name(0)).waiting);
  presence_.offline.clear();
  engine_->on_device_online({"pk", name(0)}, now_, out_);
  engine_->run_due(now_, out_);
  EXPECT_EQ(take_notified().size(), 1u);
}

// A device's SDK subscribes and reports its version in one breath: the
// push its subscription let out is not followed by a second notification
// for the report (the reconnect storm of bench/RESULTS.md (g)).
TEST_F(CampaignTest, ThePushOnArrivalIsNotRepeatedForTheReportThatFollows) {
  devices(1);
  presence_.offline.insert(name(0));
  Job j = create(all_devices(package()));
  engine_->run_due(now_, out_);
  presence_.offline.clear();
  engine_->on_device_online({"pk", name(0)}, now_, out_);  // the SUBSCRIBE
  engine_->run_due(now_, out_);
  EXPECT_EQ(take_notified().size(), 1u);
  report(name(0), "1.0.0");  // the PUBLISH right after it
  EXPECT_TRUE(take_notified().empty());
  EXPECT_EQ(task(j.id, name(0)).notify_count, 1u);
  report(name(0), "1.0.0");  // later, still old: told again (seed 003)
  EXPECT_EQ(take_notified().size(), 1u);
}

TEST_F(CampaignTest, OfflineDeviceFailsWithPolicyFailAndCanBeRetried) {
  devices(1);
  presence_.offline.insert(name(0));
  JobSpec spec = all_devices(package());
  spec.offline_policy = OfflinePolicy::kFail;
  Job j = create(spec);
  engine_->run_due(now_, out_);
  EXPECT_EQ(task(j.id, name(0)).reason, FailReason::kOffline);
  EXPECT_EQ(job(j.id).state, JobState::kCompleted);
  presence_.offline.clear();
  ASSERT_TRUE(engine_->retry_task(j.id, {"pk", name(0)}, now_).ok());
  EXPECT_EQ(job(j.id).state, JobState::kRunning);
  engine_->run_due(now_, out_);
  EXPECT_EQ(take_notified().size(), 1u);
}

TEST_F(CampaignTest, NotifiedDeviceComingBackOnlineIsNotifiedAgain) {
  devices(1);
  create(all_devices(package()));
  engine_->run_due(now_, out_);
  take_notified();
  engine_->on_device_online({"pk", name(0)}, now_, out_);
  EXPECT_EQ(take_notified().size(), 1u);
}

TEST_F(CampaignTest, MultiModuleDynamicJobWaitsForTheBusyDevice) {
  // Seed 001: WiFi 1.0.0 -> 1.1.0 and MCU 2.0.0 -> 2.2.0 as two dynamic jobs.
  report("dev", "1.0.0", "WiFi");
  report("dev", "2.0.0", "MCU");
  JobSpec wifi = all_devices(package("1.1.0", "WiFi"));
  wifi.dynamic = true;
  JobSpec mcu = all_devices(package("2.2.0", "MCU"));
  mcu.dynamic = true;
  Job wifi_job = create(wifi);
  Job mcu_job = create(mcu);
  EXPECT_EQ(task(mcu_job.id, "dev").reason, FailReason::kDeviceBusy);
  engine_->run_due(now_, out_);
  ASSERT_EQ(take_notified().size(), 1u);
  report("dev", "1.1.0", "WiFi");  // WiFi done
  EXPECT_EQ(task(wifi_job.id, "dev").state, TaskState::kSucceeded);
  EXPECT_EQ(task(mcu_job.id, "dev").state, TaskState::kFailed);
  report("dev", "2.0.0", "MCU");  // the device reports again: MCU is pending
  EXPECT_EQ(task(mcu_job.id, "dev").state, TaskState::kQueued);
  engine_->run_due(now_, out_);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].package.module, "MCU");
}

TEST_F(CampaignTest, StaticJobLeavesTheBusyTaskFailedUntilRetried) {
  report("dev", "1.0.0", "WiFi");
  report("dev", "2.0.0", "MCU");
  Job wifi = create(all_devices(package("1.1.0", "WiFi")));
  Job mcu = create(all_devices(package("2.2.0", "MCU")));
  EXPECT_EQ(mcu.state, JobState::kCompleted);
  Result<Task> busy = engine_->retry_task(mcu.id, {"pk", "dev"}, now_);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error(), "device dev is busy with job " + std::to_string(wifi.id));
  engine_->run_due(now_, out_);
  report("dev", "1.1.0", "WiFi");
  report("dev", "2.0.0", "MCU");
  EXPECT_EQ(task(mcu.id, "dev").state, TaskState::kFailed);
  ASSERT_TRUE(engine_->retry_task(mcu.id, {"pk", "dev"}, now_).ok());
  EXPECT_EQ(task(mcu.id, "dev").state, TaskState::kQueued);
}

TEST_F(CampaignTest, DynamicJobTakesDevicesThatReportLater) {
  devices(2, "1.0.0");
  JobSpec spec = all_devices(package());
  spec.filter.all = false;
  spec.filter.source_versions = {"1.0.0"};
  spec.dynamic = true;
  Job j = create(spec);
  EXPECT_EQ(j.task_count, 2u);
  report("late", "1.0.0");
  report("other", "0.9.0");  // does not match the source version
  EXPECT_EQ(task(j.id, "late").state, TaskState::kQueued);
  EXPECT_FALSE(store_->get_task(j.id, {"pk", "other"}));
  EXPECT_EQ(job(j.id).task_count, 3u);
  // A dynamic job stays open for more devices.
  engine_->run_due(now_, out_);
  for (const std::string& d : take_notified()) report(d, "2.0.0");
  EXPECT_EQ(job(j.id).state, JobState::kRunning);
}

TEST_F(CampaignTest, GreyReleaseIsStableAndGrowsBySuperset) {
  devices(1000);
  PackageId p = package();
  JobSpec ten = all_devices(p);
  ten.filter.percent_bp = 3000;
  Job a = planned(create(ten));
  EXPECT_GT(a.task_count, 250u);
  EXPECT_LT(a.task_count, 350u);
  std::set<std::string> chosen;
  store_->for_each_task_of_job(a.id, [&](const Task& t) { return chosen.insert(t.device.device), true; });
  ASSERT_TRUE(engine_->cancel_job(a.id, now_).ok());
  JobSpec again = ten;
  Job b = planned(create(again));
  std::set<std::string> rechosen;
  store_->for_each_task_of_job(b.id, [&](const Task& t) { return rechosen.insert(t.device.device), true; });
  EXPECT_EQ(chosen, rechosen);
  ASSERT_TRUE(engine_->cancel_job(b.id, now_).ok());
  JobSpec sixty = all_devices(p);
  sixty.filter.percent_bp = 6000;
  Job c = planned(create(sixty));
  std::set<std::string> wider;
  store_->for_each_task_of_job(c.id, [&](const Task& t) { return wider.insert(t.device.device), true; });
  for (const std::string& d : chosen) EXPECT_TRUE(wider.count(d)) << d;
}

TEST_F(CampaignTest, TagsAndSourceVersionsSelectDevices) {
  devices(3, "1.0.0");
  report("old", "0.9.0");
  Device tagged = store_->get_device({"pk", name(0)}).value();
  tagged.tags["site"] = "b";
  store_->put_device(tagged);
  JobSpec by_tag = all_devices(package());
  by_tag.filter.all = false;
  by_tag.filter.tags = {{"site", "b"}};
  EXPECT_EQ(create(by_tag).task_count, 1u);
  JobSpec none = all_devices(package("3.0.0"));
  none.filter.all = false;
  none.filter.source_versions = {"0.1"};
  Result<Job> empty = engine_->create_job(none, now_);
  EXPECT_FALSE(empty.ok());
}

TEST_F(CampaignTest, PauseResumeAndCancel) {
  devices(3);
  JobSpec spec = all_devices(package());
  spec.rate_per_minute = 60;
  Job j = create(spec);
  run_until(now_ + kSecond);
  ASSERT_TRUE(engine_->pause_job(j.id, now_).ok());
  EXPECT_FALSE(engine_->pause_job(j.id, now_).ok());
  run_until(now_ + kMinute);
  const size_t before_resume = take_notified().size();
  EXPECT_LE(before_resume, 2u);
  ASSERT_TRUE(engine_->resume_job(j.id, now_).ok());
  run_until(now_ + 5 * kSecond);
  EXPECT_EQ(before_resume + take_notified().size(), 3u);
  ASSERT_TRUE(engine_->cancel_job(j.id, now_).ok());
  EXPECT_EQ(count(j.id, TaskState::kCanceled), 3u);
  EXPECT_FALSE(store_->active_job({"pk", name(0)}));
  EXPECT_FALSE(engine_->resume_job(j.id, now_).ok());
}

TEST_F(CampaignTest, CancelOneTaskFinishesTheJob) {
  devices(1);
  Job j = create(all_devices(package()));
  ASSERT_TRUE(engine_->cancel_task(j.id, {"pk", name(0)}, now_).ok());
  EXPECT_EQ(task(j.id, name(0)).state, TaskState::kCanceled);
  EXPECT_EQ(to_string(task(j.id, name(0)).reason), "canceled");
  EXPECT_EQ(job(j.id).state, JobState::kCompleted);
  EXPECT_FALSE(engine_->cancel_task(j.id, {"pk", name(0)}, now_).ok());
}

TEST_F(CampaignTest, VerifyJobMarksThePackageVerifiedForProductsThatRequireIt) {
  devices(3);
  ProductConfig config;
  config.product = "pk";
  config.require_verified = true;
  ASSERT_TRUE(engine_->set_product_config(config).ok());
  PackageId p = package();
  Result<Job> refused = engine_->create_job(all_devices(p), now_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), "package 1 is not verified, and product pk requires "
                             "verification: run a verify job first");
  JobSpec verify;
  verify.package_id = p;
  verify.type = JobType::kVerify;
  verify.devices = {name(0)};
  create(verify);
  engine_->run_due(now_, out_);
  report(name(0), "2.0.0");
  EXPECT_TRUE(store_->get_package(p)->verified);
  EXPECT_TRUE(engine_->create_job(all_devices(p), now_).ok());
}

TEST_F(CampaignTest, TimeoutCanRunFromTheFirstProgress) {
  devices(1);
  JobSpec spec = all_devices(package());
  spec.timeout_s = 60;
  spec.timeout_from_progress = true;
  Job j = create(spec);
  engine_->run_due(now_, out_);
  run_until(now_ + 50 * kSecond);
  progress(name(0), 10);
  run_until(now_ + 59 * kSecond);
  EXPECT_EQ(task(j.id, name(0)).state, TaskState::kInProgress);
  run_until(now_ + kSecond);
  EXPECT_EQ(task(j.id, name(0)).reason, FailReason::kTimeout);
}

TEST_F(CampaignTest, ProgressHundredSucceedsWhereTheProductSaysSo) {
  devices(1);
  ProductConfig config;
  config.product = "pk";
  config.success_rule = SuccessRule::kProgress100;
  engine_->set_product_config(config);
  Job j = create(all_devices(package()));
  engine_->run_due(now_, out_);
  progress(name(0), 100);
  EXPECT_EQ(task(j.id, name(0)).state, TaskState::kSucceeded);
}

TEST_F(CampaignTest, StatisticsCountReasonsAndVersions) {
  devices(4);
  Job j = create(all_devices(package()));
  engine_->run_due(now_, out_);
  report(name(0), "2.0.0");
  progress(name(1), -2);
  progress(name(2), -2);
  progress(name(3), -4);
  Result<JobStatistics> s = engine_->job_statistics(j.id, now_ + 5 * kSecond);
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s.value().success_rate, 0.25);
  EXPECT_EQ(s.value().failure_reasons,
            (std::map<std::string, uint64_t>{{"download failed", 2}, {"flashing failed", 1}}));
  EXPECT_EQ(s.value().elapsed_ms, 0);  // finished at once
  EXPECT_EQ(engine_->version_distribution("pk", "default"),
            (std::map<std::string, uint64_t>{{"1.0.0", 3}, {"2.0.0", 1}}));
}

TEST_F(CampaignTest, PackageOfAnUnfinishedJobCannotBeDeleted) {
  devices(1);
  PackageId p = package();
  Job j = create(all_devices(p));
  Result<Package> refused = engine_->delete_package(p);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), "package 1 is used by unfinished job " + std::to_string(j.id) +
                                 ": cancel it or let it finish first");
  engine_->cancel_job(j.id, now_);
  EXPECT_TRUE(engine_->delete_package(p).ok());
  EXPECT_FALSE(store_->get_package(p));
}

}  // namespace
}  // namespace ota
