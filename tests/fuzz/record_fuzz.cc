// Fuzz target: the storage record decoders, on arbitrary bytes (a damaged
// database must give StoreError, never a crash).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/store.h"
#include "storage/record_codec.h"

std::vector<std::string> fuzz_seeds() {
  ota::Device d;
  d.key = {"pk", "dn"};
  d.modules["default"] = {"1.0.0", 5};
  d.tags["site"] = "b";
  ota::Task t;
  t.job_id = 3;
  t.device = d.key;
  t.history.push_back({1, ota::TaskState::kQueued, 0, "x"});
  ota::Job j;
  j.id = 3;
  j.group_sizes = {1, 2};
  ota::Package p;
  p.id = 1;
  p.source_versions = {"a"};
  return {std::string("\x00", 1) + ota::encode_device(d), std::string("\x01", 1) + ota::encode_task(t),
          std::string("\x02", 1) + ota::encode_job(j), std::string("\x03", 1) + ota::encode_package(p)};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 5) {
      case 0: ota::decode_device(bytes); break;
      case 1: ota::decode_task(bytes); break;
      case 2: ota::decode_job(bytes); break;
      case 3: ota::decode_package(bytes); break;
      case 4: ota::decode_product_config(bytes); break;
    }
  } catch (const ota::StoreError&) {
  }
  return 0;
}
