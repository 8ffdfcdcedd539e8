// command_stall: does the broker keep routing while an operator works?
//
// A pinger thread publishes QoS 0 messages to its own subscription, one at a
// time, 1 ms apart, and keeps every round trip. Meanwhile the admin sends
// getStatistics, a filtered listDevices deep into the list, and a createJob
// for every device of the product (then polls getJob until its targets are
// planned). For each command: the reply latency and the longest round trip
// of a ping that overlapped the command's window (the routing stall).
//
//   ota_command_stall --port 1883 --product pk --offset 400000 --broker-pid PID
#include <jansson.h>
#include <mosquitto.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client_set.h"
#include "sync_client.h"

namespace {

using bench::SyncClient;

struct Ping {
  int64_t sent;
  int64_t received;
};

class Pinger {
 public:
  Pinger(const std::string& host, int port) : client_("stall-pinger", "") {
    if (!client_.connect(host, port) || !client_.subscribe(kTopic, 0)) {
      std::cerr << "command_stall: pinger cannot connect\n";
      std::exit(1);
    }
    thread_ = std::thread([this] { run(); });
  }
  ~Pinger() {
    stop_ = true;
    thread_.join();
  }
  // The longest round trip of a ping in flight at any time in [from, to];
  // a ping still unanswered counts until now.
  double longest_ms(int64_t from, int64_t to) {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t longest = 0;
    for (const Ping& p : pings_) {
      if (p.received >= from && p.sent <= to) longest = std::max(longest, p.received - p.sent);
    }
    if (in_flight_ && in_flight_ <= to) longest = std::max(longest, bench::now_ns() - in_flight_);
    return longest / 1e6;
  }
  double median_ms(int64_t from, int64_t to) {
    std::vector<int64_t> rtts;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const Ping& p : pings_) {
        if (p.sent >= from && p.received <= to) rtts.push_back(p.received - p.sent);
      }
    }
    if (rtts.empty()) return 0;
    std::nth_element(rtts.begin(), rtts.begin() + rtts.size() / 2, rtts.end());
    return rtts[rtts.size() / 2] / 1e6;
  }

 private:
  static constexpr const char* kTopic = "bench/stall/ping";
  void run() {
    while (!stop_) {
      const int64_t t0 = bench::now_ns();
      {
        std::lock_guard<std::mutex> lock(mu_);
        in_flight_ = t0;
      }
      client_.publish(kTopic, "p", 0);
      // Waits as long as the broker stalls (a lost QoS 0 ping is retried).
      std::optional<std::string> echo = client_.wait(kTopic, 120.0);
      const int64_t t1 = bench::now_ns();
      {
        std::lock_guard<std::mutex> lock(mu_);
        in_flight_ = 0;
        if (echo) pings_.push_back({t0, t1});
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  SyncClient client_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Ping> pings_;
  int64_t in_flight_ = 0;
};

// One command; the whole reply (empty: none within the timeout).
std::string command(SyncClient& admin, const std::string& body, double timeout_s = 300) {
  static int correlation = 0;
  admin.publish("$CONTROL/ota/v1",
                R"({"commands":[{"correlationData":")" + std::to_string(++correlation) + "\"," +
                    body + "}]}",
                1);
  return admin.wait("$CONTROL/ota/v1/response", timeout_s).value_or("");
}

// responses[0].data.<object>.<field> of a reply, or null.
json_t* reply_field(json_t* root, const char* object, const char* field) {
  json_t* data = json_object_get(json_array_get(json_object_get(root, "responses"), 0), "data");
  json_t* o = json_object_get(data, object);
  return field ? json_object_get(o, field) : o;
}

long rss_kib(int pid) {
  if (pid <= 0) return 0;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", product = "pk", admin_name = "admin";
  int port = 1883, pid = 0, repeat = 3, rate = 6000;
  long offset = 400000;
  std::string after = "d4";
  CLI::App app{"Routing stalls while operator commands run"};
  app.add_option("--host", host);
  app.add_option("--port", port)->required();
  app.add_option("--product", product, "the product whose devices fill_store wrote");
  app.add_option("--admin", admin_name, "an admin username (plugin_opt_admins)");
  app.add_option("--offset", offset, "listDevices offset");
  app.add_option("--after", after, "listDevices after this device name");
  app.add_option("--repeat", repeat, "times each read command runs");
  app.add_option("--rate-per-minute", rate, "the job's ratePerMinute (0: unlimited)");
  app.add_option("--broker-pid", pid, "report the broker's resident memory");
  CLI11_PARSE(app, argc, argv);

  mosquitto_lib_init();
  SyncClient admin("stall-admin", admin_name);
  if (!admin.connect(host, port) || !admin.subscribe("$CONTROL/ota/v1/response", 1)) {
    std::cerr << "command_stall: admin cannot connect\n";
    return 1;
  }
  Pinger pinger(host, port);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int64_t idle_end = bench::now_ns();
  std::printf("idle: ping p50 %.3f ms, max %.3f ms; broker RSS %ld KiB\n",
              pinger.median_ms(idle_end - 2'000'000'000LL, idle_end),
              pinger.longest_ms(idle_end - 2'000'000'000LL, idle_end), rss_kib(pid));

  auto timed = [&](const std::string& name, const std::string& body) {
    for (int i = 0; i < repeat; ++i) {
      const int64_t t0 = bench::now_ns();
      const std::string reply = command(admin, body);
      const int64_t t1 = bench::now_ns();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a ping straddling t1
      const bool ok = !reply.empty() && reply.find("\"error\"") == std::string::npos;
      std::printf("%s: reply %.1f ms, longest ping round trip %.1f ms%s\n", name.c_str(),
                  (t1 - t0) / 1e6,
                  pinger.longest_ms(t0, t1), ok ? "" : (" FAILED: " + reply.substr(0, 200)).c_str());
    }
  };
  const std::string p = "\"product\":\"" + product + "\"";
  timed("getStatistics", "\"command\":\"getStatistics\"," + p);
  timed("listDevices version 1.0.0, offset " + std::to_string(offset),
        "\"command\":\"listDevices\"," + p + ",\"version\":\"1.0.0\",\"offset\":" +
            std::to_string(offset) + ",\"count\":100");
  // Deep into the list by name: fill_store's d<n> names sort as strings, so
  // "after d4" skips the third of the list that starts with d0..d3.
  timed("listDevices version 1.0.0, after " + after,
        "\"command\":\"listDevices\"," + p + ",\"version\":\"1.0.0\",\"after\":\"" + after +
            "\",\"count\":100");

  std::string reply = command(admin,
      "\"command\":\"createPackage\"," + p + ",\"version\":\"2.0.0\","
      "\"url\":\"https://firmware.example.com/fw-2.0.0.bin\",\"size\":432945,"
      "\"sign\":\"93230c3bde425a9d93230c3bde425a9d\",\"signMethod\":\"MD5\"");
  json_t* root = json_loads(reply.c_str(), 0, nullptr);
  const json_int_t package = json_integer_value(reply_field(root, "package", "id"));
  json_decref(root);
  if (package == 0) {
    std::cerr << "command_stall: createPackage failed: " << reply << "\n";
    return 1;
  }
  const int64_t t0 = bench::now_ns();
  reply = command(admin, "\"command\":\"createJob\",\"packageId\":" + std::to_string(package) +
                             ",\"all\":true,\"ratePerMinute\":" + std::to_string(rate));
  const int64_t t1 = bench::now_ns();
  root = json_loads(reply.c_str(), 0, nullptr);
  const json_int_t job = json_integer_value(reply_field(root, "job", "id"));
  json_decref(root);
  if (job == 0) {
    std::cerr << "command_stall: createJob failed: " << reply << "\n";
    return 1;
  }
  // Until every target is planned.
  json_int_t tasks = 0;
  bool expanding = true;
  int64_t t2 = t1;
  while (expanding) {
    reply = command(admin, "\"command\":\"getJob\",\"jobId\":" + std::to_string(job));
    t2 = bench::now_ns();
    root = json_loads(reply.c_str(), 0, nullptr);
    expanding = json_is_true(reply_field(root, "job", "expanding"));
    tasks = json_integer_value(reply_field(root, "job", "taskCount"));
    json_decref(root);
    if (expanding) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::printf("createJob all: reply %.1f ms, every target planned %.2f s after sending "
              "(%lld tasks); longest ping round trip %.1f ms; ping p50 %.3f ms; broker RSS %ld KiB\n",
              (t1 - t0) / 1e6, (t2 - t0) / 1e9, static_cast<long long>(tasks),
              pinger.longest_ms(t0, t2), pinger.median_ms(t0, t2), rss_kib(pid));
  timed("getStatistics (after the job)", "\"command\":\"getStatistics\"," + p);
  return 0;
}
