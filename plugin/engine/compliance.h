// Where a module's devices stand against a version (getStatistics
// "compliance"). Counting means reading every device of the product, so a
// product of up to `inline_devices` devices is counted when asked; a bigger
// one is counted in slices of `slice_devices` devices, one slice per broker
// loop iteration (advance()), and an answer gives the last finished count
// while a newer one runs: a console polling statistics never holds the
// broker for a pass over a million devices (decisions.md "Compliance of a
// big product is counted in slices").
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "engine/model.h"
#include "engine/store.h"

namespace ota {

// Where a product module's devices stand against one target version (the
// newest package): on it, busy with a task, failed at their latest task of
// the module, or still to be upgraded.
struct Compliance {
  std::string target_version;
  uint64_t on_target = 0;
  uint64_t in_progress = 0;
  uint64_t failed = 0;
  uint64_t needs_update = 0;
};

struct ComplianceAnswer {
  std::optional<Compliance> figures;  // none yet: the first count runs
  bool counted_now = true;            // counted for this answer (a small product)
  TimeMs as_of = 0;                   // when `figures` were finished (counted in slices)
  bool counting = false;              // a count is running
};

class ComplianceCounts {
 public:
  struct Limits {
    size_t inline_devices = 20'000;  // counted when asked up to this many
    size_t slice_devices = 2'000;    // devices read per loop iteration above it
    int64_t refresh_ms = 30'000;     // a finished count older than this is redone when asked
    int64_t forget_ms = 600'000;     // a count not asked for this long is dropped
  };
  ComplianceCounts(Store& store, Limits limits) : store_(store), limits_(limits) {}

  ComplianceAnswer answer(const std::string& product, const std::string& module,
                          const std::string& target_version, TimeMs now);
  // One slice of every running count.
  void advance(TimeMs now);
  // The counts kept (product, module and target asked within forget_ms).
  size_t kept() const { return counts_.size(); }
  // Whether a count is running (advance() has work).
  bool running() const {
    for (const auto& entry : counts_) {
      if (entry.second.running) return true;
    }
    return false;
  }

 private:
  struct Count {
    bool running = false;
    std::string cursor;  // the last device read
    Compliance partial;
    std::optional<Compliance> finished;
    TimeMs finished_at = 0;
    TimeMs asked_at = 0;
  };
  using Key = std::tuple<std::string, std::string, std::string>;  // product, module, target

  // Drops the counts no one asked for within forget_ms (targets change
  // with every new package, and getStatistics may name any): the map holds
  // what consoles ask now, not every target ever asked.
  void forget_unasked(TimeMs now);
  // Counts `device` in `c`, unless it does not report `module`.
  void add(const Device& device, const std::string& module, Compliance& c);

  Store& store_;
  Limits limits_;
  std::map<Key, Count> counts_;
};

}  // namespace ota
