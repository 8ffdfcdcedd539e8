// getDevice.
#include "control/command.h"
#include "control/views.h"

namespace ota {

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

}  // namespace ota
