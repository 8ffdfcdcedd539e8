// Requests and replies on $CONTROL/ota/v1, the dynamic-security envelope:
//   {"commands":[{"command":"getJob","correlationData":"c1","jobId":5}]}
//   {"responses":[{"command":"getJob","correlationData":"c1","data":{...}}]}
// on $CONTROL/ota/v1/response. The connection is opened on first use, so
// commands whose options are wrong never touch the network.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connection.h"
#include "json/json_util.h"

namespace ota::ctrl {

using json::JsonPtr;

inline constexpr const char* kControlTopic = "$CONTROL/ota/v1";
inline constexpr const char* kResponseTopic = "$CONTROL/ota/v1/response";

struct Reply {
  std::string command;
  std::optional<std::string> error;
  JsonPtr data;  // the "data" object (null when error)
};

// {"command": name}
JsonPtr make_command(const char* name);

class ControlClient {
 public:
  explicit ControlClient(const ConnectionOptions& options);
  ~ControlClient();

  // One command; returns its data, throws CommandError with the server's
  // error text.
  JsonPtr call(JsonPtr command);

  // Several commands in one message; every reply, in order.
  std::vector<Reply> call_all(std::vector<JsonPtr> commands);

  // For pipelining (uploads): send() returns the correlation id, wait()
  // returns that command's reply (within the timeout, from now).
  std::string send(JsonPtr command);
  Reply wait(const std::string& correlation);

  // The timeout of one reply, seconds.
  int64_t timeout_s() const { return options_.timeout_s; }
  const ConnectionOptions& options() const { return options_; }

 private:
  void open();
  void take_messages();
  [[noreturn]] void no_reply(const std::string& detail);

  ConnectionOptions options_;
  std::unique_ptr<MqttConnection> mqtt_;
  std::string correlation_prefix_;
  unsigned long next_correlation_ = 1;
  std::map<std::string, Reply> replies_;  // arrived, not yet taken
};

}  // namespace ota::ctrl
