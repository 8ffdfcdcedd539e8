// A device built with Alibaba's LinkSDK 4.x (aiot_* C SDK), changed only in
// host and port (DESIGN.md §10), as the end-to-end tests meet it:
// - client id "{pk}.{dn}|timestamp=..,_ss=1,_v=sdk-c-4.2.0,securemode=2,..|"
//   and username "{dn}&{pk}"; it sends NO SUBSCRIBE at all (`_ss=1`: "the
//   platform subscribes for me"): whatever reaches it was addressed to its
//   connection. Its handlers match /ota/device/upgrade/+/+ and
//   /sys/+/+/thing/file/download_reply;
// - numeric message ids, steps as strings, each twice;
// - accepts signMethod "Md5", "SHA256" or "Sha256" only;
// - downloads over HTTP (sdk_http_client.h: case-sensitive headers), or by
//   MQTT block download in 5 KiB blocks when the notification says
//   "dProtocol":"mqtt" (aiot_mqtt_download_api.c), checking each block's
//   CRC-16/IBM and offset and the whole file's MD5.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "mqtt_client.h"
#include "sdk_http_client.h"

namespace ota::test {

class SdkLinkSdkDevice {
 public:
  struct Firmware {
    std::string url, md5, version, sign_method, protocol;  // protocol: "" (HTTP) or "mqtt"
    uint64_t size = 0;
    long long stream_id = -1, stream_file_id = -1;
  };

  SdkLinkSdkDevice(std::string product_key, std::string device_name);

  // CONNECT only: no SUBSCRIBE, ever.
  testing::AssertionResult connect(int port);
  std::string client_id() const;
  std::string username() const { return dn_ + "&" + pk_; }

  testing::AssertionResult report_version(const std::string& version);
  // The next notification on a topic its handler matches, if the SDK
  // accepts it.
  std::optional<Firmware> wait_upgrade(std::chrono::milliseconds timeout = kDefaultTimeout);
  // Download (HTTP or MQTT blocks by fw.protocol), progress, MD5 check, the
  // reboot's version report.
  testing::AssertionResult upgrade(const Firmware& fw);

  size_t blocks_received() const { return blocks_; }
  MqttClient& mqtt() { return mqtt_; }

 private:
  testing::AssertionResult progress_twice(const std::string& step);
  testing::AssertionResult download_http(const Firmware& fw, std::string* image);
  testing::AssertionResult download_blocks(const Firmware& fw, std::string* image);

  std::string pk_, dn_;
  MqttClient mqtt_;
  unsigned next_id_ = 1;
  size_t blocks_ = 0;
};

}  // namespace ota::test
