// createJob, getJob.
#include "control/command.h"
#include "control/views.h"

namespace ota {
namespace {

constexpr size_t kMaxDeviceNameBytes = 128;
constexpr int64_t kMaxTimeoutSeconds = 30LL * 86400;

}  // namespace

CommandReply create_job_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  JobSpec spec;
  std::string type = "batch";
  const json_t* devices = nullptr;
  if (!check_fields(cmd, {"packageId", "type", "devices", "timeoutSeconds"}, &error) ||
      !get_id(cmd, "packageId", &spec.package_id, &error) ||
      !json::get_string(cmd, "type", &type, true, &error) ||
      !json::get_array(cmd, "devices", &devices, false, &error) ||
      !json::get_int64(cmd, "timeoutSeconds", &spec.timeout_s, true, &error)) {
    return Error{error};
  }
  if (type != "batch" && type != "verify") {
    return Error{"field 'type' must be \"batch\" or \"verify\""};
  }
  spec.type = type == "verify" ? JobType::kVerify : JobType::kBatch;
  if (spec.timeout_s < 0 || spec.timeout_s > kMaxTimeoutSeconds) {
    return Error{"field 'timeoutSeconds' must be from 1 to 2592000"};
  }
  size_t i;
  json_t* v;
  json_array_foreach(const_cast<json_t*>(devices), i, v) {
    const size_t length = json_is_string(v) ? json_string_length(v) : 0;
    if (length == 0 || length > kMaxDeviceNameBytes) {
      return Error{"field 'devices' must be an array of device names (1 to 128 bytes)"};
    }
    spec.devices.emplace_back(json_string_value(v), length);
  }
  Result<Job> created = ctx.engine.create_job(spec, ctx.now);
  if (!created) return Error{created.error()};
  const TaskCounts counts = ctx.store.job_task_counts(created.value().id);
  return wrap("job", job_json(created.value(), &counts));
}

CommandReply get_job_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  uint64_t id = 0;
  if (!check_fields(cmd, {"jobId"}, &error) || !get_id(cmd, "jobId", &id, &error)) {
    return Error{error};
  }
  Result<JobStatus> status = ctx.engine.job_status(id);
  if (!status) return Error{status.error()};
  return wrap("job", job_json(status.value().job, &status.value().counts));
}

}  // namespace ota
