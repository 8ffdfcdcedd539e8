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

}  // namespace

json_t* package_json(const Package& p) {
  json_t* j = json_object();
  json_object_set_new(j, "id", json_integer(static_cast<json_int_t>(p.id)));
  json_object_set_new(j, "product", str(p.product));
  json_object_set_new(j, "module", str(p.module));
  json_object_set_new(j, "version", str(p.version));
  json_object_set_new(j, "size", json_integer(static_cast<json_int_t>(p.size)));
  json_object_set_new(j, "url", str(p.url));
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
  json_object_set_new(j, "timeoutSeconds", json_integer(job.timeout_s));
  json_object_set_new(j, "taskCount", json_integer(job.task_count));
  json_object_set_new(j, "createdAt", json_integer(job.created_at));
  json_object_set_new(j, "finishedAt", job.finished_at ? json_integer(job.finished_at) : json_null());
  if (counts) {
    json_t* c = json_object();
    for (int s = 0; s < kTaskStateCount; ++s) {
      const std::string name(to_string(static_cast<TaskState>(s)));
      json_object_set_new(c, name.c_str(), json_integer(static_cast<json_int_t>((*counts)[s])));
    }
    json_object_set_new(j, "counts", c);
  }
  return j;
}

json_t* task_json(const Task& t) {
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
  json_object_set_new(j, "updatedAt", json_integer(t.updated_at));
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
