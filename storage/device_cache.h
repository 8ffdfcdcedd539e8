// Decoded device records of the devices that speak, and their entries of
// the active-task index, in front of LMDB (decisions.md "The device cache"). A report reads its device
// without a lookup in LMDB or a decode, and writes it without an encode or
// a put: the changed records are written back in one pass, in key order,
// before the transaction commits or anything reads the database directly,
// so a device that reports many times between two commits costs one write.
//
// The cache never outlives what it mirrors: LmdbStore clears it when a
// transaction is aborted (written-back records would be gone). After a
// commit it forgets the devices that did not speak lately once it holds
// more than `capacity` (generational_map.h).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/model.h"
#include "storage/generational_map.h"
#include "storage/task_cache.h"

namespace ota {

class DeviceCache {
 public:
  explicit DeviceCache(size_t capacity) : capacity_(capacity) {}

  // Everything is keyed by the device itself: a report looks its device up
  // once (hash) and again at most by a comparison (the last entry used is
  // remembered), and its LMDB key is built once per cached device.

  // The LMDB key of `device`, kept with its entry.
  const std::string& lmdb_key(const DeviceKey& device);
  // The record of `device`, or null when it is not cached.
  const Device* find(const DeviceKey& device);
  // A record as read from the database under `key` (its LMDB key); the
  // reference lasts until the next change to the cache.
  const Device& insert_clean(const DeviceKey& device, std::string key, Device record);
  // A record written by the transaction: kept until write_back(). A stored
  // record must have been inserted (insert_clean) first, so that the cache
  // knows the versions it replaces.
  void put_dirty(const DeviceKey& device, const Device& record);
  // The cached record of `device`, marked as written by the transaction,
  // to change in place (null when not cached): put_dirty without a copy.
  Device* change(const DeviceKey& device);
  bool has_dirty() const { return !dirty_.empty(); }

  // What the active-task index says for a device (written through: the
  // index itself is always written at once), and where that task is in the
  // task cache once it was found there: a progress report then reaches its
  // task with one hash, its device's.
  struct ActiveTask {
    bool known = false;  // the index was read for this device
    std::optional<JobId> job;
    TaskCache::Handle task;  // empty until remember_task(); stale ones are checked
  };
  // Null when the device has no entry; `known` false when not read yet.
  ActiveTask* active(const DeviceKey& device);
  const std::optional<JobId>* active_job(const DeviceKey& device);
  void set_active_job(const DeviceKey& device, std::optional<JobId> job);
  void remember_task(const DeviceKey& device, TaskCache::Handle task);

  // Hands every record changed since the last call to `write`, in key
  // order, and each module version it gained (+1) or lost (-1) since then
  // to `count`; they are clean afterwards (a throwing write leaves the rest
  // dirty: the caller aborts and clears).
  using Writer = std::function<void(const std::string& key, const Device& device)>;
  using Counter = std::function<void(const Device& device, const std::string& module,
                                     const std::string& version, int delta)>;
  void write_back(const Writer& write, const Counter& count);
  // After a commit (all is clean): past half the capacity since the last
  // time, the devices not used since then are forgotten.
  void trim();
  void clear();
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string key;               // in LMDB
    std::optional<Device> record;  // not cached while empty
    bool dirty = false;
    // While dirty: the module versions at the last write-back (or read).
    std::vector<std::pair<std::string, std::string>> written_versions;
    ActiveTask active;
  };
  // Pointer-stable (dirty_ and last_ point into it), and a lookup loads no
  // other device's node, as std::unordered_map's does.
  using Map = GenerationalMap<DeviceKey, Entry, DeviceKeyHash, std::equal_to<DeviceKey>>;

  Entry* lookup(const DeviceKey& device);  // null: no entry
  Entry& slot(const DeviceKey& device, std::string key = {});  // created when absent
  void mark_dirty(Entry& entry);           // remembers the versions it replaces

  size_t capacity_;
  Map entries_;
  std::vector<Entry*> dirty_;   // node addresses are stable
  Map::value_type* last_ = nullptr;  // the entry used last
};

}  // namespace ota
