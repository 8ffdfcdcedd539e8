// getDevice, listDevices.
#include "control/command.h"
#include "control/views.h"

namespace ota {
namespace {

// The device's latest task (highest job id), if any.
std::optional<Task> latest_task(Store& store, const DeviceKey& key) {
  std::optional<Task> latest;
  store.for_each_task_of_device(key, [&](const Task& t) {
    latest = t;
    return true;
  });
  return latest;
}

}  // namespace

CommandReply get_device_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  DeviceKey key;
  if (!check_fields(cmd, {"product", "device"}, &error) ||
      !json::get_string(cmd, "product", &key.product, false, &error) ||
      !json::get_string(cmd, "device", &key.device, false, &error)) {
    return Error{error};
  }
  std::optional<Device> device = ctx.store.get_device(key);
  if (!device) {
    return Error{"device " + key.device + " of product " + key.product + " does not exist"};
  }
  json_t* j = device_json(*device, ctx.is_online && ctx.is_online(key));
  json_t* tasks = json_array();
  ctx.store.for_each_task_of_device(key, [&](const Task& t) {
    json_array_append_new(tasks, task_json(t));
    return true;
  });
  json_object_set_new(j, "tasks", tasks);
  return wrap("device", j);
}

CommandReply list_devices_command(CommandContext& ctx, const json_t* cmd) {
  std::string error, product, module = std::string(kDefaultModule), version, prefix;
  std::optional<TaskState> wanted_state;
  const json_t* online_field = nullptr;
  Paging paging;
  if (!check_fields(cmd, {"product", "module", "version", "state", "online", "prefix", "offset",
                          "count"},
                    &error) ||
      !json::get_string(cmd, "product", &product, false, &error) ||
      !json::get_string(cmd, "module", &module, true, &error) ||
      !json::get_string(cmd, "version", &version, true, &error) ||
      !json::get_string(cmd, "prefix", &prefix, true, &error) ||
      !get_task_state(cmd, "state", &wanted_state, &error) ||
      !get_paging(cmd, &paging, &error)) {
    return Error{error};
  }
  online_field = json_object_get(cmd, "online");
  if (online_field && !json_is_boolean(online_field)) {
    return Error{"field 'online' must be true or false"};
  }
  PageBuilder page(paging);
  // Devices are stored in name order: a name prefix is a range, read from
  // its start (the device named exactly `prefix`, then those after it) to
  // the first name without it.
  auto visit = [&](const Device& d) {
    if (!d.key.device.starts_with(prefix)) return false;
    if (!version.empty()) {
      auto m = d.modules.find(module);
      if (m == d.modules.end() || m->second.version != version) return true;
    }
    const bool online = ctx.is_online && ctx.is_online(d.key);
    if (online_field && online != json_is_true(online_field)) return true;
    std::optional<Task> latest;
    if (wanted_state) {
      latest = latest_task(ctx.store, d.key);
      if (!latest || latest->state != *wanted_state) return true;
    }
    return page.offer([&] {
      json_t* j = device_json(d, online);
      if (!latest) latest = latest_task(ctx.store, d.key);
      json_object_set_new(j, "lastTask", latest ? task_json(*latest, false) : json_null());
      return j;
    });
  };
  if (!prefix.empty()) {
    std::optional<Device> exact = ctx.store.get_device({product, prefix});
    if (exact && !visit(*exact)) return page.reply("devices");
  }
  ctx.store.for_each_device(product, prefix, visit);
  return page.reply("devices");
}

}  // namespace ota
