// A simulated device speaking the aliyun OTA dialect (seed 000):
//   up   /ota/device/inform/{pk}/{dn}    {"id","params":{"version","module"}}
//   up   /ota/device/progress/{pk}/{dn}  {"id","params":{"step","desc","module"}}
//   down /ota/device/upgrade/{pk}/{dn}   the upgrade notification
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "json.h"
#include "mqtt_client.h"

namespace ota::test {

class AliyunDevice {
 public:
  AliyunDevice(std::string product, std::string device);

  // Connects (client id "<pk>.<dn>" unless given) and subscribes to its
  // upgrade topic.
  testing::AssertionResult connect(int port, const std::string& client_id = "");

  std::string inform_topic() const;
  std::string progress_topic() const;
  std::string upgrade_topic() const;

  // Version report; an empty module leaves "module" out (= "default").
  testing::AssertionResult report_version(const std::string& version,
                                          const std::string& module = "");
  // Progress report. `step_json` is the JSON value of "step" as sent, e.g.
  // "\"50\"" (a string, as the seed) or "50" (a number, as some devices).
  testing::AssertionResult report_progress(const std::string& step_json,
                                           const std::string& desc = "",
                                           const std::string& module = "");
  // Any payload on any topic, QoS 1 (acknowledged by the broker).
  testing::AssertionResult publish(const std::string& topic, const std::string& payload);

  // The next upgrade notification, parsed; null on timeout (the raw text of
  // the last one is in last_raw()).
  JsonPtr wait_upgrade(std::chrono::milliseconds timeout = kDefaultTimeout);
  // True when no notification arrives within the duration; otherwise takes
  // the unexpected one (see last_raw()) and returns false.
  bool no_upgrade(std::chrono::milliseconds duration);
  const std::string& last_raw() const { return last_raw_; }

  MqttClient& mqtt() { return mqtt_; }
  const std::string& product() const { return product_; }
  const std::string& name() const { return device_; }

 private:
  std::string product_;
  std::string device_;
  MqttClient mqtt_;
  unsigned next_id_ = 1;
  std::string last_raw_;
};

}  // namespace ota::test
