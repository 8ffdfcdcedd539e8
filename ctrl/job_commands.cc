// job create | list | show | pause | resume | cancel | watch
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "context.h"
#include "errors.h"
#include "output.h"
#include "parse.h"

namespace ota::ctrl {
namespace {

constexpr const char* kTaskStates[] = {"CONFIRM", "QUEUED", "NOTIFIED", "IN_PROGRESS",
                                       "SUCCEEDED", "FAILED", "CANCELED"};

struct CreateOptions {
  std::string package, devices, source_versions, percent, rate, timeout, timeout_from, retries;
  std::string start_at, end_at, offline, groups, success_threshold, failure_threshold;
  std::string type;
  std::vector<std::string> tags;
  bool all = false, dynamic = false, confirm = false, no_auto_advance = false;
};

struct ListOptions {
  std::string product, state;
  Paging paging;
};

struct IdOptions {
  std::string id;
};

struct WatchOptions {
  std::string id;
  std::string interval = "1";
};

int64_t count_of(const json_t* job, const char* state) {
  return jint(json_object_get(job, "counts"), state);
}

std::string threshold_text(const json_t* t) {
  if (!json_is_object(t)) return "-";
  if (json_object_get(t, "percent")) return std::to_string(jint(t, "percent")) + "%";
  return std::to_string(jint(t, "count")) + " tasks";
}

void print_job(const json_t* job) {
  const json_t* targets = json_object_get(job, "targets");
  std::string target_text;
  if (jbool(targets, "all")) target_text = "all devices";
  if (json_array_size(json_object_get(targets, "sourceVersions"))) {
    target_text += std::string(target_text.empty() ? "" : ", ") + "versions " +
                   jlist(targets, "sourceVersions");
  }
  if (json_object_size(json_object_get(targets, "tags"))) {
    target_text += std::string(target_text.empty() ? "" : ", ") + "tags " + jmap(targets, "tags");
  }
  if (const double p = jreal(targets, "percent"); p > 0 && p < 100) {
    target_text += std::string(target_text.empty() ? "" : ", ") + jtext(json_object_get(targets, "percent")) + "%";
  }
  if (target_text.empty()) target_text = "listed devices";
  const json_t* retry = json_object_get(job, "retry");
  const std::string retry_text =
      jint(retry, "count") == 0
          ? "none"
          : std::to_string(jint(retry, "count")) + " every " +
                format_duration(jint(retry, "intervalSeconds"));
  std::string window = "-";
  if (json_is_integer(json_object_get(job, "startAt")) || json_is_integer(json_object_get(job, "endAt"))) {
    const json_t* s = json_object_get(job, "startAt");
    const json_t* e = json_object_get(job, "endAt");
    window = (json_is_integer(s) ? format_time_s(json_integer_value(s)) : "now") + " .. " +
             (json_is_integer(e) ? format_time_s(json_integer_value(e)) : "open");
  }
  std::string groups = "-";
  if (size_t n = json_array_size(json_object_get(job, "groupSizes")); n > 1) {
    groups = jlist(job, "groupSizes") + " (current " + std::to_string(jint(job, "currentGroup") + 1) +
             " of " + std::to_string(n) + ", next " +
             (jint(job, "successThreshold") > 0
                  ? "at " + std::to_string(jint(job, "successThreshold")) + "% success"
                  : std::string("when the group is done")) +
             (jbool(job, "autoAdvance") ? "" : ", by job resume") + ")";
  }
  const std::string reason = jstr(job, "stateReason");
  Fields f{
      {"job", jtext(json_object_get(job, "id"))},
      {"state", jstr(job, "state") + (reason.empty() ? "" : " (" + reason + ")")},
      {"package", jtext(json_object_get(job, "packageId")) + " (" + jstr(job, "product") + " " +
                      jstr(job, "module") + ")"},
      {"type", jstr(job, "type")},
      {"targets", target_text + (jbool(job, "dynamic") ? ", dynamic" : "")},
      {"rate", jint(job, "ratePerMinute") ? std::to_string(jint(job, "ratePerMinute")) + "/min" : "unlimited"},
      {"timeout", format_duration(jint(job, "timeoutSeconds")) + " from " + jstr(job, "timeoutFrom")},
      {"retries", retry_text},
      {"window", window},
      {"confirm", jbool(job, "needConfirm") ? "yes" : "no"},
      {"offline", jstr(job, "offlinePolicy")},
      {"groups", groups},
      {"failure threshold", threshold_text(json_object_get(job, "failureThreshold"))},
      {"tasks", std::to_string(jint(job, "taskCount")) +
                    (jint(job, "skipped") ? " (" + std::to_string(jint(job, "skipped")) + " skipped)" : "")},
      {"created", jtime_ms(job, "createdAt")},
      {"started", jtime_ms(job, "startedAt")},
      {"finished", jtime_ms(job, "finishedAt")},
  };
  if (json_object_get(job, "successRate")) {
    const int64_t finished = count_of(job, "SUCCEEDED") + count_of(job, "FAILED");
    f.push_back({"success rate", finished ? format_percent(jreal(job, "successRate")) : "-"});
  }
  print_fields(std::cout, f);
  std::cout << "\n";
  Table counts({"STATE", "TASKS"});
  counts.right(1);
  for (const char* s : kTaskStates) counts.add({s, std::to_string(count_of(job, s))});
  counts.print(std::cout);
  const json_t* reasons = json_object_get(job, "failureReasons");
  if (json_object_size(reasons) > 0) {
    std::cout << "\n";
    Table t({"FAILURE REASON", "TASKS"});
    t.right(1);
    const char* k;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(reasons), k, v) t.add({k, jtext(v)});
    t.print(std::cout);
  }
}

void output_job(Context& ctx, const json_t* data) {
  if (ctx.json) return print_json(std::cout, data);
  print_job(json_object_get(data, "job"));
}

// "job 5 running: 40/100 done (38 succeeded, 2 failed, 0 canceled), 10 in
// progress, 50 waiting; success 95.0%"
std::string summary_line(const json_t* job) {
  const int64_t ok = count_of(job, "SUCCEEDED"), failed = count_of(job, "FAILED"),
                canceled = count_of(job, "CANCELED");
  const int64_t active = count_of(job, "NOTIFIED") + count_of(job, "IN_PROGRESS");
  const int64_t waiting = count_of(job, "QUEUED") + count_of(job, "CONFIRM");
  const int64_t total = jint(job, "taskCount");
  std::string line = "job " + jtext(json_object_get(job, "id")) + " " + jstr(job, "state");
  if (const std::string reason = jstr(job, "stateReason"); !reason.empty()) line += " (" + reason + ")";
  line += ": " + std::to_string(ok + failed + canceled) + "/" + std::to_string(total) + " done (" +
          std::to_string(ok) + " succeeded, " + std::to_string(failed) + " failed, " +
          std::to_string(canceled) + " canceled), " + std::to_string(active) + " in progress, " +
          std::to_string(waiting) + " waiting";
  if (size_t groups = json_array_size(json_object_get(job, "groupSizes")); groups > 1) {
    line += ", group " + std::to_string(jint(job, "currentGroup") + 1) + "/" + std::to_string(groups);
  }
  if (ok + failed > 0) line += "; success " + format_percent(jreal(job, "successRate"));
  return line;
}

// What --package names on the connected broker, for the --shards check:
// ids are per shard, so a job must not start a different package somewhere.
std::string package_fingerprint(Context& ctx, const std::string& package) {
  JsonPtr cmd = make_command("getPackage");
  set_int(cmd.get(), "packageId", static_cast<int64_t>(parse_id(package, "--package")));
  JsonPtr data = ctx.client().call(std::move(cmd));
  const json_t* p = json_object_get(data.get(), "package");
  return "package " + package + " is " + jstr(p, "product") + " " + jstr(p, "module") + " " +
         jstr(p, "version") + " (" + std::to_string(jint(p, "size")) + " bytes, " +
         jstr(p, "sign") + ")";
}

int run_create(Context& ctx, const CreateOptions& o) {
  JsonPtr cmd = make_command("createJob");
  json_t* c = cmd.get();
  set_int(c, "packageId", static_cast<int64_t>(parse_id(o.package, "--package")));
  if (!o.type.empty()) {
    if (o.type != "batch" && o.type != "verify") throw UsageError("--type must be batch or verify");
    set_str(c, "type", o.type);
  }
  if (!o.devices.empty()) json_object_set_new(c, "devices", string_array(parse_list(o.devices, "--devices")));
  if (o.all) set_bool(c, "all", true);
  if (!o.source_versions.empty()) {
    json_object_set_new(c, "sourceVersions",
                        string_array(parse_list(o.source_versions, "--source-versions")));
  }
  if (!o.tags.empty()) {
    json_t* tags = json_object();
    json_object_set_new(c, "tags", tags);
    for (const std::string& t : o.tags) {
      auto [k, v] = parse_tag(t);
      set_str(tags, k.c_str(), v);
    }
  }
  if (o.devices.empty() && !o.all && o.source_versions.empty() && o.tags.empty()) {
    throw UsageError("say which devices: --devices d1,d2, --all, --source-versions or --tag");
  }
  if (!o.percent.empty()) {
    json_object_set_new(c, "percent", json_real(parse_percent(o.percent, "--percent")));
  }
  if (o.dynamic) set_bool(c, "dynamic", true);
  if (!o.rate.empty()) set_int(c, "ratePerMinute", parse_count(o.rate, "--rate"));
  if (!o.timeout.empty()) {
    const int64_t t = parse_duration(o.timeout);
    if (t < 1) throw UsageError("--timeout must be at least 1s");
    set_int(c, "timeoutSeconds", t);
  }
  if (!o.timeout_from.empty()) {
    if (o.timeout_from != "notify" && o.timeout_from != "progress") {
      throw UsageError("--timeout-from must be notify or progress");
    }
    set_str(c, "timeoutFrom", o.timeout_from);
  }
  if (!o.retries.empty()) {
    const Retries r = parse_retries(o.retries);
    json_t* retry = json_object();
    set_int(retry, "count", r.count);
    set_int(retry, "intervalSeconds", r.interval_s);
    json_object_set_new(c, "retry", retry);
  }
  if (!o.start_at.empty()) set_int(c, "startAt", parse_time(o.start_at));
  if (!o.end_at.empty()) set_int(c, "endAt", parse_time(o.end_at));
  if (o.confirm) set_bool(c, "needConfirm", true);
  if (!o.offline.empty()) {
    if (o.offline != "wait" && o.offline != "fail") throw UsageError("--offline must be wait or fail");
    set_str(c, "offlinePolicy", o.offline);
  }
  if (!o.groups.empty()) {
    json_t* groups = json_array();
    json_object_set_new(c, "groups", groups);
    for (const CountOrPercent& g : parse_groups(o.groups)) {
      json_t* j = json_object();
      if (g.percent) set_int(j, "percent", g.percent);
      else set_int(j, "count", g.count);
      json_array_append_new(groups, j);
    }
  }
  if (!o.success_threshold.empty()) {
    std::string s = o.success_threshold;
    if (!s.empty() && s.back() == '%') s.pop_back();
    const int64_t v = parse_count(s, "--success-threshold");
    if (v > 100) throw UsageError("--success-threshold must be from 0 to 100");
    set_int(c, "successThreshold", v);
  }
  if (o.no_auto_advance) set_bool(c, "autoAdvance", false);
  if (!o.failure_threshold.empty()) {
    const CountOrPercent t = parse_count_or_percent(o.failure_threshold, "--failure-threshold");
    json_t* j = json_object();
    if (t.percent) set_int(j, "percent", t.percent);
    else set_int(j, "count", t.count);
    json_object_set_new(c, "failureThreshold", j);
  }
  output_job(ctx, ctx.client().call(std::move(cmd)).get());
  return kExitOk;
}

int run_list_jobs(Context& ctx, const ListOptions& o) {
  JsonPtr fields(json_object());
  if (!o.product.empty()) set_str(fields.get(), "product", o.product);
  if (!o.state.empty()) {
    std::string state = o.state;
    for (char& c : state) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    set_str(fields.get(), "state", state);
  }
  JsonPtr data = run_list(ctx, "listJobs", std::move(fields), "jobs", o.paging);
  if (ctx.json) {
    print_json(std::cout, data.get());
    return kExitOk;
  }
  Table t({"ID", "PACKAGE", "PRODUCT", "MODULE", "TYPE", "STATE", "TASKS", "SUCCEEDED", "FAILED",
           "ACTIVE", "CREATED"});
  for (size_t col : {0, 1, 6, 7, 8, 9}) t.right(col);
  size_t i;
  json_t* j;
  json_array_foreach(json_object_get(data.get(), "jobs"), i, j) {
    const int64_t active = count_of(j, "CONFIRM") + count_of(j, "QUEUED") +
                           count_of(j, "NOTIFIED") + count_of(j, "IN_PROGRESS");
    t.add({jtext(json_object_get(j, "id")), jtext(json_object_get(j, "packageId")),
           jstr(j, "product"), jstr(j, "module"), jstr(j, "type"), jstr(j, "state"),
           std::to_string(jint(j, "taskCount")), std::to_string(count_of(j, "SUCCEEDED")),
           std::to_string(count_of(j, "FAILED")), std::to_string(active), jtime_ms(j, "createdAt")});
  }
  if (t.empty()) {
    std::cout << "no jobs\n";
  } else {
    t.print(std::cout);
  }
  print_more(std::cout, data.get(), "jobs");
  return kExitOk;
}

JsonPtr job_command(const char* name, const std::string& id) {
  JsonPtr cmd = make_command(name);
  set_int(cmd.get(), "jobId", static_cast<int64_t>(parse_id(id, "the job id")));
  return cmd;
}

int run_show(Context& ctx, const IdOptions& o) {
  output_job(ctx, ctx.client().call(job_command("getJob", o.id)).get());
  return kExitOk;
}

template <const char* kCommand>
int run_state_change(Context& ctx, const IdOptions& o) {
  JsonPtr data = ctx.client().call(job_command(kCommand, o.id));
  if (ctx.json) {
    print_json(std::cout, data.get());
  } else {
    std::cout << summary_line(json_object_get(data.get(), "job")) << "\n";
  }
  return kExitOk;
}

constexpr char kPause[] = "pauseJob";
constexpr char kResume[] = "resumeJob";
constexpr char kCancel[] = "cancelJob";

int run_watch(Context& ctx, const WatchOptions& o) {
  const int64_t interval = parse_duration(o.interval);
  if (interval < 1) throw UsageError("--interval must be at least 1s");
  const auto end = Clock::now() + std::chrono::seconds(ctx.options.timeout_s);
  std::string last;
  while (true) {
    JsonPtr data = ctx.client().call(job_command("getJob", o.id));
    const json_t* job = json_object_get(data.get(), "job");
    const std::string state = jstr(job, "state");
    if (ctx.json) {
      std::cout << json::dump(data.get()) << std::endl;
    } else {
      std::string line = summary_line(job);
      if (line != last) std::cout << format_time_s(time(nullptr)) << "  " << line << std::endl;
      last = std::move(line);
    }
    if (state == "completed") return kExitOk;
    if (state == "canceled" || state == "paused") {
      const std::string reason = jstr(job, "stateReason");
      std::cerr << "mosquitto_ota_ctrl: job " << o.id << " is " << state
                << (reason.empty() ? "" : ": " + reason) << "\n";
      return kExitCommandError;
    }
    const auto next = Clock::now() + std::chrono::seconds(interval);
    if (next > end) {
      throw ConnectionError("job " + o.id + " is still " + state + " after " +
                            format_duration(ctx.options.timeout_s) +
                            " (--timeout bounds job watch; give e.g. --timeout 2h)");
    }
    std::this_thread::sleep_until(next);
  }
}

}  // namespace

