// Big jobs plan their targets in slices, one per run_due after createJob,
// so the broker loop is never held for the whole product; the cursor lives
// in the job record, so a crash mid-expansion resumes without duplicates.
// A real LmdbStore; time is simulated; slices of 10 devices.
#include <gtest/gtest.h>

#include <map>

#include "engine/engine.h"
#include "storage/lmdb_store.h"
#include "temp_dir.h"

namespace ota {
namespace {

constexpr TimeMs kT0 = 1'800'000'000'000;
constexpr size_t kSlice = 10;
const std::string kMd5 = "0123456789abcdef0123456789abcdef";

class JobExpansionTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    engine_.reset();
    store_.reset();
    store_ = LmdbStore::open(tmp_.sub("db"), {});
    EngineOptions options;
    options.expansion_slice = kSlice;
    engine_ = std::make_unique<Engine>(*store_, options);
  }
  // A crash: whatever was not committed is lost.
  void crash_and_reopen() { open(); }

  static std::string name(int i) {
    char buf[16];
    snprintf(buf, sizeof buf, "d%05d", i);
    return buf;
  }
  void devices(int n, const std::string& version = "1.0.0") {
    for (int i = 0; i < n; ++i) report(name(i), version);
  }
  void report(const std::string& device, const std::string& version) {
    engine_->on_version_report({{"pk", device}, "default", version}, now_, out_);
  }
  PackageId package() {
    PackageSpec spec;
    spec.product = "pk";
    spec.version = "2.0.0";
    spec.url = "https://fw/2.0.0";
    spec.size = 10;
    spec.sign = kMd5;
    Result<Package> p = engine_->create_package(spec, now_);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error());
    return p.value().id;
  }
  Job create(JobSpec spec) {
    Result<Job> j = engine_->create_job(spec, now_);
    EXPECT_TRUE(j.ok()) << (j.ok() ? "" : j.error());
    return j.ok() ? j.value() : Job{};
  }
  JobSpec all(PackageId package) {
    JobSpec spec;
    spec.package_id = package;
    spec.filter.all = true;
    return spec;
  }
  // One broker loop iteration a millisecond later.
  void tick() {
    now_ += 1;
    engine_->run_due(now_, out_);
  }
  Job job(JobId id) { return store_->get_job(id).value_or(Job{}); }
  // Tasks of the job per device, from the store.
  std::map<std::string, int> tasks_per_device(JobId id) {
    std::map<std::string, int> n;
    store_->for_each_task_of_job(id, [&](const Task& t) {
      n[t.device.device]++;
      return true;
    });
    return n;
  }
  uint64_t counted_tasks(JobId id) {
    uint64_t n = 0;
    for (uint64_t c : store_->job_task_counts(id)) n += c;
    return n;
  }

  test::TempDir tmp_;
  std::unique_ptr<LmdbStore> store_;
  std::unique_ptr<Engine> engine_;
  Outbox out_;
  TimeMs now_ = kT0;
};

TEST_F(JobExpansionTest, ProductThatFitsOneSliceIsPlannedAtOnce) {
  devices(kSlice);
  Job j = create(all(package()));
  EXPECT_FALSE(j.expanding);
  EXPECT_EQ(j.task_count, kSlice);
  EXPECT_EQ(j.group_sizes, std::vector<uint32_t>{kSlice});
}

TEST_F(JobExpansionTest, BigJobPlansOneSlicePerLoopIteration) {
  devices(35);
  for (int i : {3, 17, 33}) report(name(i), "2.0.0");  // already there: skipped
  const Job created = create(all(package()));
  EXPECT_TRUE(created.expanding);
  EXPECT_EQ(created.expanded_through, name(9));
  EXPECT_EQ(created.task_count + created.skipped, kSlice);
  // The next slice waits for the next loop iteration, not the same one.
  engine_->run_due(now_, out_);
  EXPECT_EQ(job(created.id).task_count, created.task_count);

  std::vector<uint32_t> planned;
  while (job(created.id).expanding) {
    tick();
    const Job j = job(created.id);
    planned.push_back(j.task_count + j.skipped);
  }
  EXPECT_EQ(planned, (std::vector<uint32_t>{20, 30, 35}));
  const Job done = job(created.id);
  EXPECT_EQ(done.task_count, 32u);
  EXPECT_EQ(done.skipped, 3u);
  EXPECT_EQ(done.group_sizes, std::vector<uint32_t>{35});
  EXPECT_EQ(counted_tasks(done.id), 32u);
  const std::map<std::string, int> per_device = tasks_per_device(done.id);
  EXPECT_EQ(per_device.size(), 32u);
  for (const auto& [device, n] : per_device) EXPECT_EQ(n, 1) << device;
  // Unlimited rate: every planned device was notified, once.
  std::map<std::string, int> notified;
  for (const Notification& n : out_) notified[n.device.device]++;
  EXPECT_EQ(notified, per_device);
}

