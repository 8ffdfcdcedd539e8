// stats: version distribution and per-job success rates of a product.
#include <algorithm>
#include <iostream>

#include "context.h"
#include "errors.h"
#include "output.h"
#include "parse.h"

namespace ota::ctrl {
namespace {

struct StatsOptions {
  std::string product, module;
};

int run_stats(Context& ctx, const StatsOptions& o) {
  JsonPtr cmd = make_command("getStatistics");
  set_str(cmd.get(), "product", o.product);
  if (!o.module.empty()) set_str(cmd.get(), "module", o.module);
  JsonPtr data = ctx.client().call(std::move(cmd));
  if (ctx.json) {
    print_json(std::cout, data.get());
    return kExitOk;
  }
  const json_t* s = json_object_get(data.get(), "statistics");
  const int64_t devices = jint(s, "devices");
  print_fields(std::cout, {{"product", jstr(s, "product")},
                           {"module", jstr(s, "module")},
                           {"devices", std::to_string(devices)}});
  std::cout << "\n";
  // Most common version first.
  std::vector<std::pair<std::string, int64_t>> versions;
  const char* version;
  json_t* n;
  json_object_foreach(json_object_get(s, "versions"), version, n) {
    versions.emplace_back(version, json_integer_value(n));
  }
  std::stable_sort(versions.begin(), versions.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  Table v({"VERSION", "DEVICES", "SHARE"});
  v.right(1).right(2);
  for (const auto& [name, count] : versions) {
    v.add({name, std::to_string(count),
           devices ? format_percent(static_cast<double>(count) / static_cast<double>(devices)) : "-"});
  }
  v.print(std::cout);
  const json_t* jobs = json_object_get(s, "jobs");
  if (json_array_size(jobs) == 0) {
    std::cout << "\nno jobs\n";
    return kExitOk;
  }
  std::cout << "\n";
  Table t({"JOB", "PACKAGE", "TYPE", "STATE", "TASKS", "SUCCEEDED", "FAILED", "SUCCESS", "FAILURE REASONS"});
  for (size_t col : {0, 1, 4, 5, 6, 7}) t.right(col);
  size_t i;
  json_t* j;
  json_array_foreach(jobs, i, j) {
    const json_t* counts = json_object_get(j, "counts");
    const int64_t ok = jint(counts, "SUCCEEDED"), failed = jint(counts, "FAILED");
    std::string reasons;
    const char* reason;
    json_t* count;
    json_object_foreach(json_object_get(j, "failureReasons"), reason, count) {
      reasons += (reasons.empty() ? "" : ", ") + std::string(reason) + " " + jtext(count);
    }
    t.add({jtext(json_object_get(j, "id")), jtext(json_object_get(j, "packageId")), jstr(j, "type"),
           jstr(j, "state"), std::to_string(jint(j, "taskCount")), std::to_string(ok),
           std::to_string(failed), ok + failed ? format_percent(jreal(j, "successRate")) : "-",
           reasons.empty() ? "-" : reasons});
  }
  t.print(std::cout);
  return kExitOk;
}

}  // namespace

void add_stats_command(CLI::App& app, Context& ctx) {
  CLI::App* stats = app.add_subcommand("stats", "version distribution and job success rates of a product");
  auto s = leaf<StatsOptions>(stats, ctx, run_stats);
  stats->add_option("--product", s->product, "product key")->required();
  stats->add_option("--module", s->module, "module (default \"default\")");
}

}  // namespace ota::ctrl
