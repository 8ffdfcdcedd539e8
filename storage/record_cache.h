// Decoded records in front of one LMDB database, so the per-report path (a
// device's task, its job and package) reads without a lookup in LMDB or a
// decode (decisions.md "The device cache"). Records are written through
// (put), or, where nothing else in LMDB depends on the write, kept dirty
// (put_dirty) and written back in one pass before the commit or a scan.
//
// LmdbStore clears it with the transaction it mirrors when that is aborted,
// and forgets everything after a commit once it holds more than `capacity`.
#pragma once

#include <cstddef>
#include <functional>
#include <set>
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
    dirty_.erase(key);
    return records_.insert_or_assign(key, std::move(record)).first->second;
  }
  // A record LMDB does not have yet: write_back() writes it.
  void put_dirty(const Key& key, const Record& record) {
    records_.insert_or_assign(key, record);
    dirty_.insert(key);
  }
  bool has_dirty() const { return !dirty_.empty(); }
  // Hands every dirty record to `write` (in key order) and marks it clean.
  template <typename Writer>
  void write_back(const Writer& write) {
    while (!dirty_.empty()) {
      const Key key = *dirty_.begin();
      write(key, records_.at(key));
      dirty_.erase(dirty_.begin());
    }
  }
  void erase(const Key& key) {
    dirty_.erase(key);
    records_.erase(key);
  }
  void trim() {
    if (records_.size() > capacity_ && dirty_.empty()) records_.clear();
  }
  void clear() {
    records_.clear();
    dirty_.clear();
  }

 private:
  size_t capacity_;
  std::unordered_map<Key, Record, Hash> records_;
  std::set<Key> dirty_;
};

}  // namespace ota
