#include "engine/engine.h"

#include <algorithm>
#include <set>

namespace ota {
namespace {

constexpr int64_t kMsPerSecond = 1000;

FailReason reason_for_step(int32_t step) {
  switch (step) {
    case -1: return FailReason::kUpgradeFailed;
    case -2: return FailReason::kDownloadFailed;
    case -3: return FailReason::kVerifyFailed;
    default: return FailReason::kFlashFailed;  // -4; dialects reject others
  }
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
  });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_notified(TaskState s) {
  return s == TaskState::kNotified || s == TaskState::kInProgress;
}

}  // namespace

Engine::Engine(Store& store, EngineOptions options)
    : store_(store), options_(options) {}

ReportOutcome Engine::on_event(const DeviceEvent& event, TimeMs now,
                               Outbox& out) {
  if (const auto* v = std::get_if<VersionReport>(&event)) {
    return on_version_report(*v, now, out);
  }
  if (const auto* p = std::get_if<ProgressReport>(&event)) {
    return on_progress_report(*p, now, out);
  }
  // A query changes nothing; pending_notification() answers it.
  return store_.get_device(std::get<UpgradeQuery>(event).device)
             ? ReportOutcome::kApplied : ReportOutcome::kUnknownDevice;
}

ReportOutcome Engine::on_version_report(const VersionReport& report,
                                        TimeMs now, Outbox& out) {
  std::optional<Device> found = store_.get_device(report.device);
  if (!found && !options_.auto_register) return ReportOutcome::kUnknownDevice;
  Device device = found ? std::move(*found) : Device{report.device, {}, {}, now, now};
  device.modules[report.module] = ModuleState{report.version, now};
  device.last_seen = now;
  store_.put_device(device);

  std::optional<JobId> job_id = store_.active_job(report.device);
  if (!job_id) return ReportOutcome::kApplied;
  std::optional<Task> task = store_.get_task(*job_id, report.device);
  if (!task || task->module != report.module) return ReportOutcome::kApplied;
  std::optional<Job> job = store_.get_job(*job_id);
  std::optional<Package> package = job ? store_.get_package(job->package_id) : std::nullopt;
  if (!package) return ReportOutcome::kApplied;

  if (report.version == package->version) {
    finish(*task, TaskState::kSucceeded, FailReason::kNone,
           "reported version " + report.version, now);
  } else if (is_notified(task->state)) {
    // The device is not on the target yet (restarted, or its download was
    // cut): send the notification again so it can resume (seed 003).
    notify(*task, *package, now, out);
  }
  return ReportOutcome::kApplied;
}

ReportOutcome Engine::on_progress_report(const ProgressReport& report,
                                         TimeMs now, Outbox&) {
  if (!store_.get_device(report.device)) return ReportOutcome::kUnknownDevice;
  std::optional<JobId> job_id = store_.active_job(report.device);
  if (!job_id) return ReportOutcome::kNoActiveTask;
  std::optional<Task> task = store_.get_task(*job_id, report.device);
  if (!task || task->module != report.module || !is_notified(task->state)) {
    return ReportOutcome::kNoActiveTask;
  }
  if (report.step < 0) {
    finish(*task, TaskState::kFailed, reason_for_step(report.step), report.desc,
           now);
    return ReportOutcome::kApplied;
  }
  // Devices repeat each step (DESIGN §10): a repeat changes nothing.
  if (task->state == TaskState::kInProgress && task->step == report.step &&
      task->detail == report.desc) {
    return ReportOutcome::kApplied;
  }
  task->step = report.step;
  task->detail = report.desc;
  record(*task, TaskState::kInProgress, now, report.desc);
  save(*task);
  return ReportOutcome::kApplied;
}

Result<Package> Engine::create_package(const PackageSpec& spec, TimeMs now) {
  if (spec.product.empty()) return Error{"product must not be empty"};
  if (spec.module.empty()) return Error{"module must not be empty"};
  if (spec.version.empty()) return Error{"version must not be empty"};
  if (spec.url.empty()) return Error{"url must not be empty"};
  if (spec.size == 0) return Error{"size must be greater than 0"};
  const size_t sign_length = spec.sign_method == SignMethod::kMd5 ? 32 : 64;
  if (spec.sign.size() != sign_length || !is_hex(spec.sign)) {
    return Error{"sign must be the " + std::to_string(sign_length) +
                 "-digit hex " + std::string(to_string(spec.sign_method)) +
                 " of the file"};
  }
  std::optional<PackageId> duplicate;
  store_.for_each_package([&](const Package& p) {
    if (p.product == spec.product && p.module == spec.module &&
        p.version == spec.version) {
      duplicate = p.id;
      return false;
    }
    return true;
  });
  if (duplicate) {
    return Error{"package " + std::to_string(*duplicate) + " already has product " +
                 spec.product + " module " + spec.module + " version " + spec.version};
  }

  Package p;
  p.id = store_.allocate_package_id();
  p.product = spec.product;
  p.module = spec.module;
  p.version = spec.version;
  p.source_versions = spec.source_versions;
  p.diff = spec.diff;
  p.url = spec.url;
  p.size = spec.size;
  p.sign_method = spec.sign_method;
  p.sign = lower(spec.sign);
  (spec.sign_method == SignMethod::kMd5 ? p.md5 : p.sha256) = p.sign;
  p.ext_data_json = spec.ext_data_json;
  p.description = spec.description;
  p.created_at = now;
  store_.put_package(p);
  return p;
}

