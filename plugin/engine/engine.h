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
//   notification (resumable download, seed 003), at most max_resends times
//   per attempt: one more fails the task.
// - A progress report with step 0..100 moves a NOTIFIED/IN_PROGRESS task to
//   IN_PROGRESS; -1..-4 fail it with the matching reason and step and keep
//   the device's desc. A resumable failure (Tencent) before the download
//   finished (step 100 never reached) only records the step: the task stays
//   IN_PROGRESS and the device's next version report resumes it. Step 100
//   completes it where the product's success rule is "progress 100"
//   (seed 004).
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

#include "engine/compliance.h"
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
  // Devices a job with a target filter reads per slice: createJob plans the
  // first slice, each later broker loop iteration one more (0: all at once).
  size_t expansion_slice = 500;
  // When compliance is counted in slices, and how big they are.
  ComplianceCounts::Limits compliance;
  // The configuration of a product nobody configured (setProductConfig);
  // unset: ProductConfig's defaults. The service derives it from the
  // dialect that owns the product (ThingsPanel: success on progress 100).
  std::function<ProductConfig(const std::string& product)> product_defaults;
  // Re-sends of a notification within one attempt (to a device that reports
  // an old version, comes back online, or resumes a cut download); one more
  // fails the task. The job's timeout bounds them too.
  uint32_t max_resends = 20;
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

// A device's active task with the job and package it is for.
struct ActiveTask {
  Task task;
  Job job;
  Package package;
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

// Contract for every method:
// - State is read and written only through the Store given at construction;
//   a storage failure throws StoreError with the caller's batch left to the
//   caller to abort (then call invalidate_caches()).
// - A method returning Result changes nothing when it returns an Error; the
//   error is a sentence for the operator.
// - Notifications are appended to `out`, never sent: the caller commits the
//   store (synced) before anything in `out` leaves.
// - `now` is wall-clock milliseconds; nothing reads a clock.
class Engine {
 public:
  // `presence` null: every device counts as online.
  Engine(Store& store, EngineOptions options, const Presence* presence = nullptr);

  // Device events.
  // Records the module's version (registering the device when
  // auto_register is on; kUnknownDevice otherwise, nothing written), then
  // applies it to the device's active task for that module: the target
  // version succeeds it, another version while notified re-notifies. A
  // free device may join running dynamic jobs.
  ReportOutcome on_version_report(const VersionReport& report, TimeMs now,
                                  Outbox& out);
  // Moves the device's notified task of that module: step 0..100 to
  // IN_PROGRESS, -1..-4 to FAILED, completion (or 100 under kProgress100)
  // to SUCCEEDED. kNoActiveTask, nothing written, when there is no such
  // task (or report.job_id names another job); kUnknownDevice for a device
  // never registered. A repeated step writes nothing.
  ReportOutcome on_progress_report(const ProgressReport& report, TimeMs now,
                                   Outbox& out);
  // Dispatches to the two above; an UpgradeQuery changes nothing (kApplied
  // for a known device, else kUnknownDevice; answer it with
  // pending_notification()).
  ReportOutcome on_event(const DeviceEvent& event, TimeMs now, Outbox& out);
  // The device came back online by subscribing: a waiting push goes out, a
  // notified task is notified again. The version report its SDK sends
  // right after subscribing then repeats the arrival (see arrived_at_).
  void on_device_online(const DeviceKey& device, TimeMs now, Outbox& out);
  // The notification a device asking for its upgrade should get: its
  // notified task's, for query.module when one is named. Reads only.
  std::optional<Notification> pending_notification(const UpgradeQuery& query,
                                                   TimeMs now);

  // The device's active task (CONFIRM, QUEUED, NOTIFIED or IN_PROGRESS)
  // with its job and package; nullopt when it has none. Reads only.
  std::optional<ActiveTask> active_task(const DeviceKey& device);

  // Packages.
  // Validates the spec (names, size, sign format and, for uploads, the
  // stored file's digest) and refuses a duplicate product/module/version.
  Result<Package> create_package(const PackageSpec& spec, TimeMs now);
  // Refused while an unfinished job uses the package.
  Result<Package> delete_package(PackageId id);

  // Jobs.
  // Validates targets, window and thresholds, plans one task per target
  // (a busy device's fails at once with "device busy") and starts the job
  // now or schedules it for start_at. Refused when no device is left to
  // upgrade. A filter without groups over more than expansion_slice
  // devices plans the rest slice by slice from run_due (job.expanding);
  // such a job completes ("no device to upgrade") if none was left.
  Result<Job> create_job(const JobSpec& spec, TimeMs now);
  // The job with its per-state task counts (reads only).
  Result<JobStatus> job_status(JobId id);
  // Counts, success rate, failure reasons and elapsed time (reads only).
  Result<JobStatistics> job_statistics(JobId id, TimeMs now);
  // Only a running or scheduled job pauses; notified devices carry on.
  Result<Job> pause_job(JobId id, TimeMs now);
  // Only a paused job resumes; its queued tasks are scheduled again.
  Result<Job> resume_job(JobId id, TimeMs now);
  // Cancels every unfinished task; refused for a completed or canceled job.
  Result<Job> cancel_job(JobId id, TimeMs now);

