#include "control/views.h"

#include "json/json_util.h"

namespace ota {
namespace {

// json_string() returns NULL for invalid UTF-8; stored strings came from
// validated JSON, but never let one bad byte null out a whole reply.
json_t* str(std::string_view s) {
  json_t* j = json_stringn(s.data(), s.size());
  return j ? j : json_string("");
}

json_t* string_array(const std::vector<std::string>& v) {
  json_t* a = json_array();
  for (const std::string& s : v) json_array_append_new(a, str(s));
  return a;
}

json_t* threshold_json(const Threshold& t) {
  if (!t.is_set()) return json_null();
  json_t* j = json_object();
  if (t.count) json_object_set_new(j, "count", json_integer(t.count));
  if (t.percent) json_object_set_new(j, "percent", json_integer(t.percent));
  return j;
}

json_t* time_or_null(TimeMs t) { return t ? json_integer(t) : json_null(); }

}  // namespace

json_t* package_json(const Package& p) {
  json_t* j = json_object();
  json_object_set_new(j, "id", json_integer(static_cast<json_int_t>(p.id)));
  json_object_set_new(j, "product", str(p.product));
  json_object_set_new(j, "module", str(p.module));
  json_object_set_new(j, "version", str(p.version));
  json_object_set_new(j, "size", json_integer(static_cast<json_int_t>(p.size)));
  json_object_set_new(j, "url", str(p.url));
  // An uploaded file: devices get a signed URL of the plugin's server.
  json_object_set_new(j, "stored", json_boolean(p.url.empty() && !p.sha256.empty()));
  json_object_set_new(j, "sign", str(p.sign));
  json_object_set_new(j, "signMethod", str(to_string(p.sign_method)));
  json_object_set_new(j, "md5", str(p.md5));
  json_object_set_new(j, "sha256", str(p.sha256));
  json_object_set_new(j, "sourceVersions", string_array(p.source_versions));
  json_object_set_new(j, "diff", json_boolean(p.diff));
  if (!p.ext_data_json.empty()) {
    std::string ignored;
    json::JsonPtr ext = json::parse(p.ext_data_json, &ignored);
    if (ext) json_object_set(j, "extData", ext.get());
  }
  json_object_set_new(j, "description", str(p.description));
  json_object_set_new(j, "verified", json_boolean(p.verified));
  json_object_set_new(j, "createdAt", json_integer(p.created_at));
  return j;
}


json_t* job_json(const Job& job, const TaskCounts* counts) {
  json_t* j = json_object();
  json_object_set_new(j, "id", json_integer(static_cast<json_int_t>(job.id)));
  json_object_set_new(j, "packageId", json_integer(static_cast<json_int_t>(job.package_id)));
  json_object_set_new(j, "product", str(job.product));
  json_object_set_new(j, "module", str(job.module));
  json_object_set_new(j, "type", str(to_string(job.type)));
  json_object_set_new(j, "state", str(to_string(job.state)));
  json_object_set_new(j, "stateReason", str(job.state_reason));
  json_t* targets = json_object();
  json_object_set_new(targets, "all", json_boolean(job.filter.all));
  json_object_set_new(targets, "sourceVersions", string_array(job.filter.source_versions));
  json_t* tags = json_object();
  for (const auto& [k, v] : job.filter.tags) json_object_setn_new(tags, k.data(), k.size(), str(v));
  json_object_set_new(targets, "tags", tags);
  json_object_set_new(targets, "percent", json_real(job.filter.percent_bp / 100.0));
  json_object_set_new(j, "targets", targets);
  json_object_set_new(j, "dynamic", json_boolean(job.dynamic));
  json_object_set_new(j, "ratePerMinute", json_integer(job.rate_per_minute));
  json_object_set_new(j, "timeoutSeconds", json_integer(job.timeout_s));
  json_object_set_new(j, "timeoutFrom", str(job.timeout_from_progress ? "progress" : "notify"));
  json_t* retry = json_object();
  json_object_set_new(retry, "count", json_integer(job.retry_count));
  json_object_set_new(retry, "intervalSeconds", json_integer(job.retry_interval_s));
  json_object_set_new(j, "retry", retry);
  json_object_set_new(j, "startAt", job.start_at ? json_integer(job.start_at / 1000) : json_null());
  json_object_set_new(j, "endAt", job.end_at ? json_integer(job.end_at / 1000) : json_null());
  json_object_set_new(j, "needConfirm", json_boolean(job.need_confirm));
  json_object_set_new(j, "offlinePolicy",
                      str(job.offline_policy == OfflinePolicy::kFail ? "fail" : "wait"));
  json_t* groups = json_array();
  for (uint32_t size : job.group_sizes) json_array_append_new(groups, json_integer(size));
  json_object_set_new(j, "groupSizes", groups);
  json_object_set_new(j, "currentGroup", json_integer(job.current_group));
  json_object_set_new(j, "successThreshold", json_integer(job.success_threshold));
  json_object_set_new(j, "autoAdvance", json_boolean(job.auto_advance));
  json_object_set_new(j, "failureThreshold", threshold_json(job.failure_threshold));
  json_object_set_new(j, "taskCount", json_integer(job.task_count));
  json_object_set_new(j, "skipped", json_integer(job.skipped));
  json_object_set_new(j, "downloadBytes", json_integer(static_cast<json_int_t>(job.download_bytes)));
  json_object_set_new(j, "downloadsCompleted", json_integer(job.downloads_completed));
  json_object_set_new(j, "createdAt", json_integer(job.created_at));
  json_object_set_new(j, "startedAt", time_or_null(job.started_at));
  json_object_set_new(j, "finishedAt", time_or_null(job.finished_at));
  if (counts) json_object_set_new(j, "counts", task_counts_json(*counts));
  return j;
}

json_t* task_counts_json(const TaskCounts& counts) {
  json_t* c = json_object();
  for (int s = 0; s < kTaskStateCount; ++s) {
    const std::string name(to_string(static_cast<TaskState>(s)));
    json_object_set_new(c, name.c_str(), json_integer(static_cast<json_int_t>(counts[s])));
  }
  return c;
}

json_t* job_statistics_json(const JobStatistics& stats) {
  json_t* j = job_json(stats.job, &stats.counts);
  json_object_set_new(j, "successRate", json_real(stats.success_rate));
  json_t* reasons = json_object();
  for (const auto& [reason, n] : stats.failure_reasons) {
    json_object_setn_new(reasons, reason.data(), reason.size(),
                         json_integer(static_cast<json_int_t>(n)));
  }
  json_object_set_new(j, "failureReasons", reasons);
  json_object_set_new(j, "elapsedMs", json_integer(stats.elapsed_ms));
  return j;
}

json_t* product_config_json(const ProductConfig& c) {
  json_t* j = json_object();
  json_object_set_new(j, "product", str(c.product));
  json_object_set_new(j, "dialect", c.dialect.empty() ? json_null() : str(c.dialect));
  json_object_set_new(j, "successRule",
                      str(c.success_rule == SuccessRule::kProgress100 ? "progress100" : "version"));
  json_object_set_new(j, "offlinePolicy",
                      str(c.offline_policy == OfflinePolicy::kFail ? "fail" : "wait"));
  const char* identity = c.identity == IdentitySource::kClientId   ? "clientid"
                         : c.identity == IdentitySource::kUsername ? "username"
                                                                   : "topic";
  json_object_set_new(j, "identity", str(identity));
  json_object_set_new(j, "requireVerified", json_boolean(c.require_verified));
  json_object_set_new(j, "aliyunCode", c.aliyun_code.empty() ? json_null() : str(c.aliyun_code));
  json_object_set_new(j, "downloadProtocol",
                      str(c.download_protocol == DownloadProtocol::kMqtt ? "mqtt" : "https"));
  return j;
}

json_t* task_json(const Task& t, bool with_history) {
  json_t* j = json_object();
  json_object_set_new(j, "jobId", json_integer(static_cast<json_int_t>(t.job_id)));
  json_object_set_new(j, "product", str(t.device.product));
  json_object_set_new(j, "device", str(t.device.device));
  json_object_set_new(j, "module", str(t.module));
  json_object_set_new(j, "state", str(to_string(t.state)));
  json_object_set_new(j, "step", json_integer(t.step));
  json_object_set_new(j, "reason", str(to_string(t.reason)));
  json_object_set_new(j, "detail", str(t.detail));
  json_object_set_new(j, "notifyCount", json_integer(t.notify_count));
  json_object_set_new(j, "deadline", t.deadline ? json_integer(t.deadline) : json_null());
  json_object_set_new(j, "group", json_integer(t.group));
  json_object_set_new(j, "attempts", json_integer(t.attempts));
  json_object_set_new(j, "waiting", json_boolean(t.waiting));
  json_object_set_new(j, "updatedAt", json_integer(t.updated_at));
  if (!with_history) return j;
  json_t* history = json_array();
  for (const TaskEvent& e : t.history) {
    json_t* h = json_object();
    json_object_set_new(h, "at", json_integer(e.at));
    json_object_set_new(h, "state", str(to_string(e.state)));
    json_object_set_new(h, "step", json_integer(e.step));
    json_object_set_new(h, "detail", str(e.detail));
    json_array_append_new(history, h);
  }
  json_object_set_new(j, "history", history);
  return j;
}

json_t* device_json(const Device& d, bool online) {
  json_t* j = json_object();
  json_object_set_new(j, "product", str(d.key.product));
  json_object_set_new(j, "device", str(d.key.device));
  json_object_set_new(j, "online", json_boolean(online));
  json_t* modules = json_object();
  for (const auto& [name, m] : d.modules) {
    json_t* mj = json_object();
    json_object_set_new(mj, "version", str(m.version));
    json_object_set_new(mj, "reportedAt", json_integer(m.reported_at));
    json_object_setn_new(modules, name.data(), name.size(), mj);
  }
  json_object_set_new(j, "modules", modules);
  json_t* tags = json_object();
  for (const auto& [k, v] : d.tags) json_object_setn_new(tags, k.data(), k.size(), str(v));
  json_object_set_new(j, "tags", tags);
  json_object_set_new(j, "firstSeen", json_integer(d.first_seen));
  json_object_set_new(j, "lastSeen", json_integer(d.last_seen));
  return j;
}

}  // namespace ota
