#include "service/download_accounting.h"

#include <string>

#include "delivery/http_loader.h"

namespace ota {

void DownloadAccounting::drain_http_events() {
  if (!http_) return;
  for (const HttpEvent& e : http_->drain_events()) {
    if (e.kind == HttpEvent::Kind::kLog) {
      log_(e.error ? LogLevel::kError : LogLevel::kWarning,
           "mosquitto-ota: download server: " + e.message);
      continue;
    }
    const size_t slash = e.device.find('/');
    const DeviceKey device = slash == std::string::npos
                                 ? DeviceKey{}
                                 : DeviceKey{e.device.substr(0, slash), e.device.substr(slash + 1)};
    count(device, e.package, e.bytes, e.reached_end());
  }
}

void DownloadAccounting::count(const DeviceKey& device, std::string_view package,
                               uint64_t bytes, bool reached_end) {
  counters_.download_bytes += bytes;
  if (reached_end) counters_.downloads_completed++;
  if (device.device.empty()) return;
  std::optional<ActiveTask> active = engine_.active_task(device);
  if (!active || std::to_string(active->job.package_id) != package) return;
  Job& job = active->job;
  job.download_bytes += bytes;
  if (reached_end) job.downloads_completed++;
  store_.put_job(job);
}

}  // namespace ota
