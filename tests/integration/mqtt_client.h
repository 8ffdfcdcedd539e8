// A small blocking MQTT client for integration tests, over libmosquitto.
//
// Network I/O runs in libmosquitto's own thread (mosquitto_loop_start).
// connect/subscribe/publish block (bounded) until the broker acknowledges
// them; received messages are queued and taken with wait_message(), which
// leaves messages on other topics in the queue for later calls.
#pragma once

#include <gtest/gtest.h>
#include <mosquitto.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace ota::test {

inline constexpr std::chrono::milliseconds kDefaultTimeout{5000};

struct Message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
};

struct ConnectOptions {
  std::optional<std::string> username;
  std::optional<std::string> password;
  bool clean_session = true;
  int protocol_version = MQTT_PROTOCOL_V311;
  int keepalive_s = 60;
  std::chrono::milliseconds timeout = kDefaultTimeout;
  // TLS: the CA that signed the broker's certificate (hostname checked).
  std::optional<std::string> cafile;
};

class MqttClient {
 public:
  MqttClient();
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Connects to 127.0.0.1:port and waits for a successful CONNACK.
  testing::AssertionResult connect(int port, const std::string& client_id,
                                   std::optional<std::string> username = std::nullopt);
  testing::AssertionResult connect(int port, const std::string& client_id,
                                   const ConnectOptions& options);

  // SUBSCRIBE and wait for the SUBACK (fails when the broker refuses it).
  testing::AssertionResult subscribe(const std::string& topic_filter, int qos = 1,
                                     std::chrono::milliseconds timeout = kDefaultTimeout);

  // PUBLISH; at QoS 1 and 2 waits for the broker's acknowledgement, at QoS 0
  // until libmosquitto has written the packet.
  testing::AssertionResult publish(const std::string& topic, const std::string& payload,
                                   int qos = 1, bool retain = false,
                                   std::chrono::milliseconds timeout = kDefaultTimeout);

  // Takes the first queued (or next arriving) message whose topic matches
  // the filter (MQTT wildcards allowed).
  std::optional<Message> wait_message(const std::string& topic_filter,
                                      std::chrono::milliseconds timeout = kDefaultTimeout);
  // True when no message matching the filter arrives within the duration
  // (a matching message already queued counts as arrived; it is left queued).
  bool no_message(const std::string& topic_filter, std::chrono::milliseconds duration);
  // Drops every queued message.
  void clear_messages();

  // DISCONNECT and stop the network thread. Safe to call twice.
  void disconnect();

  bool connected();
  const std::string& client_id() const { return client_id_; }
  struct mosquitto* handle() { return mosq_; }

 private:
  static void on_connect(struct mosquitto*, void* self, int rc);
  static void on_disconnect(struct mosquitto*, void* self, int rc);
  static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* m);
  static void on_subscribe(struct mosquitto*, void* self, int mid, int count,
                           const int* granted);
  static void on_publish(struct mosquitto*, void* self, int mid);

  bool take_matching(const std::string& filter, Message* out, bool remove);
  void shutdown();

  struct mosquitto* mosq_ = nullptr;
  std::string client_id_;
  bool loop_running_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<int> connack_;  // CONNACK return code once received
  bool connected_ = false;
  int disconnect_rc_ = 0;
  std::map<int, int> subacks_;  // mid -> first granted qos
  std::set<int> published_;     // mids acknowledged
  std::deque<Message> messages_;
};

// True when the topic matches the subscription filter.
bool topic_matches(const std::string& filter, const std::string& topic);

}  // namespace ota::test
