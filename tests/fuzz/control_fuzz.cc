// Fuzz target: the $CONTROL/ota/v1 command API, through the service (as an
// admin), on a real store in a temporary directory.
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "assembly/service_assembly.h"

std::vector<std::string> fuzz_seeds() {
  return {
      R"({"commands":[{"command":"createPackage","product":"pk","version":"2.0.0","url":"https://x/f","size":10,"sign":"0123456789abcdef0123456789abcdef","signMethod":"MD5"}]})",
      R"({"commands":[{"command":"createJob","packageId":1,"all":true,"groups":[{"percent":10},{"count":3}],"failureThreshold":{"count":2},"retry":{"count":1,"intervalSeconds":1}}]})",
      R"({"commands":[{"command":"listDevices","product":"pk","offset":0,"count":5},{"command":"getJob","jobId":1}]})",
      R"({"commands":[{"command":"setProductConfig","product":"pk","successRule":"progress100"},{"command":"getStatistics","product":"pk"}]})",
      R"({"commands":[{"command":"pauseJob","jobId":1},{"command":"resumeJob","jobId":1},{"command":"cancelJob","jobId":1}]})",
      R"({"commands":[{"command":"retryTask","jobId":1,"device":"d1"},{"command":"deletePackage","packageId":1}]})",
      R"({"commands":[{"command":"listTasks","jobId":1,"state":"FAILED","count":2},{"command":"listProducts","offset":1}]})",
      R"({"commands":[{"command":"getStatistics","product":"pk","module":"default","targetVersion":"2.0.0"}]})",
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<ota::OtaService> service = [] {
    static char dir[] = "/tmp/ota-fuzz-XXXXXX";
    ota::PluginOptions o;
    o.db_path = std::string(mkdtemp(dir)) + "/db";
    // The database goes with the process.
    std::atexit([] { std::filesystem::remove_all(dir); });
    o.admins = {"admin"};
    o.sys_interval_s = 0;
    auto s = ota::open_ota_service(o, [](ota::LogLevel, const std::string&) {});
    auto svc = std::move(s.value());
    int conn = 0;
    for (int i = 0; i < 5; ++i) {
      svc->on_message("/ota/device/inform/pk/d" + std::to_string(i),
                      R"({"params":{"version":"1.0.0"}})", {&conn, "dev", ""}, 1);
    }
    return svc;
  }();
  static int admin = 0;
  static ota::TimeMs now = 1'800'000'000'000;
  now += 1000;
  service->on_control({reinterpret_cast<const char*>(data), size}, {&admin, "ctl", "admin"}, now);
  service->flush(now);
  return 0;
}
