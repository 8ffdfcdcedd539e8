// The service against a store that fails on purpose (fault_injection_store.h):
// whatever write, commit or sync fails, no notification leaves for a change
// that was not committed, no reply for one not also synced, a failed batch
// is lost whole,
// and the counters stay equal to a recount of the store.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fault_injection_store.h"
#include "service/ota_service.h"
#include "storage/lmdb_store.h"
#include "temp_dir.h"

namespace ota {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;
constexpr int kDevices = 3;
const char* kCreatePackage =
    R"({"commands":[{"command":"createPackage","product":"pk","version":"2.0.0",)"
    R"("url":"https://fw.example/2.bin","size":100,"sign":"93230c3bde425a9d93230c3bde425a9d",)"
    R"("signMethod":"MD5"}]})";
const char* kCreateJob =
    R"({"commands":[{"command":"createJob","packageId":1,"devices":["d0","d1","d2"]}]})";

bool is_notification(const OutboundMessage& m) {
  return m.topic.starts_with("/ota/device/upgrade/");
}
bool is_control_reply(const OutboundMessage& m) {
  return m.topic == "$CONTROL/ota/v1/response";
}
// A control reply of a lost batch: every command answered with an error
// saying what to change; it records nothing, so it may leave unsynced.
bool is_control_error(const OutboundMessage& m) {
  return is_control_reply(m) && m.payload.find("\"error\":\"storage failure") != std::string::npos &&
         m.payload.find("\"data\"") == std::string::npos;
}
bool is_control_success(const OutboundMessage& m) {
  return is_control_reply(m) && !is_control_error(m);
}
size_t count(const std::vector<OutboundMessage>& out, bool (*pred)(const OutboundMessage&)) {
  size_t n = 0;
  for (const OutboundMessage& m : out) n += pred(m);
  return n;
}

class FaultInjectionTest : public ::testing::Test {
 public:
  void SetUp() override {
    lmdb_ = LmdbStore::open(tmp_.sub("db"), {});
    auto faulty = std::make_unique<test::FaultInjectionStore>(*lmdb_);
    store_ = faulty.get();
    PluginOptions o;
    o.db_path = tmp_.sub("db");
    o.admins = {"admin"};
    o.sys_interval_s = 0;
    ServiceParts parts;
    parts.store = std::move(faulty);
    service_ = std::make_unique<OtaService>(
        o, [this](LogLevel, const std::string& l) { log_.push_back(l); }, std::move(parts));
  }

  // Client ids as Alibaba's SDK connects ({pk}.{dn}), kept for the views.
  ClientInfo device_client(int i) {
    ids_[i] = "pk.d" + std::to_string(i);
    return {&conns_[i], ids_[i], ""};
  }

  // Every device reports 1.0.0 and subscribes to its notifications.
  void devices_online() {
    for (int i = 0; i < kDevices; ++i) {
      const std::string name = "d" + std::to_string(i);
      service_->on_message("/ota/device/inform/pk/" + name,
                           R"({"id":"1","params":{"version":"1.0.0"}})", device_client(i), now_);
      service_->on_acl_check("/ota/device/upgrade/pk/" + name, AclAccess::kSubscribe,
                             device_client(i), now_);
    }
  }
  void control(const char* payload) {
    service_->on_control(payload, {&admin_conn_, "ops", "admin"}, now_);
  }
  // One broker loop iteration: what it publishes, checked against the rule
  // that an answer to an operator leaves only once what it acknowledges is
  // committed and synced (a device's message does not wait: what it says is
  // re-derived from the device's next report, decisions.md).
  std::vector<OutboundMessage> flush() {
    std::vector<OutboundMessage> out = service_->flush(now_);
    now_ += 10;  // well within the sync interval: only the rule forces syncs
    for (const OutboundMessage& m : out) {
      if (is_notification(m)) notifications_seen_++;
      if (is_control_success(m)) {
        EXPECT_FALSE(store_->in_transaction()) << m.topic << " left before its batch committed";
        EXPECT_FALSE(store_->unsynced()) << m.topic << " left before its batch was synced";
      }
    }
    return out;
  }

