// Watches the plugin's retained $SYS/broker/ota/# counters.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "mqtt_client.h"

namespace ota::test {

inline constexpr const char* kSysPrefix = "$SYS/broker/ota/";

class SysMonitor {
 public:
  // Connects and subscribes to $SYS/broker/ota/#.
  testing::AssertionResult connect(int port, const std::string& client_id = "");

  // Waits until the topic (full name, or relative to $SYS/broker/ota/) has a
  // value that satisfies the predicate; returns that value, or nullopt on
  // timeout. Values must be plain decimal numbers; anything else never
  // satisfies the predicate (see raw()).
  std::optional<long long> wait_for(const std::string& topic,
                                    const std::function<bool(long long)>& predicate,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(4));
  // The first (retained) or latest value of the topic.
  std::optional<long long> value(const std::string& topic,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(4));
  // The latest raw payload seen on the topic, if any.
  std::optional<std::string> raw(const std::string& topic) const;
  // Every topic seen so far, with its latest raw payload.
  const std::map<std::string, std::string>& all() const { return latest_; }
  // Takes every message queued; waits at most `timeout` for the first.
  void absorb(std::chrono::milliseconds timeout);

 private:
  static std::string full(const std::string& topic);

  MqttClient mqtt_;
  std::map<std::string, std::string> latest_;
};

// A strict decimal integer ("12", "-3"), or nullopt.
std::optional<long long> parse_number(const std::string& text);

}  // namespace ota::test
