#include "aliyun_device.h"

namespace ota::test {

namespace {
std::string quoted(const std::string& s) {
  JsonPtr str(json_string(s.c_str()));
  return json_text(str.get());
}
}  // namespace

AliyunDevice::AliyunDevice(std::string product, std::string device)
    : product_(std::move(product)), device_(std::move(device)) {}

testing::AssertionResult AliyunDevice::connect(int port, const std::string& client_id) {
  auto r = mqtt_.connect(port, client_id.empty() ? product_ + "." + device_ : client_id);
  if (!r) return r;
  return mqtt_.subscribe(upgrade_topic(), 1);
}

std::string AliyunDevice::inform_topic() const {
  return "/ota/device/inform/" + product_ + "/" + device_;
}
std::string AliyunDevice::progress_topic() const {
  return "/ota/device/progress/" + product_ + "/" + device_;
}
std::string AliyunDevice::upgrade_topic() const {
  return "/ota/device/upgrade/" + product_ + "/" + device_;
}

testing::AssertionResult AliyunDevice::report_version(const std::string& version,
                                                      const std::string& module) {
  std::string params = "{\"version\":" + quoted(version);
  if (!module.empty()) params += ",\"module\":" + quoted(module);
  params += "}";
  std::string payload =
      "{\"id\":" + quoted(std::to_string(next_id_++)) + ",\"params\":" + params + "}";
  return publish(inform_topic(), payload);
}

testing::AssertionResult AliyunDevice::report_progress(const std::string& step_json,
                                                       const std::string& desc,
                                                       const std::string& module) {
  std::string params = "{\"step\":" + step_json + ",\"desc\":" + quoted(desc);
  if (!module.empty()) params += ",\"module\":" + quoted(module);
  params += "}";
  std::string payload =
      "{\"id\":" + quoted(std::to_string(next_id_++)) + ",\"params\":" + params + "}";
  return publish(progress_topic(), payload);
}

testing::AssertionResult AliyunDevice::publish(const std::string& topic,
                                               const std::string& payload) {
  return mqtt_.publish(topic, payload, 1);
}

JsonPtr AliyunDevice::wait_upgrade(std::chrono::milliseconds timeout) {
  auto msg = mqtt_.wait_message(upgrade_topic(), timeout);
  if (!msg) return nullptr;
  last_raw_ = msg->payload;
  std::string error;
  JsonPtr parsed = json_parse(msg->payload, &error);
  if (!parsed) {
    ADD_FAILURE() << "upgrade notification is not JSON (" << error << "): " << msg->payload;
  }
  return parsed;
}

bool AliyunDevice::no_upgrade(std::chrono::milliseconds duration) {
  if (mqtt_.no_message(upgrade_topic(), duration)) return true;
  // Take the unexpected notification so that last_raw() shows it.
  if (auto msg = mqtt_.wait_message(upgrade_topic(), std::chrono::milliseconds(0))) {
    last_raw_ = msg->payload;
  }
  return false;
}

}  // namespace ota::test
