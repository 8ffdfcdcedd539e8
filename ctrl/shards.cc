#include "shards.h"

#include <array>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "errors.h"
#include "output.h"

namespace ota::ctrl {
namespace {

// What one shard answered.
struct ShardResult {
  Shard shard;
  int status = kExitOk;
  std::string output;  // its stdout
  std::string error;   // its error, when status != 0
  JsonPtr data;        // the output parsed as JSON (--json), when it is
};

constexpr std::array<const char*, 7> kTaskStates = {
    "CONFIRM", "QUEUED", "NOTIFIED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "CANCELED"};

// Runs `action` against one shard, its stdout captured.
ShardResult run_one(const Context& ctx, const Shard& shard, bool json,
                    const std::function<int(Context&)>& action) {
  ShardResult r;
  r.shard = shard;
  Context c;
  c.options = ctx.options;
  c.options.host = shard.host;
  c.options.port = shard.port;
  c.json = json;
  std::ostringstream captured;
  std::streambuf* saved = std::cout.rdbuf(captured.rdbuf());
  try {
    r.status = action(c);
  } catch (const CtrlError& e) {
    r.status = e.exit_code();
    r.error = e.what();
  } catch (const std::exception& e) {
    r.status = kExitCommandError;
    r.error = std::string("internal error: ") + e.what();
  }
  std::cout.rdbuf(saved);
  r.output = captured.str();
  if (json && r.error.empty()) {
    r.data.reset(json_loads(r.output.c_str(), 0, nullptr));
  }
  return r;
}

// Unreachable before refused before usage: the status that says most.
int worst(int a, int b) {
  auto rank = [](int s) { return s == kExitConnection ? 3 : s == kExitCommandError ? 2 : s ? 1 : 0; };
  return rank(b) > rank(a) ? b : a;
}

json_t* shards_json(const std::vector<ShardResult>& results) {
  json_t* list = json_array();
  for (const ShardResult& r : results) {
    json_t* item = json_object();
    set_str(item, "shard", r.shard.address());
    if (!r.error.empty() || r.status != kExitOk) {
      set_str(item, "error", r.error.empty() ? "exit status " + std::to_string(r.status) : r.error);
    } else if (r.data) {
      json_object_set(item, "data", r.data.get());
    } else {
      set_str(item, "output", r.output);
    }
    json_array_append_new(list, item);
  }
  return list;
}

size_t answered(const std::vector<ShardResult>& results) {
  size_t n = 0;
  for (const ShardResult& r : results) n += r.data ? 1 : 0;
  return n;
}

void print_coverage(std::ostream& out, const std::vector<ShardResult>& results) {
  const size_t ok = answered(results);
  if (ok < results.size()) {
    out << "(totals of " << ok << " of " << results.size() << " shards: "
        << results.size() - ok << " left out, see stderr)\n";
  }
}

// --json of the totals: {"total":{<total>,"shards","answered"},"shards":[...]}.
// Takes `total`.
void print_totals_json(json_t* total, const std::vector<ShardResult>& results) {
  set_int(total, "shards", static_cast<int64_t>(results.size()));
  set_int(total, "answered", static_cast<int64_t>(answered(results)));
  json_t* out = json_object();
  json_object_set_new(out, "total", total);
  json_object_set_new(out, "shards", shards_json(results));
  print_json(std::cout, out);
  json_decref(out);
}

// job show: each shard's counts per state and their sum.
void print_job_totals(const Context& ctx, const std::vector<ShardResult>& results) {
  std::map<std::string, int64_t> total;
  for (const ShardResult& r : results) {
    const json_t* counts = r.data ? json_object_get(json_object_get(r.data.get(), "job"), "counts") : nullptr;
    for (const char* s : kTaskStates) total[s] += jint(counts, s);
  }
  if (ctx.json) {
    json_t* counts = json_object();
    for (const char* s : kTaskStates) set_int(counts, s, total[s]);
    json_t* t = json_object();
    json_object_set_new(t, "counts", counts);
    print_totals_json(t, results);
    return;
  }
  std::vector<std::string> headers = {"SHARD", "JOB", "STATE"};
  for (const char* s : kTaskStates) headers.push_back(s);
  Table table(headers);
  for (size_t i = 3; i < headers.size(); ++i) table.right(i);
  for (const ShardResult& r : results) {
    if (!r.data) continue;
    const json_t* job = json_object_get(r.data.get(), "job");
    std::vector<std::string> row = {r.shard.address(), std::to_string(jint(job, "id")), jstr(job, "state")};
    for (const char* s : kTaskStates) row.push_back(std::to_string(jint(json_object_get(job, "counts"), s)));
    table.add(row);
  }
  std::vector<std::string> row = {"total", "", ""};
  for (const char* s : kTaskStates) row.push_back(std::to_string(total[s]));
  table.add(row);
  table.print(std::cout);
  print_coverage(std::cout, results);
}

// stats: devices and the version distribution, summed over the shards. Two
// shards answering with one store id are one store (e.g. the same broker
// listed twice): counted once.
void print_stats_totals(const Context& ctx, std::vector<ShardResult>& results) {
  std::map<std::string, std::string> seen;  // store id -> first shard
  int64_t devices = 0;
  std::map<std::string, int64_t> versions;
  for (ShardResult& r : results) {
    if (!r.data) continue;
    const json_t* stats = json_object_get(r.data.get(), "statistics");
    const std::string id = jstr(stats, "storeId");
    if (!id.empty()) {
      auto [it, fresh] = seen.emplace(id, r.shard.address());
      if (!fresh) {
        std::cerr << "mosquitto_ota_ctrl: shard " << r.shard.address() << " serves the same store as "
                  << it->second << " (store " << id << "): counted once\n";
        r.data.reset();
        r.error = "the same store as " + it->second;
        r.status = worst(r.status, kExitCommandError);
        continue;
      }
    }
    devices += jint(stats, "devices");
    const char* version;
    json_t* n;
    json_object_foreach(json_object_get(stats, "versions"), version, n) {
      versions[version] += json_integer_value(n);
    }
  }
  if (ctx.json) {
    json_t* t = json_object();
    set_int(t, "devices", devices);
    json_t* v = json_object();
    for (const auto& [version, n] : versions) set_int(v, version.c_str(), n);
    json_object_set_new(t, "versions", v);
    print_totals_json(t, results);
    return;
  }
  Table table({"SHARD", "DEVICES", "VERSIONS"});
  table.right(1);
  auto version_text = [](const std::map<std::string, int64_t>& m) {
    std::string s;
    for (const auto& [v, n] : m) s += (s.empty() ? "" : " ") + v + "=" + std::to_string(n);
    return s.empty() ? std::string("-") : s;
  };
  for (const ShardResult& r : results) {
    if (!r.data) continue;
    const json_t* stats = json_object_get(r.data.get(), "statistics");
    std::map<std::string, int64_t> mine;
    const char* version;
    json_t* n;
    json_object_foreach(json_object_get(stats, "versions"), version, n) {
      mine[version] = json_integer_value(n);
    }
    table.add({r.shard.address(), std::to_string(jint(stats, "devices")), version_text(mine)});
  }
  table.add({"total", std::to_string(devices), version_text(versions)});
  table.print(std::cout);
  print_coverage(std::cout, results);
}

// Everything else: each shard's own output.
void print_each(const Context& ctx, const std::vector<ShardResult>& results) {
  if (ctx.json) {
    json_t* out = json_object();
    json_object_set_new(out, "shards", shards_json(results));
    print_json(std::cout, out);
    json_decref(out);
    return;
  }
  for (const ShardResult& r : results) {
    if (r.status != kExitOk && r.output.empty()) continue;  // its line is on stderr
    std::cout << "== shard " << r.shard.address() << "\n" << r.output;
  }
}

}  // namespace

std::string Shard::address() const { return host + ":" + std::to_string(port); }

std::vector<Shard> parse_shards(const std::string& list, int default_port) {
  std::vector<Shard> shards;
  if (!list.empty() && list.back() == ',') throw UsageError("--shards: empty entry in '" + list + "'");
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) throw UsageError("--shards: empty entry in '" + list + "'");
    Shard s;
    s.port = default_port;
    const size_t colon = item.rfind(':');
    s.host = item.substr(0, colon);
    if (colon != std::string::npos) {
      const std::string port = item.substr(colon + 1);
      size_t used = 0;
      int value = 0;
      try {
        value = std::stoi(port, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != port.size() || port.empty() || value < 1 || value > 65535) {
        throw UsageError("--shards: '" + item + "': the port must be 1 to 65535");
      }
      s.port = value;
    }
    if (s.host.empty()) throw UsageError("--shards: '" + item + "' has no host");
    for (const Shard& other : shards) {
      if (other.address() == s.address()) throw UsageError("--shards: " + s.address() + " is listed twice");
    }
    shards.push_back(s);
  }
  if (shards.empty()) throw UsageError("--shards: no shard given");
  return shards;
}

// Throws CommandError, before anything is changed, when the shards that
// answer do not all mean the same thing by the command's arguments.
void check_shards_agree(const Context& ctx, const std::vector<Shard>& shards,
                        const std::function<std::string(Context&)>& fingerprint) {
  std::map<std::string, std::string> meaning;  // fingerprint -> its shards
  for (const Shard& shard : shards) {
    std::string seen;
    ShardResult r = run_one(ctx, shard, false, [&](Context& c) {
      seen = fingerprint(c);
      return kExitOk;
    });
    if (r.status == kExitConnection) continue;  // reported when the command runs
    if (r.status != kExitOk) seen = r.error;
    std::string& on = meaning[seen];
    on += (on.empty() ? "" : ",") + shard.address();
  }
  if (meaning.size() <= 1) return;
  std::string text = "the shards disagree, nothing was changed:";
  for (const auto& [what, on] : meaning) text += "\n  on " + on + ": " + what;
  throw CommandError(text);
}

int run_on_shards(Context& ctx, const std::vector<Shard>& shards, const std::string& command) {
  const bool job_totals = command == "job show";
  const bool stats_totals = command == "stats";
  if (command == "job watch") {
    throw UsageError("job watch follows one broker: run it per shard (-h/-p), or poll 'job show' with --shards");
  }
  auto check = ctx.shard_checks.find(command);
  if (check != ctx.shard_checks.end()) check_shards_agree(ctx, shards, check->second);
  std::vector<ShardResult> results;
  int status = kExitOk;
  for (const Shard& shard : shards) {
    results.push_back(run_one(ctx, shard, ctx.json || job_totals || stats_totals, ctx.action));
    const ShardResult& r = results.back();
    if (r.status != kExitOk) {
      std::cerr << "mosquitto_ota_ctrl: shard " << shard.address() << ": "
                << (r.error.empty() ? "exit status " + std::to_string(r.status) : r.error) << "\n";
    }
    status = worst(status, r.status);
  }
  if (job_totals) {
    print_job_totals(ctx, results);
  } else if (stats_totals) {
    print_stats_totals(ctx, results);
    for (const ShardResult& r : results) status = worst(status, r.status);
  } else {
    print_each(ctx, results);
  }
  return status;
}

}  // namespace ota::ctrl
