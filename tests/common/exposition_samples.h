// Reading a text exposition back in tests: its samples by series, and the
// series that carries each $SYS/broker/ota/ figure (the table in
// docs/metrics.md).
#pragma once

#include <map>
#include <sstream>
#include <string>

namespace ota::test {

// "name{labels}" (as written) -> value, for every sample line.
inline std::map<std::string, std::string> exposition_samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

// "$SYS/broker/ota/tasks/QUEUED" -> "mosquitto_ota_tasks{state=\"QUEUED\"}";
// "" for a topic without a metric.
inline std::string metric_for_sys_topic(const std::string& topic) {
  const std::string prefix = "$SYS/broker/ota/";
  if (topic.rfind(prefix, 0) != 0) return "";
  const std::string t = topic.substr(prefix.size());
  static const std::map<std::string, std::string> plain = {
      {"devices/total", "mosquitto_ota_devices"},
      {"devices/online", "mosquitto_ota_devices_online"},
      {"messages/received", "mosquitto_ota_messages_received_total"},
      {"messages/rejected", "mosquitto_ota_messages_rejected_total"},
      {"notifications/sent", "mosquitto_ota_notifications_sent_total"},
      {"control/commands", "mosquitto_ota_control_commands_total"},
      {"control/errors", "mosquitto_ota_control_errors_total"},
      {"control/refused", "mosquitto_ota_control_refused_total"},
      {"access/refused", "mosquitto_ota_access_refused_total"},
      {"store/errors", "mosquitto_ota_store_errors_total"},
      {"store/syncs", "mosquitto_ota_store_syncs_total"},
      {"downloads/completed", "mosquitto_ota_downloads_completed_total"},
      {"downloads/bytes", "mosquitto_ota_download_bytes_total"},
  };
  if (auto it = plain.find(t); it != plain.end()) return it->second;
  if (t.rfind("tasks/", 0) == 0) return "mosquitto_ota_tasks{state=\"" + t.substr(6) + "\"}";
  if (t.rfind("jobs/", 0) == 0) {
    const size_t slash = t.find('/', 5);
    if (slash == std::string::npos) return "";
    return "mosquitto_ota_job_tasks{job=\"" + t.substr(5, slash - 5) + "\",state=\"" +
           t.substr(slash + 1) + "\"}";
  }
  return "";
}

}  // namespace ota::test
