// Prometheus metrics (docs/metrics.md): the broker thread renders the
// exposition at most every plugin_opt_metrics_refresh_ms, from the same
// figures as $SYS, into a MetricsSnapshot; the metrics listener's own thread
// serves the latest snapshot. Scrapes never reach the broker thread, and
// rendering never runs per message: the hot path only counts.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "dialects/dialect.h"
#include "service/histogram.h"
#include "service/monitoring.h"

namespace ota {

// The latest exposition text, handed from the broker thread to the
// server's. Thread-safe.
class MetricsSnapshot {
 public:
  void publish(std::string text);
  // Null until the first publish.
  std::shared_ptr<const std::string> latest() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::string> text_;
};

// Broker-thread side: the timings the service measures, and when to render.
class MetricsExporter {
 public:
  MetricsExporter(int64_t refresh_ms, std::shared_ptr<MetricsSnapshot> snapshot)
      : refresh_ms_(refresh_ms), snapshot_(std::move(snapshot)) {}

  // Whether a render is due at `now` (the first call: at once); if so, the
  // next is due refresh_ms later.
  bool take_due(TimeMs now);
  // Renders the figures and the timings into the snapshot.
  void render(const MonitoringFigures& figures);

  ServiceTimings& timings() { return timings_; }

 private:
  int64_t refresh_ms_;
  std::shared_ptr<MetricsSnapshot> snapshot_;
  ServiceTimings timings_;
  TimeMs next_ = 0;
  bool rendered_ = false;
};

}  // namespace ota
