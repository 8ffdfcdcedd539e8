#include "service/batch_committer.h"

#include <gtest/gtest.h>

#include "fault_injection_store.h"
#include "storage/lmdb_store.h"
#include "temp_dir.h"

namespace ota {
namespace {

class BatchCommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lmdb_ = LmdbStore::open(tmp_.sub("db"), {});
    store_ = std::make_unique<test::FaultInjectionStore>(*lmdb_);
    batch_ = std::make_unique<BatchCommitter>(*store_, 100, 1000, counters_, log_,
                                              [this] { lost_++; });
  }
  void write(const std::string& name) { store_->put_device(Device{{"pk", name}, {}, {}, 1, 1}); }
  static OutboundMessage message(const std::string& topic) {
    OutboundMessage m;
    m.topic = topic;
    return m;
  }

  test::TempDir tmp_;
  std::unique_ptr<LmdbStore> lmdb_;
  std::unique_ptr<test::FaultInjectionStore> store_;
  ServiceCounters counters_;
  std::vector<std::string> lines_;
  Logger log_ = [this](LogLevel, const std::string& l) { lines_.push_back(l); };
  int lost_ = 0;
  std::unique_ptr<BatchCommitter> batch_;
};

TEST_F(BatchCommitterTest, ADevicesMessageLeavesWithoutWaitingForItsBatch) {
  write("d0");
  batch_->commit(9'500);
  batch_->commit(9'600);  // the first commit: synced
  write("d1");
  batch_->caused(message("a"));
  batch_->commit(10'000);
  EXPECT_TRUE(store_->in_transaction());  // still open: nothing waited for the disk
  std::vector<OutboundMessage> out = batch_->take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, "a");
  batch_->commit(10'099);
  EXPECT_TRUE(store_->in_transaction());
  batch_->commit(10'100);  // open for the commit interval: committed, unsynced
  EXPECT_FALSE(store_->in_transaction());
  EXPECT_TRUE(store_->unsynced());
  EXPECT_TRUE(store_->get_device({"pk", "d1"}).has_value());
  store_->commit(false);
}

TEST_F(BatchCommitterTest, AnAnswerIsSyncedBeforeItLeaves) {
  write("d0");
  batch_->commit(5'000);  // open, nothing due
  write("d1");
  batch_->answer(message("reply"));
  batch_->notification(message("n"));
  batch_->commit(5'010);
  EXPECT_FALSE(store_->in_transaction());
  EXPECT_FALSE(store_->unsynced());
  EXPECT_EQ(counters_.store_syncs, 1u);
  EXPECT_EQ(batch_->take().size(), 2u);
  // The next batch's device message does not wait for a commit at all.
  write("d2");
  batch_->caused(message("a"));
  batch_->commit(5'020);
  EXPECT_TRUE(store_->in_transaction());
  EXPECT_EQ(batch_->take().size(), 1u);
  EXPECT_EQ(counters_.store_syncs, 1u);
  store_->commit(false);
}

TEST_F(BatchCommitterTest, QuietBatchesStayOpenForTheCommitInterval) {
  write("d0");
  batch_->commit(10'000);  // the batch's first iteration: open
  EXPECT_TRUE(store_->in_transaction());
  write("d1");
  batch_->commit(10'050);
  EXPECT_TRUE(store_->in_transaction());
  write("d2");
  batch_->commit(10'099);
  EXPECT_TRUE(store_->in_transaction());
  batch_->commit(10'100);  // open for the interval: the three writes, one commit
  EXPECT_FALSE(store_->in_transaction());
  EXPECT_TRUE(store_->get_device({"pk", "d2"}).has_value());
  // The next batch's interval counts from its own first iteration.
  write("d3");
  batch_->commit(10'500);
  EXPECT_TRUE(store_->in_transaction());
  store_->commit(false);
}

TEST_F(BatchCommitterTest, ACommitWaitsForAnIterationWithoutDeviceMessagesUnlessOverdue) {
  write("d0");
  batch_->commit(10'000);
  write("d1");
  batch_->notification(message("n1"));
  batch_->commit(10'150);  // due, but a notification is about to leave
  EXPECT_TRUE(store_->in_transaction());
  batch_->take();
  batch_->commit(10'160);  // the next quiet iteration commits
  EXPECT_FALSE(store_->in_transaction());
  // Under a steady stream of notifications: committed twice overdue.
  for (TimeMs t = 10'200; t < 10'400; t += 50) {
    write("d2");
    batch_->notification(message("n"));
    batch_->commit(t);
    EXPECT_TRUE(store_->in_transaction()) << t;
    batch_->take();
  }
  write("d3");
  batch_->notification(message("n"));
  batch_->commit(10'400);  // open since 10'200: 2 intervals
  EXPECT_FALSE(store_->in_transaction());
  batch_->take();
}

TEST_F(BatchCommitterTest, APeriodicSyncDoesNotDelayADevicesMessageUnlessOverdue) {
  write("d0");
  batch_->commit(10'000);
  batch_->commit(10'100);  // synced: the sync interval since 0 passed
  EXPECT_EQ(counters_.store_syncs, 1u);
  write("d1");
  batch_->commit(10'500);
  batch_->commit(10'600);  // committed: the sync interval not yet passed
  EXPECT_TRUE(store_->unsynced());
  batch_->notification(message("n1"));
  batch_->commit(11'500);  // the interval passed, but a notification waits
  EXPECT_TRUE(store_->unsynced());
  batch_->take();
  batch_->commit(11'600);  // the next quiet iteration syncs
  EXPECT_FALSE(store_->unsynced());
  EXPECT_EQ(counters_.store_syncs, 2u);
  // Under a steady stream of notifications: synced once twice overdue,
  // with the first commit after that.
  TimeMs synced_at = 0;
  for (TimeMs t = 11'700; t <= 14'000; t += 100) {
    write("d2");
    batch_->notification(message("n"));
    batch_->commit(t);
    batch_->take();
    if (synced_at == 0 && counters_.store_syncs == 3) synced_at = t;
  }
  EXPECT_EQ(counters_.store_syncs, 3u);
  EXPECT_GE(synced_at, 13'600);
  EXPECT_LE(synced_at, 13'800);
  store_->commit(false);
}

TEST_F(BatchCommitterTest, QuietBatchesAreSyncedOncePerInterval) {
  write("d0");
  batch_->commit(10'000);
  batch_->commit(10'100);  // synced: the interval since 0 passed
  write("d1");
  batch_->commit(10'150);
  batch_->commit(10'250);
  EXPECT_TRUE(store_->unsynced());
  batch_->commit(10'500);  // nothing open, interval not passed: nothing
  EXPECT_TRUE(store_->unsynced());
  batch_->commit(11'100);  // nothing open, interval passed: sync
  EXPECT_FALSE(store_->unsynced());
  EXPECT_EQ(counters_.store_syncs, 2u);
}

TEST_F(BatchCommitterTest, StatelessMessagesLeaveWithoutASync) {
  write("d0");
  batch_->commit(10'000);
  batch_->commit(10'100);  // the first commit: synced
  write("d1");
  batch_->stateless(message("block"));
  batch_->commit(10'200);
  EXPECT_TRUE(store_->in_transaction());
  ASSERT_EQ(batch_->take().size(), 1u);
  batch_->commit(10'300);
  EXPECT_TRUE(store_->unsynced());
}

TEST_F(BatchCommitterTest, ALostBatchDropsWhatItCausedAndNotStatelessOnes) {
  write("d1");
  batch_->caused(message("caused"));
  batch_->stateless(message("block"));
  EXPECT_TRUE(batch_->first_notification({"pk", "d1"}, 1));
  EXPECT_FALSE(batch_->first_notification({"pk", "d1"}, 1));
  batch_->lose(StoreError("disk full"));
  EXPECT_EQ(lost_, 1);
  EXPECT_EQ(counters_.store_errors, 1u);
  EXPECT_EQ(lines_.back(),
            "mosquitto-ota: 1 batch(es) lost since the last report, the last with 1 outgoing "
            "messages (0 control replies turned into errors): storage failure (disk full): "
            "nothing was changed; check the disk and the broker log [disk full]");
  EXPECT_FALSE(store_->get_device({"pk", "d1"}).has_value());  // aborted
  std::vector<OutboundMessage> out = batch_->take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, "block");
  EXPECT_TRUE(batch_->first_notification({"pk", "d1"}, 1));  // a new batch
}

TEST_F(BatchCommitterTest, AFailingCommitThrowsAndLeavesNothingWaiting) {
  write("d1");
  batch_->answer(message("reply"));
  batch_->caused(message("push"));
  store_->fail_commit_at(1);
  EXPECT_THROW(batch_->commit(10'000), StoreError);
  batch_->lose(StoreError("injected"));
  EXPECT_TRUE(batch_->take().empty());
  EXPECT_FALSE(store_->get_device({"pk", "d1"}).has_value());
  EXPECT_EQ(counters_.store_syncs, 0u);
}

// What left before its batch failed cannot be called back: the batch is
// still lost whole, and the next one starts afresh.
TEST_F(BatchCommitterTest, ADeviceMessageThatLeftStaysSentWhenItsBatchFailsLater) {
  write("d1");
  batch_->notification(message("n"));
  batch_->commit(10'000);
  EXPECT_EQ(batch_->take().size(), 1u);
  EXPECT_EQ(counters_.notifications_sent, 1u);
  store_->fail_commit_at(1);
  EXPECT_THROW(batch_->commit(10'100), StoreError);
  batch_->lose(StoreError("injected"));
  EXPECT_FALSE(store_->get_device({"pk", "d1"}).has_value());
  EXPECT_EQ(counters_.store_errors, 1u);
  write("d2");
  batch_->commit(10'110);  // a new batch: its interval starts now
  EXPECT_TRUE(store_->in_transaction());
  store_->clear_faults();
  store_->commit(false);
}

TEST_F(BatchCommitterTest, NotificationsCountWhenTheyLeaveNotWhenLost) {
  batch_->notification(message("n1"));
  batch_->lose(StoreError("disk full"));
  EXPECT_TRUE(batch_->take().empty());
  EXPECT_EQ(counters_.notifications_sent, 0u);
  batch_->notification(message("n2"));
  batch_->caused(message("reply"));
  EXPECT_EQ(counters_.notifications_sent, 0u);
  EXPECT_EQ(batch_->take().size(), 2u);
  EXPECT_EQ(counters_.notifications_sent, 1u);
}

// Timings (metrics on): a fake clock that advances 1 µs per read makes
// every duration exact.
class BatchTimingTest : public BatchCommitterTest {
 protected:
  void SetUp() override {
    BatchCommitterTest::SetUp();
    batch_->measure_with([this] { return clock_ += 1'000; }, timings_);
  }
  int64_t clock_ = 0;
  ServiceTimings timings_;
};

TEST_F(BatchTimingTest, EachCommitIsTimedByDurability) {
  write("d0");
  batch_->commit(10'000);
  batch_->commit(10'100);  // durable: the sync interval since 0 passed
  write("d1");
  batch_->commit(10'200);
  batch_->commit(10'300);  // unsynced
  EXPECT_EQ(timings_.batch_commit_durable.count(), 1u);
  EXPECT_EQ(timings_.batch_commit_durable.sum_ns(), 1'000u);
  EXPECT_EQ(timings_.batch_commit_unsynced.count(), 1u);
  EXPECT_EQ(timings_.store_sync.count(), 0u);
  batch_->commit(11'100);  // nothing open: the deferred sync
  EXPECT_EQ(timings_.store_sync.count(), 1u);
  EXPECT_EQ(timings_.batch_commit_durable.count(), 1u);
}

TEST_F(BatchTimingTest, ANotificationIsTimedFromTheDeviceMessageToTake) {
  batch_->device_message_begins();  // clock 1000
  write("d1");
  batch_->notification(message("n1"));
  batch_->device_message_ends();
  batch_->commit(10'000);  // nothing waited for: no commit, no clock
  ASSERT_EQ(batch_->take().size(), 1u);  // clock 2000
  EXPECT_EQ(timings_.report_to_notification.count(), 1u);
  EXPECT_EQ(timings_.report_to_notification.sum_ns(), 1'000u);
}

TEST_F(BatchTimingTest, NotificationsNotCausedByADeviceMessageAreNotTimed) {
  batch_->notification(message("push"));  // a scheduled push, a control command
  batch_->device_message_begins();
  batch_->device_message_ends();
  batch_->notification(message("push2"));
  batch_->commit(10'000);
  ASSERT_EQ(batch_->take().size(), 2u);
  EXPECT_EQ(timings_.report_to_notification.count(), 0u);
}

TEST_F(BatchTimingTest, ALostBatchTimesNothingItCaused) {
  write("d0");
  batch_->commit(10'000);
  batch_->device_message_begins();
  batch_->notification(message("n1"));
  batch_->device_message_ends();
  store_->fail_commit_at(1);
  write("d1");
  EXPECT_THROW(batch_->commit(10'200), StoreError);  // twice overdue: commits before n1 leaves
  batch_->lose(StoreError("injected"));
  EXPECT_TRUE(batch_->take().empty());
  EXPECT_EQ(timings_.report_to_notification.count(), 0u);
  EXPECT_EQ(timings_.batch_commit_durable.count(), 0u);
}


// idle(): what lets the service skip a second flush in one millisecond.
TEST_F(BatchCommitterTest, IdleOnlyWithNothingToHandOverAndTheBatchTimed) {
  batch_->commit(1'000);
  EXPECT_TRUE(batch_->idle());  // nothing open, nothing caused, a quiet call
  write("d1");                  // a batch opens: its first commit() times it
  EXPECT_FALSE(batch_->idle());
  batch_->commit(1'000);
  EXPECT_TRUE(batch_->idle());
  batch_->caused(message("a"));  // something to hand over
  EXPECT_FALSE(batch_->idle());
  batch_->commit(1'000);  // not quiet: a quiet call could decide otherwise
  EXPECT_FALSE(batch_->take().empty());
  EXPECT_FALSE(batch_->idle());
  batch_->commit(1'000);
  EXPECT_TRUE(batch_->idle());
  batch_->stateless(message("b"));
  EXPECT_FALSE(batch_->idle());
  EXPECT_EQ(batch_->take().size(), 1u);
  EXPECT_TRUE(batch_->idle());
}

}  // namespace
}  // namespace ota
