// Fuzz target: every dialect's parser, on every device topic shape, and the
// aliyun MQTT block download request (whose error reply must always frame).
// The first input byte picks the topic; the rest is the payload.
#include <cstdint>
#include <string>
#include <vector>

#include "dialects/aliyun_download.h"
#include "dialects/registry.h"

namespace {

const char* kTopics[] = {
    "/ota/device/inform/pk/dn",    "/ota/device/progress/pk/dn",
    "/ota/device/request/pk/dn",   "/sys/pk/dn/thing/ota/firmware/get",
    "/ota/device/inform/token",    "/ota/device/progress/token",
    "/ota/inform",                 "/ota/progress",
    "$ota/report/pid/dn",          "/ota/device/inform/p/" "\xc3\xa9",
    "/sys/pk/dn/thing/file/download",
};

}  // namespace

std::vector<std::string> fuzz_seeds() {
  return {
      std::string("\x00") + R"({"id":"123","params":{"version":"1.0.1","module":"MCU"}})",
      std::string("\x01") + R"({"id":"123","params":{"step":"-1","desc":"OTA升级失败","module":"MCU"}})",
      std::string("\x02") + R"({"id":"1","params":{"version":"1.0.0"}})",
      std::string("\x03") + R"({"id":"7","version":"1.0","params":{"module":"default"}})",
      std::string("\x04") + R"({"id":"1","params":{"version":"1.0"}})",
      std::string("\x05") + R"({"step":"50","desc":"ok","module":"default"})",
      std::string("\x06") + R"({"taskId":-1,"params":{"version":"1.0","module":"m"}})",
      std::string("\x07") + R"({"taskId":5,"params":{"step":10,"desc":"d","module":"m"}})",
      std::string("\x08") + R"({"type":"report_version","report":{"version":"1.0"}})",
      std::string("\x08") + R"({"type":"report_progress","report":{"progress":{"state":"fail","percent":"0","result_code":"-4","result_msg":"md5"},"version":"2"}})",
      std::string("\x0a") + R"({"id":"1","version":"1.0","params":{"fileToken":"default","fileInfo":{"streamId":7,"fileId":1,},"fileBlock":{"size":5120,"offset":0}}})",
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static std::vector<std::unique_ptr<ota::Dialect>> dialects = [] {
    std::vector<std::unique_ptr<ota::Dialect>> all;
    for (std::string_view name : ota::dialect_names()) all.push_back(ota::make_dialect(name, {}));
    return all;
  }();
  const std::string topic = kTopics[data[0] % (sizeof kTopics / sizeof *kTopics)];
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  for (const auto& d : dialects) {
    if (!d->claims(topic)) continue;
    ota::ParseOutcome o = d->parse(topic, payload, {"client", "user"});
    (void)o;
  }
  if (std::optional<ota::DeviceKey> device = ota::match_block_request_topic(topic)) {
    ota::BlockRequest request;
    std::string error;
    const bool ok = ota::parse_block_request(*device, payload, &request, &error);
    // Whatever was read, the reply is well framed and decodes again.
    const std::string reply = ok ? ota::encode_block_reply(request, request.offset, "ab", 2)
                                 : ota::encode_block_error(request, ota::kBlockBadRequest, error);
    if (!ota::decode_block_reply(reply)) __builtin_trap();
  }
  return 0;
}
