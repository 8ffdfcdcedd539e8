// rtt_probe: the floor under report -> notification latency on this
// machine (bench/RESULTS.md "(b)"). One client, TCP_NODELAY, publishes to
// its own subscription and waits for the message to come back, one at a
// time: the path of a device's report and its notification (one PUBLISH
// in, one PUBLISH out) with no OTA work at all. No design that answers a
// report through this broker can have a lower tail than this one, measured
// on the same broker in the same run.
//
//   ota_rtt_probe --port 1883 [--samples 1500 --qos 1 --gap-ms 0 --json out.json]
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "client_set.h"
#include "sync_client.h"

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", json_path;
  int port = 1883, qos = 1, gap_ms = 0;
  size_t samples = 1500, warmup = 100;
  CLI::App app{"MQTT round trips to one's own subscription, one at a time"};
  app.add_option("--host", host);
  app.add_option("--port", port)->required();
  app.add_option("--samples", samples, "round trips measured");
  app.add_option("--warmup", warmup, "round trips first, not measured");
  app.add_option("--qos", qos, "QoS of the publish and of the subscription")->check(CLI::Range(0, 2));
  app.add_option("--gap-ms", gap_ms, "pause between round trips");
  app.add_option("--json", json_path, "write the percentiles here");
  CLI11_PARSE(app, argc, argv);

  mosquitto_lib_init();
  int rc = 0;
  {
    bench::SyncClient client("rtt-probe-" + std::to_string(getpid()), "");
    const std::string topic = "bench/rtt/" + std::to_string(getpid());
    if (!client.connect(host, port) || !client.subscribe(topic, qos)) {
      std::fprintf(stderr, "rtt_probe: cannot connect and subscribe on port %d\n", port);
      rc = 1;
    } else {
      bench::round_trips(client, topic, qos, gap_ms, warmup, 60);
      std::vector<int64_t> rtt = bench::round_trips(client, topic, qos, gap_ms, samples, 120);
      const bench::Percentiles p = bench::percentiles(rtt);
      std::printf("rtt_probe: MQTT round trip to its own subscription, QoS %d, one at a time: %s\n",
                  qos, bench::format(p).c_str());
      if (!json_path.empty()) {
        std::ofstream(json_path) << "{\n  \"rtt.p50_ms\": " << p.p50_ms << ",\n  \"rtt.p90_ms\": "
                                 << p.p90_ms << ",\n  \"rtt.p99_ms\": " << p.p99_ms
                                 << ",\n  \"rtt.max_ms\": " << p.max_ms << ",\n  \"rtt.count\": "
                                 << p.count << "\n}\n";
      }
      if (p.count < samples) rc = 2;
    }
  }
  mosquitto_lib_cleanup();
  return rc;
}