  // The store's kept counts and the service's counters against a recount.
  void expect_counts_match_a_recount() {
    TaskCounts all{};
    uint64_t jobs = 0;
    store_->for_each_job([&](const Job& job) {
      jobs++;
      TaskCounts mine{};
      store_->for_each_task_of_job(job.id, [&](const Task& t) {
        mine[static_cast<int>(t.state)]++;
        all[static_cast<int>(t.state)]++;
        return true;
      });
      EXPECT_EQ(store_->job_task_counts(job.id), mine) << "job " << job.id;
      return true;
    });
    EXPECT_EQ(store_->task_counts(), all);
    uint64_t devices = 0;
    store_->for_each_device("pk", "", [&](const Device&) { return ++devices, true; });
    EXPECT_EQ(store_->device_count(), devices);
    EXPECT_EQ(service_->counters().notifications_sent, notifications_seen_);
    EXPECT_EQ(service_->counters().store_errors, store_->faults());
    store_->commit(false);
  }

  test::TempDir tmp_;
  std::unique_ptr<LmdbStore> lmdb_;
  test::FaultInjectionStore* store_ = nullptr;  // owned by service_
  std::unique_ptr<OtaService> service_;
  std::vector<std::string> log_;
  TimeMs now_ = kT0;
  uint64_t notifications_seen_ = 0;
  int conns_[kDevices] = {};
  std::string ids_[kDevices];
  int admin_conn_ = 0;
};

// The batch that creates a job and pushes its notifications, failed at each
// of its writes in turn: every time, nothing of it leaves and nothing of it
// stays; once no write fails, all of it does.
TEST(FaultInjection, EveryFailedWriteLosesTheWholeBatch) {
  bool completed = false;
  for (uint64_t n = 1; n <= 500 && !completed; ++n) {
    SCOPED_TRACE("write " + std::to_string(n) + " fails");
    struct Run : FaultInjectionTest {
      void TestBody() override {}
    } t;
    t.SetUp();
    t.devices_online();
    t.control(kCreatePackage);
    t.flush();
    t.store_->fail_write_at(n);
    t.control(kCreateJob);
    std::vector<OutboundMessage> out = t.flush();
    t.store_->clear_faults();
    if (t.store_->faults() == 0) {
      completed = true;
      EXPECT_EQ(count(out, is_notification), static_cast<size_t>(kDevices));
      EXPECT_EQ(count(out, is_control_reply), 1u);
      EXPECT_TRUE(t.store_->get_job(1).has_value());
    } else {
      EXPECT_EQ(count(out, is_notification), 0u);
      EXPECT_EQ(count(out, is_control_success), 0u);
      EXPECT_EQ(count(out, is_control_error), 1u);  // answered, with what to change
      EXPECT_FALSE(t.store_->get_job(1).has_value());
      EXPECT_EQ(t.store_->task_counts(), TaskCounts{});
      EXPECT_EQ(t.service_->counters().store_errors, 1u);
      // The store works again: the same command succeeds in the next batch.
      t.control(kCreateJob);
      out = t.flush();
      EXPECT_EQ(count(out, is_notification), static_cast<size_t>(kDevices));
      EXPECT_EQ(count(out, is_control_reply), 1u);
    }
    t.expect_counts_match_a_recount();
    t.store_->commit(false);
  }
  EXPECT_TRUE(completed) << "the batch never ran without a fault";
}

TEST_F(FaultInjectionTest, FailedCommitSendsNothingOfItsBatch) {
  devices_online();
  control(kCreatePackage);
  flush();
  store_->fail_commit_at(1);
  control(kCreateJob);
  std::vector<OutboundMessage> out = flush();
  EXPECT_EQ(count(out, is_notification), 0u);
  EXPECT_EQ(count(out, is_control_success), 0u);
  EXPECT_EQ(count(out, is_control_error), 1u);  // answered, with what to change
  EXPECT_FALSE(store_->get_job(1).has_value());
  EXPECT_NE(log_.back().find("storage failure"), std::string::npos);
  control(kCreateJob);
  out = flush();
  EXPECT_EQ(count(out, is_notification), static_cast<size_t>(kDevices));
  expect_counts_match_a_recount();
}

TEST_F(FaultInjectionTest, FailedSyncSendsNothingOfItsBatch) {
  devices_online();
  control(kCreatePackage);
  flush();
  store_->fail_sync_at(1);
  control(kCreateJob);
  std::vector<OutboundMessage> out = flush();
  EXPECT_EQ(count(out, is_notification), 0u);
  EXPECT_EQ(count(out, is_control_success), 0u);
  EXPECT_EQ(count(out, is_control_error), 1u);  // answered, with what to change
  EXPECT_FALSE(store_->get_job(1).has_value());
  expect_counts_match_a_recount();
}

// A whole upgrade, with a write failing in every other batch: every answer
// was synced first, the counts add up, and the one-task rule holds.
TEST_F(FaultInjectionTest, CampaignUnderFailuresKeepsCountsAndTheRule) {
  devices_online();
  control(kCreatePackage);
  flush();
  for (int attempt = 0; attempt < 4 && !store_->get_job(1); ++attempt) {
    if (attempt % 2 == 0) store_->fail_write_at(3);
    control(kCreateJob);
    flush();
    store_->clear_faults();
  }
  ASSERT_TRUE(store_->get_job(1).has_value());
  for (int i = 0; i < kDevices; ++i) {
    const std::string name = "d" + std::to_string(i);
    if (i == 1) store_->fail_write_at(1);
    service_->on_message("/ota/device/progress/pk/" + name, R"({"id":"2","params":{"step":"50"}})",
                         device_client(i), now_);
    service_->on_message("/ota/device/inform/pk/" + name, R"({"id":"3","params":{"version":"1.5.0"}})",
                         device_client(i), now_);
    flush();  // a different version while notified: told again (resume)
    store_->clear_faults();
    service_->on_message("/ota/device/inform/pk/" + name, R"({"id":"4","params":{"version":"2.0.0"}})",
                         device_client(i), now_);
    flush();
  }
  control(R"({"commands":[{"command":"listJobs"}]})");
  flush();
  expect_counts_match_a_recount();
  EXPECT_GT(store_->faults(), 0u);
}

}  // namespace
}  // namespace ota

