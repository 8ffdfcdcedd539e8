// What devices tell the engine, and what the engine asks to be sent to them.
// Dialects (plugin/dialects/) translate between these and each platform's
// topics and payloads.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "engine/model.h"

namespace ota {

// A device states the firmware version of one module (seed 000 "inform").
struct VersionReport {
  DeviceKey device;
  std::string module = std::string(kDefaultModule);
  std::string version;
  // Set by the service: this report is what brought the device online (no
  // subscription came first), so it was not told on arrival.
  bool came_online = false;
};

// A device reports upgrade progress: step 0..100 percent, or -1..-4 failure
// codes (seed 000 "progress").
struct ProgressReport {
  DeviceKey device;
  std::string module = std::string(kDefaultModule);
  int32_t step = 0;
  std::string desc;
  // The job the device names (CTWing taskId, Tencent task_id); when set it
  // must be the device's active job, else the report is not for that task.
  std::optional<JobId> job_id;
  // The device declares the upgrade finished (Tencent "done"): success if
  // `version` is empty or the task's target.
  bool completed = false;
  std::string version;
  // A failure the device recovers from by itself (Tencent, seed 003): it
  // reports its version next and resumes its download once notified again.
  // Reported before the download finished (the task never reached step
  // 100), it leaves the task notified instead of failing it.
  bool resumable = false;
};

// A device asks for its pending upgrade (Alibaba firmware/get and the SDK v3
// request topic). The answer is the task's notification, or none.
struct UpgradeQuery {
  DeviceKey device;
  std::string module;  // empty: any module
  std::string version; // the device's current version, when it says
};

using DeviceEvent = std::variant<VersionReport, ProgressReport, UpgradeQuery>;

// The engine asks that a device be told to upgrade to `package`.
struct Notification {
  DeviceKey device;
  JobId job_id = 0;
  Package package;
  TimeMs at = 0;  // when the engine decided it; also a unique-enough id
};

}  // namespace ota
