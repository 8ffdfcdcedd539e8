// Decoded records in front of one LMDB database, so the per-report path (a
// device's task, its job and package) reads without a lookup in LMDB or a
// decode (decisions.md "The device cache"). Records are written through
// (put), or, where nothing else in LMDB depends on the write, kept dirty
// (put_dirty) and written back in one pass before the commit or a scan.
//
// LmdbStore clears it with the transaction it mirrors when that is aborted,
// and after a commit it forgets the records not used lately once it holds
// more than `capacity` (generational_map.h).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <absl/hash/hash.h>

#include "storage/generational_map.h"

namespace ota {

template <typename Key, typename Record, typename Hash = absl::Hash<Key>,
          typename Equal = std::equal_to<>>
class RecordCache {
  struct Slot;
  using Map = GenerationalMap<Key, Slot, Hash, Equal>;
  using Node = typename Map::value_type;

 public:
  explicit RecordCache(size_t capacity) : capacity_(capacity) {}

  // Where a cached record is, kept by a caller (the device cache keeps its
  // device's active task) to reach it again without hashing its key. It
  // goes stale when the cache forgets any record (erase, clear, trim).
  class Handle {
    friend class RecordCache;
    Node* node_ = nullptr;
    uint64_t generation_ = 0;
  };
  template <typename K>
  Handle handle(const K& key) {
    Handle h;
    h.node_ = lookup(key);
    h.generation_ = generation_;
    return h;
  }
  // The record `h` names, or null when it is empty or stale.
  const Record* find_at(const Handle& h) const {
    return current(h) ? &h.node_->second.record : nullptr;
  }
  // change(key) by handle: null when it is empty or stale.
  Record* change_at(const Handle& h) {
    if (!current(h)) return nullptr;
    mark_dirty(*h.node_);
    return &h.node_->second.record;
  }

  // The record, or null when not cached; valid until the next change.
  // `K`: the key, or what a transparent Hash takes in its place (no copy).
  template <typename K>
  const Record* find(const K& key) {
    Node* node = lookup(key);
    return node == nullptr ? nullptr : &node->second.record;
  }
  // A record as read from, or just written to, the database.
  const Record& put(const Key& key, Record record) {
    Node& node = slot(key);
    if (node.second.dirty) forget_dirty(node);
    node.second.record = std::move(record);
    return node.second.record;
  }
  // A record LMDB does not have yet: write_back() writes it.
  void put_dirty(const Key& key, const Record& record) {
    Node& node = slot(key);
    node.second.record = record;
    mark_dirty(node);
  }
  // The cached record, marked dirty, to change in place (null when not
  // cached): put_dirty without a copy.
  template <typename K>
  Record* change(const K& key) {
    Node* node = lookup(key);
    if (node == nullptr) return nullptr;
    mark_dirty(*node);
    return &node->second.record;
  }
  bool has_dirty() const { return !dirty_.empty(); }
  // Hands every dirty record to `write` (in key order: neighbouring puts
  // touch the same LMDB pages) and marks it clean. A throwing write leaves
  // the rest dirty: the caller aborts and clears.
  template <typename Writer>
  void write_back(const Writer& write) {
    std::sort(dirty_.begin(), dirty_.end(),
              [](const Node* a, const Node* b) { return a->first < b->first; });
    size_t done = 0;
    for (Node* node : dirty_) {
      write(node->first, node->second.record);
      node->second.dirty = false;
      done++;
    }
    dirty_.erase(dirty_.begin(), dirty_.begin() + static_cast<std::ptrdiff_t>(done));
  }
  void erase(const Key& key) {
    Node* node = lookup(key);
    if (node == nullptr) return;
    if (node->second.dirty) forget_dirty(*node);
    last_ = nullptr;
    generation_++;
    slots_.erase(key);
  }
  // After a commit (everything clean): past half the capacity since the
  // last time, the records not used since then are forgotten.
  void trim() {
    if (dirty_.empty() && slots_.forget_unused(capacity_)) {
      last_ = nullptr;
      generation_++;
    }
  }
  void clear() {
    slots_.clear();
    dirty_.clear();
    last_ = nullptr;
    generation_++;
  }
  size_t size() const { return slots_.size(); }

 private:
  // Pointer-stable (dirty_ and handles point into the map).
  struct Slot {
    Record record{};
    bool dirty = false;
  };
  bool current(const Handle& h) const { return h.node_ != nullptr && h.generation_ == generation_; }

  // A report reads its task, then changes it: the second lookup of the
  // same key compares it with the last one found instead of hashing again.
  template <typename K>
  Node* lookup(const K& key) {
    if (last_ != nullptr && Equal{}(last_->first, key)) return last_;
    Node* found = slots_.find(key);
    if (found != nullptr) last_ = found;
    return found;
  }
  Node& slot(const Key& key) {
    if (Node* found = lookup(key)) return *found;
    last_ = &slots_.find_or_insert(key);
    return *last_;
  }
  void mark_dirty(Node& node) {
    if (node.second.dirty) return;
    node.second.dirty = true;
    dirty_.push_back(&node);
  }
  void forget_dirty(Node& node) {
    node.second.dirty = false;
    std::erase(dirty_, &node);
  }

  size_t capacity_;
  Map slots_;
  std::vector<Node*> dirty_;  // node addresses are stable
  Node* last_ = nullptr;  // the last node found; null after an erase
  uint64_t generation_ = 0;  // counts the forgettings: older handles are stale
};

}  // namespace ota
