// The OTA engine: every rule about devices, packages, jobs and tasks.
//
// Deterministic and free of broker and database details: time comes in as
// an argument, state goes through the Store, device presence through the
// Presence interface, and messages to devices come out as Notifications
// appended to an Outbox. The caller commits the store before it sends
// anything from the outbox.
//
// Device rules (DESIGN.md §3-4, seeds 000-004):
// - A version report records the module's version. If the device's active
//   task is for that module: the target version completes it (SUCCEEDED);
//   any other version while NOTIFIED or IN_PROGRESS re-sends the
//   notification (resumable download, seed 003).
// - A progress report with step 0..100 moves a NOTIFIED/IN_PROGRESS task to
//   IN_PROGRESS; -1..-4 fail it with the matching reason and keep the
//   device's desc. Step 100 completes it where the product's success rule is
//   "progress 100" (seed 004).
// - One active task (CONFIRM, QUEUED, NOTIFIED, IN_PROGRESS) per device
//   across all jobs and modules: a job's task for a busy device fails at
//   once with "device busy" (seed 001); in a dynamic job it is queued again
//   when the device reports after its current task finished.
// - A notified task not finished by its deadline fails with "timeout".
//
// Campaign rules (see docs/decisions.md "campaigns"):
// - Pushes are paced per job: one every 60/ratePerMinute seconds, never a
//   burst. A paused job pushes nothing; notified devices carry on.
// - Tasks are split into groups run in order. A group that reaches its
//   success threshold (or finishes, without one) starts the next, or pauses
//   the job when autoAdvance is off. Failures reaching the failure
//   threshold pause the job with the reason.
// - A failed task is retried retryCount times, retryIntervalSeconds apart.
// - A due push for an offline device waits for it, or fails with "offline",
//   by the job's offline policy.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/events.h"
#include "engine/model.h"
#include "engine/result.h"
#include "engine/store.h"
#include "engine/targeting.h"

namespace ota {

using Outbox = std::vector<Notification>;

// Whether a device can be reached now (the broker knows its connections).
class Presence {
 public:
  virtual ~Presence() = default;
  virtual bool is_online(const DeviceKey& device) const = 0;
};

// What became of a device message.
enum class ReportOutcome {
  kApplied,         // state changed (or was confirmed)
  kUnknownDevice,   // not registered and auto-registration is off
  kNoActiveTask,    // progress without an active task for that module
};

struct EngineOptions {
  bool auto_register = true;         // version reports register new devices
  int64_t default_timeout_s = 3600;  // job timeout when none is given
  size_t due_batch_limit = 1000;     // due entries handled per run_due()
  // A version report that repeats the stored version rewrites the device
  // record (last_seen, reported_at) only when the stored times are older
  // than this: a known device's report is then read-only, and those times
  // are accurate to this interval.
  int64_t seen_resolution_ms = 60'000;
  // The configuration of a product nobody configured (setProductConfig);
  // unset: ProductConfig's defaults. The service derives it from the
  // dialect that owns the product (ThingsPanel: success on progress 100).
  std::function<ProductConfig(const std::string& product)> product_defaults;
};

// Operator input for a package with an external URL.
struct PackageSpec {
  std::string product;
  std::string module = std::string(kDefaultModule);
  std::string version;
  std::string url;
  uint64_t size = 0;
  std::string sign;
  SignMethod sign_method = SignMethod::kMd5;
  std::vector<std::string> source_versions;
  bool diff = false;
  std::string ext_data_json;
  std::string description;
  // Known digests of a stored file (firmware upload); sign is then derived.
  std::string md5;
  std::string sha256;
};

// Operator input for a job (createJob).
struct JobSpec {
  PackageId package_id = 0;
  JobType type = JobType::kBatch;
  std::vector<std::string> devices;  // explicit targets, or
  TargetFilter filter;               // all / sourceVersions / tags / percent
  bool dynamic = false;
  uint32_t rate_per_minute = 0;
  int64_t timeout_s = 0;  // 0: EngineOptions::default_timeout_s
  bool timeout_from_progress = false;
  uint32_t retry_count = 0;
  int64_t retry_interval_s = 0;
  TimeMs start_at = 0;
  TimeMs end_at = 0;
  bool need_confirm = false;
  std::optional<OfflinePolicy> offline_policy;  // default: the product's
  std::vector<GroupSpec> groups;
  uint32_t success_threshold = 0;
  bool auto_advance = true;
  Threshold failure_threshold;
};

// A job with the number of its tasks in each state.
struct JobStatus {
  Job job;
  TaskCounts counts{};
};

struct JobStatistics {
  Job job;
  TaskCounts counts{};
  double success_rate = 0;  // succeeded / finished (0 when none finished)
  std::map<std::string, uint64_t> failure_reasons;
  int64_t elapsed_ms = 0;   // from start to finish (or now)
};

// Where a product module's devices stand against one target version (the
// newest package): on it, busy with a task, failed at their latest task of
// the module, or still to be upgraded.
struct Compliance {
  std::string target_version;
  uint64_t on_target = 0;
  uint64_t in_progress = 0;
  uint64_t failed = 0;
  uint64_t needs_update = 0;
};

class Engine {
 public:
  Engine(Store& store, EngineOptions options, const Presence* presence = nullptr);

