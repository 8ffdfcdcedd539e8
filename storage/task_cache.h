// The task cache: decoded tasks by (job, device), so a lookup builds no
// LMDB key (that is built once, when the task is written). TaskRef looks
// one up without copying the device's names.
#pragma once

#include "engine/model.h"
#include "storage/record_cache.h"

namespace ota {

struct TaskId {
  JobId job = 0;
  DeviceKey device;
  bool operator<(const TaskId& o) const { return job != o.job ? job < o.job : device < o.device; }
};
struct TaskRef {
  JobId job;
  const DeviceKey& device;
};
struct TaskIdHash {
  using is_transparent = void;
  size_t operator()(const TaskId& t) const { return hash(t.job, t.device); }
  size_t operator()(const TaskRef& t) const { return hash(t.job, t.device); }
  static size_t hash(JobId job, const DeviceKey& device) {
    return DeviceKeyHash{}(device) ^ (job * 0x9e3779b97f4a7c15ULL);
  }
};
inline bool operator==(const TaskId& a, const TaskId& b) { return a.job == b.job && a.device == b.device; }
inline bool operator==(const TaskId& a, const TaskRef& b) { return a.job == b.job && a.device == b.device; }

using TaskCache = RecordCache<TaskId, Task, TaskIdHash>;

}  // namespace ota
