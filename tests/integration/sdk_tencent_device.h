// A device built with Tencent's IoT Explorer C SDK, changed only in host and
// port (DESIGN.md §10, seed 003), as the end-to-end tests meet it:
// - connects with client id "{pid}{dn}", username
//   "{pid}{dn};{sdkappid};{connid};{expiry}", clean session true, and
//   subscribes to $ota/update/{pid}/{dn};
// - reports its version and waits for report_version_rsp;
// - on update_firmware downloads with "Range: bytes=<offset>-<file size>"
//   (an end one past the last byte), reading the response the SDK's way
//   (sdk_http_client.h: case-sensitive names, HTTP/1.1, Content-Length);
// - reports every progress state twice, percents as strings;
// - keeps the SDK's resume record (version, md5, size, offset): a cut
//   download is reported as fail -5 "time_out", then the device reports its
//   old version and waits for update_firmware to resume from the offset.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "mqtt_client.h"
#include "sdk_http_client.h"

namespace ota::test {

class SdkTencentDevice {
 public:
  struct Firmware {
    std::string url, md5, version;
    uint64_t size = 0;
  };

  SdkTencentDevice(std::string product_id, std::string device_name);

  testing::AssertionResult connect(int port);
  std::string client_id() const { return pid_ + dn_; }
  std::string username() const;
  std::string report_topic() const { return "$ota/report/" + pid_ + "/" + dn_; }
  std::string update_topic() const { return "$ota/update/" + pid_ + "/" + dn_; }

  // report_version, then its report_version_rsp (an update_firmware that
  // arrives first is kept for wait_update_firmware).
  testing::AssertionResult report_version(const std::string& version);
  // The next update_firmware (skipping report_version_rsp replies).
  std::optional<Firmware> wait_update_firmware(
      std::chrono::milliseconds timeout = kDefaultTimeout);
  bool no_update_firmware(std::chrono::milliseconds duration);

  // Downloads `fw` from the resume record's offset (0 for another
  // firmware). With `cut_after`, the connection drops after that many body
  // bytes of this response and the device reports fail -5 time_out (twice);
  // the result is then a failure saying so. Checks the MD5 once complete.
  testing::AssertionResult download(const Firmware& fw,
                                    std::optional<size_t> cut_after = std::nullopt);
  // After a complete download: burning, done (each twice), then the reboot's
  // version report of fw.version.
  testing::AssertionResult install(const Firmware& fw);

  // What the last download request asked and got.
  const std::string& last_range() const { return last_range_; }
  const SdkDownload& last_response() const { return last_; }
  uint64_t saved_offset() const { return image_.size(); }
  MqttClient& mqtt() { return mqtt_; }

 private:
  testing::AssertionResult publish_twice(const std::string& payload);
  testing::AssertionResult report_progress(const std::string& state, const std::string& percent,
                                           const std::string& code, const std::string& msg,
                                           const std::string& version);

  std::string pid_, dn_;
  MqttClient mqtt_;
  std::optional<Firmware> pending_;  // update_firmware seen while waiting for a rsp
  // The SDK's resume record.
  std::string record_version_, record_md5_;
  std::string image_;
  std::string last_range_;
  SdkDownload last_;
};

}  // namespace ota::test
