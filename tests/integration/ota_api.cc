#include "ota_api.h"

#include <thread>

#include <gtest/gtest.h>

namespace ota::test {

namespace {
std::string quoted(const std::string& s) {
  JsonPtr str(json_string(s.c_str()));
  return json_text(str.get());
}
}  // namespace

std::string package_fields(const PackageSpec& spec) {
  std::string f = "{\"product\":" + quoted(spec.product);
  if (!spec.module.empty()) f += ",\"module\":" + quoted(spec.module);
  f += ",\"version\":" + quoted(spec.version) + ",\"url\":" + quoted(spec.url) +
       ",\"size\":" + std::to_string(spec.size) + ",\"sign\":" + quoted(spec.sign) +
       ",\"signMethod\":" + quoted(spec.sign_method);
  if (!spec.ext_data_json.empty()) f += ",\"extData\":" + spec.ext_data_json;
  f += ",\"description\":" + quoted(spec.description) + "}";
  return f;
}

JsonPtr OtaApi::member(const std::string& command, const std::string& fields, const char* name) {
  JsonPtr reply = ctl_->send(command, fields);
  if (!reply) {
    ADD_FAILURE() << command << ": no reply within the timeout to " << ctl_->last_request();
    return nullptr;
  }
  if (auto error = response_error(reply.get())) {
    ADD_FAILURE() << command << " failed: \"" << *error << "\"\n  request: "
                  << ctl_->last_request() << "\n  reply: " << json_text(reply.get());
    return nullptr;
  }
  json_t* value = json_at(response_data(reply.get()), name);
  if (!json_is_object(value)) {
    ADD_FAILURE() << command << ": reply has no data." << name << " object\n  request: "
                  << ctl_->last_request() << "\n  reply: " << json_text(reply.get());
    return nullptr;
  }
  return json_ref(value);
}

JsonPtr OtaApi::create_package(const PackageSpec& spec) {
  return member("createPackage", package_fields(spec), "package");
}

JsonPtr OtaApi::create_job(long long package_id, const std::vector<std::string>& devices,
                           std::optional<int> timeout_seconds) {
  std::string f = "{\"packageId\":" + std::to_string(package_id) + ",\"devices\":[";
  for (size_t i = 0; i < devices.size(); ++i) f += (i ? "," : "") + quoted(devices[i]);
  f += "]";
  if (timeout_seconds) f += ",\"timeoutSeconds\":" + std::to_string(*timeout_seconds);
  f += "}";
  return member("createJob", f, "job");
}

JsonPtr OtaApi::get_job(long long job_id) {
  return member("getJob", "{\"jobId\":" + std::to_string(job_id) + "}", "job");
}

JsonPtr OtaApi::get_device(const std::string& product, const std::string& device) {
  return member("getDevice",
                "{\"product\":" + quoted(product) + ",\"device\":" + quoted(device) + "}",
                "device");
}

std::optional<std::string> OtaApi::expect_error(const std::string& command,
                                                const std::string& fields) {
  JsonPtr reply = ctl_->send(command, fields);
  if (!reply) {
    ADD_FAILURE() << command << ": no reply within the timeout to " << ctl_->last_request();
    return std::nullopt;
  }
  auto error = response_error(reply.get());
  if (!error) {
    ADD_FAILURE() << command << " was expected to fail but succeeded\n  request: "
                  << ctl_->last_request() << "\n  reply: " << json_text(reply.get());
  }
  return error;
}

JsonPtr OtaApi::wait_task_state(const std::string& product, const std::string& device,
                                long long job_id, const std::string& state,
                                std::chrono::milliseconds timeout) {
  return wait_task(
      product, device, job_id,
      [&](const json_t* task) { return json_string_at(task, "state") == state; },
      "state " + state, timeout);
}

JsonPtr OtaApi::wait_task(const std::string& product, const std::string& device, long long job_id,
                          const std::function<bool(const json_t* task)>& predicate,
                          const std::string& what, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  for (;;) {
    JsonPtr dev = get_device(product, device);
    if (!dev) return nullptr;
    last = json_text(dev.get());
    JsonPtr task = find_task(dev.get(), job_id);
    if (task && predicate(task.get())) return task;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "task of job " << job_id << " for " << product << "/" << device
                << " did not reach " << what << " within " << timeout.count()
                << " ms; last getDevice: " << last;
  return nullptr;
}

JsonPtr OtaApi::wait_job_state(long long job_id, const std::string& state,
                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  for (;;) {
    JsonPtr job = get_job(job_id);
    if (!job) return nullptr;
    last = json_text(job.get());
    if (json_string_at(job.get(), "state") == state) return job;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "job " << job_id << " did not reach state " << state << " within "
                << timeout.count() << " ms; last getJob: " << last;
  return nullptr;
}

JsonPtr find_task(const json_t* device, long long job_id) {
  json_t* tasks = json_at(device, "tasks");
  size_t i;
  json_t* task;
  json_array_foreach(tasks, i, task) {
    if (json_int_at(task, "jobId") == job_id) return json_ref(task);
  }
  return nullptr;
}

long long job_count(const json_t* job, const std::string& state) {
  return json_int_at(job, "counts/" + state).value_or(-1);
}

std::string stable_job_text(const json_t* job) {
  JsonPtr copy(json_deep_copy(job));
  json_object_del(copy.get(), "elapsedMs");
  return json_text(copy.get());
}

}  // namespace ota::test
