// Task transitions: pushes, timeouts, notifications, results, retries, and
// the operator's per-task commands.
#include "engine/engine.h"

namespace ota {
namespace {

constexpr int64_t kMsPerSecond = 1000;

bool is_retryable(FailReason r) {
  switch (r) {
    case FailReason::kUpgradeFailed:
    case FailReason::kDownloadFailed:
    case FailReason::kVerifyFailed:
    case FailReason::kFlashFailed:
    case FailReason::kTimeout:
    case FailReason::kOffline:
      return true;
    default:
      return false;
  }
}

Error no_task(JobId job, const DeviceKey& device) {
  return Error{"job " + std::to_string(job) + " has no task for device " + device.device +
               " of product " + device.product};
}

}  // namespace

void Engine::run_due(TimeMs now, Outbox& out) {
  compliance_.advance(now);  // one slice of a big product's count, if one runs
  last_run_due_at_ = now;
  due_left_ = false;
  // Handling an entry can add entries already due (a job that starts
  // schedules its first pushes): take again until none is left, within the
  // per-call limit that keeps one broker tick short.
  size_t budget = options_.due_batch_limit;
  while (budget > 0) {
    scheduled_since_run_ = false;  // an empty take leaves nothing due now
    std::vector<DueItem> items = store_.take_due(now, budget);
    if (items.empty()) return;
    budget -= items.size();
    handle_due(items, now, out);
  }
  due_left_ = true;  // stopped at the limit: more may be due now
}

void Engine::handle_due(const std::vector<DueItem>& items, TimeMs now, Outbox& out) {
  for (const DueItem& item : items) {
    switch (item.kind) {
      case DueKind::kPush: on_push_due(item, now, out); break;
      case DueKind::kTimeout: on_timeout_due(item, now); break;
      case DueKind::kJobStart: {
        std::optional<Job> job = store_.get_job(item.job_id);
        if (job && job->state == JobState::kScheduled) {
          start_job(*job, now);
          store_.put_job(*job);
          dynamic_jobs_.reset();
          advance_job(job->id, false, now);
        }
        break;
      }
      case DueKind::kJobEnd: close_window(item.job_id, now); break;
      case DueKind::kExpand: expand_job(item.job_id, now); break;
    }
  }
}

void Engine::on_push_due(const DueItem& item, TimeMs now, Outbox& out) {
  std::optional<Task> task = store_.get_task(item.job_id, item.device);
  if (!task || task->state != TaskState::kQueued || task->waiting) return;  // stale
  std::optional<Job> job = store_.get_job(item.job_id);
  // A paused job's pushes are dropped here and queued again on resume.
  if (!job || job->state != JobState::kRunning) return;
  std::optional<Package> package = store_.get_package(job->package_id);
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
  if (presence_ && !presence_->is_online(item.device)) {
    if (job->offline_policy == OfflinePolicy::kFail) {
      task->attempts++;  // an attempt that found the device away
      finish(*task, TaskState::kFailed, FailReason::kOffline,
             "device offline when its upgrade was due", now);
    } else {
      task->waiting = true;
      task->detail = "waiting for the device to come online";
      save(*task);
    }
    return;
  }
  notify(*task, *job, *package, now, out);
}

void Engine::on_timeout_due(const DueItem& item, TimeMs now) {
  std::optional<Task> task = store_.get_task(item.job_id, item.device);
  if (!task || !is_notified(task->state) || task->deadline != item.at) return;
  finish(*task, TaskState::kFailed, FailReason::kTimeout,
         "no result within the job's timeout", now);
}

void Engine::notify(Task& task, const Job& job, const Package& package, TimeMs now,
                    Outbox& out) {
  if (task.state == TaskState::kQueued) {
    // A new attempt. Its timeout runs from this first notification;
    // re-sends keep it, so a device stuck on its old version still ends.
    task.attempts++;
    task.resends = 0;
    task.deadline = now + job.timeout_s * kMsPerSecond;
    schedule({task.deadline, DueKind::kTimeout, task.job_id, task.device});
  } else {
    task.resends++;
  }
  task.step = 0;
  task.notify_count++;
  record(task, TaskState::kNotified, now,
         task.state == TaskState::kQueued ? "notified" : "notified again");
  save(task);
  out.push_back(Notification{task.device, task.job_id, package, now});
}

void Engine::resend(Task& task, const Job& job, const Package& package, TimeMs now,
                    Outbox& out) {
  if (task.resends < options_.max_resends) {
    notify(task, job, package, now, out);
    return;
  }
  // The device keeps coming back without the upgrade: stop before the
  // timeout, saying why. A resumed download that failed keeps its reason.
  const FailReason reason =
      task.step < 0 ? fail_reason_for_step(task.step) : FailReason::kUpgradeFailed;
  std::string detail = "still not on version " + package.version + " after " +
                       std::to_string(task.resends) + " re-sent notifications (the limit)";
  if (task.step < 0 && !task.detail.empty()) detail += "; last failure: " + task.detail;
  finish(task, TaskState::kFailed, reason, std::move(detail), now);
}

void Engine::finish(Task& task, TaskState state, FailReason reason,
                    std::string detail, TimeMs now) {
  task.reason = reason;
  task.detail = detail;
  record(task, state, now, std::move(detail));
  std::optional<Job> job = store_.get_job(task.job_id);
  if (state == TaskState::kFailed && job && is_retryable(reason) &&
      task.attempts <= job->retry_count && job->state != JobState::kCanceled) {
    // An automatic retry: the failure stays in the history, the task
    // queues again after the interval (and through the job's pacing).
    task.waiting = false;
    record(task, TaskState::kQueued, now,
           "retry " + std::to_string(task.attempts) + " of " + std::to_string(job->retry_count));
    save(task);
    schedule_push(*job, task, now + job->retry_interval_s * kMsPerSecond);
    store_.put_job(*job);
    return;
  }
  save(task);
  advance_job(task.job_id, state == TaskState::kFailed, now);
}

namespace {

// A step of a download or update going on (not an interruption: -1..-4).
bool plain_progress(const TaskEvent& e) { return e.state == TaskState::kInProgress && e.step >= 0; }

}  // namespace

void Engine::record(Task& task, TaskState state, TimeMs now, std::string detail) {
  task.state = state;
  task.updated_at = now;
  TaskEvent event{now, state, task.step, std::move(detail)};
  // A run of progress steps keeps its first and its latest: a device that
  // reports every percent must not push the transitions out of the history.
  const size_t n = task.history.size();
  if (plain_progress(event) && n >= 2 && plain_progress(task.history[n - 1]) &&
      plain_progress(task.history[n - 2])) {
    task.history.back() = std::move(event);
    return;
  }
  task.history.push_back(std::move(event));
  if (task.history.size() > kMaxTaskHistory) {
    // Keep the first entry (when the task was created) and the latest ones.
    task.history.erase(task.history.begin() + 1);
  }
}

void Engine::save(const Task& task) {
  if (!store_.put_task(task)) {
    // Tasks become active only where the engine checked the index first;
    // reaching this is a bug, not bad input.
    throw StoreError("active-task invariant refused a task of job " +
                     std::to_string(task.job_id));
  }
}

Result<Task> Engine::cancel_task(JobId job_id, const DeviceKey& device, TimeMs now) {
  return cancel_task(job_id, device, now, "operator");
}

Result<Task> Engine::cancel_task(JobId job_id, const DeviceKey& device, TimeMs now,
                                 const std::string& by) {
  std::optional<Task> task = store_.get_task(job_id, device);
  if (!task) return no_task(job_id, device);
  if (!is_active(task->state)) {
    return Error{"the task is " + std::string(to_string(task->state)) +
                 ", only an unfinished task can be canceled"};
  }
  task->reason = FailReason::kCanceled;
  task->detail = "canceled by " + by;
  task->waiting = false;
  record(*task, TaskState::kCanceled, now, task->detail);
  save(*task);
  advance_job(job_id, false, now);
  return *task;
}

Result<Task> Engine::retry_task(JobId job_id, const DeviceKey& device, TimeMs now) {
  std::optional<Task> task = store_.get_task(job_id, device);
  if (!task) return no_task(job_id, device);
  if (task->state != TaskState::kFailed && task->state != TaskState::kCanceled) {
    return Error{"the task is " + std::string(to_string(task->state)) +
                 ", only a failed or canceled task can be retried"};
  }
  std::optional<Job> job = store_.get_job(job_id);
  if (!job || job->state == JobState::kCanceled) {
    return Error{"job " + std::to_string(job_id) + " is canceled"};
  }
  if (std::optional<JobId> other = store_.active_job(device)) {
    return Error{"device " + device.device + " is busy with job " + std::to_string(*other)};
  }
  task->reason = FailReason::kNone;
  task->rejoin = false;
  task->waiting = false;
  task->detail = "retried by operator";
  record(*task, TaskState::kQueued, now, task->detail);
  save(*task);
  if (job->state == JobState::kCompleted) {
    // The job has work again.
    job->state = JobState::kRunning;
    job->state_reason.clear();
    job->finished_at = 0;
    dynamic_jobs_.reset();
  }
  if (job->state == JobState::kRunning && task->group <= job->current_group) {
    schedule_push(*job, *task, now);
  }
  store_.put_job(*job);
  return *task;
}

Result<Task> Engine::confirm_task(JobId job_id, const DeviceKey& device, TimeMs now) {
  std::optional<Task> task = store_.get_task(job_id, device);
  if (!task) return no_task(job_id, device);
  if (task->state != TaskState::kConfirm) {
    return Error{"the task is " + std::string(to_string(task->state)) +
                 ", not waiting for confirmation"};
  }
  std::optional<Job> job = store_.get_job(job_id);
  if (!job) return no_task(job_id, device);
  task->detail = "confirmed";
  record(*task, TaskState::kQueued, now, task->detail);
  save(*task);
  if (job->state == JobState::kRunning && task->group <= job->current_group) {
    schedule_push(*job, *task, now);
    store_.put_job(*job);
  }
  return *task;
}

}  // namespace ota
