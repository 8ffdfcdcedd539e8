// The CPU cost of encoding one device notification, per dialect: what a
// campaign pays for each device it notifies (and a notified device for
// each re-notification). In-process, no broker; the same package for every
// device, as in a job. Run under callgrind for exact instructions:
//
//   valgrind --tool=callgrind --collect-atstart=no build/bench/ota_encode_bench --dialect tencent
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dialects/aliyun.h"
#include "dialects/ctwing.h"
#include "dialects/tencent.h"
#include "dialects/thingspanel.h"
#include "in_process.h"

namespace {

using ota::bench::cpu_seconds;

std::unique_ptr<ota::Dialect> dialect_named(const std::string& name) {
  if (name == "aliyun") return std::make_unique<ota::AliyunDialect>();
  if (name == "tencent") return std::make_unique<ota::TencentDialect>();
  if (name == "ctwing") return std::make_unique<ota::CtwingDialect>(ota::IdentitySource::kClientId, "pk");
  if (name == "thingspanel") return std::make_unique<ota::ThingsPanelDialect>("pk");
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The CPU cost of encoding one device notification, per dialect"};
  std::string name = "aliyun";
  size_t count = 20000;
  app.add_option("--dialect", name, "aliyun, tencent, ctwing or thingspanel");
  app.add_option("--notifications", count, "notifications encoded (one device each)");
  CLI11_PARSE(app, argc, argv);
  std::unique_ptr<ota::Dialect> dialect = dialect_named(name);
  if (!dialect) {
    std::fprintf(stderr, "encode_bench: unknown dialect '%s'\n", name.c_str());
    return 2;
  }
  ota::Package package;
  package.id = 1;
  package.product = "pk";
  package.module = "MCU";  // every dialect's module fields are written
  package.version = "2.0.0";
  package.url = "https://fw.example.com/firmware/pk/MCU/2.0.0.bin";
  package.size = 432945;
  package.sign = "93230c3bde425a9d93230c3bde425a9d";
  package.md5 = package.sign;
  std::vector<ota::Notification> notifications;
  notifications.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    notifications.push_back({{"pk", "d" + std::to_string(i)}, 7, package,
                             static_cast<ota::TimeMs>(1'700'000'000'000 + i)});
  }
  ota::ProductConfig config;
  config.product = "pk";
  config.aliyun_code = "200";
  size_t bytes = 0;
  const double t0 = cpu_seconds();
  OTA_COLLECT_TOGGLE();
  for (const ota::Notification& n : notifications) {
    // The device's connection: its client id is its name here.
    bytes += dialect->encode_notification(n, {config, n.device.device}).payload.size();
  }
  OTA_COLLECT_TOGGLE();
  const double ns = (cpu_seconds() - t0) * 1e9 / static_cast<double>(count);
  std::printf("%-12s %8.0f ns CPU per notification (%zu notifications, %zu payload bytes each)\n",
              name.c_str(), ns, count, count ? bytes / count : 0);
  return bytes > 0 ? 0 : 1;
}
