// external_service: the baseline design the plugin is measured against -- the
// same OTA decisions made by a separate process that talks to the broker as
// an ordinary MQTT client.
//
// It runs the project's own OtaService (engine + LmdbStore + dialects +
// control API, exactly the code the plugin runs) and so keeps the plugin's
// durability rules (docs/decisions.md): a notification is published without
// waiting for its batch's commit, an answer to an operator only after its
// batch was committed and synced. One pass of its loop (everything one read
// of the socket delivered) is the counterpart of one broker loop iteration
// in the plugin.
//
// What differs is only the architecture: device reports reach the service
// through the broker and one more TCP hop, and notifications go back through
// the broker again. Since `$CONTROL/...` never reaches subscribers,
// operators use --control-topic (same envelope, replies on
// --response-topic).
//
//   external_service --port 1883 --db /tmp/ext-db --admins admin
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <mosquitto.h>

#include "assembly/service_assembly.h"
#include "control/control_api.h"

namespace {

volatile sig_atomic_t g_stop = 0;

ota::TimeMs wall_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<ota::TimeMs>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

struct Service {
  std::unique_ptr<ota::OtaService> ota;
  struct mosquitto* mosq = nullptr;
  std::string control_topic;
  std::string response_topic;
  std::string admin;
  bool subscribed = false;
  uint64_t messages = 0;
  uint64_t published = 0;
  uint64_t batches = 0;
  int devices_handle = 0;  // stands in for the device connection
};

void on_connect(struct mosquitto* m, void* ud, int rc) {
  auto* s = static_cast<Service*>(ud);
  if (rc != 0) {
    std::cerr << "external_service: connection refused (" << rc << ")\n";
    g_stop = 1;
    return;
  }
  // The device topics of the aliyun dialect, and the operator's topic.
  const char* topics[] = {"/ota/device/inform/+/+", "/ota/device/progress/+/+",
                          "/ota/device/request/+/+", s->control_topic.c_str()};
  for (const char* t : topics) mosquitto_subscribe(m, nullptr, t, 1);
}

void on_subscribe(struct mosquitto*, void* ud, int, int, const int*) {
  static_cast<Service*>(ud)->subscribed = true;
}

void on_message(struct mosquitto*, void* ud, const struct mosquitto_message* msg) {
  auto* s = static_cast<Service*>(ud);
  std::string_view payload(static_cast<const char*>(msg->payload), msg->payloadlen);
  if (s->control_topic == msg->topic) {
    // The broker's ACLs would guard this topic in production.
    ota::ClientInfo admin{&s->devices_handle, "operator", s->admin};
    s->ota->on_control(payload, admin, wall_ms());
    return;
  }
  s->messages++;
  // One connection speaks for every device here: the notifications it is
  // given are published on their topics (flush()).
  ota::ClientInfo device{&s->devices_handle, "ota-external-devices", ""};
  s->ota->on_message(msg->topic, payload, device, wall_ms());
}

void on_disconnect(struct mosquitto*, void*, int rc) {
  if (!g_stop) std::cerr << "external_service: disconnected from the broker (" << rc << ")\n";
  g_stop = 1;
}

// Publish what the loop pass caused (its batch committed when due).
void flush(Service& s) {
  for (const ota::OutboundMessage& m : s.ota->flush(wall_ms())) {
    // Control replies are addressed to a client in the plugin; here they go
    // to the response topic. Device messages go to their topics.
    const std::string& topic = m.topic == ota::kControlResponseTopic ? s.response_topic : m.topic;
    mosquitto_publish(s.mosq, nullptr, topic.c_str(), static_cast<int>(m.payload.size()),
                      m.payload.data(), m.qos, m.retain);
    s.published++;
  }
  s.batches++;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string db_path;
  std::string admins = "admin";
  std::string client_id = "ota-external-service";
  std::string control_topic = "ota-external/control";
  std::string response_topic = "ota-external/control/response";
  std::string sync_interval_ms = "1000";
  std::string max_resends = "20";
  CLI::App app{"The OTA service as a separate MQTT client (benchmark baseline)"};
  app.add_option("--host", host, "broker address");
  app.add_option("--port", port, "broker port");
  app.add_option("--db", db_path, "LMDB directory")->required();
  app.add_option("--admins", admins, "usernames whose commands are accepted (as plugin_opt_admins)");
  app.add_option("--client-id", client_id, "MQTT client id");
  app.add_option("--control-topic", control_topic, "topic of operator commands");
  app.add_option("--response-topic", response_topic, "topic of their replies");
  app.add_option("--sync-interval-ms", sync_interval_ms, "as plugin_opt_sync_interval_ms");
  app.add_option("--max-resends", max_resends, "as plugin_opt_max_resends");
  CLI11_PARSE(app, argc, argv);

  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, [](int) { g_stop = 1; });
  signal(SIGINT, [](int) { g_stop = 1; });

