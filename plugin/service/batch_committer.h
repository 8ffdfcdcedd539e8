// Batching and durability (docs/decisions.md "durability"): one store
// transaction gathers the writes of broker loop iterations for up to
// commit_interval_ms, so that repeated reports coalesce into one write.
//
//   - A message to a device leaves at the end of the loop iteration that
//     caused it, without waiting for the batch: what it says is re-derived
//     from the device's next report (or from the stored job) if the batch is
//     lost (decisions.md).
//   - An answer to an operator or an app (answer()) leaves only after its
//     batch was committed and synced, and so does everything else the batch
//     caused in that loop iteration (the pushes of the job it created).
//   - A batch is committed once it has been open for commit_interval_ms, at
//     the end of an iteration that sends no device message (a commit delays
//     what is about to leave), or twice that when every iteration sends
//     some; an unsynced commit is synced within sync_interval_ms, by the
//     same rule.
//   - A batch that fails is lost whole: aborted, and what it caused that
//     has not left yet is dropped (lose()).
//
// Messages that record no state (MQTT firmware blocks) wait in a separate
// queue: they leave with the next flush, even from a lost batch.
//
// With metrics on (measure_with), it also times each commit and each
// notification from the device message that caused it to take().
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <set>
#include <utility>
#include <vector>

#include "dialects/dialect.h"
#include "engine/transaction.h"
#include "service/broker_types.h"
#include "service/histogram.h"
#include "service/monitoring.h"

namespace ota {

// What the operator should change after a storage failure `what` (the
// error answers of control commands and the log say it).
std::string storage_advice(const std::string& what);

class BatchCommitter {
 public:
  // `on_lost` runs after a lost batch was aborted (the engine forgets its
  // cached reads of it).
  BatchCommitter(TransactionalStore& store, int64_t commit_interval_ms, int64_t sync_interval_ms,
                 ServiceCounters& counters, const Logger& log, std::function<void()> on_lost)
      : store_(store),
        commit_interval_ms_(commit_interval_ms),
        sync_interval_ms_(sync_interval_ms),
        counters_(counters),
        log_(log),
        on_lost_(std::move(on_lost)) {}

  // A message to a device caused by the open batch: it leaves with the
  // next take(), unless the batch is lost first.
  void caused(OutboundMessage m) { caused_.push_back(std::move(m)); }
  // An answer to an operator or an app: it leaves after the batch is
  // committed and synced (nothing re-derives what it acknowledged).
  void answer(OutboundMessage m) {
    caused_.push_back(std::move(m));
    answers_++;
  }
  // ... a notification: counted in notifications_sent once it leaves, so
  // the counter never includes those of a lost batch.
  void notification(OutboundMessage m) {
    caused_.push_back(std::move(m));
    notifications_++;
    if (message_arrival_ns_ >= 0) caused_arrivals_ns_.push_back(message_arrival_ns_);
  }
  // A message that records no state: leaves with the next flush, unsynced.
  void stateless(OutboundMessage m) { stateless_.push_back(std::move(m)); }
  // True the first time in this batch for (device, job): a device that
  // subscribes and reports in one loop iteration is told once.
  bool first_notification(const DeviceKey& device, JobId job) {
    return notified_.insert({device, job}).second;
  }

  // The time of what happens now (the log of lost batches is paced by it).
  void at(TimeMs now) { now_ = now; }
  // The end of a loop iteration, before take(): commits the open batch
  // when it answers someone (synced) or its commit interval is up (synced
  // when sync_interval_ms passed), or syncs an unsynced commit once the sync
  // interval passed (see above for when a device message waits). Throws
  // StoreError: call lose() then.
  void commit(TimeMs now);
  // Whether commit() and take() would do nothing new in the millisecond of
  // the last commit(): nothing to hand over, the open batch (if any) timed
  // from an earlier call, and that call as quiet as this one would be.
  bool idle() const {
    return nothing_to_hand_over() && last_commit_quiet_ &&
           (open_since_.has_value() || !store_.in_transaction());
  }
  // The batch failed: abort it, drop the messages it caused, count and log
  // (one line per kLostLogIntervalMs, with the number of batches lost).
  // Messages the answerer turns into an error answer (control replies)
  // still leave, unsynced: they record nothing.
  void lose(const std::exception& e);
  using LostAnswerer =
      std::function<std::optional<OutboundMessage>(const OutboundMessage&, const std::string& why)>;
  void set_lost_answerer(LostAnswerer answerer) { answer_lost_ = std::move(answerer); }
  static constexpr TimeMs kLostLogIntervalMs = 10'000;
  // Ends the batch: the messages to publish now, caused ones first.
  std::vector<OutboundMessage> take();

  // Times commits and report-to-notification latency into `timings`
  // (which outlives this). Without it no clock is ever read.
  void measure_with(MonotonicClock clock, ServiceTimings& timings) {
    clock_ = std::move(clock);
    timings_ = &timings;
  }
  // Brackets the handling of one device message: notifications it causes
  // are timed from its arrival (begins) to the take() that hands them over.
  void device_message_begins() {
    if (timings_) message_arrival_ns_ = clock_();
  }
  void device_message_ends() { message_arrival_ns_ = -1; }
  // ... as a scope.
  class DeviceMessageScope;

 private:
  bool nothing_to_hand_over() const {
    return caused_.empty() && stateless_.empty() && notified_.empty();
  }

  TransactionalStore& store_;
  int64_t commit_interval_ms_;
  int64_t sync_interval_ms_;
  ServiceCounters& counters_;
  const Logger& log_;
  std::function<void()> on_lost_;
  std::vector<OutboundMessage> caused_;     // leave after the next commit
  std::vector<OutboundMessage> stateless_;  // leave with the next flush
  std::set<std::pair<DeviceKey, JobId>> notified_;
  uint64_t notifications_ = 0;  // among caused_
  uint64_t answers_ = 0;        // among caused_
  std::optional<TimeMs> open_since_;  // the open batch's first commit() call
  TimeMs last_sync_ = 0;
  bool unsynced_ = false;
  bool last_commit_quiet_ = false;  // the last commit() had nothing caused
  LostAnswerer answer_lost_;
  TimeMs now_ = 0;             // of the last commit(): the batch's time
  TimeMs last_lost_log_ = -kLostLogIntervalMs;
  uint64_t lost_unlogged_ = 0;  // lost batches since the last log line

  // Metrics (measure_with); timings_ null: off.
  MonotonicClock clock_;
  ServiceTimings* timings_ = nullptr;
  int64_t message_arrival_ns_ = -1;           // the device message being handled
  std::vector<int64_t> caused_arrivals_ns_;  // of its notifications among caused_
};

// Brackets one device message (or subscription) for the timings.
class BatchCommitter::DeviceMessageScope {
 public:
  explicit DeviceMessageScope(BatchCommitter& batch) : batch_(batch) {
    batch_.device_message_begins();
  }
  ~DeviceMessageScope() { batch_.device_message_ends(); }
  DeviceMessageScope(const DeviceMessageScope&) = delete;
  DeviceMessageScope& operator=(const DeviceMessageScope&) = delete;

 private:
  BatchCommitter& batch_;
};

}  // namespace ota
