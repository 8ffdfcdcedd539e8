// Decoded records in front of one LMDB database, written through: every
// put writes LMDB at once and keeps the record decoded, so the per-report
// path (a device's task, its job and package) reads without a lookup in
// LMDB or a decode (decisions.md "The device cache").
//
// LmdbStore clears it with the transaction it mirrors when that is aborted,
// and forgets everything after a commit once it holds more than `capacity`.
#pragma once

#include <cstddef>
#include <functional>
#include <unordered_map>
#include <utility>

namespace ota {

template <typename Key, typename Record, typename Hash = std::hash<Key>>
class RecordCache {
 public:
  explicit RecordCache(size_t capacity) : capacity_(capacity) {}

  // The record, or null when not cached; valid until the next change.
  const Record* find(const Key& key) const {
    auto it = records_.find(key);
    return it == records_.end() ? nullptr : &it->second;
  }
  // A record as read from, or just written to, the database.
  const Record& put(const Key& key, Record record) {
    return records_.insert_or_assign(key, std::move(record)).first->second;
  }
  void erase(const Key& key) { records_.erase(key); }
  void trim() {
    if (records_.size() > capacity_) records_.clear();
  }
  void clear() { records_.clear(); }

 private:
  size_t capacity_;
  std::unordered_map<Key, Record, Hash> records_;
};

}  // namespace ota
