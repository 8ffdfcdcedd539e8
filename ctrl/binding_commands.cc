// binding add | remove | list: which app users may see and act on which
// devices through the Living app topics (bindDevice, unbindDevice,
// listBindings).
#include <iostream>

#include "context.h"
#include "errors.h"
#include "output.h"

namespace ota::ctrl {
namespace {

struct ChangeOptions {
  std::string product, user;
  std::vector<std::string> devices;
};

struct ListOptions {
  std::string user, product;
  Paging paging;
};

// One command per device, all in one message; a refused device is reported
// on stderr and makes the status 1, the others are still done.
template <const char* kCommand>
int run_change(Context& ctx, const ChangeOptions& o) {
  std::vector<JsonPtr> commands;
  for (const std::string& device : o.devices) {
    JsonPtr c = make_command(kCommand);
    set_str(c.get(), "user", o.user);
    set_str(c.get(), "product", o.product);
    set_str(c.get(), "device", device);
    commands.push_back(std::move(c));
  }
  std::vector<Reply> replies = ctx.client().call_all(std::move(commands));
  int status = kExitOk;
  JsonPtr all(json_array());
  Table t({"USER", "PRODUCT", "DEVICE"});
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].error) {
      std::cerr << "mosquitto_ota_ctrl: " << o.devices[i] << ": " << *replies[i].error << "\n";
      status = kExitCommandError;
      continue;
    }
    const json_t* b = json_object_get(replies[i].data.get(), "binding");
    json_array_append(all.get(), replies[i].data.get());
    t.add({jstr(b, "user"), jstr(b, "product"), jstr(b, "device")});
  }
  if (ctx.json) {
    print_json(std::cout, all.get());
  } else if (!t.empty()) {
    t.print(std::cout);
  }
  return status;
}

int run_list_bindings(Context& ctx, const ListOptions& o) {
  JsonPtr fields(json_object());
  if (!o.user.empty()) set_str(fields.get(), "user", o.user);
  if (!o.product.empty()) set_str(fields.get(), "product", o.product);
  JsonPtr data = run_list(ctx, "listBindings", std::move(fields), "bindings", o.paging);
  if (ctx.json) {
    print_json(std::cout, data.get());
    return kExitOk;
  }
  Table t({"USER", "PRODUCT", "DEVICE"});
  size_t i;
  json_t* b;
  json_array_foreach(json_object_get(data.get(), "bindings"), i, b) {
    t.add({jstr(b, "user"), jstr(b, "product"), jstr(b, "device")});
  }
  if (t.empty()) {
    std::cout << "no bindings\n";
  } else {
    t.print(std::cout);
  }
  print_more(std::cout, data.get(), "bindings");
  return kExitOk;
}

constexpr char kBind[] = "bindDevice";
constexpr char kUnbind[] = "unbindDevice";

void add_change(CLI::App* group, Context& ctx, const char* name, const char* help,
                int (*run)(Context&, const ChangeOptions&)) {
  CLI::App* sub = group->add_subcommand(name, help);
  auto o = leaf<ChangeOptions>(sub, ctx, run);
  sub->add_option("--product", o->product, "product key")->required();
  sub->add_option("user", o->user, "the app user (MQTT username, or client id)")->required();
  sub->add_option("devices", o->devices, "device name(s)")->required();
}

}  // namespace

void add_binding_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand(
      "binding", "which app users may see and act on which devices (Living app topics)");
  group->require_subcommand(1);
  add_change(group, ctx, "add", "bind devices to a user: binding add --product P USER DEVICE...",
             run_change<kBind>);
  add_change(group, ctx, "remove", "unbind devices from a user", run_change<kUnbind>);
  CLI::App* list = group->add_subcommand("list", "bindings, of one user or product or all");
  auto l = leaf<ListOptions>(list, ctx, run_list_bindings);
  list->add_option("--user", l->user, "only this user's bindings");
  list->add_option("--product", l->product, "only devices of this product");
  l->paging.add_to(list);
}

}  // namespace ota::ctrl
