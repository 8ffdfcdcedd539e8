#include "engine/compliance.h"

namespace ota {

void ComplianceCounts::add(const Device& d, const std::string& module, Compliance& c) {
  auto m = d.modules.find(module);
  if (m == d.modules.end()) return;
  if (m->second.version == c.target_version) {
    c.on_target++;
  } else if (store_.active_job(d.key)) {
    c.in_progress++;
  } else {
    std::optional<TaskState> latest;
    store_.for_each_task_of_device(d.key, [&](const Task& t) {
      if (t.module == module) latest = t.state;
      return true;
    });
    if (latest == TaskState::kFailed) {
      c.failed++;
    } else {
      c.needs_update++;
    }
  }
}

ComplianceAnswer ComplianceCounts::answer(const std::string& product, const std::string& module,
                                          const std::string& target_version, TimeMs now) {
  uint64_t devices = 0;  // of the module, from the kept counters: no scan
  for (const auto& [version, n] : store_.version_counts(product, module)) devices += n;
  ComplianceAnswer a;
  if (devices <= limits_.inline_devices) {
    Compliance c;
    c.target_version = target_version;
    store_.for_each_device(product, "", [&](const Device& d) {
      add(d, module, c);
      return true;
    });
    a.figures = std::move(c);
    return a;
  }
  forget_unasked(now);
  Count& count = counts_[Key{product, module, target_version}];
  count.asked_at = now;
  if (!count.running && (!count.finished || now - count.finished_at >= limits_.refresh_ms)) {
    count.running = true;
    count.cursor.clear();
    count.partial = Compliance{};
    count.partial.target_version = target_version;
  }
  a.figures = count.finished;
  a.counted_now = false;
  a.as_of = count.finished_at;
  a.counting = count.running;
  return a;
}

void ComplianceCounts::forget_unasked(TimeMs now) {
  std::erase_if(counts_, [&](const auto& entry) {
    return now - entry.second.asked_at > limits_.forget_ms;
  });
}

void ComplianceCounts::advance(TimeMs now) {
  // No structured bindings: the lambda below captures them, which clang 14
  // refuses.
  for (auto& entry : counts_) {
    Count& count = entry.second;
    if (!count.running) continue;
    const std::string& product = std::get<0>(entry.first);
    const std::string& module = std::get<1>(entry.first);
    size_t read = 0;
    bool more = false;
    store_.for_each_device(product, count.cursor, [&](const Device& d) {
      if (read == limits_.slice_devices) {
        more = true;  // the next slice starts after the cursor
        return false;
      }
      add(d, module, count.partial);
      count.cursor = d.key.device;
      read++;
      return true;
    });
    if (!more) {
      count.finished = std::move(count.partial);
      count.finished_at = now;
      count.running = false;
    }
  }
}

}  // namespace ota
