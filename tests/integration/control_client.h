// A client for the plugin's control API ($CONTROL/ota/v1), dynsec envelope:
//   request  {"commands":[{"command":"getJob","jobId":1,"correlationData":"c7"}]}
//   response {"responses":[{"command":"getJob","correlationData":"c7","data":{...}}]}
// on $CONTROL/ota/v1/response.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "json.h"
#include "mqtt_client.h"

namespace ota::test {

inline constexpr const char* kControlTopic = "$CONTROL/ota/v1";
inline constexpr const char* kControlResponseTopic = "$CONTROL/ota/v1/response";

class ControlClient {
 public:
  // Connects (as the given MQTT username; nullopt = anonymous) and subscribes
  // to the response topic.
  testing::AssertionResult connect(int port, std::optional<std::string> username = "admin",
                                   const std::string& client_id = "");
  // The same with full connect options (password, TLS).
  testing::AssertionResult connect(int port, const ConnectOptions& options,
                                   const std::string& client_id = "");

  // Sends one command: `fields` is a JSON object text with the command's
  // fields (without "command" and "correlationData"). Waits for the response
  // whose correlationData matches and returns responses[0]; null on timeout
  // or when `fields` is not a JSON object.
  JsonPtr send(const std::string& command, const std::string& fields = "{}",
               std::chrono::milliseconds timeout = kDefaultTimeout);
  JsonPtr send(const std::string& command, const json_t* fields,
               std::chrono::milliseconds timeout = kDefaultTimeout);

  // Publishes an arbitrary payload to $CONTROL/ota/v1.
  testing::AssertionResult send_raw(const std::string& payload);

  // The last request payload sent by send() (for failure messages).
  const std::string& last_request() const { return last_request_; }
  MqttClient& mqtt() { return mqtt_; }
  void disconnect() { mqtt_.disconnect(); }

 private:
  MqttClient mqtt_;
  std::string id_prefix_;
  std::string last_request_;
  unsigned long next_id_ = 1;
};

// The "error" string of a response, if any.
std::optional<std::string> response_error(const json_t* response);
// The "data" object of a response (borrowed), null if absent.
json_t* response_data(const json_t* response);

}  // namespace ota::test
