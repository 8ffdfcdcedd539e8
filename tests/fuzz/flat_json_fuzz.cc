// Fuzz target: the aliyun dialect's fast path (flat_json) against
// its full path (jansson) on inform and progress reports. Whatever the
// payload, both must give the same outcome: same kind, error, message id and
// event. The first input byte picks the topic; the rest is the payload.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <vector>

#include "dialects/aliyun.h"

namespace {

const char* kTopics[] = {"/ota/device/inform/pk/dn", "/ota/device/progress/pk/dn"};

bool same_event(const ota::DeviceEvent& a, const ota::DeviceEvent& b) {
  if (a.index() != b.index()) return false;
  if (const auto* va = std::get_if<ota::VersionReport>(&a)) {
    const auto& vb = std::get<ota::VersionReport>(b);
    return va->device == vb.device && va->module == vb.module && va->version == vb.version;
  }
  if (const auto* pa = std::get_if<ota::ProgressReport>(&a)) {
    const auto& pb = std::get<ota::ProgressReport>(b);
    return pa->device == pb.device && pa->module == pb.module && pa->step == pb.step &&
           pa->desc == pb.desc && pa->job_id == pb.job_id && pa->completed == pb.completed &&
           pa->version == pb.version;
  }
  return false;  // the reports here are never queries
}

}  // namespace

std::vector<std::string> fuzz_seeds() {
  return {
      std::string("\x00") + R"({"id":"123","params":{"version":"1.0.1","module":"MCU"}})",
      // Strings longer than a word (the reader scans them eight bytes at a time).
      std::string("\x01") + R"({"id":"1234567890123","params":{"step":"42","desc":"downloading firmware part 12 of 40"}})",
      std::string("\x01") + "{\"id\":\"1\",\"params\":{\"step\":\"-1\",\"desc\":\"OTA\xE5\x8D\x87\xE7\xBA\xA7\xE5\xA4\xB1\xE8\xB4\xA5 after 3 retries\"}}",
      std::string("\x00") + R"({"id":7,"params":{"version":"v","module":""},"x":true})",
      std::string("\x00") + R"({"id":"1","params":{"version":"1.0","version":"2.0"}})",
      std::string("\x00") + R"({"id":"1","params":{"version":"a\u0000b"}})",
      std::string("\x00") + "\xEF\xBB\xBF" + R"({"id":"1","params":{"version":"1"}})",
      std::string("\x01") + R"({"id":"123","params":{"step":"-1","desc":"OTA升级失败","module":"MCU"}})",
      std::string("\x01") + R"({"id":"9","params":{"step":50,"desc":"downloading"},"n":1.5})",
      std::string("\x01") + R"({"id":"9","params":{"step":"0x10"}})",
      std::string("\x01") + R"({"id":-1,"params":{"step":"100","desc":null}})",
      std::string("\x01") + R"({"params":{"step":"99999999999999999999"}})",
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const ota::AliyunDialect fast(/*fast_reports=*/true);
  static const ota::AliyunDialect full(/*fast_reports=*/false);
  const std::string topic = kTopics[data[0] % 2];
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  const ota::ParseOutcome a = fast.parse(topic, payload, {"client", "user"});
  const ota::ParseOutcome b = full.parse(topic, payload, {"client", "user"});
  const bool same = a.kind == b.kind && a.error == b.error && a.message_id == b.message_id &&
                    (a.kind != ota::ParseOutcome::Kind::kEvent || same_event(a.event, b.event));
  if (!same) {
    std::fprintf(stderr, "flat_json_fuzz: the paths disagree on %s payload '%.*s'\n  fast: %s\n  full: %s\n",
                 topic.c_str(), static_cast<int>(payload.size()), payload.data(), a.error.c_str(),
                 b.error.c_str());
    std::abort();
  }
  return 0;
}
