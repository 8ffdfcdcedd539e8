// task cancel | retry | confirm: one device's task of a job, or several
// devices' at once (one message, one command per device).
#include <iostream>

#include "context.h"
#include "errors.h"
#include "output.h"
#include "parse.h"

namespace ota::ctrl {
namespace {

struct TaskOptions {
  std::string job;
  std::vector<std::string> devices;
};

template <const char* kCommand>
int run_task(Context& ctx, const TaskOptions& o) {
  const int64_t job = static_cast<int64_t>(parse_id(o.job, "the job id"));
  std::vector<JsonPtr> commands;
  for (const std::string& device : o.devices) {
    JsonPtr c = make_command(kCommand);
    set_int(c.get(), "jobId", job);
    set_str(c.get(), "device", device);
    commands.push_back(std::move(c));
  }
  std::vector<Reply> replies = ctx.client().call_all(std::move(commands));
  int status = kExitOk;
  JsonPtr all(json_array());
  Table t({"DEVICE", "STATE", "STEP", "REASON", "DETAIL"});
  t.right(2);
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].error) {
      std::cerr << "mosquitto_ota_ctrl: " << o.devices[i] << ": " << *replies[i].error << "\n";
      status = kExitCommandError;
      continue;
    }
    const json_t* task = json_object_get(replies[i].data.get(), "task");
    json_array_append(all.get(), replies[i].data.get());
    t.add({jstr(task, "device"), jstr(task, "state"), std::to_string(jint(task, "step")),
           jstr(task, "reason").empty() ? "-" : jstr(task, "reason"), jstr(task, "detail")});
  }
  if (ctx.json) {
    // One device: its data; several: an array of them.
    if (o.devices.size() == 1) {
      if (json_array_size(all.get()) == 1) print_json(std::cout, json_array_get(all.get(), 0));
    } else {
      print_json(std::cout, all.get());
    }
  } else if (!t.empty()) {
    t.print(std::cout);
  }
  return status;
}

constexpr char kCancel[] = "cancelTask";
constexpr char kRetry[] = "retryTask";
constexpr char kConfirm[] = "confirmTask";

void add_one(CLI::App* group, Context& ctx, const char* name, const char* help,
             int (*run)(Context&, const TaskOptions&)) {
  CLI::App* sub = group->add_subcommand(name, help);
  auto o = leaf<TaskOptions>(sub, ctx, run);
  sub->add_option("job", o->job, "job id")->required();
  sub->add_option("devices", o->devices, "device name(s)")->required();
}

}  // namespace

void add_task_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("task", "one device's task of a job: task <action> JOB DEVICE...");
  group->require_subcommand(1);
  add_one(group, ctx, "cancel", "cancel the device's task", run_task<kCancel>);
  add_one(group, ctx, "retry", "retry a failed or canceled task", run_task<kRetry>);
  add_one(group, ctx, "confirm", "let a task waiting for confirmation (job create --confirm) go ahead",
          run_task<kConfirm>);
}

}  // namespace ota::ctrl
