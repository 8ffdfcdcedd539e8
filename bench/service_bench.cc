// service_bench: the plugin's own cost per device message, without a broker.
//
// Drives OtaService (the object the broker callbacks call) in-process, the
// way mosquitto does: on_message for each report, flush() once per "loop
// iteration" of --batch messages. Phases: known devices repeating their
// version, new device names, progress reports of notified devices (each
// step once: a repeated step is not written again), known devices
// reporting another version each time, and notified devices reporting
// their old version, each told again (bench/RESULTS.md (b)'s path).
// Prints CPU nanoseconds per message (getrusage: user + system, so other
// processes on the machine do not count), the best of --rounds rounds.
//
// Because it needs no network and runs single-threaded, it is also the
// program to put under callgrind for exact instruction counts, which no
// scheduler or shared machine can disturb (bench/RESULTS.md, "Optimisation"):
//   valgrind --tool=callgrind --collect-atstart=no ota_service_bench
//     --phases known --rounds 1
// counts only the measured phase (instructions / --reports = per message);
// the messages are built before it, so only the plugin's work counts.
//
//   ota_service_bench --db /tmp/sb --devices 20000 --reports 200000 --batch 1000
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "assembly/service_assembly.h"
#include "in_process.h"

namespace {

using ota::bench::cpu_seconds;

ota::TimeMs wall_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<ota::TimeMs>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// One device message as the broker hands it over, built before it is
// measured: only the plugin's work counts.
struct Message {
  std::string topic;
  std::string payload;
  std::string client_id;
  const void* handle;
};

// The client id Alibaba's SDK uses ({pk}.{dn}, from the topic's last
// levels), so the identity check at its default is part of the cost; the
// connection handle only identifies the connection (any unique non-null
// value will do).
Message device_message(std::string topic, std::string payload, size_t index) {
  const size_t dn = topic.rfind('/');
  const size_t pk = topic.rfind('/', dn - 1);
  std::string client_id = topic.substr(pk + 1, dn - pk - 1) + "." + topic.substr(dn + 1);
  const void* handle = reinterpret_cast<const void*>(static_cast<uintptr_t>(index + 1));
  return {std::move(topic), std::move(payload), std::move(client_id), handle};
}

struct Bench {
  ota::OtaService& service;
  size_t batch;
  ota::TimeMs now = wall_ms();
  size_t in_batch = 0;
  uint64_t published = 0;

