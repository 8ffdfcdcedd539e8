// What the plugin reports about itself (docs/monitoring.md). The figures are
// gathered once (read_store_figures + the service's counters) and rendered
// by format: $SYS/broker/ota/# retained messages now; a Prometheus text
// exposition can render the same MonitoringFigures later.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "dialects/dialect.h"
#include "engine/store.h"

namespace ota {

// Counted by the service as things happen (never recounted from the store).
struct ServiceCounters {
  uint64_t messages_received = 0;   // OTA device messages seen
  uint64_t messages_rejected = 0;   // malformed, oversized, unknown device, spoofed
  uint64_t notifications_sent = 0;
  uint64_t control_commands = 0;
  uint64_t control_errors = 0;
  uint64_t control_refused = 0;     // $CONTROL/ota access denied to non-admins
  uint64_t access_refused = 0;      // device OTA topic accesses refused (docs/security.md)
  uint64_t store_errors = 0;        // batches lost to a storage failure
  uint64_t store_syncs = 0;         // durable commits (fsync) of batches
  uint64_t downloads_completed = 0; // HTTP responses or MQTT blocks that reached the file's end
  uint64_t download_bytes = 0;      // bytes served over HTTP and MQTT
};

// Figures read from the store and from presence.
struct StoreFigures {
  uint64_t devices_total = 0;
  uint64_t devices_online = 0;
  TaskCounts tasks{};
  std::map<JobId, TaskCounts> running_jobs;  // per running job
};

struct MonitoringFigures {
  std::optional<StoreFigures> store;  // absent: the store could not be read
  ServiceCounters counters;
  bool downloads = false;  // the plugin serves firmware (HTTP or MQTT blocks)
};

// Reads the store's figures (throws StoreError like any store read).
StoreFigures read_store_figures(Store& store, uint64_t devices_online);

// The $SYS/broker/ota/# messages, every sys_interval_s. Remembers which
// jobs it published so that a job that stopped running has its retained
// counts deleted (an empty retained payload) instead of left stale.
class SysPublisher {
 public:
  explicit SysPublisher(int64_t interval_s) : interval_ms_(interval_s * 1000) {}
  // Whether messages are due at `now`; if so, the next are due an interval
  // later.
  bool take_due(TimeMs now);
  std::vector<OutboundMessage> messages(const MonitoringFigures& figures);

 private:
  int64_t interval_ms_;
  TimeMs next_ = 0;
  std::set<JobId> published_jobs_;
};

}  // namespace ota
