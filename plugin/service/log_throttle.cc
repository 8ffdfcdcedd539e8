#include "service/log_throttle.h"

namespace ota {

LogThrottle::Admission LogThrottle::admit(TimeMs now) {
  Admission a;
  if (now - window_ >= 1000) {
    a.suppressed = suppressed_;
    window_ = now;
    lines_ = 0;
    suppressed_ = 0;
  }
  if (++lines_ > per_second_) {
    suppressed_++;
    return a;
  }
  a.write = true;
  return a;
}

void RejectionLog::reject(std::string_view topic, const ClientInfo& client,
                          const std::string& reason, TimeMs now) {
  counter_++;
  const LogThrottle::Admission a = throttle_.admit(now);
  if (a.suppressed > 0) {
    log_(LogLevel::kWarning, "mosquitto-ota: " + std::to_string(a.suppressed) +
         " more rejected " + what_ + "s were not logged");
  }
  if (!a.write) return;
  log_(LogLevel::kWarning, "mosquitto-ota: rejected " + what_ + " on '" + std::string(topic) +
       "' from client '" + std::string(client.client_id) + "' (username '" +
       std::string(client.username) + "'): " + reason);
}

}  // namespace ota