void add_job_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("job", "upgrade jobs (campaigns)");
  group->require_subcommand(1);

  CLI::App* create = group->add_subcommand("create", "start upgrading devices to a package");
  auto c = leaf<CreateOptions>(create, ctx, run_create);
  ctx.shard_checks["job create"] = [c](Context& x) { return package_fingerprint(x, c->package); };
  create->add_option("--package", c->package, "package id")->required();
  create->add_option("--type", c->type, "batch (default) or verify");
  create->add_option("--devices", c->devices, "these devices: d1,d2")->group("Targets");
  create->add_flag("--all", c->all, "every device of the product")->group("Targets");
  create->add_option("--source-versions", c->source_versions, "devices on these versions: a,b")
      ->group("Targets");
  create->add_option("--tag", c->tags, "devices with this tag, k=v (repeatable)")
      ->allow_extra_args(false)
      ->group("Targets");
  create->add_option("--percent", c->percent, "only this share of the matches (grey release)")
      ->group("Targets");
  create->add_flag("--dynamic", c->dynamic, "also devices that match later")->group("Targets");
  create->add_option("--rate", c->rate, "notifications per minute (default unlimited)")
      ->group("Campaign");
  create->add_option("--timeout", c->timeout,
                     "per device: 90, 90s, 30m, 2h, 1d (default plugin_opt_default_timeout); "
                     "the reply timeout is the --timeout before 'job'")
      ->group("Campaign");
  create->add_option("--timeout-from", c->timeout_from, "notify (default) or progress")
      ->group("Campaign");
  create->add_option("--retries", c->retries, "count/interval, e.g. 2/10m")->group("Campaign");
  create->add_option("--start-at", c->start_at, "Unix seconds or ISO 8601 UTC")->group("Campaign");
  create->add_option("--end-at", c->end_at, "Unix seconds or ISO 8601 UTC")->group("Campaign");
  create->add_flag("--confirm", c->confirm, "each task waits for task confirm")->group("Campaign");
  create->add_option("--offline", c->offline, "wait (default) or fail for offline devices")
      ->group("Campaign");
  create->add_option("--groups", c->groups, "waves: 10%,90% or 5,100")->group("Campaign");
  create->add_option("--success-threshold", c->success_threshold,
                     "percent of a group that must succeed before the next starts")
      ->group("Campaign");
  create->add_flag("--no-auto-advance", c->no_auto_advance,
                   "do not start the next group on its own (job resume does)")
      ->group("Campaign");
  create->add_option("--failure-threshold", c->failure_threshold,
                     "pause the job after this many failures: 5 or 10%")
      ->group("Campaign");

  CLI::App* list = group->add_subcommand("list", "list jobs");
  auto l = leaf<ListOptions>(list, ctx, run_list_jobs);
  list->add_option("--product", l->product, "only this product");
  list->add_option("--state", l->state,
                   "only this state: draft, scheduled, running, paused, completed, canceled");
  l->paging.add_to(list);

  CLI::App* show = group->add_subcommand("show", "a job: state, counts per state, success rate, failure reasons");
  auto s = leaf<IdOptions>(show, ctx, run_show);
  show->add_option("id", s->id, "job id")->required();

  CLI::App* pause = group->add_subcommand("pause", "stop notifying more devices");
  auto p = leaf<IdOptions>(pause, ctx, run_state_change<kPause>);
  pause->add_option("id", p->id, "job id")->required();

  CLI::App* resume = group->add_subcommand("resume", "resume a paused job (or start the next group)");
  auto r = leaf<IdOptions>(resume, ctx, run_state_change<kResume>);
  resume->add_option("id", r->id, "job id")->required();

  CLI::App* cancel = group->add_subcommand("cancel", "cancel a job and its unfinished tasks");
  auto x = leaf<IdOptions>(cancel, ctx, run_state_change<kCancel>);
  cancel->add_option("id", x->id, "job id")->required();

  CLI::App* watch = group->add_subcommand(
      "watch", "print progress every second until the job is completed, canceled or paused "
               "(bounded by --timeout)");
  auto w = leaf<WatchOptions>(watch, ctx, run_watch);
  watch->add_option("id", w->id, "job id")->required();
  watch->add_option("--interval", w->interval, "poll interval (default 1s)");
}

}  // namespace ota::ctrl
