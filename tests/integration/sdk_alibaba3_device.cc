#include "sdk_alibaba3_device.h"

#include "http_test_client.h"
#include "json.h"

namespace ota::test {

SdkAlibaba3Device::SdkAlibaba3Device(std::string product_key, std::string device_name)
    : pk_(std::move(product_key)), dn_(std::move(device_name)) {}

std::string SdkAlibaba3Device::client_id() const {
  return pk_ + "." + dn_ + "|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|";
}

testing::AssertionResult SdkAlibaba3Device::connect(int port) {
  ConnectOptions options;
  options.username = username();
  options.clean_session = false;
  auto r = mqtt_.connect(port, client_id(), options);
  if (!r) return r;
  return mqtt_.subscribe(upgrade_topic(), 1);
}

testing::AssertionResult SdkAlibaba3Device::report_version(const std::string& version) {
  return mqtt_.publish("/ota/device/inform/" + pk_ + "/" + dn_,
                       R"({"id":0,"params":{"version":")" + version + "\"}}");
}

testing::AssertionResult SdkAlibaba3Device::progress_twice(const std::string& step,
                                                           const std::string& desc) {
  const std::string payload =
      R"({"id":0,"params":{"step":")" + step + R"(","desc":")" + desc + "\"}}";
  for (int i = 0; i < 2; ++i) {
    auto r = mqtt_.publish("/ota/device/progress/" + pk_ + "/" + dn_, payload);
    if (!r) return r;
  }
  return testing::AssertionSuccess();
}

std::optional<SdkAlibaba3Device::Firmware> SdkAlibaba3Device::wait_upgrade(
    std::chrono::milliseconds timeout) {
  auto m = mqtt_.wait_message(upgrade_topic(), timeout);
  if (!m) return std::nullopt;
  JsonPtr j = json_parse(m->payload);
  Firmware fw;
  if (j) {
    fw.url = json_string_at(j.get(), "data/url").value_or("");
    fw.md5 = json_string_at(j.get(), "data/md5").value_or("");
    fw.version = json_string_at(j.get(), "data/version").value_or("");
    fw.sign_method = json_string_at(j.get(), "data/signMethod").value_or("");
    fw.size = static_cast<uint64_t>(json_int_at(j.get(), "data/size").value_or(0));
  }
  // The SDK drops a notification without these (md5 above all).
  if (fw.url.empty() || fw.md5.size() != 32 || fw.version.empty() || fw.size == 0) {
    ADD_FAILURE() << "a notification the SDK ignores: " << m->payload;
    return std::nullopt;
  }
  return fw;
}

testing::AssertionResult SdkAlibaba3Device::upgrade(const Firmware& fw) {
  auto r = progress_twice("0", "");
  if (!r) return r;
  last_ = sdk_http_get(fw.url);
  if (!last_.ok) {
    // IOT_OTA_FetchYield fails: the SDK reports the download, then the
    // check, as failed ("ota fetch fail").
    progress_twice("-2", "ota fetch fail");
    progress_twice("-3", "ota fetch fail");
    return testing::AssertionFailure() << "ota fetch fail: " << last_.error;
  }
  if (last_.head.status != 200 || last_.body.size() != fw.size) {
    progress_twice("-2", "ota fetch fail");
    return testing::AssertionFailure() << "status " << last_.head.status << ", "
                                       << last_.body.size() << " of " << fw.size << " bytes";
  }
  r = progress_twice("50", "");
  if (!r) return r;
  r = progress_twice("100", "");
  if (!r) return r;
  if (md5_of(last_.body) != fw.md5) {
    progress_twice("-3", "md5 check fail");
    return testing::AssertionFailure() << "MD5 mismatch";
  }
  // Flashed and rebooted.
  return report_version(fw.version);
}

}  // namespace ota::test
