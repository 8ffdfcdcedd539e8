#include "service/batch_committer.h"

#include <iterator>
#include <string>

namespace ota {

void BatchCommitter::commit(TimeMs now) {
  const bool causes_messages = !caused_.empty();
  const bool interval_passed = now - last_sync_ >= sync_interval_ms_;
  if (store_.in_transaction()) {
    // Synced when it causes a message, and at least once an interval under
    // a steady stream of batches that cause none.
    const bool durable = causes_messages || interval_passed;
    const int64_t start = timings_ ? clock_() : 0;
    store_.commit(durable);
    if (timings_) {
      (durable ? timings_->batch_commit_durable : timings_->batch_commit_unsynced)
          .observe(clock_() - start);
    }
    if (durable) {
      last_sync_ = now;
      counters_.store_syncs++;
    }
    unsynced_ = !durable;
  } else if (unsynced_ && interval_passed) {
    const int64_t start = timings_ ? clock_() : 0;
    store_.sync();
    if (timings_) timings_->store_sync.observe(clock_() - start);
    counters_.store_syncs++;
    last_sync_ = now;
    unsynced_ = false;
  }
}

void BatchCommitter::lose(const std::exception& e) {
  // Nothing of this batch reaches the disk, so nothing it caused may leave.
  store_.abort();
  counters_.store_errors++;
  log_(LogLevel::kError, std::string("mosquitto-ota: storage failure, the last ") +
       std::to_string(caused_.size()) + " outgoing messages are dropped: " + e.what());
  caused_.clear();
  caused_arrivals_ns_.clear();
  notified_.clear();
  notifications_ = 0;
  if (on_lost_) on_lost_();
}

std::vector<OutboundMessage> BatchCommitter::take() {
  std::vector<OutboundMessage> out;
  out.swap(caused_);
  counters_.notifications_sent += notifications_;
  notifications_ = 0;
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