  // Device events.
  ReportOutcome on_version_report(const VersionReport& report, TimeMs now,
                                  Outbox& out);
  ReportOutcome on_progress_report(const ProgressReport& report, TimeMs now,
                                   Outbox& out);
  ReportOutcome on_event(const DeviceEvent& event, TimeMs now, Outbox& out);
  // The device became reachable (a connection subscribed or spoke): a
  // waiting push goes out, a notified task is notified again.
  void on_device_online(const DeviceKey& device, TimeMs now, Outbox& out);
  // The notification a device asking for its upgrade should get, if any.
  std::optional<Notification> pending_notification(const UpgradeQuery& query,
                                                   TimeMs now);

  // Packages.
  Result<Package> create_package(const PackageSpec& spec, TimeMs now);
  // Refused while an unfinished job uses the package.
  Result<Package> delete_package(PackageId id);

  // Jobs.
  Result<Job> create_job(const JobSpec& spec, TimeMs now);
  Result<JobStatus> job_status(JobId id);
  Result<JobStatistics> job_statistics(JobId id, TimeMs now);
  Result<Job> pause_job(JobId id, TimeMs now);
  Result<Job> resume_job(JobId id, TimeMs now);
  Result<Job> cancel_job(JobId id, TimeMs now);

  // One device's task.
  Result<Task> cancel_task(JobId job, const DeviceKey& device, TimeMs now);
  // ... saying who canceled it in the task's history ("canceled by <by>").
  Result<Task> cancel_task(JobId job, const DeviceKey& device, TimeMs now,
                           const std::string& by);
  Result<Task> retry_task(JobId job, const DeviceKey& device, TimeMs now);
  Result<Task> confirm_task(JobId job, const DeviceKey& device, TimeMs now);

  // Products: the stored configuration, or the defaults. The reference is
  // valid until the next product_config/set_product_config call.
  const ProductConfig& product_config(const std::string& product);
  Result<ProductConfig> set_product_config(const ProductConfig& config);
  // Devices per version of one module of a product.
  std::map<std::string, uint64_t> version_distribution(const std::string& product,
                                                       const std::string& module);
  // Devices of one module of a product against `target_version` (one pass
  // over the product's devices, as version_distribution).
  Compliance compliance(const std::string& product, const std::string& module,
                        const std::string& target_version);

  // Handles due pushes, timeouts and job windows up to `now`.
  void run_due(TimeMs now, Outbox& out);

  // Forgets cached lookups (after the caller aborted a batch).
  void invalidate_caches() {
    dynamic_jobs_.reset();
    product_configs_.clear();
  }

  Store& store() { return store_; }

 private:

  // Device events (engine.cc).
  bool needs_rewrite(const Device& device, const VersionReport& report, TimeMs now) const;
  void join_dynamic_jobs(const Device& device, const std::string& module,
                         TimeMs now);
  void requeue_waiting_for_device(const DeviceKey& device, TimeMs now);

  // Job planning and control (jobs.cc).
  std::optional<Task> plan_task(Job& job, const Package& package,
                                const std::string& device_name, uint32_t group,
                                TimeMs now);
  void start_job(Job& job, TimeMs now);
  void start_group(Job& job, uint32_t group, TimeMs now);
  void schedule_push(Job& job, const Task& task, TimeMs earliest);
  // After a task ended (or a job changed): failure threshold, next group,
  // completion.
  void advance_job(JobId id, bool after_failure, TimeMs now);
  bool group_threshold_met(const Job& job, uint32_t group);
  void pause(Job& job, std::string reason, TimeMs now);
  void complete(Job& job, std::string reason, TimeMs now);
  void close_window(JobId id, TimeMs now);
  std::vector<JobId> running_dynamic_jobs(const std::string& product);

  // Task transitions (tasks.cc).
  void handle_due(const std::vector<DueItem>& items, TimeMs now, Outbox& out);
  void on_push_due(const DueItem& item, TimeMs now, Outbox& out);
  void on_timeout_due(const DueItem& item, TimeMs now);
  void notify(Task& task, const Job& job, const Package& package, TimeMs now,
              Outbox& out);
  void finish(Task& task, TaskState state, FailReason reason,
              std::string detail, TimeMs now);
  void record(Task& task, TaskState state, TimeMs now, std::string detail);
  void save(const Task& task);

  Store& store_;
  EngineOptions options_;
  const Presence* presence_;
  // Running dynamic jobs, by product: consulted on every version report.
  std::optional<std::multimap<std::string, JobId>> dynamic_jobs_;
  // Product configurations as read from the store (or their defaults).
  static constexpr size_t kMaxCachedProductConfigs = 4096;
  std::unordered_map<std::string, ProductConfig> product_configs_;
};

}  // namespace ota
