#include "app/living_app.h"

#include "json/json_util.h"

namespace ota {
namespace {

using living::Op;

json::JsonPtr item_list(const char* key, json::JsonPtr items) {
  json::JsonPtr data(json_object());
  json_object_set_new(data.get(), key, items.release());
  return data;
}

std::string device_text(const DeviceKey& d) {
  return "device " + d.device + " of product " + d.product;
}

}  // namespace

AppOutcome LivingApp::handle(std::string_view topic, std::string_view payload,
                             const AppCaller& caller, TimeMs now) {
  AppOutcome out;
  const std::optional<Op> op = living::op_of_topic(topic);
  if (!op) {
    out.problem = "not a Living app request topic";
    return out;
  }
  living::ParsedRequest parsed = living::parse_request(*op, payload);
  Answer answer;
  if (!parsed.ok) {
    answer = {living::kBadRequest, nullptr, parsed.error};
    out.problem = parsed.error;
  } else if (caller.user.empty()) {
    answer = {living::kUnauthorized, nullptr,
              "the connection has no app identity (plugin_opt_living_app_identity)"};
    out.problem = answer.message;
  } else {
    const std::string user(caller.user);
    // All or nothing: one device not bound to the user refuses the request.
    for (const DeviceKey& d : parsed.request.devices) {
      if (!store_.has_binding({user, d})) {
        answer = {living::kForbidden, nullptr, device_text(d) + " is not bound to user " + user};
        out.problem = answer.message;
        break;
      }
    }
    if (out.problem.empty()) answer = serve(parsed.request, user, now);
  }
  // Never broadcast: without a client to address, the reply is dropped.
  if (!caller.client_id.empty()) {
    out.reply.topic = living::reply_topic(*op);
    out.reply.payload = living::encode_reply(parsed.request.id, answer.code,
                                             answer.data.release(), answer.message);
    out.reply.qos = 1;
    out.reply.client_id = std::string(caller.client_id);
  }
  return out;
}

LivingApp::Answer LivingApp::serve(const living::Request& request, const std::string& user,
                                   TimeMs now) {
  switch (request.op) {
    case Op::kPendingFirmware: return pending_firmware(user);
    case Op::kDevicesList: return devices_list(user);
    case Op::kProgressList: return progress_list(request);
    case Op::kConfirm:
    case Op::kCancel: return confirm_or_cancel(request, user, now);
  }
  return {};
}

LivingApp::Answer LivingApp::pending_firmware(const std::string& user) {
  json::JsonPtr items(json_array());
  for (const DeviceKey& d : bound_devices(user)) {
    std::optional<Task> task = active_task(d);
    if (!task || task->state != TaskState::kConfirm) continue;
    std::string current;
    if (std::optional<Device> device = store_.get_device(d)) {
      auto m = device->modules.find(task->module);
      if (m != device->modules.end()) current = m->second.version;
    }
    std::optional<Job> job = store_.get_job(task->job_id);
    std::optional<Package> package = job ? store_.get_package(job->package_id) : std::nullopt;
    json::JsonPtr item = task_item(*task);
    json::set_string(item.get(), "currentVersion", current);
    json_object_set_new(item.get(), "size",
                        json_integer(package ? static_cast<json_int_t>(package->size) : 0));
    json::set_string(item.get(), "description", package ? package->description : "");
    json_array_append_new(items.get(), item.release());
  }
  return {living::kOk, item_list("devices", std::move(items)), "success"};
}

LivingApp::Answer LivingApp::devices_list(const std::string& user) {
  json::JsonPtr items(json_array());
  for (const DeviceKey& d : bound_devices(user)) {
    // Upgrading: confirmed (or never needing it) and not finished.
    std::optional<Task> task = active_task(d);
    if (task && task->state != TaskState::kConfirm) {
      json_array_append_new(items.get(), task_item(*task).release());
    }
  }
  return {living::kOk, item_list("devices", std::move(items)), "success"};
}

LivingApp::Answer LivingApp::progress_list(const living::Request& request) {
  json::JsonPtr items(json_array());
  for (const DeviceKey& d : request.devices) {
    // The device's latest task (tasks come oldest job first).
    std::optional<Task> latest;
    store_.for_each_task_of_device(d, [&](const Task& t) {
      latest = t;
      return true;
    });
    if (latest) {
      json_array_append_new(items.get(), task_item(*latest).release());
      continue;
    }
    json_t* item = json_object();
    json::set_string(item, "productKey", d.product);
    json::set_string(item, "deviceName", d.device);
    json_object_set_new(item, "jobId", json_null());  // never upgraded here
    json::set_string(item, "module", "");
    json::set_string(item, "targetVersion", "");
    json::set_string(item, "state", "NONE");
    json_object_set_new(item, "step", json_integer(0));
    json::set_string(item, "desc", "");
    json_array_append_new(items.get(), item);
  }
  return {living::kOk, item_list("devices", std::move(items)), "success"};
}

LivingApp::Answer LivingApp::confirm_or_cancel(const living::Request& request,
                                                const std::string& user, TimeMs now) {
  const DeviceKey& d = request.devices.front();
  const bool confirm = request.op == Op::kConfirm;
  std::optional<Task> task = active_task(d);
  if (!task) {
    return {living::kNotFound, nullptr,
            device_text(d) + (confirm ? " has no upgrade waiting for confirmation"
                                      : " has no unfinished upgrade")};
  }
  Result<Task> done = confirm ? engine_.confirm_task(task->job_id, d, now)
                              : engine_.cancel_task(task->job_id, d, now, "user " + user);
  if (!done) return {living::kConflict, nullptr, done.error()};
  return {living::kOk, task_item(done.value()), "success"};
}

std::vector<DeviceKey> LivingApp::bound_devices(const std::string& user) {
  std::vector<DeviceKey> devices;
  store_.for_each_binding(user, [&](const Binding& b) {
    devices.push_back(b.device);
    return true;
  });
  return devices;
}

std::optional<Task> LivingApp::active_task(const DeviceKey& device) {
  std::optional<JobId> job = store_.active_job(device);
  return job ? store_.get_task(*job, device) : std::nullopt;
}

json::JsonPtr LivingApp::task_item(const Task& task) {
  std::optional<Job> job = store_.get_job(task.job_id);
  std::optional<Package> package = job ? store_.get_package(job->package_id) : std::nullopt;
  json::JsonPtr item(json_object());
  json_t* j = item.get();
  json::set_string(j, "productKey", task.device.product);
  json::set_string(j, "deviceName", task.device.device);
  json_object_set_new(j, "jobId", json_integer(static_cast<json_int_t>(task.job_id)));
  json::set_string(j, "module", task.module);
  json::set_string(j, "targetVersion", package ? package->version : "");
  json::set_string(j, "state", to_string(task.state));
  json_object_set_new(j, "step", json_integer(task.step));
  json::set_string(j, "desc", task.detail);
  return item;
}

}  // namespace ota
