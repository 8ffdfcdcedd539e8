#include "storage/device_cache.h"

#include <algorithm>

#include "storage/lmdb_keys.h"

namespace ota {

DeviceCache::Entry* DeviceCache::lookup(const DeviceKey& device) {
  if (last_ != nullptr && last_->first == device) return &last_->second;
  Map::value_type* found = entries_.find(device);
  if (found == nullptr) return nullptr;
  last_ = found;
  return &found->second;
}

DeviceCache::Entry& DeviceCache::slot(const DeviceKey& device, std::string key) {
  if (Entry* found = lookup(device)) return *found;
  Map::value_type& created = entries_.find_or_insert(device);
  created.second.key = key.empty() ? lmdb_keys::device_key(device) : std::move(key);
  last_ = &created;
  return created.second;
}

const std::string& DeviceCache::lmdb_key(const DeviceKey& device) { return slot(device).key; }

const Device* DeviceCache::find(const DeviceKey& device) {
  Entry* entry = lookup(device);
  return entry != nullptr && entry->record ? &*entry->record : nullptr;
}

const Device& DeviceCache::insert_clean(const DeviceKey& device, std::string key, Device record) {
  Entry& entry = slot(device, std::move(key));
  if (!entry.record) entry.record = std::move(record);
  return *entry.record;
}

void DeviceCache::mark_dirty(Entry& entry) {
  if (entry.dirty) return;
  entry.dirty = true;
  entry.written_versions.clear();
  if (entry.record) {
    for (const auto& [module, state] : entry.record->modules) {
      entry.written_versions.emplace_back(module, state.version);
    }
  }
  dirty_.push_back(&entry);
}

void DeviceCache::put_dirty(const DeviceKey& device, const Device& record) {
  Entry& entry = slot(device);
  mark_dirty(entry);
  entry.record = record;
}

Device* DeviceCache::change(const DeviceKey& device) {
  Entry* entry = lookup(device);
  if (entry == nullptr || !entry->record) return nullptr;
  mark_dirty(*entry);
  return &*entry->record;
}

void DeviceCache::write_back(const Writer& write, const Counter& count) {
  // In key order: neighbouring puts touch the same LMDB pages.
  std::sort(dirty_.begin(), dirty_.end(),
            [](const Entry* a, const Entry* b) { return a->key < b->key; });
  size_t done = 0;
  for (Entry* entry : dirty_) {
    const Device& record = *entry->record;
    write(entry->key, record);
    const auto& modules = record.modules;
    for (const auto& [module, version] : entry->written_versions) {
      auto now = modules.find(module);
      if (now == modules.end() || now->second.version != version) {
        count(record, module, version, -1);
      }
    }
    for (const auto& module : modules) {
      auto was = std::find_if(entry->written_versions.begin(), entry->written_versions.end(),
                              [&](const auto& w) { return w.first == module.first; });
      if (was == entry->written_versions.end() || was->second != module.second.version) {
        count(record, module.first, module.second.version, +1);
      }
    }
    entry->written_versions.clear();
    entry->dirty = false;
    done++;
  }
  dirty_.erase(dirty_.begin(), dirty_.begin() + static_cast<std::ptrdiff_t>(done));
}

DeviceCache::ActiveTask* DeviceCache::active(const DeviceKey& device) {
  Entry* entry = lookup(device);
  return entry != nullptr ? &entry->active : nullptr;
}

const std::optional<JobId>* DeviceCache::active_job(const DeviceKey& device) {
  const ActiveTask* entry = active(device);
  return entry != nullptr && entry->known ? &entry->job : nullptr;
}

void DeviceCache::set_active_job(const DeviceKey& device, std::optional<JobId> job) {
  // Another job's task, or none: the handle is forgotten with the job.
  slot(device).active = ActiveTask{true, job, {}};
}

void DeviceCache::remember_task(const DeviceKey& device, TaskCache::Handle task) {
  slot(device).active.task = task;
}

void DeviceCache::trim() {
  if (dirty_.empty() && entries_.forget_unused(capacity_)) last_ = nullptr;
}

void DeviceCache::clear() {
  entries_.clear();
  dirty_.clear();
  last_ = nullptr;
}

}  // namespace ota
