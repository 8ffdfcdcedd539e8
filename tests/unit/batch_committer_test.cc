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

TEST_F(BatchCommitterTest, ABatchThatCausesDeviceMessagesIsCommittedBeforeTheyLeave) {
  write("d0");
  batch_->commit(5'000);  // synced: the interval since the start passed
  write("d1");
  batch_->after_commit(message("a"));
  batch_->commit(5'010);  // within the commit interval, but a message waits
  EXPECT_FALSE(store_->in_transaction());
  EXPECT_TRUE(store_->unsynced());  // a device's message needs no sync
  EXPECT_EQ(counters_.store_syncs, 1u);
  std::vector<OutboundMessage> out = batch_->take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, "a");
}

TEST_F(BatchCommitterTest, AnAnswerIsSyncedBeforeItLeaves) {
  write("d0");
  batch_->commit(5'000);
  write("d1");
  batch_->answer(message("reply"));
  batch_->notification(message("n"));
  batch_->commit(5'010);
  EXPECT_FALSE(store_->in_transaction());
  EXPECT_FALSE(store_->unsynced());
  EXPECT_EQ(counters_.store_syncs, 2u);
  EXPECT_EQ(batch_->take().size(), 2u);
  // The next batch's device message does not inherit the answer's sync.
  write("d2");
  batch_->after_commit(message("a"));
  batch_->commit(5'020);
  EXPECT_TRUE(store_->unsynced());
  EXPECT_EQ(counters_.store_syncs, 2u);
}

TEST_F(BatchCommitterTest, QuietBatchesStayOpenForTheCommitInterval) {
  write("d0");
  batch_->commit(10'000);  // the first commit: the interval since 0 passed
  EXPECT_FALSE(store_->in_transaction());
  write("d1");
  batch_->commit(10'050);  // 50 ms after the last commit: still open
  EXPECT_TRUE(store_->in_transaction());
  write("d2");
  batch_->commit(10'099);
  EXPECT_TRUE(store_->in_transaction());
  batch_->commit(10'100);  // the interval passed: both writes, one commit
  EXPECT_FALSE(store_->in_transaction());
  EXPECT_TRUE(store_->unsynced());
  EXPECT_TRUE(store_->get_device({"pk", "d2"}).has_value());
  store_->commit(false);
}

TEST_F(BatchCommitterTest, APeriodicSyncDoesNotDelayADevicesMessageUnlessOverdue) {
  write("d0");
  batch_->commit(10'000);  // synced: the interval since 0 passed
  write("d1");
  batch_->notification(message("n1"));
  batch_->commit(11'500);  // the interval passed, but a notification waits
  EXPECT_TRUE(store_->unsynced());
  EXPECT_EQ(counters_.store_syncs, 1u);
  batch_->take();
  batch_->commit(11'600);  // the next quiet iteration syncs
  EXPECT_FALSE(store_->unsynced());
  EXPECT_EQ(counters_.store_syncs, 2u);
  // Under a steady stream of notifications: synced once twice overdue.
  for (TimeMs t = 11'700; t < 13'600; t += 100) {
    write("d2");
    batch_->notification(message("n"));
    batch_->commit(t);
    batch_->take();
  }
  EXPECT_EQ(counters_.store_syncs, 2u);
  write("d3");
  batch_->notification(message("n"));
  batch_->commit(13'600);  // 2 intervals after the last sync
  EXPECT_FALSE(store_->unsynced());
  EXPECT_EQ(counters_.store_syncs, 3u);
}

TEST_F(BatchCommitterTest, QuietBatchesAreSyncedOncePerInterval) {
  write("d0");
  batch_->commit(10'000);  // synced: the interval since 0 passed
  write("d1");
  batch_->commit(10'100);
  EXPECT_TRUE(store_->unsynced());
  batch_->commit(10'500);  // nothing open, interval not passed: nothing
  EXPECT_TRUE(store_->unsynced());
  batch_->commit(11'000);  // nothing open, interval passed: sync
  EXPECT_FALSE(store_->unsynced());
  EXPECT_EQ(counters_.store_syncs, 2u);
}

TEST_F(BatchCommitterTest, StatelessMessagesLeaveWithoutASync) {
  write("d0");
  batch_->commit(10'000);
  write("d1");
  batch_->stateless(message("block"));
  batch_->commit(10'100);
  EXPECT_TRUE(store_->unsynced());
  ASSERT_EQ(batch_->take().size(), 1u);
}

TEST_F(BatchCommitterTest, ALostBatchDropsWhatItCausedAndNotStatelessOnes) {
  write("d1");
  batch_->after_commit(message("caused"));
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

TEST_F(BatchCommitterTest, AFailingCommitThrowsAndLeavesNothing) {
  write("d1");
  batch_->after_commit(message("caused"));
  store_->fail_commit_at(1);
  EXPECT_THROW(batch_->commit(10'000), StoreError);
  batch_->lose(StoreError("injected"));
  EXPECT_TRUE(batch_->take().empty());
  EXPECT_FALSE(store_->get_device({"pk", "d1"}).has_value());
  EXPECT_EQ(counters_.store_syncs, 0u);
}

TEST_F(BatchCommitterTest, NotificationsCountWhenTheyLeaveNotWhenLost) {
  batch_->notification(message("n1"));
  batch_->lose(StoreError("disk full"));
  EXPECT_TRUE(batch_->take().empty());
  EXPECT_EQ(counters_.notifications_sent, 0u);
  batch_->notification(message("n2"));
  batch_->after_commit(message("reply"));
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
  batch_->commit(10'000);  // durable: the interval passed
  write("d1");
  batch_->commit(10'100);  // unsynced
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
  batch_->commit(10'000);  // clock 2000, 3000
  ASSERT_EQ(batch_->take().size(), 1u);  // clock 4000
  EXPECT_EQ(timings_.report_to_notification.count(), 1u);
  EXPECT_EQ(timings_.report_to_notification.sum_ns(), 3'000u);
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
  batch_->device_message_begins();
  batch_->notification(message("n1"));
  batch_->device_message_ends();
  store_->fail_commit_at(1);
  write("d1");
  EXPECT_THROW(batch_->commit(10'000), StoreError);
  batch_->lose(StoreError("injected"));
  EXPECT_TRUE(batch_->take().empty());
  EXPECT_EQ(timings_.report_to_notification.count(), 0u);
  EXPECT_EQ(timings_.batch_commit_durable.count(), 0u);
}

}  // namespace
}  // namespace ota
