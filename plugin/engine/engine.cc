// Device events: version and progress reports, presence, device pull.
#include "engine/engine.h"

namespace ota {
namespace {

// Whether the device of a notified task is still downloading: it never
// reported step 100 (downloaded, being written) in this notification.
bool download_unfinished(const Task& task) { return task.step < 100; }

}  // namespace

Engine::Engine(Store& store, EngineOptions options, const Presence* presence)
    : store_(store), options_(options), presence_(presence), compliance_(store, options.compliance) {}

bool Engine::needs_rewrite(const Device& device, const VersionReport& report,
                           TimeMs now) const {
  auto module = find_module(device.modules, report.module);
  if (module == device.modules.end() || !same_bytes(module->second.version, report.version)) {
    return true;
  }
  return now - module->second.reported_at >= options_.seen_resolution_ms ||
         now - device.last_seen >= options_.seen_resolution_ms;
}

ReportOutcome Engine::on_event(const DeviceEvent& event, TimeMs now,
                               Outbox& out) {
  if (const auto* v = std::get_if<VersionReport>(&event)) {
    return on_version_report(*v, now, out);
  }
  if (const auto* p = std::get_if<ProgressReport>(&event)) {
    return on_progress_report(*p, now, out);
  }
  // A query changes nothing; pending_notification() answers it.
  return store_.find_device(std::get<UpgradeQuery>(event).device)
             ? ReportOutcome::kApplied : ReportOutcome::kUnknownDevice;
}

ReportOutcome Engine::on_version_report(const VersionReport& report,
                                        TimeMs now, Outbox& out) {
  // The first report after an arrival by subscription (see arrived_at_).
  std::optional<TimeMs> arrived;
  if (auto it = arrived_at_.empty() ? arrived_at_.end() : arrived_at_.find(report.device);
      it != arrived_at_.end()) {
    if (!report.came_online) arrived = it->second;
    arrived_at_.erase(it);
  }
  // Without a copy: most reports repeat what is stored.
  const Device* stored = store_.find_device(report.device);
  if (!stored && !options_.auto_register) return ReportOutcome::kUnknownDevice;
  if (!stored) {
    Device device{report.device, {}, {}, now, now};
    device.modules[report.module] = ModuleState{report.version, now};
    store_.put_device(device);
  } else if (needs_rewrite(*stored, report, now)) {
    store_.put_module_state(report.device, report.module, ModuleState{report.version, now}, now);
  }

  std::optional<JobId> job_id = store_.active_job(report.device);
  if (!job_id) {
    // Free: a dynamic job may take it, or a task that found it busy.
    if (!running_dynamic_jobs(report.device.product).empty()) {
      requeue_waiting_for_device(report.device, now);
      std::optional<Device> device = store_.get_device(report.device);
      if (device && !store_.active_job(report.device)) {
        join_dynamic_jobs(*device, report.module, now);
      }
    }
    return ReportOutcome::kApplied;
  }
  std::optional<Task> task = store_.get_task(*job_id, report.device);
  if (!task) return ReportOutcome::kApplied;
  if (task->state == TaskState::kQueued && task->waiting) {
    // The device speaks, so it is online: its push can go out now.
    reach(report.device, now, out);
    task = store_.get_task(*job_id, report.device);
  }
  if (task->module != report.module) return ReportOutcome::kApplied;
  std::optional<Job> job = store_.get_job(*job_id);
  std::optional<Package> package = job ? store_.get_package(job->package_id) : std::nullopt;
  if (!package) return ReportOutcome::kApplied;

  if (report.version == package->version) {
    finish(*task, TaskState::kSucceeded, FailReason::kNone,
           "reported version " + report.version, now);
  } else if (is_notified(task->state)) {
    // Told since it subscribed, and nothing reported since: this is the
    // report its SDK sends on connecting, not a request to be told again.
    const bool told_on_arrival =
        arrived && task->state == TaskState::kNotified && task->updated_at >= *arrived;
    // The device is not on the target yet (restarted, or its download was
    // cut): send the notification again so it can resume (seed 003).
    if (!told_on_arrival) resend(*task, *job, *package, now, out);
  }
  return ReportOutcome::kApplied;
}

ReportOutcome Engine::on_progress_report(const ProgressReport& report,
                                         TimeMs now, Outbox&) {
  if (!arrived_at_.empty()) arrived_at_.erase(report.device);  // it moved on since it arrived
  // Most reports are the next step of an upgrade in progress: its task is
  // found by one lookup of the device, and read and changed without copying
  // it, its job or its package.
  if (const Task* current = store_.find_active_task(report.device);
      current != nullptr && (!report.job_id || *report.job_id == current->job_id) &&
      current->state == TaskState::kInProgress && current->module == report.module &&
      report.step >= 0 && report.step < 100 && !report.completed) {
    if (current->step == report.step && current->detail == report.desc) {
      return ReportOutcome::kApplied;  // devices repeat each step (DESIGN §10)
    }
    const Job* job = store_.find_job(current->job_id);
    if (job == nullptr || store_.find_package(job->package_id) == nullptr) {
      return ReportOutcome::kNoActiveTask;
    }
    // Within its state: changed in place (no index or count moves).
    Task* task = store_.change_active_task(report.device);
    if (task == nullptr) return ReportOutcome::kNoActiveTask;
    task->step = report.step;
    task->detail = report.desc;
    record(*task, TaskState::kInProgress, now, report.desc);
    return ReportOutcome::kApplied;
  }
  // An active task exists only for a stored device (devices are never
  // deleted), so the unknown ones are told apart here.
  if (!store_.find_device(report.device)) return ReportOutcome::kUnknownDevice;
  std::optional<JobId> job_id = store_.active_job(report.device);
  if (!job_id || (report.job_id && *report.job_id != *job_id)) return ReportOutcome::kNoActiveTask;
  std::optional<ActiveTask> active = active_task(report.device);
  if (!active || (report.job_id && *report.job_id != active->job.id)) {
    return ReportOutcome::kNoActiveTask;
  }
  Task* task = &active->task;
  const Job* job = &active->job;
  const Package* package = &active->package;
  if (task->module != report.module || !is_notified(task->state)) {
    return ReportOutcome::kNoActiveTask;
  }

  if (report.step < 0) {
    if (report.resumable && download_unfinished(*task)) {
      // Tencent's cut download (seed 003): the device reports its version
      // next and resumes from its offset once notified again.
      if (task->step == report.step && task->detail == report.desc) {
        return ReportOutcome::kApplied;  // the device repeats itself
      }
      task->step = report.step;
      task->detail = report.desc;
      record(*task, TaskState::kInProgress, now,
             report.desc + " (download interrupted: resumes when the device reports its version)");
      save(*task);
      return ReportOutcome::kApplied;
    }
    task->step = report.step;
    finish(*task, TaskState::kFailed, fail_reason_for_step(report.step), report.desc, now);
    return ReportOutcome::kApplied;
  }
  if (report.completed) {
    if (report.version.empty() || report.version == package->version) {
      task->step = 100;
      finish(*task, TaskState::kSucceeded, FailReason::kNone,
             report.desc.empty() ? "device reported done" : report.desc, now);
    }
    return ReportOutcome::kApplied;
  }
  if (report.step == 100 &&
      product_config(report.device.product).success_rule == SuccessRule::kProgress100) {
    task->step = 100;
    finish(*task, TaskState::kSucceeded, FailReason::kNone,
           report.desc.empty() ? "progress 100" : report.desc, now);
    return ReportOutcome::kApplied;
  }
  // Devices repeat each step (DESIGN §10): a repeat changes nothing.
  if (task->state == TaskState::kInProgress && task->step == report.step &&
      task->detail == report.desc) {
    return ReportOutcome::kApplied;
  }
  if (task->state == TaskState::kNotified && job->timeout_from_progress) {
    // Alibaba counts the timeout from the start of the upgrade.
    task->deadline = now + job->timeout_s * 1000;
    schedule({task->deadline, DueKind::kTimeout, task->job_id, task->device});
  }
  task->step = report.step;
  task->detail = report.desc;
  record(*task, TaskState::kInProgress, now, report.desc);
  save(*task);
  return ReportOutcome::kApplied;
}

void Engine::on_device_online(const DeviceKey& device, TimeMs now, Outbox& out) {
  arrived_at_[device] = now;
  reach(device, now, out);
}

void Engine::reach(const DeviceKey& device, TimeMs now, Outbox& out) {
  std::optional<ActiveTask> active = active_task(device);
  if (!active) return;
  Task& task = active->task;
  Job& job = active->job;
  if (task.state == TaskState::kQueued && task.waiting) {
    task.waiting = false;
    if (job.state == JobState::kRunning && task.group <= job.current_group) {
      schedule_push(job, task, now);
      store_.put_job(job);
    }
    save(task);
  } else if (is_notified(task.state)) {
    resend(task, job, active->package, now, out);
  }
}

std::optional<Notification> Engine::pending_notification(const UpgradeQuery& query,
                                                         TimeMs now) {
  std::optional<ActiveTask> active = active_task(query.device);
  if (!active || !is_notified(active->task.state)) return std::nullopt;
  if (!query.module.empty() && query.module != active->task.module) return std::nullopt;
  return Notification{active->task.device, active->task.job_id, active->package, now};
}

std::optional<ActiveTask> Engine::active_task(const DeviceKey& device) {
  std::optional<JobId> job_id = store_.active_job(device);
  if (!job_id) return std::nullopt;
  std::optional<Task> task = store_.get_task(*job_id, device);
  std::optional<Job> job = task ? store_.get_job(*job_id) : std::nullopt;
  std::optional<Package> package = job ? store_.get_package(job->package_id) : std::nullopt;
  if (!package) return std::nullopt;
  return ActiveTask{std::move(*task), std::move(*job), std::move(*package)};
}

void Engine::requeue_waiting_for_device(const DeviceKey& device, TimeMs now) {
  // Seed 001: a dynamic job's task that found the device busy becomes
  // pending again when the device reports after its other task finished.
  std::optional<Task> candidate;
  store_.for_each_task_of_device(device, [&](const Task& t) {
    if (t.state == TaskState::kFailed && t.rejoin) {
      candidate = t;
      return false;
    }
    return true;
  });
  if (!candidate) return;
  std::optional<Job> job = store_.get_job(candidate->job_id);
  if (!job || job->state != JobState::kRunning) return;
  candidate->rejoin = false;
  candidate->reason = FailReason::kNone;
  candidate->detail = "device free again";
  record(*candidate, job->need_confirm ? TaskState::kConfirm : TaskState::kQueued, now,
         candidate->detail);
  save(*candidate);
  if (candidate->state == TaskState::kQueued && candidate->group <= job->current_group) {
    schedule_push(*job, *candidate, now);
    store_.put_job(*job);
  }
}

void Engine::join_dynamic_jobs(const Device& device, const std::string& module,
                               TimeMs now) {
  for (JobId id : running_dynamic_jobs(device.key.product)) {
    std::optional<Job> job = store_.get_job(id);
    if (!job || job->module != module || store_.get_task(id, device.key)) continue;
    std::optional<Package> package = store_.get_package(job->package_id);
    if (!package || !matches_filter(job->filter, package->id, device, module)) continue;
    std::optional<Task> task = plan_task(*job, *package, device,
                                         job->current_group, now);
    if (!task) continue;
    job->task_count++;
    if (task->state == TaskState::kQueued) schedule_push(*job, *task, now);
    store_.put_job(*job);
    if (is_active(task->state)) return;  // the device is busy now
  }
}

}  // namespace ota