namespace ota {
namespace {

// A full database fails every batch that writes: each control command gets
// an error that says what to change, and the log gets one line per interval
// with the count, not one per failure.
TEST_F(FaultInjectionTest, StorageFailuresAreAnsweredAndLoggedOncePerInterval) {
  const size_t logged0 = log_.size();
  for (int i = 0; i < 50; ++i) {
    store_->fail_write_at(1);
    control(kCreatePackage);
    std::vector<OutboundMessage> out = flush();
    ASSERT_EQ(count(out, is_control_error), 1u) << i;
    EXPECT_NE(out.back().payload.find("nothing was changed"), std::string::npos) << out.back().payload;
  }
  store_->clear_faults();
  EXPECT_EQ(service_->counters().store_errors, 50u);
  size_t lines = 0;
  for (size_t i = logged0; i < log_.size(); ++i) lines += log_[i].find("lost since") != std::string::npos;
  EXPECT_EQ(lines, 1u) << "50 failures within 500 ms must give one log line";
  EXPECT_FALSE(store_->get_package(1).has_value());
}

TEST(StorageAdvice, AFullDatabaseSaysWhatToChange) {
  const std::string full = storage_advice("put: MDB_MAP_FULL: Environment mapsize limit reached");
  EXPECT_NE(full.find("plugin_opt_db_map_size_mb"), std::string::npos) << full;
  EXPECT_NE(storage_advice("injected write failure").find("nothing was changed"), std::string::npos);
}

}  // namespace
}  // namespace ota
