// rtt_probe: one blocking client timing single round trips through a broker
// (bench/RESULTS.md "(b)"), in one of two modes.
//
// The floor (default): the client publishes to its own subscription and
// waits for the message to come back, one at a time: the path of a device's
// report and its notification (one PUBLISH in, one PUBLISH out) with no OTA
// work at all. No design that answers a report through this broker can
// have a lower tail than this one, measured on the same broker in the same
// run.
//
// --devices N: the same client plays N devices of `ota_loadgen --scenario
// latency` (Alibaba's topics, the loadgen's names, each already notified by
// its job), one after the other: it connects as the device, subscribes to
// its upgrade topic as the SDK does, and times --per-device reports of the
// old version, each until the notification that answers it. The plugin and
// the external service are timed by one simple client, without the load
// generator's thousand connections in the same process. Each device is
// told again on every report: lift the limit of re-sent notifications
// (plugin_opt_max_resends) above what the loadgen and the probe send.
//
//   ota_rtt_probe --port 1883 [--samples 1500 --qos 1 --gap-ms 0 --json out.json]
//   ota_rtt_probe --port 1883 --devices 10 [--first 0 --per-device 150 --device-warmup 20]
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "client_set.h"
#include "sync_client.h"

namespace {

struct DeviceMode {
  size_t devices = 0;     // 0: the floor mode
  size_t first = 0;       // the first device's number
  size_t per_device = 150;
  size_t warmup = 20;     // reports per device not timed
  std::string product = "pk", prefix = "d", old_version = "1.0.0";
};

// The report -> notification samples of o.devices devices, in ns; false if
// a device could not connect.
bool time_devices(const std::string& host, int port, int qos, const DeviceMode& o,
                  std::vector<int64_t>& samples) {
  for (size_t i = o.first; i < o.first + o.devices; ++i) {
    const std::string name = o.prefix + std::to_string(i);
    bench::SyncClient device(o.product + "." + name + "|probe=rtt|", "");
    const std::string upgrade = "/ota/device/upgrade/" + o.product + "/" + name;
    const std::string inform = "/ota/device/inform/" + o.product + "/" + name;
    if (!device.connect(host, port) || !device.subscribe(upgrade, qos)) return false;
    // The plugin tells a notified device when it subscribes, and takes its
    // next report for the one its SDK sends on connecting; and a new
    // connection's first round trips are slower than the rest (about 1.5x
    // over the first ten here). Reports not timed, then whatever came is
    // dropped.
    uint64_t seq = 1'000'000;  // above the ids the loadgen sent as this device
    const auto report = [&] { return bench::report_payload(++seq, o.old_version); };
    bench::report_round_trips(device, inform, report, upgrade, qos, o.warmup, 0.05, 5);
    device.drain(0.02);
    std::vector<int64_t> s =
        bench::report_round_trips(device, inform, report, upgrade, qos, o.per_device, 1.0, 30);
    samples.insert(samples.end(), s.begin(), s.end());
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", json_path;
  int port = 1883, qos = 1, gap_ms = 0;
  size_t samples = 1500, warmup = 100;
  DeviceMode devices;
  CLI::App app{"Single MQTT round trips: to one's own subscription, or a device's report to its notification"};
  app.add_option("--host", host);
  app.add_option("--port", port)->required();
  app.add_option("--samples", samples, "round trips measured (floor mode)");
  app.add_option("--warmup", warmup, "round trips first, not measured (floor mode)");
  app.add_option("--qos", qos, "QoS of the publish and of the subscription")->check(CLI::Range(0, 2));
  app.add_option("--gap-ms", gap_ms, "pause between round trips (floor mode)");
  app.add_option("--json", json_path, "write the percentiles here");
  app.add_option("--devices", devices.devices, "device mode: play this many of the loadgen's notified devices");
  app.add_option("--first", devices.first, "device mode: the first device's number");
  app.add_option("--per-device", devices.per_device, "device mode: reports timed per device");
  app.add_option("--device-warmup", devices.warmup, "device mode: reports per device before those timed");
  app.add_option("--product", devices.product, "device mode: product key");
  app.add_option("--prefix", devices.prefix, "device mode: device names are <prefix><n>");
  app.add_option("--old-version", devices.old_version, "device mode: the version reported");
  CLI11_PARSE(app, argc, argv);

  mosquitto_lib_init();
  int rc = 0;
  std::vector<int64_t> rtt;
  std::string what;
  if (devices.devices > 0) {
    what = "report -> notification, one device at a time";
    if (!time_devices(host, port, qos, devices, rtt)) {
      std::fprintf(stderr, "rtt_probe: a device cannot connect and subscribe on port %d\n", port);
      rc = 1;
    }
    samples = devices.devices * devices.per_device;
  } else {
    what = "MQTT round trip to its own subscription";
    bench::SyncClient client("rtt-probe-" + std::to_string(getpid()), "");
    const std::string topic = "bench/rtt/" + std::to_string(getpid());
    if (!client.connect(host, port) || !client.subscribe(topic, qos)) {
      std::fprintf(stderr, "rtt_probe: cannot connect and subscribe on port %d\n", port);
      rc = 1;
    } else {
      bench::round_trips(client, topic, qos, gap_ms, warmup, 60);
      rtt = bench::round_trips(client, topic, qos, gap_ms, samples, 120);
    }
  }
  if (rc == 0) {
    const bench::Percentiles p = bench::percentiles(rtt);
    std::printf("rtt_probe: %s, QoS %d: %s\n", what.c_str(), qos, bench::format(p).c_str());
    if (!json_path.empty()) {
      std::ofstream(json_path) << "{\n  \"rtt.p50_ms\": " << p.p50_ms << ",\n  \"rtt.p90_ms\": "
                               << p.p90_ms << ",\n  \"rtt.p99_ms\": " << p.p99_ms
                               << ",\n  \"rtt.max_ms\": " << p.max_ms << ",\n  \"rtt.count\": "
                               << p.count << "\n}\n";
    }
    // Unanswered round trips count as slow ones, and fail the run.
    if (p.count < samples || (p.count > 0 && p.max_ms >= 1000.0)) rc = 2;
  }
  mosquitto_lib_cleanup();
  return rc;
}
