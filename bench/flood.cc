// flood: the broker's own limit for device reports (issue 15, item 1).
//
// One client publishes --reports QoS 0 aliyun version reports for --devices
// devices as fast as the broker takes them, report i from device i % devices
// with version 1.0.(i % 7), so every report changes the stored version; one
// subscriber on /ota/device/inform/# counts what the broker delivers. First
// every device reports once (not measured), so the flood is of known devices.
// Prints reports/s: delivered / (last delivery - first publish), and with
// --broker-pid the broker's CPU time (user + system) per report over the
// same window: what the broker spent, whatever else ran on the machine.
//
// --kind progress floods progress reports instead (step 1..99 changing, on
// /ota/device/progress/..., counted on /ota/device/progress/#); with
// --notify the devices are first told to upgrade (a package and a job over
// the control API as user "admin", every notification awaited), so each
// report moves a notified device's task: the plugin's costliest report.
//
//   ota_flood --port 1883 [--reports 200000 --devices 1000 --json out.json]
//             [--kind version|progress [--notify]] [--broker-pid PID]
#include <mosquitto.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client_set.h"

namespace {

struct Counter {
  std::atomic<uint64_t> received{0};
  std::atomic<int64_t> last_ns{0};
};

mosquitto* connect_client(const char* id, const std::string& host, int port, void* user) {
  mosquitto* m = mosquitto_new(id, true, user);
  if (!m || mosquitto_connect(m, host.c_str(), port, 60) != MOSQ_ERR_SUCCESS ||
      mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
    std::cerr << "flood: " << id << " cannot connect to port " << port << "\n";
    std::exit(1);
  }
  return m;
}

// Waits until `want` reports arrived or none arrived for `idle_s`.
void wait_for(Counter& c, uint64_t want, double idle_s) {
  uint64_t seen = c.received;
  int64_t last_change = bench::now_ns();
  while (c.received < want) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (c.received != seen) {
      seen = c.received;
      last_change = bench::now_ns();
    } else if (bench::now_ns() - last_change > idle_s * 1e9) {
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", product = "pk", json_path;
  int port = 1883;
  uint64_t reports = 200000, devices = 1000;
  CLI::App app{"QoS 0 flood of version reports through one broker"};
  app.add_option("--host", host);
  app.add_option("--port", port)->required();
  app.add_option("--reports", reports, "reports in the measured flood");
  app.add_option("--devices", devices, "device names the reports cycle through");
  app.add_option("--product", product);
  app.add_option("--json", json_path, "write the figures here");
  std::string kind = "version";
  bool notify = false;
  app.add_option("--kind", kind, "version or progress reports")
      ->check(CLI::IsMember({"version", "progress"}));
  app.add_flag("--notify", notify, "first notify every device (a job; plugin only)");
  int broker_pid = 0;
  app.add_option("--broker-pid", broker_pid, "read the broker's CPU time from /proc");
  CLI11_PARSE(app, argc, argv);
  const bool progress = kind == "progress";

  mosquitto_lib_init();
  Counter counter;
  mosquitto* sub = connect_client("flood-counter", host, port, &counter);
  mosquitto_message_callback_set(sub, [](mosquitto*, void* user, const mosquitto_message*) {
    auto* c = static_cast<Counter*>(user);
    c->received++;
    c->last_ns = bench::now_ns();
  });
  // Connected and subscribed well before the first report (loopback).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  mosquitto_subscribe(sub, nullptr, "/ota/device/inform/#", 0);
  if (progress) mosquitto_subscribe(sub, nullptr, "/ota/device/progress/#", 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // The publisher speaks for every device, so notifications reach it.
  Counter notified;
  mosquitto* pub = connect_client("flood-publisher", host, port, &notified);
  mosquitto_message_callback_set(pub, [](mosquitto*, void* user, const mosquitto_message* m) {
    if (std::string_view(m->topic).starts_with("/ota/device/upgrade/")) {
      static_cast<Counter*>(user)->received++;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  auto topics_of = [&](const char* kind_segment) {
    std::vector<std::string> t;
    for (uint64_t d = 0; d < devices; ++d) {
      t.push_back(std::string("/ota/device/") + kind_segment + "/" + product + "/d" +
                  std::to_string(d));
    }
    return t;
  };
  const std::vector<std::string> inform_topics = topics_of("inform");
  const std::vector<std::string> progress_topics = topics_of("progress");
  auto send = [&](const std::string& topic, const std::string& payload) {
    while (mosquitto_publish(pub, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), 0, false) == MOSQ_ERR_NOMEM) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  auto publish = [&](uint64_t i, const std::string& version) {
    send(inform_topics[i % devices],
         "{\"id\":\"" + std::to_string(i) + "\",\"params\":{\"version\":\"" + version + "\"}}");
  };
  auto publish_progress = [&](uint64_t i) {
    send(progress_topics[i % devices], "{\"id\":\"" + std::to_string(i) +
                                           "\",\"params\":{\"step\":\"" +
                                           std::to_string(1 + i % 99) +
                                           "\",\"desc\":\"downloading\"}}");
  };
  // Registration, not measured.
  for (uint64_t d = 0; d < devices; ++d) publish(d, "1.0.9");
  wait_for(counter, devices, 5);
  if (notify) {
    mosquitto* admin = mosquitto_new("flood-admin", true, nullptr);
    mosquitto_username_pw_set(admin, "admin", nullptr);
    if (!admin || mosquitto_connect(admin, host.c_str(), port, 60) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(admin) != MOSQ_ERR_SUCCESS) {
      std::cerr << "flood: the admin cannot connect\n";
      return 1;
    }
    const std::string commands =
        R"({"commands":[{"command":"createPackage","product":")" + product +
        R"(","version":"2.0.0","url":"https://fw.example/2.bin","size":100,)"
        R"("sign":"93230c3bde425a9d93230c3bde425a9d","signMethod":"MD5"},)"
        R"({"command":"createJob","packageId":1,"all":true}]})";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    mosquitto_publish(admin, nullptr, "$CONTROL/ota/v1", static_cast<int>(commands.size()),
                      commands.data(), 1, false);
    wait_for(notified, devices, 10);
    mosquitto_disconnect(admin);
    mosquitto_loop_stop(admin, false);
    mosquitto_destroy(admin);
    if (notified.received < devices) {
      std::cerr << "flood: only " << notified.received << " of " << devices
                << " devices were notified\n";
      return 1;
    }
  }
  const uint64_t before = counter.received;

  const double cpu0 = broker_pid > 0 ? bench::process_cpu_seconds(broker_pid) : -1;
  const int64_t t0 = bench::now_ns();
  for (uint64_t i = 0; i < reports; ++i) {
    if (progress) {
      publish_progress(i);
    } else {
      publish(i, "1.0." + std::to_string(i % 7));
    }
  }
  const int64_t sent_ns = bench::now_ns();
  wait_for(counter, before + reports, 5);
  const uint64_t got = counter.received - before;
  // Read at once: the broker is idle after its last delivery (the 5 s
  // idle wait above only follows a flood that lost reports).
  const double cpu1 = broker_pid > 0 ? bench::process_cpu_seconds(broker_pid) : -1;
  const double seconds = (counter.last_ns - t0) / 1e9;
  const double rate = got / seconds;
  const double cpu_us = cpu0 >= 0 && cpu1 >= 0 && got > 0 ? (cpu1 - cpu0) * 1e6 / got : -1;
  std::printf("flood: %llu of %llu reports delivered in %.3f s: %.0f reports/s "
              "(all published after %.3f s)",
              static_cast<unsigned long long>(got), static_cast<unsigned long long>(reports),
              seconds, rate, (sent_ns - t0) / 1e9);
  if (cpu_us >= 0) std::printf("; broker CPU %.2f us per report", cpu_us);
  std::printf("\n");
  if (!json_path.empty()) {
    std::ofstream(json_path) << "{\n  \"rate\": " << rate << ",\n  \"delivered\": " << got
                             << ",\n  \"reports\": " << reports << ",\n  \"seconds\": " << seconds
                             << ",\n  \"broker_cpu_us_per_report\": " << cpu_us << "\n}\n";
  }
  mosquitto_disconnect(pub);
  mosquitto_disconnect(sub);
  mosquitto_loop_stop(pub, false);
  mosquitto_loop_stop(sub, false);
  mosquitto_destroy(pub);
  mosquitto_destroy(sub);
  mosquitto_lib_cleanup();
  return got == reports ? 0 : 2;
}
