// startup_probe: how long after its start a broker serves its first OTA
// message. It starts the broker itself (the command after `--`), so the
// clock starts at fork(), then, as one device:
//   1. connects, retrying every 2 ms until CONNACK        -> "connack"
//   2. subscribes to its upgrade topic and reports its old version. The
//      plugin must look the device and its task up in the database and send
//      the notification: on the subscription already if the task was waiting
//      for the device to come online, else as the answer to the report
//                                                          -> "first notification"
//      and the answer to its reports: it reports twice, because the report
//      an SDK sends on connecting is not answered when the subscription
//      already brought the notification (docs/dialects.md "Resuming:
//      notifications sent again"); a notified device reporting its old
//      version again is notified again
//                                                          -> "report answered"
//   3. optionally asks getDevice for another device        -> "control reply"
// then stops the broker with SIGTERM and times its shutdown.
//
//   startup_probe --port 1883 --device d0 --query-device d999999 --
//       /usr/sbin/mosquitto -c broker.conf   (one line)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <mosquitto.h>

#include "client_set.h"

namespace {

struct Probe {
  std::string upgrade_topic;
  std::string response_topic;
  bool connected = false;
  int subscribed = 0;
  int64_t report_sent_at = 0;
  int64_t notified_at = 0;   // first notification
  int64_t answered_at = 0;   // first notification after the report was sent
  int64_t replied_at = 0;
};

void on_connect(struct mosquitto*, void* ud, int rc) {
  if (rc == 0) static_cast<Probe*>(ud)->connected = true;
}
void on_subscribe(struct mosquitto*, void* ud, int, int, const int*) {
  static_cast<Probe*>(ud)->subscribed++;
}
void on_message(struct mosquitto*, void* ud, const struct mosquitto_message* m) {
  auto* p = static_cast<Probe*>(ud);
  if (p->upgrade_topic == m->topic) {
    const int64_t now = bench::now_ns();
    if (p->notified_at == 0) p->notified_at = now;
    if (p->answered_at == 0 && p->report_sent_at != 0) p->answered_at = now;
  }
  if (p->response_topic == m->topic && p->replied_at == 0) p->replied_at = bench::now_ns();
}

// Runs the client loop until `done` or the deadline.
template <typename Fn>
bool loop_until(struct mosquitto* m, int64_t deadline, Fn done) {
  while (!done()) {
    if (bench::now_ns() > deadline) return false;
    if (mosquitto_loop(m, 1, 1) != MOSQ_ERR_SUCCESS) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string product = "pk";
  std::string device = "d0";
  std::string old_version = "1.0.0";
  std::string query_device;
  std::string admin = "admin";
  std::string broker_log;
  std::string json_path;
  double timeout_s = 30;
  std::vector<std::string> command;
  CLI::App app{"Time from broker start to its first OTA message handled"};
  app.add_option("--host", host, "broker address");
  app.add_option("--port", port, "broker port");
  app.add_option("--product", product, "product key");
  app.add_option("--device", device, "a device with a notified task in the database");
  app.add_option("--old-version", old_version, "the version it reports");
  app.add_option("--query-device", query_device, "also ask getDevice for this device");
  app.add_option("--admin", admin, "MQTT username of the operator");
  app.add_option("--broker-log", broker_log, "file for the broker's stdout and stderr");
  app.add_option("--json", json_path, "write the figures to this file as JSON");
  app.add_option("--timeout", timeout_s, "give up after this many seconds");
  app.add_option("command", command, "the broker command line (after --)")->required();
  CLI11_PARSE(app, argc, argv);

  mosquitto_lib_init();
  bench::raise_nofile_limit();
  const int64_t t0 = bench::now_ns();
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    if (!broker_log.empty()) {
      int fd = open(broker_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
    }
    std::vector<char*> args;
    for (std::string& a : command) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }

  Probe probe;
  probe.upgrade_topic = "/ota/device/upgrade/" + product + "/" + device;
  probe.response_topic = "$CONTROL/ota/v1/response";
  struct mosquitto* m = mosquitto_new(("probe-" + std::to_string(getpid())).c_str(), true, &probe);
  mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_username_pw_set(m, admin.c_str(), nullptr);
  mosquitto_connect_callback_set(m, on_connect);
  mosquitto_subscribe_callback_set(m, on_subscribe);
  mosquitto_message_callback_set(m, on_message);
  const int64_t deadline = t0 + static_cast<int64_t>(timeout_s * 1e9);

  int rc = 1;
  int64_t connack = 0, sent = 0;
  while (bench::now_ns() < deadline) {
    if (mosquitto_connect(m, host.c_str(), port, 60) == MOSQ_ERR_SUCCESS &&
        loop_until(m, std::min<int64_t>(deadline, bench::now_ns() + 500000000LL), [&] { return probe.connected; })) {
      connack = bench::now_ns();
      break;
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      std::cerr << "startup_probe: the broker exited during start-up (status " << status << ")\n";
      return 1;
    }
    usleep(2000);
  }
  if (connack != 0) {
    mosquitto_subscribe(m, nullptr, probe.upgrade_topic.c_str(), 1);
    mosquitto_subscribe(m, nullptr, probe.response_topic.c_str(), 1);
    if (loop_until(m, deadline, [&] { return probe.subscribed >= 2; })) {
      sent = bench::now_ns();
      probe.report_sent_at = sent;
      for (const char* id : {"1", "2"}) {
        std::string report =
            std::string("{\"id\":\"") + id + "\",\"params\":{\"version\":\"" + old_version + "\"}}";
        mosquitto_publish(m, nullptr, ("/ota/device/inform/" + product + "/" + device).c_str(),
                          static_cast<int>(report.size()), report.data(), 1, false);
      }
      if (!query_device.empty()) {
        std::string q = "{\"commands\":[{\"command\":\"getDevice\",\"product\":\"" + product +
                        "\",\"device\":\"" + query_device + "\"}]}";
        mosquitto_publish(m, nullptr, "$CONTROL/ota/v1", static_cast<int>(q.size()), q.data(), 1, false);
      }
      rc = loop_until(m, deadline, [&] {
        return probe.answered_at != 0 && (query_device.empty() || probe.replied_at != 0);
      }) ? 0 : 1;
    }
  }
  mosquitto_disconnect(m);
  mosquitto_destroy(m);

  const int64_t stop_at = bench::now_ns();
  kill(pid, SIGTERM);
  int status = 0;
  bool exited = false;
  while (bench::now_ns() - stop_at < 30'000'000'000LL) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    usleep(1000);
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  const double stop_ms = bench::ns_to_ms(bench::now_ns() - stop_at);

  auto ms = [&](int64_t t) { return t ? bench::ns_to_ms(t - t0) : -1.0; };
  char reply[80] = "";
  if (!query_device.empty()) {
    std::snprintf(reply, sizeof reply, "; getDevice %s answered %.1f ms after start", query_device.c_str(),
                  ms(probe.replied_at));
  }
  std::printf("startup_probe: CONNACK %.1f ms after start; first notification %.1f ms after start (%s); "
              "report answered %.1f ms after start (%.2f ms round trip)%s; broker stopped %.1f ms after SIGTERM%s\n",
              ms(connack), ms(probe.notified_at),
              probe.notified_at && probe.notified_at < sent ? "pushed on the subscription" : "answer to the report",
              ms(probe.answered_at), probe.answered_at ? bench::ns_to_ms(probe.answered_at - sent) : -1.0, reply,
              stop_ms, exited ? "" : " (killed)");
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << "{\n  \"connack_ms\": " << ms(connack) << ",\n  \"first_notification_ms\": " << ms(probe.notified_at)
        << ",\n  \"report_answered_ms\": " << ms(probe.answered_at)
        << ",\n  \"report_round_trip_ms\": " << (probe.answered_at ? bench::ns_to_ms(probe.answered_at - sent) : -1.0)
        << ",\n  \"control_reply_ms\": " << ms(probe.replied_at) << ",\n  \"stop_ms\": " << stop_ms
        << ",\n  \"ok\": " << (rc == 0 ? 1 : 0) << "\n}\n";
  }
  mosquitto_lib_cleanup();
  if (rc != 0) std::cerr << "startup_probe: no answer for " << device << " before the timeout\n";
  return rc;
}
