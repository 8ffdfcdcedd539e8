#include "service/metrics_exporter.h"

#include "service/metrics_exposition.h"

namespace ota {

void MetricsSnapshot::publish(std::string text) {
  auto next = std::make_shared<const std::string>(std::move(text));
  std::lock_guard lock(mu_);
  text_ = std::move(next);
}

std::shared_ptr<const std::string> MetricsSnapshot::latest() const {
  std::lock_guard lock(mu_);
  return text_;
}

bool MetricsExporter::take_due(TimeMs now) {
  if (rendered_ && now < next_) return false;
  rendered_ = true;
  next_ = now + refresh_ms_;
  return true;
}

void MetricsExporter::render(const MonitoringFigures& figures) {
  snapshot_->publish(render_metrics(figures, &timings_));
}

}  // namespace ota