  void message(const Message& m) {
    service.on_message(m.topic, m.payload, {m.handle, m.client_id, ""}, now);
    if (++in_batch == batch) flush();
  }
  void message(std::string topic, std::string payload, size_t index) {
    message(device_message(std::move(topic), std::move(payload), index));
  }
  void flush() {
    published += service.flush(now).size();
    in_batch = 0;
    now += 1;  // a loop iteration is about a millisecond under load
  }
};

// Product pk: devices without tasks (version reports). Product pq: devices
// in a running job (progress reports).
std::string inform_topic(const std::string& product, const std::string& device) {
  return "/ota/device/inform/" + product + "/" + device;
}
std::string inform(const std::string& version, uint64_t id) {
  return "{\"id\":\"" + std::to_string(id) + "\",\"params\":{\"version\":\"" + version + "\"}}";
}
std::string progress(int step, uint64_t id) {
  return "{\"id\":\"" + std::to_string(id) + "\",\"params\":{\"step\":\"" + std::to_string(step) +
         "\",\"desc\":\"downloading\"}}";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The plugin's CPU cost per device message, in-process (no broker)"};
  std::string db;
  size_t devices = 20000, reports = 200000, batch = 1000, rounds = 3;
  std::vector<std::string> only;
  std::string metrics_library;
  size_t cache_devices = ota::PluginOptions{}.cache_devices;
  app.add_option("--db", db, "database directory (created; emptied first)")->required();
  app.add_option("--devices", devices, "registered devices");
  app.add_option("--reports", reports, "messages per phase and round");
  app.add_option("--batch", batch, "messages per flush (one broker loop iteration)");
  app.add_option("--rounds", rounds, "rounds; the best is printed");
  app.add_option("--phases", only, "only these phases (known, new, progress, changed, notified)")
      ->delimiter(',');
  app.add_option("--cache-devices", cache_devices, "plugin_opt_cache_devices");
  app.add_option("--metrics-library", metrics_library,
                 "mosquitto_ota_http.so: Prometheus metrics on (a listener on a free loopback "
                 "port, timings measured, the exposition rendered every second)");
  CLI11_PARSE(app, argc, argv);

  std::filesystem::remove_all(db);
  std::filesystem::create_directories(db);
  ota::PluginOptions options;
  options.db_path = db;
  options.admins = {"admin"};
  options.sys_interval_s = 0;
  options.cache_devices = cache_devices;
  options.max_resends = 1000;  // the notified phase tells each device again at every report
  if (!metrics_library.empty()) {
    options.http_library = metrics_library;
    options.metrics_listen = "127.0.0.1:0";
  }
  auto opened = ota::open_ota_service(options, [](ota::LogLevel level, const std::string& line) {
    if (level >= ota::LogLevel::kWarning) std::fprintf(stderr, "%s\n", line.c_str());
  });
  if (!opened) {
    std::fprintf(stderr, "service_bench: %s\n", opened.error().c_str());
    return 1;
  }
  ota::OtaService& service = *opened.value();
  Bench bench{service, batch};
  uint64_t id = 0;
  for (size_t d = 0; d < devices; ++d) {
    bench.message(inform_topic("pk", "d" + std::to_string(d)), inform("1.0.0", ++id), d);
    bench.message(inform_topic("pq", "d" + std::to_string(d)), inform("1.0.0", ++id), devices + d);
  }
  bench.flush();

  // A job for every device, so that progress reports have tasks to move.
  const ota::ClientInfo admin{reinterpret_cast<const void*>(uintptr_t{1} << 40), "admin", "admin"};
  service.on_control(R"({"commands":[{"command":"createPackage","product":"pq","version":"2.0.0",)"
                     R"("url":"https://fw.example/2.bin","size":1000,)"
                     R"("sign":"93230c3bde425a9d93230c3bde425a9d","signMethod":"MD5"}]})", admin, bench.now);
  service.on_control(R"({"commands":[{"command":"createJob","packageId":1,)"
                     R"("all":true,"timeoutSeconds":86400}]})", admin, bench.now);
  // The control replies, then the pushes.
  for (const ota::OutboundMessage& m : service.flush(bench.now)) {
    if (m.payload.find("\"error\"") != std::string::npos) {
      std::fprintf(stderr, "service_bench: %s\n", m.payload.c_str());
      return 1;
    }
  }
  for (int i = 0; i < 100; ++i) bench.flush();

  struct Phase {
    const char* name;
    double best_ns = 0;
  };
  std::vector<Phase> phases;
  for (const char* name : {"known", "new", "progress", "changed", "notified"}) {
    if (only.empty() || std::find(only.begin(), only.end(), name) != only.end()) phases.push_back({name});
  }
  uint64_t fresh = 0;
  for (size_t round = 0; round < rounds; ++round) {
    for (Phase& phase : phases) {
      const std::string name = phase.name;
      std::vector<Message> messages;
      messages.reserve(reports);
      for (size_t i = 0; i < reports; ++i) {
        const size_t d = i % devices;
        if (name == "known") {
          // The registered version again: what most reports on a busy
          // broker are (devices report at every boot and reconnect).
          messages.push_back(device_message(inform_topic("pk", "d" + std::to_string(d)), inform("1.0.0", ++id), d));
        } else if (name == "changed") {
          // A known device reporting another version each time (the flood
          // of issue 15): the record is rewritten on every report.
          messages.push_back(device_message(inform_topic("pk", "d" + std::to_string(d)),
                                            inform("1.0." + std::to_string(1 + i % 7), ++id), d));
        } else if (name == "notified") {
          // A notified device still on its old version: told again.
          messages.push_back(device_message(inform_topic("pq", "d" + std::to_string(d)),
                                            inform("1.0.0", ++id), devices + d));
        } else if (name == "new") {
          messages.push_back(device_message(inform_topic("pk", "n" + std::to_string(++fresh)),
                                            inform("1.0.0", ++id), d));
        } else {
          messages.push_back(device_message("/ota/device/progress/pq/d" + std::to_string(d),
                                            progress(static_cast<int>(1 + (i / devices) % 99), ++id),
                                            devices + d));
        }
      }
      const double t0 = cpu_seconds();
      OTA_COLLECT_TOGGLE();
      for (const Message& m : messages) bench.message(m);
      bench.flush();
      OTA_COLLECT_TOGGLE();
      const double ns = (cpu_seconds() - t0) * 1e9 / static_cast<double>(reports);
      if (phase.best_ns == 0 || ns < phase.best_ns) phase.best_ns = ns;
    }
  }
  for (const Phase& phase : phases) {
    std::printf("%-8s %8.0f ns CPU per message (best of %zu rounds of %zu; %zu devices, flush every %zu)\n",
                phase.name, phase.best_ns, rounds, reports, devices, batch);
  }
  const ota::ServiceCounters& c = service.counters();
  std::printf("messages %llu, rejected %llu, notifications %llu, published %llu\n",
              static_cast<unsigned long long>(c.messages_received),
              static_cast<unsigned long long>(c.messages_rejected),
              static_cast<unsigned long long>(c.notifications_sent),
              static_cast<unsigned long long>(bench.published));
  // The process's anonymous memory (the heap, not LMDB's mapped file):
  // what the caches cost, compared between --cache-devices values.
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("RssAnon:")) std::printf("memory %s\n", line.c_str());
  }
  service.close();
  return c.messages_rejected == 0 ? 0 : 1;
}
