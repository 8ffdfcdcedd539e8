// mosquitto_ota_ctrl: the command-line client of the mosquitto-ota plugin's
// control API ($CONTROL/ota/v1). Exit status: 0 success, 1 the broker
// refused the command (its error on stderr), 2 usage error, 3 connection
// problem or no reply in time.
#include <CLI/CLI.hpp>

#include <iostream>

#include "context.h"
#include "errors.h"
#include "shards.h"

int main(int argc, char** argv) {
  using namespace ota::ctrl;
  CLI::App app{
      "mosquitto_ota_ctrl: manage firmware upgrades run by the mosquitto-ota plugin\n"
      "(connection options and --json may come anywhere; --timeout before the\n"
      "subcommand is the reply timeout, after 'job create' it is the task timeout)",
      "mosquitto_ota_ctrl"};
  // -h is the host, as in mosquitto_ctrl.
  app.set_help_flag("--help", "print this help (also after a subcommand)");
  app.require_subcommand(1);
  app.fallthrough();  // global options after the subcommand too

  Context ctx;
  ctx.flags.add_to(app);
  app.add_flag("--json", ctx.json, "print the reply's data as JSON (for scripts)");
  std::string shards;
  app.add_option("--shards", shards,
                 "run the command on every broker of a sharded fleet: host:port,host:port,...\n"
                 "(instead of -h/-p; 'job show' and 'stats' also print the totals)");
  add_package_commands(app, ctx);
  add_job_commands(app, ctx);
  add_task_commands(app, ctx);
  add_device_commands(app, ctx);
  add_product_commands(app, ctx);
  add_stats_command(app, ctx);
  add_binding_commands(app, ctx);
  app.footer(
      "Exit status: 0 success, 1 the broker refused the command, 2 usage error, 3 cannot\n"
      "connect, credentials refused or no reply (--timeout, default 10s).\n"
      "Run 'mosquitto_ota_ctrl <command> --help' for a command's options.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!ctx.action) {
    std::cerr << app.help();
    return kExitUsage;
  }
  try {
    ctx.options = ctx.flags.finish();
    if (!shards.empty()) {
      std::string command;
      for (const CLI::App* a = &app; !a->get_subcommands().empty();) {
        a = a->get_subcommands().front();
        command += (command.empty() ? "" : " ") + a->get_name();
      }
      return run_on_shards(ctx, parse_shards(shards, ctx.options.effective_port()), command);
    }
    return ctx.action(ctx);
  } catch (const CtrlError& e) {
    std::cerr << "mosquitto_ota_ctrl: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "mosquitto_ota_ctrl: internal error: " << e.what() << "\n";
    return kExitCommandError;
  }
}
