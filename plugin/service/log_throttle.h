// Rate limit for log lines a client can provoke (rejected messages): at most
// `per_second` lines in each one-second window; the rest are counted and
// summed up in one line when the next window opens. Pure: time comes in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/model.h"
#include "service/broker_types.h"

namespace ota {

class LogThrottle {
 public:
  explicit LogThrottle(uint32_t per_second) : per_second_(per_second) {}

  struct Admission {
    bool write = false;       // this line may be logged
    uint64_t suppressed = 0;  // lines not logged in the window that just closed
  };
  // Asks to log one line at `now`.
  Admission admit(TimeMs now);

 private:
  uint32_t per_second_;
  TimeMs window_ = 0;
  uint32_t lines_ = 0;
  uint64_t suppressed_ = 0;
};

// A rejected message (malformed, oversized, spoofed, unknown device): one
// count, and one log line within the throttle's limit.
class RejectionLog {
 public:
  static constexpr uint32_t kLinesPerSecond = 20;
  // `what` names what is refused in the log lines ("message", "access").
  RejectionLog(const Logger& log, uint64_t& counter, std::string what = "message")
      : log_(log), counter_(counter), what_(std::move(what)), throttle_(kLinesPerSecond) {}
  void reject(std::string_view topic, const ClientInfo& client, const std::string& reason,
              TimeMs now);

 private:
  const Logger& log_;
  uint64_t& counter_;
  std::string what_;
  LogThrottle throttle_;
};

}  // namespace ota
