#include "control/control_api.h"

#include <cstring>

namespace ota {
namespace {

struct CommandEntry {
  const char* name;
  CommandHandler handler;
  bool logged = true;  // an admin action: changes state, one log line each
};

constexpr CommandEntry kCommands[] = {
    {"createPackage", create_package_command},
    {"getPackage", get_package_command, false},
    {"listPackages", list_packages_command, false},
    {"deletePackage", delete_package_command},
    {"beginUpload", begin_upload_command},
    {"uploadChunk", upload_chunk_command, false},
    {"finishUpload", finish_upload_command},
    {"abortUpload", abort_upload_command},
    {"createJob", create_job_command},
    {"getJob", get_job_command, false},
    {"listJobs", list_jobs_command, false},
    {"pauseJob", pause_job_command},
    {"resumeJob", resume_job_command},
    {"cancelJob", cancel_job_command},
    {"cancelTask", cancel_task_command},
    {"retryTask", retry_task_command},
    {"confirmTask", confirm_task_command},
    {"listTasks", list_tasks_command, false},
    {"getDevice", get_device_command, false},
    {"listDevices", list_devices_command, false},
    {"setProductConfig", set_product_config_command},
    {"getProductConfig", get_product_config_command, false},
    {"getStatistics", get_statistics_command, false},
    {"listProducts", list_products_command, false},
    {"bindDevice", bind_device_command},
    {"unbindDevice", unbind_device_command},
    {"listBindings", list_bindings_command, false},
};

// The fields that name the object a command acts on, as "k=v" words.
std::string object_of(const json_t* command) {
  std::string out;
  for (const char* key : {"product", "device", "module", "version", "packageId", "jobId",
                          "uploadId", "user"}) {
    const json_t* v = json_object_get(command, key);
    if (!v) continue;
    std::string text;
    if (json_is_string(v)) {
      text = json_string_value(v);
    } else if (json_is_integer(v)) {
      text = std::to_string(json_integer_value(v));
    } else {
      continue;
    }
    // Bounded: a log line, not a dump of what a client sent.
    if (text.size() > 64) text = text.substr(0, 64) + "...";
    out += " " + std::string(key) + "=" + text;
  }
  return out;
}

// ", job 3" when the reply names what the command created.
std::string created_of(const json_t* data) {
  for (const char* kind : {"package", "job"}) {
    const json_t* id = json_object_get(json_object_get(data, kind), "id");
    if (json_is_integer(id)) return ", " + std::string(kind) + " " + std::to_string(json_integer_value(id));
  }
  return "";
}

CommandEntry const* find_entry(const std::string& name) {
  for (const CommandEntry& e : kCommands) {
    if (name == e.name) return &e;
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
      const CommandEntry* entry = nullptr;
      if (!json_is_object(command)) {
        error = "each command must be a JSON object";
      } else if (!json::get_string(command, "command", &name, false, &error)) {
      } else if (!authorised) {
        error = "not authorised: this client is not an OTA admin";
      } else if (!(entry = find_entry(name))) {
        error = "unknown command '" + name + "'";
      }
      if (!entry) {
        outcome.failed++;
        json_array_append_new(responses.get(), error_response(name, correlation, error));
        continue;
      }
      CommandReply reply = entry->handler(ctx, command);
      if (entry->logged) {
        outcome.actions.push_back(name + object_of(command) + ": " +
                                  (reply ? "ok" + created_of(reply.value().get())
                                         : "error: " + reply.error()));
      }
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

std::optional<std::string> failed_response(std::string_view response, const std::string& error) {
  std::string parse_error;
  json::JsonPtr root = json::parse(response, &parse_error);
  json_t* responses = root ? json_object_get(root.get(), "responses") : nullptr;
  if (!json_is_array(responses)) return std::nullopt;
  size_t i;
  json_t* r;
  json_array_foreach(responses, i, r) {
    if (!json_is_object(r)) continue;
    json_object_del(r, "data");
    json_object_set_new(r, "error", json_string(error.c_str()));
  }
  return json::dump(root.get());
}

std::string failed_request_response(std::string_view request, const std::string& error) {
  std::string parse_error;
  json::JsonPtr root = json::parse(request, &parse_error);
  json_t* commands = root ? json_object_get(root.get(), "commands") : nullptr;
  json::JsonPtr responses(json_array());
  size_t i;
  json_t* c;
  json_array_foreach(commands, i, c) {
    json_t* r = json_object();
    json_t* name = json_object_get(c, "command");
    json::set_string(r, "command", json_is_string(name) ? json_string_value(name) : "");
    json_t* corr = json_object_get(c, "correlationData");
    if (json_is_string(corr)) json::set_string(r, "correlationData", json_string_value(corr));
    json::set_string(r, "error", error);
    json_array_append_new(responses.get(), r);
  }
  json::JsonPtr reply(json_object());
  json_object_set_new(reply.get(), "responses", responses.release());
  return json::dump(reply.get());
}

}  // namespace ota