  // One device's task. Each fails when the job has no task for the device.
  // Cancels an active task.
  Result<Task> cancel_task(JobId job, const DeviceKey& device, TimeMs now);
  // ... saying who canceled it in the task's history ("canceled by <by>").
  Result<Task> cancel_task(JobId job, const DeviceKey& device, TimeMs now,
                           const std::string& by);
  // Queues a FAILED or CANCELED task again; refused when its job is
  // canceled or the device is busy with another job.
  Result<Task> retry_task(JobId job, const DeviceKey& device, TimeMs now);
  // Moves a CONFIRM task (a job with need_confirm) to QUEUED.
  Result<Task> confirm_task(JobId job, const DeviceKey& device, TimeMs now);

  // Products: the stored configuration, or the defaults. The reference is
  // valid until the next product_config/set_product_config call.
  const ProductConfig& product_config(const std::string& product);
  // Stores it (product must not be empty) and refreshes the cache.
  Result<ProductConfig> set_product_config(const ProductConfig& config);
  // Devices per version of one module of a product (reads only).
  std::map<std::string, uint64_t> version_distribution(const std::string& product,
                                                       const std::string& module);
  // Devices of one module of a product against `target_version`: counted
  // now for a small product, else the last count finished in slices
  // (engine/compliance.h).
  ComplianceAnswer compliance(const std::string& product, const std::string& module,
                              const std::string& target_version, TimeMs now) {
    return compliance_.answer(product, module, target_version, now);
  }

  // Handles due pushes (paced, presence-aware), timeouts and job windows
  // up to `now`, at most due_batch_limit entries a call; stale entries are
  // checked against the task's state and skipped; and one slice of each
  // running compliance count.
  void run_due(TimeMs now, Outbox& out);
  // Whether run_due(now) could find anything to do, after one at `now`:
  // something was scheduled since, the last one stopped at its limit, or a
  // compliance count runs. (mosquitto ticks many times a millisecond.)
  bool has_work_at(TimeMs now) const {
    return now != last_run_due_at_ || scheduled_since_run_ || due_left_ || compliance_.running();
  }

  // Forgets cached lookups (after the caller aborted a batch).
  void invalidate_caches() {
    scheduled_since_run_ = true;  // the lost batch's taken entries are back
    dynamic_jobs_.reset();
    forget_product_configs();
    arrived_at_.clear();  // the notifications of the lost batch were dropped
  }

 private:

  // Device events (engine.cc).
  bool needs_rewrite(const Device& device, const VersionReport& report, TimeMs now) const;
  void join_dynamic_jobs(const Device& device, const std::string& module,
                         TimeMs now);
  void requeue_waiting_for_device(const DeviceKey& device, TimeMs now);

  // Job planning and control (jobs.cc).
  std::optional<Task> plan_task(Job& job, const Package& package, const Device& device,
                                uint32_t group, TimeMs now);
  // Appends the product's devices after `after` that match the filter, at
  // most `limit` visited (0: all); `last` becomes the last one visited.
  // True when devices remain after it.
  bool collect_targets(const Package& package, const TargetFilter& filter,
                       const std::string& after, size_t limit,
                       std::vector<Device>& targets, std::string& last);
  // Plans the next slice of an expanding job (DueKind::kExpand).
  void expand_job(JobId id, TimeMs now);
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
  // Notifies a notified task again, or fails it past max_resends.
  void resend(Task& task, const Job& job, const Package& package, TimeMs now,
              Outbox& out);
  void finish(Task& task, TaskState state, FailReason reason,
              std::string detail, TimeMs now);
  void record(Task& task, TaskState state, TimeMs now, std::string detail);
  void save(const Task& task);

  // Every entry of the due queue is added here: run_due's callers learn
  // that there may be new work (has_work_at).
  void schedule(const DueItem& item) {
    store_.add_due(item);
    scheduled_since_run_ = true;
  }

  Store& store_;
  EngineOptions options_;
  TimeMs last_run_due_at_ = -1;
  bool scheduled_since_run_ = false;
  bool due_left_ = false;  // the last run_due stopped at due_batch_limit
  const Presence* presence_;
  ComplianceCounts compliance_;
  // Running dynamic jobs, by product: consulted on every version report.
  std::optional<std::multimap<std::string, JobId>> dynamic_jobs_;
  // Product configurations as read from the store (or their defaults).
  static constexpr size_t kMaxCachedProductConfigs = 4096;
  std::unordered_map<std::string, ProductConfig> product_configs_;
  // The entry product_config() returned last (nodes are stable): reports
  // come in runs of one product, and a comparison costs less than a hash.
  const std::pair<const std::string, ProductConfig>* last_product_config_ = nullptr;
  void forget_product_configs() {
    product_configs_.clear();
    last_product_config_ = nullptr;
  }
  // Devices that came back online by subscribing and have not reported a
  // version since: when. Their SDK reports its version right after it
  // subscribes (DESIGN.md §10); if the task was notified since the arrival
  // (pushed or re-sent) and the device reported nothing else, that first
  // report repeats the arrival and re-sends nothing; any later one does
  // (seed 003). In memory only: after a restart every device arrives anew.
  std::unordered_map<DeviceKey, TimeMs, DeviceKeyHash> arrived_at_;
  // A waiting push goes out, a notified task is notified again.
  void reach(const DeviceKey& device, TimeMs now, Outbox& out);
};

}  // namespace ota
