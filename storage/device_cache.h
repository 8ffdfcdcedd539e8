// Decoded device records of the devices that speak, and their entries of
// the active-task index, in front of LMDB (decisions.md "The device cache"). A report reads its device
// without a lookup in LMDB or a decode, and writes it without an encode or
// a put: the changed records are written back in one pass, in key order,
// before the transaction commits or anything reads the database directly,
// so a device that reports many times between two commits costs one write.
//
// The cache never outlives what it mirrors: LmdbStore clears it when a
// transaction is aborted (written-back records would be gone), and forgets
// every record once it holds more than `capacity` after a commit.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/model.h"

namespace ota {

class DeviceCache {
 public:
  explicit DeviceCache(size_t capacity) : capacity_(capacity) {}

  // The record under the LMDB key `key`, or null when it is not cached.
  const Device* find(const std::string& key) const;
  // A record as read from the database; the reference lasts until the
  // next change to the cache.
  const Device& insert_clean(const std::string& key, Device device);
  // A record written by the transaction: kept until write_back(). A stored
  // record must have been inserted (insert_clean) first, so that the cache
  // knows the versions it replaces.
  void put_dirty(const std::string& key, const Device& device);
  bool has_dirty() const { return !dirty_.empty(); }

  // What the active-task index says for a device (written through: the
  // index itself is always written at once); null when not known here.
  const std::optional<JobId>* active_job(const std::string& key) const;
  void set_active_job(const std::string& key, std::optional<JobId> job);

  // Hands every record changed since the last call to `write`, in key
  // order, and each module version it gained (+1) or lost (-1) since then
  // to `count`; they are clean afterwards (a throwing write leaves the rest
  // dirty: the caller aborts and clears).
  using Writer = std::function<void(const std::string& key, const Device& device)>;
  using Counter = std::function<void(const Device& device, const std::string& module,
                                     const std::string& version, int delta)>;
  void write_back(const Writer& write, const Counter& count);
  // After a commit: over capacity, forget everything (it is all clean).
  void trim();
  void clear();

 private:
  struct Entry {
    Device device;
    bool dirty = false;
    // While dirty: the module versions at the last write-back (or read).
    std::vector<std::pair<std::string, std::string>> written_versions;
  };
  using Map = std::unordered_map<std::string, Entry>;

  size_t capacity_;
  Map entries_;
  std::vector<Map::value_type*> dirty_;  // node addresses are stable
  std::unordered_map<std::string, std::optional<JobId>> active_;
};

}  // namespace ota
