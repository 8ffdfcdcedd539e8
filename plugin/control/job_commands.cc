// createJob, getJob, listJobs, pauseJob, resumeJob, cancelJob.
#include <cmath>

#include "control/command.h"
#include "control/views.h"

namespace ota {
namespace {

constexpr size_t kMaxDeviceNameBytes = 128;
constexpr int64_t kMaxTimeoutSeconds = 30LL * 86400;
constexpr int64_t kMaxRetries = 100;
constexpr int64_t kMaxRatePerMinute = 6'000'000;

bool get_string_list(const json_t* cmd, const char* field, std::vector<std::string>* out,
                     std::string* error) {
  const json_t* list = nullptr;
  if (!json::get_array(cmd, field, &list, true, error)) return false;
  if (!list) return true;
  size_t i;
  json_t* v;
  json_array_foreach(const_cast<json_t*>(list), i, v) {
    const size_t length = json_is_string(v) ? json_string_length(v) : 0;
    if (length == 0 || length > kMaxDeviceNameBytes) {
      *error = std::string("field '") + field + "' must be an array of strings (1 to 128 bytes)";
      return false;
    }
    out->emplace_back(json_string_value(v), length);
  }
  return true;
}

// {"count":n} or {"percent":p}: exactly one, positive.
bool get_count_or_percent(const json_t* obj, const char* field, uint32_t* count,
                          uint32_t* percent, std::string* error) {
  int64_t c = 0, p = 0;
  if (!json_is_object(obj) || !json::get_int64(obj, "count", &c, true, error) ||
      !json::get_int64(obj, "percent", &p, true, error) || (c > 0) == (p > 0) || c < 0 ||
      p < 0 || p > 100 || c > UINT32_MAX) {
    *error = std::string("field '") + field +
             "' must be {\"count\":n} or {\"percent\":1..100}";
    return false;
  }
  *count = static_cast<uint32_t>(c);
  *percent = static_cast<uint32_t>(p);
  return true;
}

bool get_bounded(const json_t* cmd, const char* field, int64_t min, int64_t max, int64_t* out,
                 std::string* error) {
  if (!json::get_int64(cmd, field, out, true, error)) return false;
  if (json_object_get(cmd, field) && (*out < min || *out > max)) {
    *error = std::string("field '") + field + "' must be from " + std::to_string(min) + " to " +
             std::to_string(max);
    return false;
  }
  return true;
}

std::optional<JobState> job_state_from_string(const std::string& s) {
  for (JobState st : {JobState::kDraft, JobState::kScheduled, JobState::kRunning,
                      JobState::kPaused, JobState::kCompleted, JobState::kCanceled}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

CommandReply job_reply(CommandContext& ctx, const Result<Job>& job) {
  if (!job) return Error{job.error()};
  const TaskCounts counts = ctx.store.job_task_counts(job.value().id);
  return wrap("job", job_json(job.value(), &counts));
}

}  // namespace

CommandReply create_job_command(CommandContext& ctx, const json_t* cmd) {
  std::string error, type = "batch", offline, timeout_from = "notify";
  JobSpec spec;
  const json_t *tags = nullptr, *retry = nullptr, *groups = nullptr, *failure = nullptr;
  int64_t rate = 0, retry_count = 0, retry_interval = 0, start_at = 0, end_at = 0,
          success = 0;
  if (!check_fields(cmd, {"packageId", "type", "devices", "all", "sourceVersions", "tags",
                          "percent", "dynamic", "ratePerMinute", "timeoutSeconds",
                          "timeoutFrom", "retry", "startAt", "endAt", "needConfirm",
                          "offlinePolicy", "groups", "successThreshold", "autoAdvance",
                          "failureThreshold"}, &error) ||
      !get_id(cmd, "packageId", &spec.package_id, &error) ||
      !json::get_string(cmd, "type", &type, true, &error) ||
      !get_string_list(cmd, "devices", &spec.devices, &error) ||
      !json::get_bool(cmd, "all", &spec.filter.all, true, &error) ||
      !get_string_list(cmd, "sourceVersions", &spec.filter.source_versions, &error) ||
      !json::get_object(cmd, "tags", &tags, true, &error) ||
      !get_percent_bp(cmd, "percent", &spec.filter.percent_bp, &error) ||
      !json::get_bool(cmd, "dynamic", &spec.dynamic, true, &error) ||
      !get_bounded(cmd, "ratePerMinute", 0, kMaxRatePerMinute, &rate, &error) ||
      !get_bounded(cmd, "timeoutSeconds", 1, kMaxTimeoutSeconds, &spec.timeout_s, &error) ||
      !json::get_string(cmd, "timeoutFrom", &timeout_from, true, &error) ||
      !json::get_object(cmd, "retry", &retry, true, &error) ||
      !get_bounded(cmd, "startAt", 0, INT32_MAX * 4LL, &start_at, &error) ||
      !get_bounded(cmd, "endAt", 0, INT32_MAX * 4LL, &end_at, &error) ||
      !json::get_bool(cmd, "needConfirm", &spec.need_confirm, true, &error) ||
      !json::get_string(cmd, "offlinePolicy", &offline, true, &error) ||
      !json::get_array(cmd, "groups", &groups, true, &error) ||
      !get_bounded(cmd, "successThreshold", 0, 100, &success, &error) ||
      !json::get_bool(cmd, "autoAdvance", &spec.auto_advance, true, &error) ||
      !json::get_object(cmd, "failureThreshold", &failure, true, &error)) {
    return Error{error};
  }
  if (type != "batch" && type != "verify") {
    return Error{"field 'type' must be \"batch\" or \"verify\""};
  }
  spec.type = type == "verify" ? JobType::kVerify : JobType::kBatch;
  if (tags) {
    const char* key;
    json_t* value;
    json_object_foreach(const_cast<json_t*>(tags), key, value) {
      if (!json_is_string(value)) return Error{"field 'tags' must map names to strings"};
      spec.filter.tags[key] = json_string_value(value);
    }
  }
  spec.rate_per_minute = static_cast<uint32_t>(rate);
  if (timeout_from != "notify" && timeout_from != "progress") {
    return Error{"field 'timeoutFrom' must be \"notify\" or \"progress\""};
  }
  spec.timeout_from_progress = timeout_from == "progress";
  if (retry) {
    if (!check_fields(retry, {"count", "intervalSeconds"}, &error) ||
        !get_bounded(retry, "count", 0, kMaxRetries, &retry_count, &error) ||
        !get_bounded(retry, "intervalSeconds", 0, kMaxTimeoutSeconds, &retry_interval, &error)) {
      return Error{"retry: " + error};
    }
    spec.retry_count = static_cast<uint32_t>(retry_count);
    spec.retry_interval_s = retry_interval;
  }
  spec.start_at = start_at * 1000;
  spec.end_at = end_at * 1000;
  if (!offline.empty()) {
    if (offline != "wait" && offline != "fail") {
      return Error{"field 'offlinePolicy' must be \"wait\" or \"fail\""};
    }
    spec.offline_policy = offline == "wait" ? OfflinePolicy::kWait : OfflinePolicy::kFail;
  }
  if (groups) {
    size_t i;
    json_t* g;
    json_array_foreach(const_cast<json_t*>(groups), i, g) {
      GroupSpec group;
      if (!get_count_or_percent(g, "groups", &group.count, &group.percent, &error)) {
        return Error{"field 'groups' must be an array of {\"count\":n} or {\"percent\":1..100}"};
      }
      spec.groups.push_back(group);
    }
  }
  spec.success_threshold = static_cast<uint32_t>(success);
  if (failure &&
      !get_count_or_percent(failure, "failureThreshold", &spec.failure_threshold.count,
                            &spec.failure_threshold.percent, &error)) {
    return Error{error};
  }
  return job_reply(ctx, ctx.engine.create_job(spec, ctx.now));
}

CommandReply get_job_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  uint64_t id = 0;
  if (!check_fields(cmd, {"jobId"}, &error) || !get_id(cmd, "jobId", &id, &error)) {
    return Error{error};
  }
  Result<JobStatistics> stats = ctx.engine.job_statistics(id, ctx.now);
  if (!stats) return Error{stats.error()};
  json_t* job = job_statistics_json(stats.value());
  // Each staged group's tasks per state (the console's group progress).
  json_t* groups = json_array();
  for (uint32_t g = 0; g < stats.value().job.group_sizes.size(); ++g) {
    const TaskCounts counts = ctx.store.group_task_counts(id, g);
    json_array_append_new(groups, task_counts_json(counts));
  }
  json_object_set_new(job, "groupCounts", groups);
  return wrap("job", job);
}

CommandReply list_jobs_command(CommandContext& ctx, const json_t* cmd) {
  std::string error, product, state;
  Paging paging;
  if (!check_fields(cmd, {"product", "state", "offset", "count"}, &error) ||
      !json::get_string(cmd, "product", &product, true, &error) ||
      !json::get_string(cmd, "state", &state, true, &error) ||
      !get_paging(cmd, &paging, &error)) {
    return Error{error};
  }
  std::optional<JobState> wanted;
  if (!state.empty() && !(wanted = job_state_from_string(state))) {
    return Error{"field 'state' must be one of draft, scheduled, running, paused, completed, canceled"};
  }
  PageBuilder page(paging);
  ctx.store.for_each_job([&](const Job& job) {
    if ((!product.empty() && job.product != product) || (wanted && job.state != *wanted)) {
      return true;
    }
    return page.offer([&] {
      const TaskCounts counts = ctx.store.job_task_counts(job.id);
      return job_json(job, &counts);
    });
  });
  return page.reply("jobs");
}

CommandReply pause_job_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  uint64_t id = 0;
  if (!check_fields(cmd, {"jobId"}, &error) || !get_id(cmd, "jobId", &id, &error)) {
    return Error{error};
  }
  return job_reply(ctx, ctx.engine.pause_job(id, ctx.now));
}

CommandReply resume_job_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  uint64_t id = 0;
  if (!check_fields(cmd, {"jobId"}, &error) || !get_id(cmd, "jobId", &id, &error)) {
    return Error{error};
  }
  return job_reply(ctx, ctx.engine.resume_job(id, ctx.now));
}

CommandReply cancel_job_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  uint64_t id = 0;
  if (!check_fields(cmd, {"jobId"}, &error) || !get_id(cmd, "jobId", &id, &error)) {
    return Error{error};
  }
  return job_reply(ctx, ctx.engine.cancel_job(id, ctx.now));
}

}  // namespace ota
