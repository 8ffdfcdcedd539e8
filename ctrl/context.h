// What every subcommand shares: the connection, --json, the action chosen
// by the command line, and the paging options of list commands.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "options.h"
#include "request.h"

namespace ota::ctrl {

struct Context {
  ConnectionFlags flags;
  ConnectionOptions options;  // set by main() after parsing
  bool json = false;
  // Set by the chosen subcommand's CLI11 callback; run after parsing.
  std::function<int(Context&)> action;
  // With --shards, per subcommand path ("job create"): what the command
  // refers to, read from one shard ("package 1: pk1 default 2.0.0"). Every
  // reachable shard must answer the same before the command runs on any.
  std::map<std::string, std::function<std::string(Context&)>> shard_checks;

  // Connects on first use.
  ControlClient& client();

 private:
  std::unique_ptr<ControlClient> client_;
};

// Registers a leaf subcommand: `make` runs when it is chosen and returns
// the action (after CLI11 has filled the options it captured).
template <typename Options>
std::shared_ptr<Options> leaf(CLI::App* sub, Context& ctx,
                              int (*run)(Context&, const Options&)) {
  auto options = std::make_shared<Options>();
  sub->callback([&ctx, options, run] {
    ctx.action = [options, run](Context& c) { return run(c, *options); };
  });
  return options;
}

// --offset, --count, --all-pages of list commands.
struct Paging {
  std::string offset;
  std::string count;
  bool all_pages = false;
  void add_to(CLI::App* sub);
};

// Runs a list command (`key` names the array of its reply): one page, or
// every page (count 1000 each) merged into one reply with --all-pages.
JsonPtr run_list(Context& ctx, const char* command, JsonPtr fields, const char* key,
                 const Paging& paging);

// After a human-readable page: how to get the next one, if there is one.
void print_more(std::ostream& out, const json_t* data, const char* key);

// Sets a string / integer / bool field.
void set_str(json_t* obj, const char* key, const std::string& value);
void set_int(json_t* obj, const char* key, int64_t value);
void set_bool(json_t* obj, const char* key, bool value);
// A JSON array of strings.
json_t* string_array(const std::vector<std::string>& items);

// Adds the command-group subcommands.
void add_package_commands(CLI::App& app, Context& ctx);
void add_job_commands(CLI::App& app, Context& ctx);
void add_task_commands(CLI::App& app, Context& ctx);
void add_device_commands(CLI::App& app, Context& ctx);
void add_product_commands(CLI::App& app, Context& ctx);
void add_stats_command(CLI::App& app, Context& ctx);
void add_binding_commands(CLI::App& app, Context& ctx);

}  // namespace ota::ctrl
