#include "service/batch_committer.h"

#include <iterator>
#include <string>

namespace ota {

void BatchCommitter::commit(TimeMs now) {
  now_ = now;
  const bool causes_messages = !caused_.empty();
  const bool interval_passed = now - last_sync_ >= sync_interval_ms_;
  if (store_.in_transaction() &&
      (causes_messages || now - last_commit_ >= commit_interval_ms_)) {
    // Synced when it answers someone, and at least once an interval under
    // a steady stream of batches that do not. The periodic sync waits for a
    // batch without device messages (so a notification does not wait for
    // the disk), unless it is overdue twice over.
    const bool periodic_sync =
        interval_passed && (!causes_messages || now - last_sync_ >= 2 * sync_interval_ms_);
    const bool durable = answers_ > 0 || periodic_sync;
    const int64_t start = timings_ ? clock_() : 0;
    store_.commit(durable);
    if (timings_) {
      (durable ? timings_->batch_commit_durable : timings_->batch_commit_unsynced)
          .observe(clock_() - start);
    }
    last_commit_ = now;
    if (durable) {
      last_sync_ = now;
      counters_.store_syncs++;
    }
    unsynced_ = !durable;
  } else if (store_.in_transaction()) {
    return;  // open until the commit interval passes or a message waits
  } else if (unsynced_ && interval_passed) {
    const int64_t start = timings_ ? clock_() : 0;
    store_.sync();
    if (timings_) timings_->store_sync.observe(clock_() - start);
    counters_.store_syncs++;
    last_sync_ = now;
    unsynced_ = false;
  }
}

std::string storage_advice(const std::string& what) {
  if (what.find("MDB_MAP_FULL") != std::string::npos) {
    return "the OTA database is full: raise plugin_opt_db_map_size_mb and restart the broker, "
           "or delete finished jobs and unused packages; nothing was changed";
  }
  return "storage failure (" + what + "): nothing was changed; check the disk and the broker log";
}

void BatchCommitter::lose(const std::exception& e) {
  // Nothing of this batch reaches the disk, so nothing it caused may leave.
  store_.abort();
  counters_.store_errors++;
  const std::string why = storage_advice(e.what());
  size_t answered = 0;
  if (answer_lost_) {
    for (const OutboundMessage& m : caused_) {
      if (std::optional<OutboundMessage> answer = answer_lost_(m, why)) {
        stateless_.push_back(std::move(*answer));
        answered++;
      }
    }
  }
  // A full database fails every batch that writes: one line per interval.
  lost_unlogged_++;
  if (now_ - last_lost_log_ >= kLostLogIntervalMs) {
    log_(LogLevel::kError, "mosquitto-ota: " + std::to_string(lost_unlogged_) +
         " batch(es) lost since the last report, the last with " +
         std::to_string(caused_.size()) + " outgoing messages (" + std::to_string(answered) +
         " control replies turned into errors): " + why + " [" + e.what() + "]");
    last_lost_log_ = now_;
    lost_unlogged_ = 0;
  }
  caused_.clear();
  caused_arrivals_ns_.clear();
  notified_.clear();
  notifications_ = 0;
  answers_ = 0;
  if (on_lost_) on_lost_();
}

std::vector<OutboundMessage> BatchCommitter::take() {
  std::vector<OutboundMessage> out;
  out.swap(caused_);
  counters_.notifications_sent += notifications_;
  notifications_ = 0;
  answers_ = 0;
  if (!caused_arrivals_ns_.empty()) {
    const int64_t handed_over = clock_();
    for (int64_t arrival : caused_arrivals_ns_) {
      timings_->report_to_notification.observe(handed_over - arrival);
    }
    caused_arrivals_ns_.clear();
  }
  std::move(stateless_.begin(), stateless_.end(), std::back_inserter(out));
  stateless_.clear();
  notified_.clear();
  return out;
}

}  // namespace ota
