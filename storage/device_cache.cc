#include "storage/device_cache.h"

#include <algorithm>

namespace ota {

const Device* DeviceCache::find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second.device;
}

const Device& DeviceCache::insert_clean(const std::string& key, Device device) {
  return entries_.try_emplace(key, Entry{std::move(device), false}).first->second.device;
}

void DeviceCache::put_dirty(const std::string& key, const Device& device) {
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& entry = it->second;
  if (!entry.dirty) {
    entry.dirty = true;
    entry.written_versions.clear();
    if (!inserted) {
      for (const auto& [module, state] : entry.device.modules) {
        entry.written_versions.emplace_back(module, state.version);
      }
    }
    dirty_.push_back(&*it);
  }
  entry.device = device;
}

void DeviceCache::write_back(const Writer& write, const Counter& count) {
  // In key order: neighbouring puts touch the same LMDB pages.
  std::sort(dirty_.begin(), dirty_.end(),
            [](const Map::value_type* a, const Map::value_type* b) { return a->first < b->first; });
  size_t done = 0;
  for (Map::value_type* node : dirty_) {
    Entry& entry = node->second;
    write(node->first, entry.device);
    const auto& modules = entry.device.modules;
    for (const auto& [module, version] : entry.written_versions) {
      auto now = modules.find(module);
      if (now == modules.end() || now->second.version != version) {
        count(entry.device, module, version, -1);
      }
    }
    for (const auto& [module, state] : modules) {
      auto was = std::find_if(entry.written_versions.begin(), entry.written_versions.end(),
                              [&](const auto& w) { return w.first == module; });
      if (was == entry.written_versions.end() || was->second != state.version) {
        count(entry.device, module, state.version, +1);
      }
    }
    entry.written_versions.clear();
    entry.dirty = false;
    done++;
  }
  dirty_.erase(dirty_.begin(), dirty_.begin() + static_cast<std::ptrdiff_t>(done));
}

const std::optional<JobId>* DeviceCache::active_job(const std::string& key) const {
  auto it = active_.find(key);
  return it == active_.end() ? nullptr : &it->second;
}

void DeviceCache::set_active_job(const std::string& key, std::optional<JobId> job) {
  active_[key] = job;
}

void DeviceCache::trim() {
  if (dirty_.empty() && (entries_.size() > capacity_ || active_.size() > capacity_)) {
    entries_.clear();
    active_.clear();
  }
}

void DeviceCache::clear() {
  entries_.clear();
  dirty_.clear();
  active_.clear();
}

}  // namespace ota