Result<Job> Engine::create_job(const JobSpec& spec, TimeMs now) {
  std::optional<Package> package = store_.get_package(spec.package_id);
  if (!package) {
    return Error{"package " + std::to_string(spec.package_id) + " does not exist"};
  }
  if (spec.devices.empty()) return Error{"devices must list at least one device"};
  if (spec.timeout_s < 0) return Error{"timeoutSeconds must not be negative"};
  std::set<std::string> seen;
  for (const std::string& name : spec.devices) {
    if (!seen.insert(name).second) return Error{"device " + name + " is listed twice"};
    if (!store_.get_device({package->product, name})) {
      return Error{"device " + name + " of product " + package->product +
                   " is unknown (it has never reported a version)"};
    }
  }

  Job job;
  job.id = store_.allocate_job_id();
  job.package_id = package->id;
  job.product = package->product;
  job.module = package->module;
  job.type = spec.type;
  job.state = JobState::kRunning;
  job.devices = spec.devices;
  job.timeout_s = spec.timeout_s > 0 ? spec.timeout_s : options_.default_timeout_s;
  job.task_count = static_cast<uint32_t>(spec.devices.size());
  job.created_at = now;
  store_.put_job(job);

  for (const std::string& name : spec.devices) {
    Task task;
    task.job_id = job.id;
    task.device = {job.product, name};
    task.module = job.module;
    record(task, TaskState::kQueued, now, "");
    if (store_.put_task(task)) {
      store_.add_due({now, DueKind::kPush, job.id, task.device});
      continue;
    }
    // One active task per device (seed 001): this job's task fails at once.
    std::optional<JobId> other = store_.active_job(task.device);
    task.state = TaskState::kFailed;
    task.reason = FailReason::kDeviceBusy;
    task.detail = "device busy with job " + std::to_string(other.value_or(0));
    task.history.back() = {now, TaskState::kFailed, 0, task.detail};
    save(task);
  }
  maybe_complete_job(job.id, now);
  return store_.get_job(job.id).value_or(job);
}

Result<JobStatus> Engine::job_status(JobId id) {
  std::optional<Job> job = store_.get_job(id);
  if (!job) return Error{"job " + std::to_string(id) + " does not exist"};
  return JobStatus{*job, store_.job_task_counts(id)};
}

void Engine::run_due(TimeMs now, Outbox& out) {
  for (const DueItem& item : store_.take_due(now, options_.due_batch_limit)) {
    switch (item.kind) {
      case DueKind::kPush: on_push_due(item, now, out); break;
      case DueKind::kTimeout: on_timeout_due(item, now); break;
    }
  }
}

void Engine::on_push_due(const DueItem& item, TimeMs now, Outbox& out) {
  std::optional<Task> task = store_.get_task(item.job_id, item.device);
  if (!task || task->state != TaskState::kQueued) return;  // stale entry
  std::optional<Job> job = store_.get_job(item.job_id);
  std::optional<Package> package = job ? store_.get_package(job->package_id) : std::nullopt;
  if (!package) return;
  std::optional<Device> device = store_.get_device(item.device);
  if (device) {
    auto module = device->modules.find(task->module);
    if (module != device->modules.end() && module->second.version == package->version) {
      finish(*task, TaskState::kSucceeded, FailReason::kNone,
             "already on version " + package->version, now);
      return;
    }
  }
  notify(*task, *package, now, out);
}

void Engine::on_timeout_due(const DueItem& item, TimeMs now) {
  std::optional<Task> task = store_.get_task(item.job_id, item.device);
  if (!task || !is_notified(task->state) || task->deadline != item.at) return;
  finish(*task, TaskState::kFailed, FailReason::kTimeout,
         "no result within the job's timeout", now);
}

void Engine::notify(Task& task, const Package& package, TimeMs now, Outbox& out) {
  if (task.state == TaskState::kQueued) {
    // The timeout runs from the first notification; re-sends keep it, so a
    // device stuck re-reporting its old version still ends in a result.
    std::optional<Job> job = store_.get_job(task.job_id);
    const int64_t timeout_s = job ? job->timeout_s : options_.default_timeout_s;
    task.deadline = now + timeout_s * kMsPerSecond;
    store_.add_due({task.deadline, DueKind::kTimeout, task.job_id, task.device});
  }
  task.step = 0;
  task.notify_count++;
  record(task, TaskState::kNotified, now,
         task.notify_count > 1 ? "notified again" : "notified");
  save(task);
  out.push_back(Notification{task.device, task.job_id, package, now});
}

void Engine::finish(Task& task, TaskState state, FailReason reason,
                    std::string detail, TimeMs now) {
  task.reason = reason;
  task.detail = detail;
  record(task, state, now, std::move(detail));
  save(task);
  maybe_complete_job(task.job_id, now);
}

void Engine::record(Task& task, TaskState state, TimeMs now, std::string detail) {
  task.state = state;
  task.updated_at = now;
  task.history.push_back({now, state, task.step, std::move(detail)});
  if (task.history.size() > kMaxTaskHistory) {
    // Keep the first entry (when the task was created) and the latest ones.
    task.history.erase(task.history.begin() + 1);
  }
}

void Engine::save(const Task& task) {
  if (!store_.put_task(task)) {
    // The engine only activates tasks through create_job, which checks the
    // index first; reaching this is a bug, not bad input.
    throw StoreError("active-task invariant refused a task of job " +
                     std::to_string(task.job_id));
  }
}

void Engine::maybe_complete_job(JobId id, TimeMs now) {
  std::optional<Job> job = store_.get_job(id);
  if (!job || job->state != JobState::kRunning) return;
  const TaskCounts counts = store_.job_task_counts(id);
  for (int s = 0; s < kTaskStateCount; ++s) {
    if (is_active(static_cast<TaskState>(s)) && counts[s] > 0) return;
  }
  job->state = JobState::kCompleted;
  job->finished_at = now;
  store_.put_job(*job);
}

}  // namespace ota
