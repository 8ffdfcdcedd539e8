#include "service/batch_committer.h"

#include <iterator>
#include <string>

namespace ota {

void BatchCommitter::commit(TimeMs now) {
  now_ = now;
  // A commit or a sync on this iteration delays the device messages about
  // to leave: one that is due waits for a quiet iteration, unless overdue
  // twice over (a steady stream of notifications).
  const bool quiet = caused_.empty();
  last_commit_quiet_ = quiet;
  const auto due = [&](TimeMs since, int64_t interval) {
    return now - since >= interval && (quiet || now - since >= 2 * interval);
  };
  const bool sync_due = due(last_sync_, sync_interval_ms_);
  if (store_.in_transaction()) {
    if (!open_since_) open_since_ = now;
    // Synced when it answers someone (nothing re-derives what it
    // acknowledged), and at least once a sync interval otherwise.
    const bool durable = answers_ > 0 || sync_due;
    if (answers_ == 0 && !due(*open_since_, commit_interval_ms_)) return;
    const int64_t start = timings_ ? clock_() : 0;
    store_.commit(durable);
    if (timings_) {
      (durable ? timings_->batch_commit_durable : timings_->batch_commit_unsynced)
          .observe(clock_() - start);
    }
    open_since_.reset();
    if (durable) {
      last_sync_ = now;
      counters_.store_syncs++;
    }
    unsynced_ = !durable;
  } else if (unsynced_ && sync_due) {
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
  // Nothing of this batch reaches the disk: what it caused and has not
  // left yet stays here (what left is re-derived, see the header).
  store_.abort();
  open_since_.reset();
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
  // Most loop iterations (mosquitto ticks after every packet) hand over
  // nothing.
  if (nothing_to_hand_over()) return {};
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
