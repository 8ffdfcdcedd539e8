#include "service/upload_expiry.h"

#include <chrono>
#include <string>

#include "delivery/firmware_store.h"

namespace ota {

size_t UploadExpiry::run_due(TimeMs now) {
  if (!firmware_ || expiry_s_ <= 0 || now < next_check_) return 0;
  next_check_ = now + kCheckIntervalMs;
  const size_t expired = firmware_->expire_uploads(std::chrono::seconds(expiry_s_));
  if (expired > 0) {
    log_(LogLevel::kNotice, "mosquitto-ota: aborted " + std::to_string(expired) +
         " upload(s) idle for more than " + std::to_string(expiry_s_) +
         " s (plugin_opt_upload_expiry)");
  }
  return expired;
}

}  // namespace ota
