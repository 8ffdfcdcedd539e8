// Serves the Living app topics (living_codec.h) from the engine and the
// store: an app user sees and acts only on the devices bound to it
// (bindDevice); a request naming any other device is refused whole and
// changes nothing. Confirm and cancel are the engine's confirm_task and
// cancel_task, so the rules stay in one place.
//
// Runs inside the service's batch: its writes commit, and its reply leaves,
// at the service's next flush.
#pragma once

#include <string>
#include <string_view>

#include "app/living_codec.h"
#include "dialects/dialect.h"
#include "engine/engine.h"
#include "json/json_util.h"

namespace ota {

// Who asked: the app identity bindings are checked against (the MQTT
// username, or client id, per plugin_opt_living_app_identity) and the MQTT
// client the reply is addressed to.
struct AppCaller {
  std::string_view user;
  std::string_view client_id;
};

struct AppOutcome {
  // The reply, addressed to the asking client only (apps share the reply
  // topics); an empty topic when there is no client to address.
  OutboundMessage reply;
  // Why the request was refused (malformed, no identity, a device not
  // bound to the user): the caller logs and counts it. Empty when served,
  // and for answers that are not misuse (e.g. nothing waiting to confirm).
  std::string problem;
};

class LivingApp {
 public:
  LivingApp(Engine& engine, Store& store) : engine_(engine), store_(store) {}

  // `topic` must be a request topic (living::op_of_topic).
  AppOutcome handle(std::string_view topic, std::string_view payload,
                    const AppCaller& caller, TimeMs now);

 private:
  struct Answer {
    int code = living::kOk;
    json::JsonPtr data;  // null: {}
    std::string message = "success";
  };

  Answer serve(const living::Request& request, const std::string& user, TimeMs now);
  Answer pending_firmware(const std::string& user);
  Answer devices_list(const std::string& user);
  Answer progress_list(const living::Request& request);
  Answer confirm_or_cancel(const living::Request& request, const std::string& user,
                           TimeMs now);

  // The user's bound devices, in product and device order.
  std::vector<DeviceKey> bound_devices(const std::string& user);
  // The device's active task, if any.
  std::optional<Task> active_task(const DeviceKey& device);
  // The reply's view of a task: device, job, module, target version, state,
  // step, desc.
  json::JsonPtr task_item(const Task& task);

  Engine& engine_;
  Store& store_;
};

}  // namespace ota
