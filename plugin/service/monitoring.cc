#include "service/monitoring.h"

#include <string>

namespace ota {
namespace {

constexpr std::string_view kSysPrefix = "$SYS/broker/ota/";

OutboundMessage sys_message(const std::string& suffix, uint64_t value) {
  OutboundMessage m;
  m.topic = std::string(kSysPrefix) + suffix;
  m.payload = std::to_string(value);
  m.qos = 0;
  m.retain = true;
  return m;
}

std::string state_name(int state) {
  return std::string(to_string(static_cast<TaskState>(state)));
}

std::string job_suffix(JobId id, int state) {
  return "jobs/" + std::to_string(id) + "/" + state_name(state);
}

}  // namespace

StoreFigures read_store_figures(Store& store, uint64_t devices_online) {
  StoreFigures f;
  f.devices_total = store.device_count();
  f.devices_online = devices_online;
  f.tasks = store.task_counts();
  store.for_each_job([&](const Job& job) {
    if (job.state == JobState::kRunning) f.running_jobs[job.id] = store.job_task_counts(job.id);
    return true;
  });
  return f;
}

bool SysPublisher::take_due(TimeMs now) {
  if (interval_ms_ <= 0 || now < next_) return false;
  next_ = now + interval_ms_;
  return true;
}

std::vector<OutboundMessage> SysPublisher::messages(const MonitoringFigures& figures) {
  std::vector<OutboundMessage> out;
  if (const std::optional<StoreFigures>& s = figures.store) {
    out.push_back(sys_message("devices/total", s->devices_total));
    out.push_back(sys_message("devices/online", s->devices_online));
    for (int i = 0; i < kTaskStateCount; ++i) {
      out.push_back(sys_message("tasks/" + state_name(i), s->tasks[i]));
    }
    std::set<JobId> running;
    for (const auto& [id, counts] : s->running_jobs) {
      running.insert(id);
      for (int i = 0; i < kTaskStateCount; ++i) out.push_back(sys_message(job_suffix(id, i), counts[i]));
    }
    for (JobId id : published_jobs_) {
      if (running.count(id)) continue;
      for (int i = 0; i < kTaskStateCount; ++i) {
        OutboundMessage m = sys_message(job_suffix(id, i), 0);
        m.payload.clear();
        out.push_back(std::move(m));
      }
    }
    published_jobs_ = std::move(running);
  }
  const ServiceCounters& c = figures.counters;
  out.push_back(sys_message("messages/received", c.messages_received));
  out.push_back(sys_message("messages/rejected", c.messages_rejected));
  out.push_back(sys_message("notifications/sent", c.notifications_sent));
  out.push_back(sys_message("control/commands", c.control_commands));
  out.push_back(sys_message("control/errors", c.control_errors));
  out.push_back(sys_message("control/refused", c.control_refused));
  out.push_back(sys_message("access/refused", c.access_refused));
  out.push_back(sys_message("store/errors", c.store_errors));
  out.push_back(sys_message("store/syncs", c.store_syncs));
  if (figures.downloads) {
    out.push_back(sys_message("downloads/completed", c.downloads_completed));
    out.push_back(sys_message("downloads/bytes", c.download_bytes));
  }
  return out;
}

}  // namespace ota
