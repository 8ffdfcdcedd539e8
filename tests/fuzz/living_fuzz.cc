// Fuzz target: the Living app request parser. The first input byte picks
// the request topic; the rest is the payload.
#include <cstdint>
#include <string>
#include <vector>

#include "app/living_codec.h"

namespace {

const ota::living::Op kOps[] = {
    ota::living::Op::kPendingFirmware, ota::living::Op::kConfirm,
    ota::living::Op::kDevicesList,     ota::living::Op::kProgressList,
    ota::living::Op::kCancel,
};

}  // namespace

std::vector<std::string> fuzz_seeds() {
  return {
      std::string("\x00") + R"({"id":"1","version":"1.0","params":{}})",
      std::string("\x01") + R"({"id":"2","version":"1.0","params":{"productKey":"pk","deviceName":"d1"}})",
      std::string("\x02") + R"({"id":3})",
      std::string("\x03") + R"({"id":"4","params":{"devices":[{"productKey":"pk","deviceName":"d1"}]}})",
      std::string("\x04") + R"({"id":"5","params":{"productKey":"pk","deviceName":"d1"}})",
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ota::living::Op op = kOps[data[0] % (sizeof kOps / sizeof *kOps)];
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  ota::living::ParsedRequest p = ota::living::parse_request(op, payload);
  // Whatever was read must encode into a reply.
  const std::string reply = ota::living::encode_reply(p.request.id, p.ok ? 200 : 400, nullptr,
                                                      p.ok ? "success" : p.error);
  (void)reply;
  return 0;
}
