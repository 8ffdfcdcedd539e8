// A device built with Alibaba's iotkit-embedded 3.x, changed only in host
// and port (DESIGN.md §10), as the end-to-end tests meet it:
// - client id "{pk}.{dn}|timestamp=..,securemode=3,signmethod=hmacsha256|",
//   username "{dn}&{pk}", clean session false; subscribes to
//   /ota/device/upgrade/{pk}/{dn};
// - numeric message ids ("id":0), progress steps as strings, "0" first
//   ("entering download"), every step twice;
// - ignores a notification without md5;
// - downloads the whole file in one GET and reads the response the SDK's
//   way (sdk_http_client.h); a response it cannot read is reported as step
//   -2 then -3 ("ota fetch fail"), as the SDK does;
// - after flashing, reboots and reports the new version.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "mqtt_client.h"
#include "sdk_http_client.h"

namespace ota::test {

class SdkAlibaba3Device {
 public:
  struct Firmware {
    std::string url, md5, version, sign_method;
    uint64_t size = 0;
  };

  SdkAlibaba3Device(std::string product_key, std::string device_name);

  testing::AssertionResult connect(int port);
  std::string client_id() const;
  std::string username() const { return dn_ + "&" + pk_; }
  std::string upgrade_topic() const { return "/ota/device/upgrade/" + pk_ + "/" + dn_; }

  testing::AssertionResult report_version(const std::string& version);
  // The next notification the SDK accepts (code, data.url, data.md5 ...).
  std::optional<Firmware> wait_upgrade(std::chrono::milliseconds timeout = kDefaultTimeout);
  // Steps "0", download, "50"/"100" and the MD5 check, flashing, and the
  // reboot's version report. A failure says what the SDK reported.
  testing::AssertionResult upgrade(const Firmware& fw);

  const SdkDownload& last_response() const { return last_; }
  MqttClient& mqtt() { return mqtt_; }

 private:
  testing::AssertionResult progress_twice(const std::string& step, const std::string& desc);

  std::string pk_, dn_;
  MqttClient mqtt_;
  SdkDownload last_;
};

}  // namespace ota::test
