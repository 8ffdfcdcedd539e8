#include "service/metrics_exposition.h"

#include <utility>
#include <vector>

namespace ota {
namespace {

constexpr std::string_view kPrefix = "mosquitto_ota_";

using Labels = std::vector<std::pair<std::string_view, std::string>>;

// Appends families: each begins with its HELP and TYPE lines, then its
// samples.
class ExpositionWriter {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    name_ = std::string(kPrefix) + std::string(name);
    out_ += "# HELP " + name_ + " " + std::string(help) + "\n";
    out_ += "# TYPE " + name_ + " " + std::string(type) + "\n";
  }
  // A sample of the current family; `suffix` is "_bucket", "_sum", ...
  void sample(std::string_view suffix, const Labels& labels, const std::string& value) {
    out_ += name_;
    out_ += suffix;
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i) out_ += ',';
        out_ += labels[i].first;
        out_ += "=\"" + escape_label_value(labels[i].second) + "\"";
      }
      out_ += '}';
    }
    out_ += ' ' + value + '\n';
  }
  void sample(const Labels& labels, uint64_t value) { sample("", labels, std::to_string(value)); }
  void value(std::string_view name, std::string_view type, std::string_view help,
             uint64_t v) {
    family(name, type, help);
    sample({}, v);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::string name_;
};

std::string state_name(int state) {
  return std::string(to_string(static_cast<TaskState>(state)));
}

void histogram_samples(ExpositionWriter& w, const Histogram& h, Labels labels) {
  const std::vector<uint64_t> counts = h.cumulative_counts();
  const std::vector<int64_t>& bounds = h.upper_bounds_ns();
  labels.emplace_back("le", "");
  for (size_t i = 0; i < counts.size(); ++i) {
    labels.back().second =
        i < bounds.size() ? seconds_text(static_cast<uint64_t>(bounds[i])) : "+Inf";
    w.sample("_bucket", labels, std::to_string(counts[i]));
  }
  labels.pop_back();
  w.sample("_sum", labels, seconds_text(h.sum_ns()));
  w.sample("_count", labels, std::to_string(h.count()));
}

void store_families(ExpositionWriter& w, const StoreFigures& s) {
  w.value("devices", "gauge", "Devices stored.", s.devices_total);
  w.value("devices_online", "gauge", "Devices connected now.", s.devices_online);
  w.family("tasks", "gauge", "Tasks of every job, by state.");
  for (int i = 0; i < kTaskStateCount; ++i) w.sample({{"state", state_name(i)}}, s.tasks[i]);
  w.value("running_jobs", "gauge", "Jobs in state running.", s.running_jobs.size());
  w.family("job_tasks", "gauge", "Tasks of each running job, by state.");
  for (const auto& [id, counts] : s.running_jobs) {
    for (int i = 0; i < kTaskStateCount; ++i) {
      w.sample({{"job", std::to_string(id)}, {"state", state_name(i)}}, counts[i]);
    }
  }
}

void counter_families(ExpositionWriter& w, const ServiceCounters& c, bool downloads) {
  w.value("messages_received_total", "counter", "OTA device messages received.",
          c.messages_received);
  w.value("messages_rejected_total", "counter",
          "OTA device messages rejected (malformed, too large, unknown device, spoofed).",
          c.messages_rejected);
  w.value("notifications_sent_total", "counter", "Upgrade notifications sent to devices.",
          c.notifications_sent);
  w.value("control_commands_total", "counter", "$CONTROL/ota/v1 commands handled.",
          c.control_commands);
  w.value("control_errors_total", "counter", "$CONTROL/ota/v1 commands answered with an error.",
          c.control_errors);
  w.value("control_refused_total", "counter",
          "$CONTROL/ota access refused to clients that are not OTA admins.", c.control_refused);
  w.value("access_refused_total", "counter",
          "Device OTA topic accesses refused: another device's topics, or a client's publish on a "
          "downstream topic (docs/security.md).",
          c.access_refused);
  w.value("store_errors_total", "counter", "Batches lost to a storage failure.", c.store_errors);
  w.value("store_syncs_total", "counter", "Durable commits (fsync) of the store.", c.store_syncs);
  if (downloads) {
    w.value("downloads_completed_total", "counter",
            "Firmware downloads that reached the file's end (HTTP or MQTT blocks).",
            c.downloads_completed);
    w.value("download_bytes_total", "counter", "Firmware bytes served (HTTP and MQTT blocks).",
            c.download_bytes);
  }
}

void timing_families(ExpositionWriter& w, const ServiceTimings& t) {
  w.family("report_to_notification_seconds", "histogram",
           "From a device's message or subscription reaching the plugin to the notification it "
           "caused being handed to the broker (it waits for no commit).");
  histogram_samples(w, t.report_to_notification, {});
  w.family("batch_commit_seconds", "histogram",
           "Store commit of one broker loop iteration's batch; durable: with its fsync.");
  histogram_samples(w, t.batch_commit_durable, {{"durable", "true"}});
  histogram_samples(w, t.batch_commit_unsynced, {{"durable", "false"}});
  w.family("store_sync_seconds", "histogram",
           "Deferred fsync of earlier unsynced commits (plugin_opt_sync_interval_ms).");
  histogram_samples(w, t.store_sync, {});
}

}  // namespace

std::string seconds_text(uint64_t ns) {
  constexpr uint64_t kSecond = 1'000'000'000;
  std::string text = std::to_string(ns / kSecond);
  uint64_t fraction = ns % kSecond;
  if (fraction == 0) return text;
  std::string digits = std::to_string(fraction);
  digits.insert(0, 9 - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return text + "." + digits;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    switch (ch) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string render_metrics(const MonitoringFigures& figures, const ServiceTimings* timings) {
  ExpositionWriter w;
  w.value("store_readable", "gauge",
          "1 when the store's figures were read for this snapshot, 0 when the read failed.",
          figures.store ? 1 : 0);
  if (figures.store) store_families(w, *figures.store);
  counter_families(w, figures.counters, figures.downloads);
  if (timings) timing_families(w, *timings);
  return w.take();
}

}  // namespace ota
