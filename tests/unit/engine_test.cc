// The engine's OTA rules, on a real LmdbStore in a temporary directory, with
// time injected.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include "storage/lmdb_store.h"
#include "temp_dir.h"

namespace ota {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;
const std::string kMd5 = "93230c3bde425a9d93230c3bde425a9d";

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = LmdbStore::open(dir_, {});
    engine_ = std::make_unique<Engine>(*store_, EngineOptions{});
  }

  void report(const std::string& device, const std::string& version,
              const std::string& module = "default", TimeMs at = kT0) {
    EXPECT_EQ(engine_->on_version_report({{"pk", device}, module, version}, at, out_),
              ReportOutcome::kApplied);
  }
  ReportOutcome progress(const std::string& device, int step, const std::string& desc = "",
                         const std::string& module = "default", TimeMs at = kT0) {
    return engine_->on_progress_report({{"pk", device}, module, step, desc}, at, out_);
  }
  Package package(const std::string& version, const std::string& module = "default") {
    PackageSpec spec;
    spec.product = "pk";
    spec.module = module;
    spec.version = version;
    spec.url = "https://fw.example/" + version + ".bin";
    spec.size = 1000;
    spec.sign = kMd5;
    Result<Package> p = engine_->create_package(spec, kT0);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error());
    return p.value();
  }
  // Built field by field: GCC 12 mis-initialises nested default member
  // initialisers in designated-initialiser temporaries here.
  static JobSpec spec(PackageId package_id, std::vector<std::string> devices = {},
                      int64_t timeout_s = 0) {
    JobSpec s;
    s.package_id = package_id;
    s.devices = std::move(devices);
    s.timeout_s = timeout_s;
    return s;
  }
  Job job(PackageId package_id, std::vector<std::string> devices, int64_t timeout_s = 60) {
    Result<Job> j = engine_->create_job(spec(package_id, devices, timeout_s), kT0);
    EXPECT_TRUE(j.ok()) << (j.ok() ? "" : j.error());
    return j.value();
  }
  Task task(JobId job, const std::string& device) {
    std::optional<Task> t = store_->get_task(job, {"pk", device});
    EXPECT_TRUE(t.has_value());
    return t.value_or(Task{});
  }

  test::TempDir tmp_;
  const std::string dir_ = tmp_.sub("db");
  std::unique_ptr<LmdbStore> store_;
  std::unique_ptr<Engine> engine_;
  Outbox out_;
};

