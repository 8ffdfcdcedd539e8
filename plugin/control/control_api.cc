#include "control/control_api.h"

#include <cstring>

namespace ota {
namespace {

struct CommandEntry {
  const char* name;
  CommandHandler handler;
};

constexpr CommandEntry kCommands[] = {
    {"createPackage", create_package_command},
    {"getPackage", get_package_command},
    {"listPackages", list_packages_command},
    {"deletePackage", delete_package_command},
    {"beginUpload", begin_upload_command},
    {"uploadChunk", upload_chunk_command},
    {"finishUpload", finish_upload_command},
    {"abortUpload", abort_upload_command},
    {"createJob", create_job_command},
    {"getJob", get_job_command},
    {"listJobs", list_jobs_command},
    {"pauseJob", pause_job_command},
    {"resumeJob", resume_job_command},
    {"cancelJob", cancel_job_command},
    {"cancelTask", cancel_task_command},
    {"retryTask", retry_task_command},
    {"confirmTask", confirm_task_command},
    {"listTasks", list_tasks_command},
    {"getDevice", get_device_command},
    {"listDevices", list_devices_command},
    {"setProductConfig", set_product_config_command},
    {"getProductConfig", get_product_config_command},
    {"getStatistics", get_statistics_command},
    {"listProducts", list_products_command},
    {"bindDevice", bind_device_command},
    {"unbindDevice", unbind_device_command},
    {"listBindings", list_bindings_command},
};

CommandHandler find_handler(const std::string& name) {
  for (const CommandEntry& e : kCommands) {
    if (name == e.name) return e.handler;
  }
  return nullptr;
}

json_t* error_response(const std::string& command, const json_t* correlation,
                       const std::string& error) {
  json_t* r = json_object();
  json::set_string(r, "command", command);
  if (correlation) json_object_set(r, "correlationData", const_cast<json_t*>(correlation));
  json::set_string(r, "error", error);
  return r;
}

}  // namespace

ControlOutcome handle_control_payload(std::string_view payload,
                                      CommandContext& ctx, bool authorised) {
  ControlOutcome outcome;
  json::JsonPtr responses(json_array());
  std::string error;
  json::JsonPtr request = json::parse(payload, &error);
  const json_t* commands = nullptr;
  if (request && !json::get_array(request.get(), "commands", &commands, false, &error)) {
    request.reset();
  }
  if (!request) {
    outcome.commands = outcome.failed = 1;
    json_array_append_new(responses.get(), error_response("", nullptr,
        "payload must be {\"commands\":[...]}: " + error));
  } else {
    size_t i;
    json_t* command;
    json_array_foreach(const_cast<json_t*>(commands), i, command) {
      outcome.commands++;
      std::string name;
      const json_t* correlation = json_is_object(command)
          ? json_object_get(command, "correlationData") : nullptr;
      CommandHandler handler = nullptr;
      if (!json_is_object(command)) {
        error = "each command must be a JSON object";
      } else if (!json::get_string(command, "command", &name, false, &error)) {
      } else if (!authorised) {
        error = "not authorised: this client is not an OTA admin";
      } else if (!(handler = find_handler(name))) {
        error = "unknown command '" + name + "'";
      }
      if (!handler) {
        outcome.failed++;
        json_array_append_new(responses.get(), error_response(name, correlation, error));
        continue;
      }
      CommandReply reply = handler(ctx, command);
      if (!reply) {
        outcome.failed++;
        json_array_append_new(responses.get(), error_response(name, correlation, reply.error()));
        continue;
      }
      json_t* r = json_object();
      json::set_string(r, "command", name);
      if (correlation) json_object_set(r, "correlationData", const_cast<json_t*>(correlation));
      json_object_set(r, "data", reply.value().get());
      json_array_append_new(responses.get(), r);
    }
  }
  json::JsonPtr envelope(json_object());
  json_object_set(envelope.get(), "responses", responses.get());
  outcome.response = json::dump(envelope.get());
  return outcome;
}

}  // namespace ota