  // The plugin's own option parser, so the settings mean the same. A
  // service beside the broker never sees a device's connection, so it
  // cannot tell which device a connection speaks for (the broker's ACLs
  // would have to): device identity off.
  ota::Result<ota::PluginOptions> options = ota::parse_plugin_options(
      {{"db_path", db_path}, {"admins", admins}, {"sys_interval", "0"},
       {"sync_interval_ms", sync_interval_ms}, {"max_resends", max_resends},
       {"device_identity", "none"}});
  if (!options) {
    std::cerr << "external_service: " << options.error() << "\n";
    return 1;
  }
  Service s;
  s.control_topic = control_topic;
  s.response_topic = response_topic;
  s.admin = options.value().admins.empty() ? "" : options.value().admins.front();
  auto opened = ota::open_ota_service(options.value(), [](ota::LogLevel level, const std::string& line) {
    if (level >= ota::LogLevel::kWarning) std::cerr << line << "\n";
  });
  if (!opened) {
    std::cerr << "external_service: " << opened.error() << "\n";
    return 1;
  }
  s.ota = std::move(opened.value());

  mosquitto_lib_init();
  s.mosq = mosquitto_new(client_id.c_str(), true, &s);
  mosquitto_int_option(s.mosq, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_connect_callback_set(s.mosq, on_connect);
  mosquitto_subscribe_callback_set(s.mosq, on_subscribe);
  mosquitto_message_callback_set(s.mosq, on_message);
  mosquitto_disconnect_callback_set(s.mosq, on_disconnect);
  // One client; inflight limits would throttle a service, not a device.
  mosquitto_int_option(s.mosq, MOSQ_OPT_RECEIVE_MAXIMUM, 65535);
  mosquitto_max_inflight_messages_set(s.mosq, 0);
  if (mosquitto_connect(s.mosq, host.c_str(), port, 600) != MOSQ_ERR_SUCCESS) {
    std::cerr << "external_service: cannot connect to " << host << ":" << port << "\n";
    return 1;
  }
  std::cerr << "external_service: connected to " << host << ":" << port << ", database " << db_path << "\n";

  time_t last_misc = 0;
  while (!g_stop) {
    struct pollfd pfd {};
    pfd.fd = mosquitto_socket(s.mosq);
    if (pfd.fd < 0) break;
    pfd.events = POLLIN | (mosquitto_want_write(s.mosq) ? POLLOUT : 0);
    // Wake at least every 100 ms, as the broker does, for due work.
    int n = poll(&pfd, 1, 100);
    if (n < 0 && errno != EINTR) break;
    if (pfd.revents & POLLOUT) mosquitto_loop_write(s.mosq, 1);
    if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
      // Read everything that has arrived: that is the batch.
      for (int i = 0; i < 100000; ++i) {
        if (mosquitto_loop_read(s.mosq, 1) != MOSQ_ERR_SUCCESS) break;
        int avail = 0;
        int fd = mosquitto_socket(s.mosq);
        if (fd < 0 || ioctl(fd, FIONREAD, &avail) != 0 || avail <= 0) break;
      }
    }
    flush(s);
    if (mosquitto_want_write(s.mosq)) mosquitto_loop_write(s.mosq, 1);
    if (time(nullptr) != last_misc) {
      last_misc = time(nullptr);
      mosquitto_loop_misc(s.mosq);
    }
  }
  s.ota->close();
  std::cerr << "external_service: " << s.messages << " device messages, " << s.published
            << " messages published, " << s.batches << " batches\n";
  mosquitto_disconnect(s.mosq);
  mosquitto_destroy(s.mosq);
  mosquitto_lib_cleanup();
  return 0;
}
