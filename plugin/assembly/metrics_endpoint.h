// What the metrics listener answers (docs/metrics.md): GET /metrics is the
// latest exposition the broker thread rendered; 503 before the first one,
// 404 for every other path. Runs on the listener's thread and only reads
// the snapshot.
#pragma once

#include <memory>

#include "delivery/http_loader.h"
#include "service/metrics_exporter.h"

namespace ota {

HttpResponder metrics_responder(std::shared_ptr<const MetricsSnapshot> snapshot);

}  // namespace ota
