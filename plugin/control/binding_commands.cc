// bindDevice, unbindDevice, listBindings: which app users may see and act
// on which devices through the Living app topics (plugin/app/).
#include "control/command.h"

namespace ota {
namespace {

// Names are bounded so that a binding's key fits LMDB's key limit.
constexpr size_t kMaxNameBytes = 128;

json_t* binding_json(const Binding& b) {
  json_t* j = json_object();
  json::set_string(j, "user", b.user);
  json::set_string(j, "product", b.device.product);
  json::set_string(j, "device", b.device.device);
  return j;
}

bool read_binding(const json_t* cmd, Binding* out, std::string* error) {
  return check_fields(cmd, {"user", "product", "device"}, error) &&
         get_name(cmd, "user", &out->user, kMaxNameBytes, error) &&
         get_name(cmd, "product", &out->device.product, kMaxNameBytes, error) &&
         get_name(cmd, "device", &out->device.device, kMaxNameBytes, error);
}

}  // namespace

CommandReply bind_device_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  Binding b;
  if (!read_binding(cmd, &b, &error)) return Error{error};
  // Binding twice is harmless: the reply says whether it was new.
  const bool created = ctx.store.put_binding(b);
  json_t* j = binding_json(b);
  json_object_set_new(j, "created", json_boolean(created));
  return wrap("binding", j);
}

CommandReply unbind_device_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  Binding b;
  if (!read_binding(cmd, &b, &error)) return Error{error};
  if (!ctx.store.delete_binding(b)) {
    return Error{"user " + b.user + " is not bound to device " + b.device.device +
                 " of product " + b.device.product};
  }
  return wrap("binding", binding_json(b));
}

CommandReply list_bindings_command(CommandContext& ctx, const json_t* cmd) {
  std::string error, user, product;
  Paging paging;
  if (!check_fields(cmd, {"user", "product", "offset", "count"}, &error) ||
      !json::get_string(cmd, "user", &user, true, &error) ||
      !json::get_string(cmd, "product", &product, true, &error) ||
      !get_paging(cmd, &paging, &error)) {
    return Error{error};
  }
  PageBuilder page(paging);
  ctx.store.for_each_binding(user, [&](const Binding& b) {
    if (!product.empty() && b.device.product != product) return true;
    return page.offer([&] { return binding_json(b); });
  });
  return page.reply("bindings");
}

}  // namespace ota
