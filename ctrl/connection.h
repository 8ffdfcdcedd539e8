// One MQTT connection over libmosquitto, driven from the calling thread
// (mosquitto_loop), so every wait is bounded by a deadline. Every failure is
// a ConnectionError (exit status 3) with a message meant for the operator.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "options.h"

struct mosquitto;
struct mosquitto_message;
typedef struct mqtt5__property mosquitto_property;

namespace ota::ctrl {

using Clock = std::chrono::steady_clock;

struct Incoming {
  std::string topic;
  std::string payload;
};

class MqttConnection {
 public:
  explicit MqttConnection(const ConnectionOptions& options);
  ~MqttConnection();
  MqttConnection(const MqttConnection&) = delete;
  MqttConnection& operator=(const MqttConnection&) = delete;

  // TCP (and TLS) connect and CONNACK, within the options' timeout.
  void connect();

  // SUBSCRIBE and SUBACK. Returns false when the broker refused the
  // subscription (its ACL), throws on a lost connection or a timeout.
  bool subscribe(const std::string& topic);

  // Queues a PUBLISH at the options' QoS; run() sends it.
  void publish(const std::string& topic, const std::string& payload);

  // Runs the network loop until `done()` is true (true) or the deadline
  // passes (false). Throws when the connection is lost.
  bool run_until(const std::function<bool()>& done, Clock::time_point deadline);

  // Received messages, oldest first; the caller takes them.
  std::deque<Incoming>& messages() { return messages_; }

  // The MQTT v5 reason code of the last PUBACK/PUBREC at 0x80 or above
  // (e.g. 0x87 not authorised), if any.
  std::optional<int> publish_refused() const { return publish_refused_; }

  void disconnect();

  const ConnectionOptions& options() const { return options_; }
  Clock::time_point deadline() const {
    return Clock::now() + std::chrono::seconds(options_.timeout_s);
  }

 private:
  static void on_connect(struct mosquitto*, void* self, int rc, int flags,
                         const mosquitto_property*);
  static void on_disconnect(struct mosquitto*, void* self, int rc, const mosquitto_property*);
  static void on_subscribe(struct mosquitto*, void* self, int mid, int count, const int* granted,
                           const mosquitto_property*);
  static void on_publish(struct mosquitto*, void* self, int mid, int reason,
                         const mosquitto_property*);
  static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* m,
                         const mosquitto_property*);

  [[noreturn]] void lost(int rc);
  void configure();

  ConnectionOptions options_;
  struct mosquitto* mosq_ = nullptr;
  bool connected_ = false;
  std::optional<int> connack_;
  std::optional<int> disconnect_rc_;
  int suback_mid_ = -1;
  std::optional<int> suback_granted_;
  std::optional<int> publish_refused_;
  std::deque<Incoming> messages_;
};

// Reads a password from the terminal without echo; nullopt when there is
// no terminal.
std::optional<std::string> prompt_password(const std::string& prompt);

}  // namespace ota::ctrl
