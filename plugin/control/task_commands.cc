// cancelTask, retryTask, confirmTask: one device's task of a job; listTasks:
// a job's tasks, filtered by state, paged.
#include "control/command.h"
#include "control/views.h"

namespace ota {
namespace {

using TaskAction = Result<Task> (Engine::*)(JobId, const DeviceKey&, TimeMs);

CommandReply on_task(CommandContext& ctx, const json_t* cmd, TaskAction action) {
  std::string error;
  uint64_t job_id = 0;
  std::string device;
  if (!check_fields(cmd, {"jobId", "device"}, &error) || !get_id(cmd, "jobId", &job_id, &error) ||
      !json::get_string(cmd, "device", &device, false, &error)) {
    return Error{error};
  }
  std::optional<Job> job = ctx.store.get_job(job_id);
  if (!job) return Error{"job " + std::to_string(job_id) + " does not exist"};
  Result<Task> task = (ctx.engine.*action)(job_id, {job->product, device}, ctx.now);
  if (!task) return Error{task.error()};
  return wrap("task", task_json(task.value()));
}

}  // namespace

CommandReply cancel_task_command(CommandContext& ctx, const json_t* cmd) {
  return on_task(ctx, cmd, &Engine::cancel_task);
}

CommandReply retry_task_command(CommandContext& ctx, const json_t* cmd) {
  return on_task(ctx, cmd, &Engine::retry_task);
}

CommandReply confirm_task_command(CommandContext& ctx, const json_t* cmd) {
  return on_task(ctx, cmd, &Engine::confirm_task);
}

CommandReply list_tasks_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  uint64_t job_id = 0;
  std::optional<TaskState> wanted;
  Paging paging;
  if (!check_fields(cmd, {"jobId", "state", "offset", "count"}, &error) ||
      !get_id(cmd, "jobId", &job_id, &error) ||
      !get_task_state(cmd, "state", &wanted, &error) ||
      !get_paging(cmd, &paging, &error)) {
    return Error{error};
  }
  if (!ctx.store.get_job(job_id)) return Error{"job " + std::to_string(job_id) + " does not exist"};
  PageBuilder page(paging);
  ctx.store.for_each_task_of_job(job_id, [&](const Task& t) {
    if (wanted && t.state != *wanted) return true;
    return page.offer([&] { return task_json(t, false); });
  });
  return page.reply("tasks");
}

}  // namespace ota
