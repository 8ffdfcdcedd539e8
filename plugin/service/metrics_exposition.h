// The plugin's figures in Prometheus' text exposition format, version 0.0.4
// (docs/metrics.md lists every metric). The same MonitoringFigures that
// $SYS/broker/ota/# is published from, so both show the same numbers, plus
// the duration histograms of ServiceTimings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "service/histogram.h"
#include "service/monitoring.h"

namespace ota {

// The Content-Type of a text exposition, as Prometheus asks for it.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Every metric family with its HELP and TYPE lines. `timings` null: no
// histograms (metrics were rendered without measuring).
std::string render_metrics(const MonitoringFigures& figures, const ServiceTimings* timings);

// Decimal seconds of a nanosecond count, exact: 50000 -> "0.00005",
// 2500000000 -> "2.5".
std::string seconds_text(uint64_t ns);

// A label value escaped for the exposition: \ " and newline.
std::string escape_label_value(std::string_view value);

}  // namespace ota