TEST_F(JobExpansionTest, CrashMidExpansionResumesFromTheCommittedSlice) {
  devices(35);
  const Job created = create(all(package()));
  store_->commit(true);
  tick();  // the second slice, then the crash before its commit
  EXPECT_EQ(job(created.id).expanded_through, name(19));
  crash_and_reopen();
  EXPECT_EQ(job(created.id).expanded_through, name(9));
  EXPECT_EQ(counted_tasks(created.id), kSlice);

  tick();
  store_->commit(true);  // the second slice again, committed this time
  tick();
  crash_and_reopen();    // the third lost
  EXPECT_EQ(job(created.id).expanded_through, name(19));
  while (job(created.id).expanding) tick();

  const Job done = job(created.id);
  EXPECT_EQ(done.task_count, 35u);
  EXPECT_EQ(counted_tasks(done.id), 35u);
  const std::map<std::string, int> per_device = tasks_per_device(done.id);
  EXPECT_EQ(per_device.size(), 35u);
  for (const auto& [device, n] : per_device) EXPECT_EQ(n, 1) << device;
}

TEST_F(JobExpansionTest, JobDoesNotCompleteBeforeItsLastSlice) {
  devices(25);
  const Job created = create(all(package()));
  engine_->run_due(now_, out_);
  ASSERT_EQ(out_.size(), kSlice);
  // Every device of the first slice finishes before the rest is planned.
  for (const Notification& n : out_) report(n.device.device, "2.0.0");
  out_.clear();
  EXPECT_EQ(job(created.id).state, JobState::kRunning);
  while (job(created.id).expanding) tick();
  EXPECT_EQ(job(created.id).state, JobState::kRunning);
  ASSERT_EQ(out_.size(), 15u);
  for (const Notification& n : out_) report(n.device.device, "2.0.0");
  EXPECT_EQ(job(created.id).state, JobState::kCompleted);
  EXPECT_EQ(store_->job_task_counts(created.id)[int(TaskState::kSucceeded)], 25u);
}

TEST_F(JobExpansionTest, CanceledJobStopsExpanding) {
  devices(35);
  const Job created = create(all(package()));
  ASSERT_TRUE(engine_->cancel_job(created.id, now_).ok());
  tick();
  const Job j = job(created.id);
  EXPECT_FALSE(j.expanding);
  EXPECT_EQ(j.state, JobState::kCanceled);
  EXPECT_EQ(counted_tasks(j.id), kSlice);
}

TEST_F(JobExpansionTest, PausedJobKeepsPlanningAndPushesOnResume) {
  devices(25);
  const Job created = create(all(package()));
  ASSERT_TRUE(engine_->pause_job(created.id, now_).ok());
  while (job(created.id).expanding) tick();
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(job(created.id).task_count, 25u);
  ASSERT_TRUE(engine_->resume_job(created.id, now_).ok());
  tick();
  EXPECT_EQ(out_.size(), 25u);
}

TEST_F(JobExpansionTest, BigJobWithNothingToDoCompletesWithTheReason) {
  devices(25, "2.0.0");
  const Job created = create(all(package()));
  EXPECT_TRUE(created.expanding);
  while (job(created.id).expanding) tick();
  const Job j = job(created.id);
  EXPECT_EQ(j.state, JobState::kCompleted);
  EXPECT_EQ(j.task_count, 0u);
  EXPECT_EQ(j.skipped, 25u);
  EXPECT_NE(j.state_reason.find("no device to upgrade"), std::string::npos) << j.state_reason;
}

TEST_F(JobExpansionTest, JobWithGroupsIsPlannedAtOnce) {
  devices(25);
  JobSpec spec = all(package());
  spec.groups = {GroupSpec{0, 20}, GroupSpec{0, 80}};
  const Job j = create(spec);
  EXPECT_FALSE(j.expanding);
  EXPECT_EQ(j.task_count, 25u);
  EXPECT_EQ(j.group_sizes, (std::vector<uint32_t>{5, 20}));
}

TEST_F(JobExpansionTest, DeviceThatJoinedADynamicJobIsNotPlannedTwice) {
  devices(25);
  JobSpec spec = all(package());
  spec.dynamic = true;
  const Job created = create(spec);
  // A device after the cursor reports: the dynamic job takes it now.
  report(name(22), "1.0.1");
  ASSERT_TRUE(store_->get_task(created.id, {"pk", name(22)}));
  while (job(created.id).expanding) tick();
  const Job j = job(created.id);
  EXPECT_EQ(j.task_count, 25u);
  EXPECT_EQ(counted_tasks(j.id), 25u);
  EXPECT_EQ(tasks_per_device(j.id).size(), 25u);
}

}  // namespace
}  // namespace ota
