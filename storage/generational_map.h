// A hash map that forgets what was not used lately, for the caches in
// front of LMDB (decisions.md "The device cache"): two generations, the
// young one taking every new entry and every old entry found again. When
// the young generation is full, forget_unused() drops the old one and the
// young one becomes old: an entry stays while it is used at least once per
// generation. A fleet larger than the cache then keeps its busy devices,
// where forgetting everything at once kept none of them.
//
// Node-based: an entry's address never changes, not even when it moves to
// the young generation, until it is erased or dropped.
#pragma once

#include <cstddef>
#include <utility>

#include <absl/container/node_hash_map.h>

namespace ota {

template <typename Key, typename Value, typename Hash, typename Equal>
class GenerationalMap {
  using Map = absl::node_hash_map<Key, Value, Hash, Equal>;

 public:
  using value_type = typename Map::value_type;

  // The entry, or null. `K`: the key, or what a transparent Hash takes.
  template <typename K>
  value_type* find(const K& key) {
    if (auto it = young_.find(key); it != young_.end()) return &*it;
    auto it = old_.find(key);
    if (it == old_.end()) return nullptr;
    return &*young_.insert(old_.extract(it)).position;  // used again: young
  }
  // The entry, created (value-initialised) when absent.
  value_type& find_or_insert(const Key& key) {
    if (value_type* found = find(key)) return *found;
    return *young_.try_emplace(key).first;
  }
  template <typename K>
  void erase(const K& key) {
    if (young_.erase(key) == 0) old_.erase(key);
  }
  size_t size() const { return young_.size() + old_.size(); }
  // After a commit: once the young generation holds more than half of
  // `capacity`, drops the old one and makes the young one old (capacity 0:
  // drops everything). True when entries may have been dropped.
  bool forget_unused(size_t capacity) {
    if (capacity == 0) {
      clear();
      return true;
    }
    if (young_.size() <= capacity / 2) return false;
    old_ = std::move(young_);
    young_ = Map();
    return true;
  }
  void clear() {
    young_.clear();
    old_.clear();
  }

 private:
  Map young_;
  Map old_;
};

}  // namespace ota
