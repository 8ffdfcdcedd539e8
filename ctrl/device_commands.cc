// device list | show
#include <iostream>

#include "context.h"
#include "errors.h"
#include "output.h"
#include "parse.h"

namespace ota::ctrl {
namespace {

struct ListOptions {
  std::string product, module, version, state;
  bool online = false, offline = false;
  Paging paging;
};

struct ShowOptions {
  std::string product, device;
};

// "1.0.0" for a device with only the default module, else
// "default=1.0.0 MCU=2.0.0".
std::string versions_text(const json_t* device, const std::string& module) {
  const json_t* modules = json_object_get(device, "modules");
  if (!module.empty()) {
    const json_t* m = json_object_get(modules, module.c_str());
    return m ? jstr(m, "version") : "-";
  }
  if (json_object_size(modules) == 1 && json_object_get(modules, "default")) {
    return jstr(json_object_get(modules, "default"), "version");
  }
  std::string out;
  const char* name;
  json_t* m;
  json_object_foreach(const_cast<json_t*>(modules), name, m) {
    out += (out.empty() ? "" : " ") + std::string(name) + "=" + jstr(m, "version");
  }
  return out.empty() ? "-" : out;
}

int run_list_devices(Context& ctx, const ListOptions& o) {
  if (o.online && o.offline) throw UsageError("give --online or --offline, not both");
  JsonPtr fields(json_object());
  set_str(fields.get(), "product", o.product);
  if (!o.module.empty()) set_str(fields.get(), "module", o.module);
  if (!o.version.empty()) set_str(fields.get(), "version", o.version);
  if (!o.state.empty()) {
    std::string state = o.state;
    for (char& c : state) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    set_str(fields.get(), "state", state);
  }
  if (o.online || o.offline) set_bool(fields.get(), "online", o.online);
  JsonPtr data = run_list(ctx, "listDevices", std::move(fields), "devices", o.paging);
  if (ctx.json) {
    print_json(std::cout, data.get());
    return kExitOk;
  }
  Table t({"DEVICE", "ONLINE", o.module.empty() ? "VERSION" : "VERSION (" + o.module + ")",
           "JOB", "STATE", "STEP", "REASON", "LAST SEEN"});
  t.right(3).right(5);
  size_t i;
  json_t* d;
  json_array_foreach(json_object_get(data.get(), "devices"), i, d) {
    const json_t* task = json_object_get(d, "lastTask");
    const bool has_task = json_is_object(task);
    t.add({jstr(d, "device"), jbool(d, "online") ? "yes" : "no", versions_text(d, o.module),
           has_task ? jtext(json_object_get(task, "jobId")) : "-",
           has_task ? jstr(task, "state") : "-",
           has_task ? std::to_string(jint(task, "step")) : "-",
           has_task && !jstr(task, "reason").empty() ? jstr(task, "reason") : "-",
           jtime_ms(d, "lastSeen")});
  }
  if (t.empty()) {
    std::cout << "no devices\n";
  } else {
    t.print(std::cout);
  }
  print_more(std::cout, data.get(), "devices");
  return kExitOk;
}

int run_show_device(Context& ctx, const ShowOptions& o) {
  JsonPtr cmd = make_command("getDevice");
  set_str(cmd.get(), "product", o.product);
  set_str(cmd.get(), "device", o.device);
  JsonPtr data = ctx.client().call(std::move(cmd));
  if (ctx.json) {
    print_json(std::cout, data.get());
    return kExitOk;
  }
  const json_t* d = json_object_get(data.get(), "device");
  print_fields(std::cout, {{"device", jstr(d, "device")},
                           {"product", jstr(d, "product")},
                           {"online", jbool(d, "online") ? "yes" : "no"},
                           {"tags", jmap(d, "tags")},
                           {"first seen", jtime_ms(d, "firstSeen")},
                           {"last seen", jtime_ms(d, "lastSeen")}});
  std::cout << "\n";
  Table modules({"MODULE", "VERSION", "REPORTED"});
  const char* name;
  json_t* m;
  json_object_foreach(json_object_get(d, "modules"), name, m) {
    modules.add({name, jstr(m, "version"), jtime_ms(m, "reportedAt")});
  }
  modules.print(std::cout);
  const json_t* tasks = json_object_get(d, "tasks");
  if (json_array_size(tasks) == 0) {
    std::cout << "\nno tasks\n";
    return kExitOk;
  }
  std::cout << "\n";
  Table t({"JOB", "MODULE", "STATE", "STEP", "REASON", "DETAIL", "ATTEMPTS", "DEADLINE", "UPDATED"});
  t.right(0).right(3).right(6);
  size_t i;
  json_t* task;
  json_array_foreach(tasks, i, task) {
    t.add({jtext(json_object_get(task, "jobId")), jstr(task, "module"), jstr(task, "state"),
           std::to_string(jint(task, "step")),
           jstr(task, "reason").empty() ? "-" : jstr(task, "reason"), jstr(task, "detail"),
           std::to_string(jint(task, "attempts")), jtime_ms(task, "deadline"),
           jtime_ms(task, "updatedAt")});
  }
  t.print(std::cout);
  json_array_foreach(tasks, i, task) {
    const json_t* history = json_object_get(task, "history");
    if (json_array_size(history) == 0) continue;
    std::cout << "\nhistory of job " << jtext(json_object_get(task, "jobId")) << ":\n";
    Table h({"AT", "STATE", "STEP", "DETAIL"});
    h.right(2);
    size_t k;
    json_t* e;
    json_array_foreach(history, k, e) {
      h.add({jtime_ms(e, "at"), jstr(e, "state"), std::to_string(jint(e, "step")), jstr(e, "detail")});
    }
    h.print(std::cout);
  }
  return kExitOk;
}

}  // namespace

void add_device_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("device", "devices and their tasks");
  group->require_subcommand(1);

  CLI::App* list = group->add_subcommand("list", "devices of a product, with their latest task");
  auto l = leaf<ListOptions>(list, ctx, run_list_devices);
  list->add_option("--product", l->product, "product key")->required();
  list->add_option("--module", l->module, "module whose --version is matched (default \"default\")");
  list->add_option("--version", l->version, "only devices on this version");
  list->add_option("--state", l->state,
                   "only devices whose latest task is in this state: CONFIRM, QUEUED, NOTIFIED, "
                   "IN_PROGRESS, SUCCEEDED, FAILED, CANCELED");
  list->add_flag("--online", l->online, "only connected devices");
  list->add_flag("--offline", l->offline, "only disconnected devices");
  l->paging.add_to(list);

  CLI::App* show = group->add_subcommand("show", "a device: modules, tasks and their history");
  auto s = leaf<ShowOptions>(show, ctx, run_show_device);
  show->add_option("--product", s->product, "product key")->required();
  show->add_option("device", s->device, "device name")->required();
}

}  // namespace ota::ctrl
