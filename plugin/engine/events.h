// What devices tell the engine, and what the engine asks to be sent to them.
// Dialects (plugin/dialects/) translate between these and each platform's
// topics and payloads.
#pragma once

#include <string>
#include <variant>

#include "engine/model.h"

namespace ota {

// A device states the firmware version of one module (seed 000 "inform").
struct VersionReport {
  DeviceKey device;
  std::string module = std::string(kDefaultModule);
  std::string version;
};

// A device reports upgrade progress: step 0..100 percent, or -1..-4 failure
// codes (seed 000 "progress").
struct ProgressReport {
  DeviceKey device;
  std::string module = std::string(kDefaultModule);
  int32_t step = 0;
  std::string desc;
};

using DeviceEvent = std::variant<VersionReport, ProgressReport>;

// The engine asks that a device be told to upgrade to `package`.
struct Notification {
  DeviceKey device;
  JobId job_id = 0;
  Package package;
  TimeMs at = 0;  // when the engine decided it; also a unique-enough id
};

}  // namespace ota