TEST_F(EngineTest, VersionReportRegistersDeviceAndModule) {
  report("d1", "1.0.0");
  report("d1", "3.1", "MCU", kT0 + 5);
  std::optional<Device> d = store_->get_device({"pk", "d1"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->modules.at("default").version, "1.0.0");
  EXPECT_EQ(d->modules.at("MCU").version, "3.1");
  EXPECT_EQ(d->modules.at("MCU").reported_at, kT0 + 5);
  EXPECT_EQ(d->first_seen, kT0);
  EXPECT_TRUE(out_.empty());
}

TEST_F(EngineTest, RepeatedReportRewritesTheRecordOncePerResolution) {
  report("d1", "1.0.0");
  const TimeMs resolution = EngineOptions{}.seen_resolution_ms;
  // Same version within the resolution: the stored record stays as it was.
  report("d1", "1.0.0", "default", kT0 + resolution - 1);
  std::optional<Device> d = store_->get_device({"pk", "d1"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->last_seen, kT0);
  EXPECT_EQ(d->modules.at("default").reported_at, kT0);
  // Once the stored times are a resolution old, they are refreshed.
  report("d1", "1.0.0", "default", kT0 + resolution);
  d = store_->get_device({"pk", "d1"});
  EXPECT_EQ(d->last_seen, kT0 + resolution);
  EXPECT_EQ(d->modules.at("default").reported_at, kT0 + resolution);
  // A new version is written at once, whatever the time.
  report("d1", "1.0.1", "default", kT0 + resolution + 1);
  d = store_->get_device({"pk", "d1"});
  EXPECT_EQ(d->modules.at("default").version, "1.0.1");
  EXPECT_EQ(d->modules.at("default").reported_at, kT0 + resolution + 1);
}

TEST_F(EngineTest, ProductConfigCacheFollowsSetAndInvalidate) {
  EXPECT_EQ(engine_->product_config("pk").success_rule, SuccessRule::kVersion);
  ProductConfig config;
  config.product = "pk";
  config.success_rule = SuccessRule::kProgress100;
  ASSERT_TRUE(engine_->set_product_config(config).ok());
  EXPECT_EQ(engine_->product_config("pk").success_rule, SuccessRule::kProgress100);
  // A batch the caller aborts takes the stored change with it: after
  // invalidate_caches() the engine reads the store again.
  store_->abort();
  engine_->invalidate_caches();
  EXPECT_EQ(engine_->product_config("pk").success_rule, SuccessRule::kVersion);
}

TEST_F(EngineTest, ARunOfProgressStepsKeepsItsFirstAndLatestInTheHistory) {
  report("d1", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1"});
  engine_->run_due(kT0, out_);
  for (int step = 1; step <= 40; ++step) {
    ASSERT_EQ(progress("d1", step, "downloading", "default", kT0 + step), ReportOutcome::kApplied);
  }
  Task t = task(j.id, "d1");
  EXPECT_EQ(t.step, 40);
  // created, notified, the first step and the latest: the transitions stay.
  ASSERT_EQ(t.history.size(), 4u);
  EXPECT_EQ(t.history[0].state, TaskState::kQueued);
  EXPECT_EQ(t.history[1].state, TaskState::kNotified);
  EXPECT_EQ(t.history[2].step, 1);
  EXPECT_EQ(t.history[2].at, kT0 + 1);
  EXPECT_EQ(t.history[3].step, 40);
  EXPECT_EQ(t.history[3].at, kT0 + 40);
  // An interruption is never folded into a run, and a run starts after it.
  ProgressReport cut{{"pk", "d1"}, "default", -4, "result_code -5: time_out"};
  cut.resumable = true;
  ASSERT_EQ(engine_->on_progress_report(cut, kT0 + 50, out_), ReportOutcome::kApplied);
  for (int step = 41; step <= 60; ++step) {
    ASSERT_EQ(progress("d1", step, "downloading", "default", kT0 + step + 50), ReportOutcome::kApplied);
  }
  t = task(j.id, "d1");
  ASSERT_EQ(t.history.size(), 7u);
  EXPECT_EQ(t.history[4].step, -4);
  EXPECT_EQ(t.history[5].step, 41);
  EXPECT_EQ(t.history[6].step, 60);
}

TEST_F(EngineTest, UnknownDeviceRejectedWithoutAutoRegistration) {
  Engine strict(*store_, EngineOptions{.auto_register = false});
  EXPECT_EQ(strict.on_version_report({{"pk", "d9"}, "default", "1"}, kT0, out_),
            ReportOutcome::kUnknownDevice);
  EXPECT_FALSE(store_->get_device({"pk", "d9"}));
  EXPECT_EQ(progress("d9", 10), ReportOutcome::kUnknownDevice);
}

TEST_F(EngineTest, FullUpgradeSucceedsOnTargetVersion) {
  report("d1", "1.0.0");
  Package p = package("2.0.0");
  Job j = job(p.id, {"d1"});
  EXPECT_EQ(task(j.id, "d1").state, TaskState::kQueued);
  EXPECT_TRUE(out_.empty());  // pushes happen in run_due

  engine_->run_due(kT0, out_);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].device, (DeviceKey{"pk", "d1"}));
  EXPECT_EQ(out_[0].package.version, "2.0.0");
  EXPECT_EQ(out_[0].package.md5, kMd5);
  EXPECT_EQ(task(j.id, "d1").state, TaskState::kNotified);
  EXPECT_EQ(task(j.id, "d1").deadline, kT0 + 60'000);

  EXPECT_EQ(progress("d1", 10), ReportOutcome::kApplied);
  EXPECT_EQ(progress("d1", 10), ReportOutcome::kApplied);  // repeated step
  EXPECT_EQ(progress("d1", 100), ReportOutcome::kApplied);
  Task t = task(j.id, "d1");
  EXPECT_EQ(t.state, TaskState::kInProgress);
  EXPECT_EQ(t.step, 100);

  report("d1", "2.0.0", "default", kT0 + 1000);
  t = task(j.id, "d1");
  EXPECT_EQ(t.state, TaskState::kSucceeded);
  EXPECT_EQ(t.reason, FailReason::kNone);
  // created, notified, 10, 100, succeeded: the repeat added nothing.
  ASSERT_EQ(t.history.size(), 5u);
  EXPECT_EQ(t.history[2].step, 10);
  EXPECT_EQ(t.history[4].state, TaskState::kSucceeded);
  EXPECT_EQ(t.history[4].at, kT0 + 1000);
  EXPECT_FALSE(store_->active_job({"pk", "d1"}));
  EXPECT_EQ(engine_->job_status(j.id).value().job.state, JobState::kCompleted);
  EXPECT_EQ(engine_->job_status(j.id).value().counts[int(TaskState::kSucceeded)], 1u);
}

TEST_F(EngineTest, StepZeroMeansEnteringDownload) {
  report("d1", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1"});
  engine_->run_due(kT0, out_);
  EXPECT_EQ(progress("d1", 0, "start"), ReportOutcome::kApplied);
  EXPECT_EQ(task(j.id, "d1").state, TaskState::kInProgress);
  EXPECT_EQ(task(j.id, "d1").step, 0);
}

class FailureStepTest : public EngineTest,
                        public ::testing::WithParamInterface<std::pair<int, FailReason>> {};

TEST_P(FailureStepTest, NegativeStepFailsWithReasonAndDesc) {
  const auto [step, reason] = GetParam();
  report("d1", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1"});
  engine_->run_due(kT0, out_);
  EXPECT_EQ(progress("d1", step, "OTA升级失败"), ReportOutcome::kApplied);
  Task t = task(j.id, "d1");
  EXPECT_EQ(t.state, TaskState::kFailed);
  EXPECT_EQ(t.reason, reason);
  EXPECT_EQ(t.detail, "OTA升级失败");
  EXPECT_EQ(t.step, step) << "the failed task shows the step the device reported";
  EXPECT_EQ(t.history.back().step, step);
  EXPECT_FALSE(store_->active_job({"pk", "d1"}));
}

INSTANTIATE_TEST_SUITE_P(
    Steps, FailureStepTest,
    ::testing::Values(std::pair{-1, FailReason::kUpgradeFailed},
                      std::pair{-2, FailReason::kDownloadFailed},
                      std::pair{-3, FailReason::kVerifyFailed},
                      std::pair{-4, FailReason::kFlashFailed}));

TEST_F(EngineTest, ProgressWithoutActiveTaskChangesNothing) {
  report("d1", "1.0.0");
  EXPECT_EQ(progress("d1", 50), ReportOutcome::kNoActiveTask);
  Job j = job(package("2.0.0").id, {"d1"});
  // Queued but not yet notified: progress is not for this task.
  EXPECT_EQ(progress("d1", 50), ReportOutcome::kNoActiveTask);
  engine_->run_due(kT0, out_);
  // Another module's progress is not this task's either.
  EXPECT_EQ(progress("d1", 50, "", "MCU"), ReportOutcome::kNoActiveTask);
  EXPECT_EQ(task(j.id, "d1").state, TaskState::kNotified);
}

// The steps of an upgrade in progress (the per-report path that reaches the
// task through its device alone): a report naming another job, or for
// another module, changes nothing; a repeat changes nothing; the next step
// is kept, in the history too; then the device finishes.
TEST_F(EngineTest, StepsInProgressMoveOnlyTheirOwnTask) {
  report("d1", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1"});
  engine_->run_due(kT0, out_);
  EXPECT_EQ(progress("d1", 10, "downloading"), ReportOutcome::kApplied);  // NOTIFIED -> IN_PROGRESS
  ProgressReport other_job{{"pk", "d1"}, "default", 20, "downloading"};
  other_job.job_id = j.id + 1;
  EXPECT_EQ(engine_->on_progress_report(other_job, kT0 + 1, out_), ReportOutcome::kNoActiveTask);
  EXPECT_EQ(progress("d1", 20, "downloading", "MCU", kT0 + 2), ReportOutcome::kNoActiveTask);
  EXPECT_EQ(task(j.id, "d1").step, 10);
  EXPECT_EQ(progress("d1", 10, "downloading", "default", kT0 + 3), ReportOutcome::kApplied);
  EXPECT_EQ(task(j.id, "d1").updated_at, kT0) << "a repeat changes nothing";
  ProgressReport named{{"pk", "d1"}, "default", 30, "writing"};
  named.job_id = j.id;  // naming its own job is fine
  EXPECT_EQ(engine_->on_progress_report(named, kT0 + 4, out_), ReportOutcome::kApplied);
  EXPECT_EQ(progress("d1", 40, "writing", "default", kT0 + 5), ReportOutcome::kApplied);
  store_->commit(false);
  Task t = task(j.id, "d1");
  EXPECT_EQ(t.state, TaskState::kInProgress);
  EXPECT_EQ(t.step, 40);
  EXPECT_EQ(t.detail, "writing");
  EXPECT_EQ(t.updated_at, kT0 + 5);
  ASSERT_GE(t.history.size(), 2u);
  EXPECT_EQ(t.history.back().step, 40);
  EXPECT_EQ(progress("d2", 40), ReportOutcome::kUnknownDevice);
  report("d1", "2.0.0", "default", kT0 + 6);
  EXPECT_EQ(task(j.id, "d1").state, TaskState::kSucceeded);
  EXPECT_EQ(progress("d1", 50, "", "default", kT0 + 7), ReportOutcome::kNoActiveTask);
}

TEST_F(EngineTest, TimeoutFailsTaskAtDeadlineNotBefore) {
  report("d1", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1"}, 30);
  engine_->run_due(kT0, out_);
  engine_->run_due(kT0 + 29'999, out_);
  EXPECT_EQ(task(j.id, "d1").state, TaskState::kNotified);
  engine_->run_due(kT0 + 30'000, out_);
  Task t = task(j.id, "d1");
  EXPECT_EQ(t.state, TaskState::kFailed);
  EXPECT_EQ(t.reason, FailReason::kTimeout);
}

TEST_F(EngineTest, FinishedTaskIgnoresItsStaleTimeout) {
  report("d1", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1"}, 30);
  engine_->run_due(kT0, out_);
  report("d1", "2.0.0");
  engine_->run_due(kT0 + 60'000, out_);
  EXPECT_EQ(task(j.id, "d1").state, TaskState::kSucceeded);
}

TEST_F(EngineTest, OtherVersionWhileNotifiedRenotifiesKeepingDeadline) {
  report("d1", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1"}, 30);
  engine_->run_due(kT0, out_);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(progress("d1", 40), ReportOutcome::kApplied);
  report("d1", "1.0.0", "default", kT0 + 10'000);  // rebooted, still old
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(out_[1].at, kT0 + 10'000);
  Task t = task(j.id, "d1");
  EXPECT_EQ(t.state, TaskState::kNotified);
  EXPECT_EQ(t.notify_count, 2u);
  EXPECT_EQ(t.deadline, kT0 + 30'000);
  engine_->run_due(kT0 + 30'000, out_);
  EXPECT_EQ(task(j.id, "d1").reason, FailReason::kTimeout);
}

// Tencent's cut download (seed 003): fail, then the old version, then the
// notification again; the device resumes and succeeds.
TEST_F(EngineTest, ResumableFailureDuringDownloadWaitsForTheVersionReport) {
  report("d1", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1"}, 30);
  engine_->run_due(kT0, out_);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(progress("d1", 40), ReportOutcome::kApplied);
  ProgressReport cut{{"pk", "d1"}, "default", -4, "result_code -5: time_out"};
  cut.resumable = true;
  EXPECT_EQ(engine_->on_progress_report(cut, kT0 + 1, out_), ReportOutcome::kApplied);
  EXPECT_EQ(engine_->on_progress_report(cut, kT0 + 2, out_), ReportOutcome::kApplied);
  Task t = task(j.id, "d1");
  EXPECT_EQ(t.state, TaskState::kInProgress);
  EXPECT_EQ(t.step, -4);
  EXPECT_EQ(t.detail, "result_code -5: time_out");
  EXPECT_EQ(t.reason, FailReason::kNone);
  size_t interrupted = 0;
  for (const TaskEvent& e : t.history) interrupted += e.step == -4;
  EXPECT_EQ(interrupted, 1u) << "the repeated report is recorded once";
  EXPECT_EQ(out_.size(), 1u) << "nothing is sent before the device reports its version";

  report("d1", "1.0.0", "default", kT0 + 3);
  ASSERT_EQ(out_.size(), 2u);
  t = task(j.id, "d1");
  EXPECT_EQ(t.state, TaskState::kNotified);
  EXPECT_EQ(t.resends, 1u);
  EXPECT_EQ(t.deadline, kT0 + 30'000) << "a resume keeps the attempt's deadline";
  report("d1", "2.0.0", "default", kT0 + 4);
  EXPECT_EQ(task(j.id, "d1").state, TaskState::kSucceeded);
}

// The same failure after the download finished (step 100: being written),
// or without the resumable mark (other dialects), ends the task.
TEST_F(EngineTest, ResumableFailureAfterTheDownloadFails) {
  report("d1", "1.0.0");
  report("d2", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1", "d2"}, 30);
  engine_->run_due(kT0, out_);
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(progress("d1", 100, "burning"), ReportOutcome::kApplied);
  ProgressReport burn{{"pk", "d1"}, "default", -4, "result_code -5: update_failed"};
  burn.resumable = true;
  EXPECT_EQ(engine_->on_progress_report(burn, kT0 + 1, out_), ReportOutcome::kApplied);
  Task t = task(j.id, "d1");
  EXPECT_EQ(t.state, TaskState::kFailed);
  EXPECT_EQ(t.reason, FailReason::kFlashFailed);
  EXPECT_EQ(t.step, -4);

  EXPECT_EQ(progress("d2", 40), ReportOutcome::kApplied);
  EXPECT_EQ(progress("d2", -2, "download failed"), ReportOutcome::kApplied);
  EXPECT_EQ(task(j.id, "d2").state, TaskState::kFailed);
}

// Re-sends are capped per attempt: one more fails the task with a reason
// that says so; a retry starts a new count.
TEST_F(EngineTest, ResendsPastTheLimitFailTheTask) {
  EngineOptions options;
  options.max_resends = 2;
  engine_ = std::make_unique<Engine>(*store_, options);
  report("d1", "1.0.0");
  JobSpec s = spec(package("2.0.0").id, {"d1"}, 600);
  s.retry_count = 1;
  s.retry_interval_s = 10;
  Result<Job> j = engine_->create_job(s, kT0);
  ASSERT_TRUE(j.ok()) << j.error();
  engine_->run_due(kT0, out_);
  ASSERT_EQ(out_.size(), 1u);
  ProgressReport cut{{"pk", "d1"}, "default", -2, "result_code -1: time_out"};
  cut.resumable = true;
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(engine_->on_progress_report(cut, kT0 + i, out_), ReportOutcome::kApplied);
    report("d1", "1.0.0", "default", kT0 + i);
    ASSERT_EQ(out_.size(), 1u + i);
  }
  EXPECT_EQ(engine_->on_progress_report(cut, kT0 + 3, out_), ReportOutcome::kApplied);
  report("d1", "1.0.0", "default", kT0 + 3);
  EXPECT_EQ(out_.size(), 3u) << "the third re-send is refused";
  Task t = task(j.value().id, "d1");
  EXPECT_EQ(t.state, TaskState::kQueued) << "the job's retry takes over";
  ASSERT_GE(t.history.size(), 2u);
  const TaskEvent& failed = t.history[t.history.size() - 2];
  EXPECT_EQ(failed.state, TaskState::kFailed);
  EXPECT_EQ(failed.step, -2);
  EXPECT_EQ(failed.detail,
            "still not on version 2.0.0 after 2 re-sent notifications (the limit); "
            "last failure: result_code -1: time_out");
  engine_->run_due(kT0 + 10'003, out_);
  ASSERT_EQ(out_.size(), 4u);
  t = task(j.value().id, "d1");
  EXPECT_EQ(t.state, TaskState::kNotified);
  EXPECT_EQ(t.resends, 0u) << "a new attempt counts from zero";
  EXPECT_EQ(t.attempts, 2u);
  report("d1", "1.0.0", "default", kT0 + 10'004);
  EXPECT_EQ(out_.size(), 5u);
}

TEST_F(EngineTest, OtherModuleVersionDoesNotRenotify) {
  report("d1", "1.0.0");
  job(package("2.0.0").id, {"d1"});
  engine_->run_due(kT0, out_);
  report("d1", "7", "MCU");
  EXPECT_EQ(out_.size(), 1u);
}

TEST_F(EngineTest, SecondJobForBusyDeviceFailsAtOnce) {
  report("d1", "1.0.0");
  report("d1", "2.0.0", "MCU");
  report("d2", "1.0.0");
  Job first = job(package("2.0.0").id, {"d1"});
  Job second = job(package("2.2.0", "MCU").id, {"d1", "d2"});
  Task busy = task(second.id, "d1");
  EXPECT_EQ(busy.state, TaskState::kFailed);
  EXPECT_EQ(busy.reason, FailReason::kDeviceBusy);
  EXPECT_EQ(task(second.id, "d2").state, TaskState::kQueued);
  EXPECT_EQ(task(first.id, "d1").state, TaskState::kQueued);
  EXPECT_EQ(store_->active_job({"pk", "d1"}), first.id);
  TaskCounts c = engine_->job_status(second.id).value().counts;
  EXPECT_EQ(c[int(TaskState::kFailed)], 1u);
  EXPECT_EQ(c[int(TaskState::kQueued)], 1u);
}

TEST_F(EngineTest, DevicesAlreadyOnTargetAreSkipped) {
  report("d1", "2.0.0");
  report("d2", "1.0.0");
  Package p = package("2.0.0");
  Result<Job> none = engine_->create_job(spec(p.id, {"d1"}), kT0);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error(), "no device to upgrade: 1 targets are already on version 2.0.0 "
                          "or not on one of the package's source versions");
  Job j = job(p.id, {"d1", "d2"});
  EXPECT_EQ(j.task_count, 1u);
  EXPECT_EQ(j.skipped, 1u);
  EXPECT_FALSE(store_->get_task(j.id, {"pk", "d1"}));
}

TEST_F(EngineTest, DeviceUpgradedBeforeItsPushSucceedsWithoutNotification) {
  report("d1", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1"});
  report("d1", "2.0.0");  // upgraded by other means before the push
  engine_->run_due(kT0, out_);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(task(j.id, "d1").state, TaskState::kSucceeded);
}

TEST_F(EngineTest, CreateJobValidatesWithoutSideEffects) {
  report("d1", "1.0.0");
  Package p = package("2.0.0");
  EXPECT_EQ(engine_->create_job(spec(99, {"d1"}), kT0).error(),
            "package 99 does not exist");
  Result<Job> unknown = engine_->create_job(spec(p.id, {"d1", "ghost"}), kT0);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("ghost"), std::string::npos);
  EXPECT_FALSE(engine_->create_job(spec(p.id, {"d1", "d1"}), kT0).ok());
  EXPECT_FALSE(engine_->create_job(spec(p.id), kT0).ok());
  EXPECT_FALSE(store_->active_job({"pk", "d1"}));
  int jobs = 0;
  store_->for_each_job([&](const Job&) { return ++jobs, true; });
  EXPECT_EQ(jobs, 0);
}

TEST_F(EngineTest, CreatePackageValidates) {
  PackageSpec spec{"pk", "default", "2.0.0", "https://x/fw", 10, kMd5};
  EXPECT_TRUE(engine_->create_package(spec, kT0).ok());
  EXPECT_NE(engine_->create_package(spec, kT0).error().find("already"), std::string::npos);
  PackageSpec bad = spec;
  bad.version = "3";
  bad.sign = "xyz";
  EXPECT_NE(engine_->create_package(bad, kT0).error().find("32-digit hex MD5"),
            std::string::npos);
  bad.sign_method = SignMethod::kSha256;
  bad.sign = std::string(64, 'a');
  Result<Package> sha = engine_->create_package(bad, kT0);
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(sha.value().sha256, std::string(64, 'a'));
  EXPECT_EQ(sha.value().md5, "");
  bad.version = "4";
  bad.size = 0;
  EXPECT_FALSE(engine_->create_package(bad, kT0).ok());
}

TEST_F(EngineTest, StateSurvivesReopen) {
  report("d1", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1"}, 30);
  engine_->run_due(kT0, out_);
  EXPECT_EQ(progress("d1", 50), ReportOutcome::kApplied);
  store_->commit(true);
  engine_.reset();
  store_.reset();
  store_ = LmdbStore::open(dir_, {});
  engine_ = std::make_unique<Engine>(*store_, EngineOptions{});
  Task t = task(j.id, "d1");
  EXPECT_EQ(t.state, TaskState::kInProgress);
  EXPECT_EQ(t.step, 50);
  // The timeout queued before the restart still fires.
  engine_->run_due(kT0 + 30'000, out_);
  EXPECT_EQ(task(j.id, "d1").reason, FailReason::kTimeout);
}

}  // namespace
}  // namespace ota

namespace ota {
namespace {

// An SDK that comes back subscribes and then reports its version at once
// (DESIGN.md §10): the subscription re-sends the notification, and that
// first report repeats the arrival rather than asking again; later reports
// of the old version, a report that itself brings the device online, and a
// report after progress each re-send (seed 003).
TEST_F(EngineTest, ADeviceToldOnArrivalIsNotToldAgainByItsFirstReport) {
  report("d1", "1.0.0");
  Job j = job(package("2.0.0").id, {"d1"}, 30);
  engine_->run_due(kT0, out_);
  ASSERT_EQ(out_.size(), 1u);
  engine_->on_device_online({"pk", "d1"}, kT0 + 1'000, out_);  // reconnected
  ASSERT_EQ(out_.size(), 2u);
  report("d1", "1.0.0", "default", kT0 + 1'001);  // the SDK's report on connect
  EXPECT_EQ(out_.size(), 2u);
  EXPECT_EQ(task(j.id, "d1").notify_count, 2u);
  report("d1", "1.0.0", "default", kT0 + 2'000);  // still old, later: asks again
  ASSERT_EQ(out_.size(), 3u);

  engine_->on_device_online({"pk", "d1"}, kT0 + 3'000, out_);
  ASSERT_EQ(out_.size(), 4u);
  VersionReport arrived{{"pk", "d1"}, "default", "1.0.0"};
  arrived.came_online = true;  // went away and came back without subscribing
  engine_->on_version_report(arrived, kT0 + 3'001, out_);
  ASSERT_EQ(out_.size(), 5u);

  engine_->on_device_online({"pk", "d1"}, kT0 + 4'000, out_);
  ASSERT_EQ(out_.size(), 6u);
  EXPECT_EQ(progress("d1", 40), ReportOutcome::kApplied);
  report("d1", "1.0.0", "default", kT0 + 4'001);  // moved on since: told again
  EXPECT_EQ(out_.size(), 7u);
}


// has_work_at(): whether a second run_due in one millisecond could do
// anything (the service skips it otherwise; mosquitto ticks per packet).
TEST_F(EngineTest, HasWorkAtAfterSchedulingAtTheLimitOrInAnotherMillisecond) {
  report("d1", "1.0.0");
  report("d2", "1.0.0");
  EXPECT_TRUE(engine_->has_work_at(kT0));  // no run_due yet
  engine_->run_due(kT0, out_);
  EXPECT_FALSE(engine_->has_work_at(kT0));
  EXPECT_TRUE(engine_->has_work_at(kT0 + 1));  // a new millisecond
  const Package p = package("2.0.0");
  job(p.id, {"d1", "d2"});  // schedules its pushes
  EXPECT_TRUE(engine_->has_work_at(kT0));
  engine_->run_due(kT0, out_);
  EXPECT_FALSE(engine_->has_work_at(kT0));
  EXPECT_EQ(out_.size(), 2u);
  engine_->invalidate_caches();  // a lost batch: its taken entries are back
  EXPECT_TRUE(engine_->has_work_at(kT0));
}

TEST_F(EngineTest, HasWorkAtWhenRunDueStoppedAtItsLimit) {
  EngineOptions options;
  options.due_batch_limit = 1;
  engine_ = std::make_unique<Engine>(*store_, options);
  report("d1", "1.0.0");
  report("d2", "1.0.0");
  job(package("2.0.0").id, {"d1", "d2"});
  engine_->run_due(kT0, out_);
  EXPECT_EQ(out_.size(), 1u);
  EXPECT_TRUE(engine_->has_work_at(kT0));  // one push left
  engine_->run_due(kT0, out_);
  EXPECT_EQ(out_.size(), 2u);
}

}  // namespace
}  // namespace ota
