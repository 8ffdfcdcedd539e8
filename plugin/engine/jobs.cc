// Jobs: planning targets and groups, pacing pushes, staged rollout,
// thresholds, windows, pause / resume / cancel.
#include <algorithm>
#include <set>

#include "engine/engine.h"

namespace ota {
namespace {

uint64_t active_count(const TaskCounts& counts) {
  uint64_t n = 0;
  for (int s = 0; s < kTaskStateCount; ++s) {
    if (is_active(static_cast<TaskState>(s))) n += counts[s];
  }
  return n;
}

uint64_t total(const TaskCounts& counts) {
  uint64_t n = 0;
  for (uint64_t c : counts) n += c;
  return n;
}

uint64_t count_of(const TaskCounts& counts, TaskState s) {
  return counts[static_cast<int>(s)];
}

// Grey-release order, so that groups and pacing follow a stable sample
// rather than alphabetical runs.
void sort_grey_release(std::vector<Device>& targets, PackageId package) {
  std::sort(targets.begin(), targets.end(), [&](const Device& a, const Device& b) {
    const uint32_t ba = grey_release_bucket(package, a.key);
    const uint32_t bb = grey_release_bucket(package, b.key);
    return ba != bb ? ba < bb : a.key.device < b.key.device;
  });
}

}  // namespace

Result<Job> Engine::create_job(const JobSpec& spec, TimeMs now) {
  std::optional<Package> package = store_.get_package(spec.package_id);
  if (!package) {
    return Error{"package " + std::to_string(spec.package_id) + " does not exist"};
  }
  const ProductConfig config = product_config(package->product);
  if (spec.type == JobType::kBatch && config.require_verified && !package->verified) {
    return Error{"package " + std::to_string(package->id) + " is not verified, and product " +
                 package->product + " requires verification: run a verify job first"};
  }
  if (spec.timeout_s < 0) return Error{"timeoutSeconds must not be negative"};
  if (spec.end_at && spec.end_at <= std::max(now, spec.start_at)) {
    return Error{"endAt must be later than startAt and now"};
  }
  const bool by_filter = spec.filter.all || !spec.filter.source_versions.empty() ||
                         !spec.filter.tags.empty();
  if (spec.devices.empty() && !by_filter) {
    return Error{"a job needs targets: devices, all, sourceVersions or tags"};
  }
  if (!spec.devices.empty() && spec.filter.all) {
    return Error{"devices and all cannot be combined"};
  }
  if (spec.dynamic && !by_filter) {
    return Error{"a dynamic job needs all, sourceVersions or tags to match devices that report later"};
  }

  // The devices the job selects. A filter over a product with more devices
  // than one slice plans the first slice here and the rest from run_due, a
  // slice per broker loop iteration, so one createJob never holds the broker
  // for the whole product (decisions.md "big jobs"). Rollout groups need the
  // whole target list to split it, so a job with groups is planned at once.
  std::vector<Device> targets;
  std::string expanded_through;
  bool more = false;
  if (!spec.devices.empty()) {
    std::set<std::string> seen;
    for (const std::string& name : spec.devices) {
      if (!seen.insert(name).second) return Error{"device " + name + " is listed twice"};
      std::optional<Device> d = store_.get_device({package->product, name});
      if (!d) {
        return Error{"device " + name + " of product " + package->product +
                     " is unknown (it has never reported a version)"};
      }
      if (matches_filter(spec.filter, package->id, *d, package->module)) targets.push_back(*d);
    }
  } else {
    const size_t limit = spec.groups.empty() ? options_.expansion_slice : 0;
    more = collect_targets(*package, spec.filter, "", limit, targets, expanded_through);
  }
  sort_grey_release(targets, package->id);

  Job job;
  job.id = store_.allocate_job_id();
  job.package_id = package->id;
  job.product = package->product;
  job.module = package->module;
  job.type = spec.type;
  job.filter = spec.filter;
  job.dynamic = spec.dynamic;
  job.rate_per_minute = spec.rate_per_minute;
  job.timeout_s = spec.timeout_s > 0 ? spec.timeout_s : options_.default_timeout_s;
  job.timeout_from_progress = spec.timeout_from_progress;
  job.retry_count = spec.retry_count;
  job.retry_interval_s = spec.retry_interval_s;
  job.start_at = spec.start_at;
  job.end_at = spec.end_at;
  job.need_confirm = spec.need_confirm;
  job.offline_policy = spec.offline_policy.value_or(config.offline_policy);
  job.success_threshold = spec.success_threshold;
  job.auto_advance = spec.auto_advance;
  job.failure_threshold = spec.failure_threshold;
  job.created_at = now;
  job.group_sizes = split_groups(static_cast<uint32_t>(targets.size()), spec.groups);

  uint32_t group = 0, placed = 0;
  for (const Device& d : targets) {
    while (group + 1 < job.group_sizes.size() && placed >= job.group_sizes[group]) {
      ++group;
      placed = 0;
    }
    ++placed;
    if (plan_task(job, *package, d, group, now)) job.task_count++;
  }
  if (more) {
    job.expanding = true;
    job.expanded_through = expanded_through;
    // Due after now: run_due takes what is due at `now` until none is
    // left, so the next slice waits for the next loop iteration.
    schedule({now + 1, DueKind::kExpand, job.id, {}});
  } else if (job.task_count == 0 && !job.dynamic) {
    return Error{"no device to upgrade: " + std::to_string(job.skipped) +
                 " targets are already on version " + package->version +
                 " or not on one of the package's source versions"};
  }

  if (job.start_at > now) {
    job.state = JobState::kScheduled;
    schedule({job.start_at, DueKind::kJobStart, job.id, {}});
  } else {
    start_job(job, now);
  }
  if (job.end_at) schedule({job.end_at, DueKind::kJobEnd, job.id, {}});
  store_.put_job(job);
  dynamic_jobs_.reset();
  advance_job(job.id, false, now);  // a job of only busy devices ends here
  return store_.get_job(job.id).value_or(job);
}

bool Engine::collect_targets(const Package& package, const TargetFilter& filter,
                             const std::string& after, size_t limit,
                             std::vector<Device>& targets, std::string& last) {
  size_t visited = 0;
  bool more = false;
  store_.for_each_device(package.product, after, [&](const Device& d) {
    if (limit && visited == limit) {
      more = true;
      return false;
    }
    ++visited;
    last = d.key.device;
    if (matches_filter(filter, package.id, d, package.module)) targets.push_back(d);
    return true;
  });
  return more;
}

void Engine::expand_job(JobId id, TimeMs now) {
  std::optional<Job> job = store_.get_job(id);
  if (!job || !job->expanding) return;
  std::optional<Package> package = store_.get_package(job->package_id);
  if (!package || job->state == JobState::kCompleted || job->state == JobState::kCanceled) {
    job->expanding = false;
    store_.put_job(*job);
    return;
  }
  std::vector<Device> targets;
  const std::string after = job->expanded_through;
  const bool more = collect_targets(*package, job->filter, after, options_.expansion_slice,
                                    targets, job->expanded_through);
  sort_grey_release(targets, package->id);
  // Sliced jobs have one group (see create_job); it grows with each slice.
  job->group_sizes.back() += static_cast<uint32_t>(targets.size());
  for (const Device& d : targets) {
    // A dynamic job may have taken the device already, when it reported.
    if (store_.get_task(job->id, d.key)) continue;
    std::optional<Task> task = plan_task(*job, *package, d, 0, now);
    if (!task) continue;
    job->task_count++;
    if (job->state == JobState::kRunning && task->state == TaskState::kQueued) {
      schedule_push(*job, *task, now);
    }
  }
  job->expanding = more;
  if (more) {
    schedule({now + 1, DueKind::kExpand, job->id, {}});
    store_.put_job(*job);
    return;
  }
  if (job->task_count == 0 && !job->dynamic) {
    complete(*job, "no device to upgrade: " + std::to_string(job->skipped) +
                       " targets are already on version " + package->version +
                       " or not on one of the package's source versions", now);
    return;
  }
  store_.put_job(*job);
  advance_job(job->id, false, now);
}

std::optional<Task> Engine::plan_task(Job& job, const Package& package, const Device& device,
                                      uint32_t group, TimeMs now) {
  const DeviceKey& key = device.key;
  auto module = device.modules.find(job.module);
  const std::string current = module == device.modules.end() ? "" : module->second.version;
  const bool source_ok = package.source_versions.empty() ||
      std::find(package.source_versions.begin(), package.source_versions.end(), current) !=
          package.source_versions.end();
  if (current == package.version || !source_ok) {
    job.skipped++;
    return std::nullopt;
  }
  Task task;
  task.job_id = job.id;
  task.device = key;
  task.module = job.module;
  task.group = group;
  record(task, job.need_confirm ? TaskState::kConfirm : TaskState::kQueued, now, "");
  if (store_.put_task(task)) return task;
  // One active task per device (seed 001): this job's task fails at once;
  // a dynamic job takes it again when the device is free.
  const std::optional<JobId> other = store_.active_job(key);
  task.reason = FailReason::kDeviceBusy;
  task.detail = "device busy with job " + std::to_string(other.value_or(0));
  task.rejoin = job.dynamic;
  task.history.clear();
  record(task, TaskState::kFailed, now, task.detail);
  save(task);
  return task;
}

void Engine::start_job(Job& job, TimeMs now) {
  job.state = JobState::kRunning;
  job.started_at = now;
  job.state_reason.clear();
  start_group(job, 0, now);
}

void Engine::start_group(Job& job, uint32_t group, TimeMs now) {
  job.current_group = group;
  std::vector<Task> queued;
  store_.for_each_task_of_job(job.id, [&](const Task& t) {
    if (t.group == group && t.state == TaskState::kQueued && !t.waiting) queued.push_back(t);
    return true;
  });
  // Keep the planned (grey-release) order when pacing.
  std::sort(queued.begin(), queued.end(), [&](const Task& a, const Task& b) {
    return grey_release_bucket(job.package_id, a.device) <
           grey_release_bucket(job.package_id, b.device);
  });
  for (const Task& t : queued) schedule_push(job, t, now);
}

void Engine::schedule_push(Job& job, const Task& task, TimeMs earliest) {
  // A token bucket of one: each push takes the next slot, slots are
  // 60/rate seconds apart, so the rate holds over any window, not just on
  // average per minute.
  const int64_t slot_us = std::max<int64_t>(earliest * 1000, job.next_slot_us);
  job.next_slot_us = slot_us + push_interval_us(job.rate_per_minute);
  schedule({slot_us / 1000, DueKind::kPush, job.id, task.device});
}

bool Engine::group_threshold_met(const Job& job, uint32_t group) {
  const TaskCounts counts = store_.group_task_counts(job.id, group);
  if (job.success_threshold == 0) return active_count(counts) == 0;
  return count_of(counts, TaskState::kSucceeded) * 100 >=
         static_cast<uint64_t>(job.success_threshold) * total(counts);
}

void Engine::advance_job(JobId id, bool after_failure, TimeMs now) {
  std::optional<Job> job = store_.get_job(id);
  if (!job || job->state != JobState::kRunning) return;
  const TaskCounts counts = store_.job_task_counts(job->id);

  if (after_failure && job->failure_threshold.is_set()) {
    const uint64_t failed = count_of(counts, TaskState::kFailed);
    const uint64_t finished = failed + count_of(counts, TaskState::kSucceeded) +
                              count_of(counts, TaskState::kCanceled);
    const Threshold& t = job->failure_threshold;
    if ((t.count && failed >= t.count) ||
        (t.percent && finished > 0 && failed * 100 >= t.percent * finished)) {
      pause(*job, "failure threshold reached: " + std::to_string(failed) + " of " +
                      std::to_string(finished) + " finished tasks failed", now);
      return;
    }
  }
  if (job->expanding) return;  // more tasks are coming: nothing is finished yet

  const uint32_t group = job->current_group;
  if (group + 1 < job->group_sizes.size()) {
    if (group_threshold_met(*job, group)) {
      if (job->auto_advance) {
        start_group(*job, group + 1, now);
        store_.put_job(*job);
      } else {
        pause(*job, "group " + std::to_string(group + 1) + " of " +
                        std::to_string(job->group_sizes.size()) +
                        " reached its success threshold; resume to start the next", now);
      }
    } else if (active_count(store_.group_task_counts(job->id, group)) == 0) {
      pause(*job, "group " + std::to_string(group + 1) + " finished below its success threshold of " +
                      std::to_string(job->success_threshold) + "%", now);
    }
    return;
  }
  if (!job->dynamic && active_count(counts) == 0) complete(*job, "", now);
}

void Engine::pause(Job& job, std::string reason, TimeMs) {
  job.state = JobState::kPaused;
  job.state_reason = std::move(reason);
  store_.put_job(job);
  dynamic_jobs_.reset();
}

void Engine::complete(Job& job, std::string reason, TimeMs now) {
  job.state = JobState::kCompleted;
  job.state_reason = std::move(reason);
  job.finished_at = now;
  store_.put_job(job);
  dynamic_jobs_.reset();
  if (job.type != JobType::kVerify) return;
  const TaskCounts counts = store_.job_task_counts(job.id);
  if (count_of(counts, TaskState::kSucceeded) == total(counts) && total(counts) > 0) {
    std::optional<Package> package = store_.get_package(job.package_id);
    if (package && !package->verified) {
      package->verified = true;
      store_.put_package(*package);
    }
  }
}

Result<Job> Engine::pause_job(JobId id, TimeMs now) {
  std::optional<Job> job = store_.get_job(id);
  if (!job) return Error{"job " + std::to_string(id) + " does not exist"};
  if (job->state != JobState::kRunning && job->state != JobState::kScheduled) {
    return Error{"job " + std::to_string(id) + " is " + std::string(to_string(job->state)) +
                 ", only a running or scheduled job can be paused"};
  }
  pause(*job, "paused by operator", now);
  return *job;
}

Result<Job> Engine::resume_job(JobId id, TimeMs now) {
  std::optional<Job> job = store_.get_job(id);
  if (!job) return Error{"job " + std::to_string(id) + " does not exist"};
  if (job->state != JobState::kPaused) {
    return Error{"job " + std::to_string(id) + " is " + std::string(to_string(job->state)) +
                 ", only a paused job can be resumed"};
  }
  if (job->start_at > now && job->started_at == 0) {
    job->state = JobState::kScheduled;
    job->state_reason.clear();
    store_.put_job(*job);
    return *job;
  }
  job->state = JobState::kRunning;
  job->state_reason.clear();
  if (job->started_at == 0) job->started_at = now;
  const uint32_t group = job->current_group;
  const bool next_group = group + 1 < job->group_sizes.size() &&
      (group_threshold_met(*job, group) ||
       active_count(store_.group_task_counts(job->id, group)) == 0);
  // Pushes that came due while paused were dropped: queue them again, then
  // open the next group if the current one is done.
  std::vector<Task> queued;
  store_.for_each_task_of_job(id, [&](const Task& t) {
    if (t.state == TaskState::kQueued && !t.waiting && t.group <= group) queued.push_back(t);
    return true;
  });
  for (const Task& t : queued) schedule_push(*job, t, now);
  if (next_group) start_group(*job, group + 1, now);
  store_.put_job(*job);
  dynamic_jobs_.reset();
  advance_job(job->id, false, now);
  return store_.get_job(id).value_or(*job);
}

Result<Job> Engine::cancel_job(JobId id, TimeMs now) {
  std::optional<Job> job = store_.get_job(id);
  if (!job) return Error{"job " + std::to_string(id) + " does not exist"};
  if (job->state == JobState::kCompleted || job->state == JobState::kCanceled) {
    return Error{"job " + std::to_string(id) + " is already " +
                 std::string(to_string(job->state))};
  }
  job->state = JobState::kCanceled;
  job->state_reason = "canceled by operator";
  job->finished_at = now;
  store_.put_job(*job);
  dynamic_jobs_.reset();
  std::vector<Task> active;
  store_.for_each_task_of_job(id, [&](const Task& t) {
    if (is_active(t.state)) active.push_back(t);
    return true;
  });
  for (Task& t : active) {
    t.reason = FailReason::kCanceled;
    t.detail = "job canceled";
    record(t, TaskState::kCanceled, now, t.detail);
    save(t);
  }
  return *job;
}

void Engine::close_window(JobId id, TimeMs now) {
  std::optional<Job> job = store_.get_job(id);
  if (!job || job->end_at == 0 || job->state == JobState::kCompleted ||
      job->state == JobState::kCanceled) {
    return;
  }
  std::vector<Task> active;
  store_.for_each_task_of_job(id, [&](const Task& t) {
    if (is_active(t.state)) active.push_back(t);
    return true;
  });
  for (Task& t : active) {
    t.reason = FailReason::kWindowClosed;
    t.detail = "the job's end time passed";
    t.rejoin = false;
    record(t, TaskState::kFailed, now, t.detail);
    save(t);
  }
  complete(*job, "window closed", now);
}

std::vector<JobId> Engine::running_dynamic_jobs(const std::string& product) {
  if (!dynamic_jobs_) {
    dynamic_jobs_.emplace();
    store_.for_each_job([&](const Job& j) {
      if (j.dynamic && j.state == JobState::kRunning) dynamic_jobs_->emplace(j.product, j.id);
      return true;
    });
  }
  std::vector<JobId> ids;
  if (dynamic_jobs_->empty()) return ids;  // the usual case: no lookup by name
  auto [begin, end] = dynamic_jobs_->equal_range(product);
  for (auto it = begin; it != end; ++it) ids.push_back(it->second);
  return ids;
}

}  // namespace ota
