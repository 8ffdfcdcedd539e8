// The OTA engine: every rule about devices, packages, jobs and tasks.
//
// Deterministic and free of broker and database details: time comes in as
// an argument, state goes through the Store, and messages to devices come
// out as Notifications appended to an Outbox. The caller commits the store
// before it sends anything from the outbox.
//
// Rules (DESIGN.md §3-4, seeds 000/001/003):
// - A version report records the module's version. If the device's active
//   task is for that module: the target version completes it (SUCCEEDED);
//   any other version while NOTIFIED or IN_PROGRESS re-sends the
//   notification (resumable download); QUEUED tasks stay queued.
// - A progress report with step 0..100 moves a NOTIFIED/IN_PROGRESS task to
//   IN_PROGRESS with that step; -1..-4 fail it with the matching reason and
//   keep the device's desc. Other steps are rejected by the dialects.
// - One active task per device across all jobs and modules: a job's task
//   for a device that is busy with another job's task fails at once with
//   reason "device busy" (seed 001).
// - A notified task that is not finished by its deadline (job timeout from
//   the notification) fails with reason "timeout".
#pragma once

#include <string>
#include <vector>

#include "engine/events.h"
#include "engine/model.h"
#include "engine/result.h"
#include "engine/store.h"

namespace ota {

using Outbox = std::vector<Notification>;

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
};

// Operator input for a job over an explicit device list.
struct JobSpec {
  PackageId package_id = 0;
  JobType type = JobType::kBatch;
  std::vector<std::string> devices;
  int64_t timeout_s = 0;  // 0: EngineOptions::default_timeout_s
};

// A job with the number of its tasks in each state.
struct JobStatus {
  Job job;
  TaskCounts counts{};
};

class Engine {
 public:
  Engine(Store& store, EngineOptions options);

  ReportOutcome on_version_report(const VersionReport& report, TimeMs now,
                                  Outbox& out);
  ReportOutcome on_progress_report(const ProgressReport& report, TimeMs now,
                                   Outbox& out);
  ReportOutcome on_event(const DeviceEvent& event, TimeMs now, Outbox& out);

  Result<Package> create_package(const PackageSpec& spec, TimeMs now);
  // Creates the job and one task per device. Devices busy with another
  // job's task get a FAILED "device busy" task; the others are QUEUED and
  // pushed by run_due().
  Result<Job> create_job(const JobSpec& spec, TimeMs now);
  Result<JobStatus> job_status(JobId id);

  // Handles due pushes and timeouts up to `now`.
  void run_due(TimeMs now, Outbox& out);

  Store& store() { return store_; }

 private:
  void notify(Task& task, const Package& package, TimeMs now, Outbox& out);
  void finish(Task& task, TaskState state, FailReason reason,
              std::string detail, TimeMs now);
  void record(Task& task, TaskState state, TimeMs now, std::string detail);
  void save(const Task& task);
  void on_push_due(const DueItem& item, TimeMs now, Outbox& out);
  void on_timeout_due(const DueItem& item, TimeMs now);
  void maybe_complete_job(JobId id, TimeMs now);

  Store& store_;
  EngineOptions options_;
};

}  // namespace ota
