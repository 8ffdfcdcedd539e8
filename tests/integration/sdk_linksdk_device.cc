#include "sdk_linksdk_device.h"

#include "http_test_client.h"
#include "json.h"

namespace ota::test {
namespace {

constexpr size_t kBlockBytes = 5 * 1024;  // the SDK's default block

// The SDK's crc_ibm: CRC-16/IBM, reflected 0x8005, init 0.
uint16_t crc_ibm(std::string_view bytes) {
  uint16_t crc = 0;
  for (unsigned char b : bytes) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
  }
  return crc;
}

}  // namespace

SdkLinkSdkDevice::SdkLinkSdkDevice(std::string product_key, std::string device_name)
    : pk_(std::move(product_key)), dn_(std::move(device_name)) {}

std::string SdkLinkSdkDevice::client_id() const {
  return pk_ + "." + dn_ +
         "|timestamp=2524608000000,_ss=1,_v=sdk-c-4.2.0,securemode=2,signmethod=hmacsha256,ext=3|";
}

testing::AssertionResult SdkLinkSdkDevice::connect(int port) {
  ConnectOptions options;
  options.username = username();
  return mqtt_.connect(port, client_id(), options);
}

testing::AssertionResult SdkLinkSdkDevice::report_version(const std::string& version) {
  return mqtt_.publish("/ota/device/inform/" + pk_ + "/" + dn_,
                       "{\"id\":" + std::to_string(next_id_++) + R"(,"params":{"version":")" +
                           version + "\"}}");
}

testing::AssertionResult SdkLinkSdkDevice::progress_twice(const std::string& step) {
  for (int i = 0; i < 2; ++i) {
    auto r = mqtt_.publish("/ota/device/progress/" + pk_ + "/" + dn_,
                           "{\"id\":" + std::to_string(next_id_++) + R"(,"params":{"step":")" +
                               step + R"(","desc":""}})");
    if (!r) return r;
  }
  return testing::AssertionSuccess();
}

std::optional<SdkLinkSdkDevice::Firmware> SdkLinkSdkDevice::wait_upgrade(
    std::chrono::milliseconds timeout) {
  auto m = mqtt_.wait_message("/ota/device/upgrade/+/+", timeout);
  if (!m) return std::nullopt;
  JsonPtr j = json_parse(m->payload);
  Firmware fw;
  if (j) {
    fw.url = json_string_at(j.get(), "data/url").value_or("");
    fw.md5 = json_string_at(j.get(), "data/md5").value_or("");
    fw.version = json_string_at(j.get(), "data/version").value_or("");
    fw.sign_method = json_string_at(j.get(), "data/signMethod").value_or("");
    fw.protocol = json_string_at(j.get(), "data/dProtocol").value_or("");
    fw.size = static_cast<uint64_t>(json_int_at(j.get(), "data/size").value_or(0));
    fw.stream_id = json_int_at(j.get(), "data/streamId").value_or(-1);
    fw.stream_file_id = json_int_at(j.get(), "data/streamFileId").value_or(-1);
  }
  const bool known_sign = fw.sign_method == "Md5" || fw.sign_method == "SHA256" ||
                          fw.sign_method == "Sha256";
  const bool where = fw.protocol == "mqtt" ? fw.stream_id >= 0 && fw.stream_file_id >= 0
                                           : !fw.url.empty();
  if (!known_sign || !where || fw.version.empty() || fw.size == 0 || fw.md5.size() != 32) {
    ADD_FAILURE() << "a notification LinkSDK refuses: " << m->payload;
    return std::nullopt;
  }
  return fw;
}

testing::AssertionResult SdkLinkSdkDevice::download_http(const Firmware& fw, std::string* image) {
  SdkDownload d = sdk_http_get(fw.url);
  if (!d.ok) return testing::AssertionFailure() << "download: " << d.error;
  *image = d.body;
  return testing::AssertionSuccess();
}

testing::AssertionResult SdkLinkSdkDevice::download_blocks(const Firmware& fw,
                                                           std::string* image) {
  const std::string request_topic = "/sys/" + pk_ + "/" + dn_ + "/thing/file/download";
  const std::string reply_topic = request_topic + "_reply";
  image->clear();
  while (image->size() < fw.size) {
    const size_t offset = image->size();
    // As _md_send_request writes it, trailing comma included.
    const std::string request =
        R"({"id":")" + std::to_string(next_id_++) +
        R"(","version":"1.0","params":{"fileToken":"default","fileInfo":{"streamId":)" +
        std::to_string(fw.stream_id) + R"(,"fileId":)" + std::to_string(fw.stream_file_id) +
        R"(,},"fileBlock":{"size":)" + std::to_string(kBlockBytes) + R"(,"offset":)" +
        std::to_string(offset) + "}}}";
    auto r = mqtt_.publish(request_topic, request);
    if (!r) return r;
    auto m = mqtt_.wait_message(reply_topic);
    if (!m) return testing::AssertionFailure() << "no download_reply for offset " << offset;
    const std::string& p = m->payload;
    if (p.size() < 2) return testing::AssertionFailure() << "reply shorter than 2 bytes";
    const size_t header_len =
        (static_cast<unsigned char>(p[0]) << 8) | static_cast<unsigned char>(p[1]);
    if (p.size() < 2 + header_len) return testing::AssertionFailure() << "header cut";
    JsonPtr header = json_parse(p.substr(2, header_len));
    if (!header || json_int_at(header.get(), "code") != 200) {
      return testing::AssertionFailure() << "refused: " << p.substr(2, header_len);
    }
    const long long size = json_int_at(header.get(), "data/bSize").value_or(-1);
    const long long at = json_int_at(header.get(), "data/bOffset").value_or(-1);
    if (size <= 0 || at != static_cast<long long>(offset) ||
        p.size() != 2 + header_len + static_cast<size_t>(size) + 2) {
      return testing::AssertionFailure() << "bad block framing at " << offset;
    }
    const std::string_view block = std::string_view(p).substr(2 + header_len, size);
    const uint16_t crc = static_cast<uint16_t>(
        static_cast<unsigned char>(p[p.size() - 2]) |
        (static_cast<unsigned char>(p[p.size() - 1]) << 8));
    if (crc != crc_ibm(block)) return testing::AssertionFailure() << "CRC mismatch at " << offset;
    image->append(block);
    blocks_++;
    if (blocks_ % 20 == 0) {
      r = progress_twice(std::to_string(image->size() * 100 / fw.size));
      if (!r) return r;
    }
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult SdkLinkSdkDevice::upgrade(const Firmware& fw) {
  auto r = progress_twice("0");
  if (!r) return r;
  std::string image;
  r = fw.protocol == "mqtt" ? download_blocks(fw, &image) : download_http(fw, &image);
  if (!r) {
    progress_twice("-2");
    return r;
  }
  if (image.size() != fw.size || md5_of(image) != fw.md5) {
    progress_twice("-3");
    return testing::AssertionFailure() << "image does not match the notification";
  }
  r = progress_twice("100");
  if (!r) return r;
  return report_version(fw.version);
}

}  // namespace ota::test
