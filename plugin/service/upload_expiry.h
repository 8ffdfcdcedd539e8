// Abandoned uploads expire: an upload that received no chunk for
// plugin_opt_upload_expiry is aborted, its partial file removed. Checked
// once a minute from the broker's loop (a directory scan, not per message).
#pragma once

#include <cstdint>

#include "engine/model.h"
#include "service/broker_types.h"

namespace ota {

class FirmwareStore;

class UploadExpiry {
 public:
  static constexpr int64_t kCheckIntervalMs = 60'000;
  // `firmware` null or `expiry_s` 0: never expires anything.
  UploadExpiry(FirmwareStore* firmware, int64_t expiry_s, const Logger& log)
      : firmware_(firmware), expiry_s_(expiry_s), log_(log) {}

  // Expires idle uploads when a check is due at `now`; returns how many.
  size_t run_due(TimeMs now);

 private:
  FirmwareStore* firmware_;
  int64_t expiry_s_;
  const Logger& log_;
  TimeMs next_check_ = 0;
};

}  // namespace ota
