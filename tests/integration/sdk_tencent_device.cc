#include "sdk_tencent_device.h"

#include <ctime>

#include "http_test_client.h"
#include "json.h"

namespace ota::test {
namespace {

// The SDK's defaults: its sdkappid, and a 5-character connection id.
constexpr const char* kSdkAppId = "12010126";
constexpr const char* kConnId = "a1B2c";

}  // namespace

SdkTencentDevice::SdkTencentDevice(std::string product_id, std::string device_name)
    : pid_(std::move(product_id)), dn_(std::move(device_name)) {}

std::string SdkTencentDevice::username() const {
  return pid_ + dn_ + ";" + kSdkAppId + ";" + kConnId + ";" +
         std::to_string(::time(nullptr) + 3600);
}

testing::AssertionResult SdkTencentDevice::connect(int port) {
  ConnectOptions options;
  options.username = username();
  options.clean_session = true;
  auto r = mqtt_.connect(port, client_id(), options);
  if (!r) return r;
  return mqtt_.subscribe(update_topic(), 1);
}

testing::AssertionResult SdkTencentDevice::report_version(const std::string& version) {
  auto r = mqtt_.publish(report_topic(),
                         R"({"type":"report_version","report":{"version":")" + version + "\"}}");
  if (!r) return r;
  for (;;) {
    auto m = mqtt_.wait_message(update_topic());
    if (!m) return testing::AssertionFailure() << "no report_version_rsp for " << version;
    JsonPtr j = json_parse(m->payload);
    const std::string type = j ? json_string_at(j.get(), "type").value_or("") : "";
    if (type == "report_version_rsp") {
      if (json_string_at(j.get(), "version") != version ||
          json_int_at(j.get(), "result_code") != 0) {
        return testing::AssertionFailure() << "report_version_rsp refuses: " << m->payload;
      }
      return testing::AssertionSuccess();
    }
    if (type == "update_firmware") {
      // The SDK handles it once the version exchange is done.
      pending_ = Firmware{json_string_at(j.get(), "url").value_or(""),
                          json_string_at(j.get(), "md5sum").value_or(""),
                          json_string_at(j.get(), "version").value_or(""),
                          static_cast<uint64_t>(json_int_at(j.get(), "file_size").value_or(0))};
      continue;
    }
    return testing::AssertionFailure() << "unexpected message: " << m->payload;
  }
}

std::optional<SdkTencentDevice::Firmware> SdkTencentDevice::wait_update_firmware(
    std::chrono::milliseconds timeout) {
  if (pending_) {
    std::optional<Firmware> fw = std::move(pending_);
    pending_.reset();
    return fw;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto m = mqtt_.wait_message(update_topic(), left);
    if (!m) return std::nullopt;
    JsonPtr j = json_parse(m->payload);
    if (!j || json_string_at(j.get(), "type") != "update_firmware") continue;
    Firmware fw{json_string_at(j.get(), "url").value_or(""),
                json_string_at(j.get(), "md5sum").value_or(""),
                json_string_at(j.get(), "version").value_or(""),
                static_cast<uint64_t>(json_int_at(j.get(), "file_size").value_or(0))};
    // The SDK refuses an update without url, md5sum, file_size or version.
    if (fw.url.empty() || fw.md5.size() != 32 || fw.size == 0 || fw.version.empty()) {
      ADD_FAILURE() << "update_firmware the SDK would refuse: " << m->payload;
      return std::nullopt;
    }
    return fw;
  }
}

bool SdkTencentDevice::no_update_firmware(std::chrono::milliseconds duration) {
  if (pending_) return false;
  const auto deadline = std::chrono::steady_clock::now() + duration;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    auto m = mqtt_.wait_message(update_topic(), left);
    if (!m) return true;
    JsonPtr j = json_parse(m->payload);
    if (j && json_string_at(j.get(), "type") == "update_firmware") return false;
  }
}

testing::AssertionResult SdkTencentDevice::publish_twice(const std::string& payload) {
  for (int i = 0; i < 2; ++i) {
    auto r = mqtt_.publish(report_topic(), payload);
    if (!r) return r;
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult SdkTencentDevice::report_progress(const std::string& state,
                                                           const std::string& percent,
                                                           const std::string& code,
                                                           const std::string& msg,
                                                           const std::string& version) {
  std::string progress = R"({"state":")" + state + "\"";
  if (!percent.empty()) progress += R"(,"percent":")" + percent + "\"";
  progress += R"(,"result_code":")" + code + R"(","result_msg":")" + msg + "\"}";
  return publish_twice(R"({"type":"report_progress","report":{"progress":)" + progress +
                       R"(,"version":")" + version + "\"}}");
}

testing::AssertionResult SdkTencentDevice::download(const Firmware& fw,
                                                    std::optional<size_t> cut_after) {
  if (record_version_ != fw.version || record_md5_ != fw.md5 || image_.size() > fw.size) {
    // Another firmware than the one recorded: start over.
    record_version_ = fw.version;
    record_md5_ = fw.md5;
    image_.clear();
  }
  const uint64_t offset = image_.size();
  auto r = report_progress("downloading", std::to_string(offset * 100 / fw.size), "0", "",
                           fw.version);
  if (!r) return r;
  last_range_ = "bytes=" + std::to_string(offset) + "-" + std::to_string(fw.size);
  last_ = sdk_http_get(fw.url, last_range_, cut_after);
  image_ += last_.body;
  if (!last_.head.ok) {
    // "Could not parse header": the SDK gives up on this download.
    report_progress("fail", "", "-5", "time_out", fw.version);
    return testing::AssertionFailure() << "the SDK cannot read the response: " << last_.error;
  }
  const bool partial = last_.head.status == 206;
  if (partial && (last_.head.range_first != offset || last_.head.range_last != fw.size - 1 ||
                  last_.head.range_size != fw.size)) {
    return testing::AssertionFailure()
           << "Content-Range does not answer " << last_range_ << ": " << last_.error;
  }
  if (!partial && !(last_.head.status == 200 && offset == 0)) {
    return testing::AssertionFailure() << "status " << last_.head.status << " for "
                                       << last_range_;
  }
  if (!last_.ok) {
    r = report_progress("fail", "", "-5", "time_out", fw.version);
    if (!r) return r;
    return testing::AssertionFailure() << "download cut at " << image_.size() << " of "
                                       << fw.size << " bytes (" << last_.error << ")";
  }
  if (image_.size() != fw.size) {
    return testing::AssertionFailure() << "got " << image_.size() << " of " << fw.size;
  }
  r = report_progress("downloading", "100", "0", "", fw.version);
  if (!r) return r;
  if (md5_of(image_) != fw.md5) {
    report_progress("fail", "", "-4", "md5_not_match", fw.version);
    return testing::AssertionFailure() << "MD5 mismatch after the download";
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult SdkTencentDevice::install(const Firmware& fw) {
  if (image_.size() != fw.size) return testing::AssertionFailure() << "nothing to install";
  auto r = report_progress("burning", "", "0", "", fw.version);
  if (!r) return r;
  r = report_progress("done", "", "0", "", fw.version);
  if (!r) return r;
  image_.clear();
  record_version_.clear();
  record_md5_.clear();
  return report_version(fw.version);
}

}  // namespace ota::test
