// The service with metrics on: what it measures, and that the snapshot it
// renders shows the figures of the $SYS messages of the same flush.
#include <gtest/gtest.h>

#include "../common/exposition_samples.h"
#include "service/ota_service.h"
#include "storage/lmdb_store.h"
#include "temp_dir.h"

namespace ota {
namespace {

// The device connects as Alibaba's SDK does ({pk}.{dn}|...|): the identity
// the plugin binds it to by default.
constexpr const char* kDeviceClientId = "pk.d1|securemode=3,signmethod=hmacsha256|";

constexpr TimeMs kT0 = 1'700'000'000'000;

class OtaServiceMetricsTest : public ::testing::Test {
 protected:
  void open(bool metrics) {
    PluginOptions o;
    o.db_path = tmp_.sub("db");
    o.admins = {"admin"};
    o.sys_interval_s = 1;
    o.metrics_refresh_ms = 1000;
    ServiceParts parts;
    parts.store = LmdbStore::open(o.db_path, {});
    if (metrics) {
      snapshot_ = std::make_shared<MetricsSnapshot>();
      parts.metrics = snapshot_;
    }
    parts.clock = [this] {
      clock_reads_++;
      return clock_ += 1'000;
    };
    service_ = std::make_unique<OtaService>(o, [](LogLevel, const std::string&) {},
                                            std::move(parts));
  }
  void device(const std::string& topic, const std::string& payload) {
    service_->on_message(topic, payload, {&conn_, kDeviceClientId, ""}, now_);
  }
  void control(const std::string& command) {
    service_->on_control(R"({"commands":[)" + command + "]}", {&admin_, "ops", "admin"}, now_);
  }
  std::vector<OutboundMessage> flush() { return service_->flush(now_); }
  static long notifications_to_d1(const std::vector<OutboundMessage>& out) {
    return std::count_if(out.begin(), out.end(), [](const OutboundMessage& m) {
      return m.topic == "/ota/device/upgrade/pk/d1";
    });
  }
  std::map<std::string, std::string> samples() const {
    EXPECT_NE(snapshot_->latest(), nullptr);
    return snapshot_->latest() ? test::exposition_samples(*snapshot_->latest())
                               : std::map<std::string, std::string>{};
  }
  void upgrade_started() {
    device("/ota/device/inform/pk/d1", R"({"id":"1","params":{"version":"1.0.0"}})");
    control(R"({"command":"createPackage","product":"pk","version":"2.0.0",)"
            R"("url":"https://fw.example/2.bin","size":100,)"
            R"("sign":"93230c3bde425a9d93230c3bde425a9d","signMethod":"MD5"})");
    flush();
    control(R"({"command":"createJob","packageId":1,"devices":["d1"]})");
    flush();  // the push: caused by the job, not by a device message
  }

  test::TempDir tmp_;
  std::shared_ptr<MetricsSnapshot> snapshot_;
  std::unique_ptr<OtaService> service_;
  int64_t clock_ = 0;
  int clock_reads_ = 0;
  TimeMs now_ = kT0;
  int conn_ = 0, admin_ = 0;
};

TEST_F(OtaServiceMetricsTest, ANotificationCausedByAReportIsTimed) {
  open(true);
  upgrade_started();
  now_ += 1000;
  flush();
  EXPECT_EQ(samples().at("mosquitto_ota_notifications_sent_total"), "1");
  EXPECT_EQ(samples().at("mosquitto_ota_report_to_notification_seconds_count"), "0");
  // The device reports its old version while notified: told again, in
  // answer to its report.
  device("/ota/device/inform/pk/d1", R"({"id":"2","params":{"version":"1.0.0"}})");
  std::vector<OutboundMessage> out = flush();
  ASSERT_EQ(notifications_to_d1(out), 1);
  now_ += 1000;
  flush();
  const auto s = samples();
  EXPECT_EQ(s.at("mosquitto_ota_notifications_sent_total"), "2");
  EXPECT_EQ(s.at("mosquitto_ota_report_to_notification_seconds_count"), "1");
  EXPECT_NE(s.at("mosquitto_ota_report_to_notification_seconds_sum"), "0");
  EXPECT_NE(s.at("mosquitto_ota_batch_commit_seconds_count{durable=\"true\"}"), "0");
}

TEST_F(OtaServiceMetricsTest, ANotificationCausedByASubscriptionIsTimed) {
  open(true);
  upgrade_started();
  // The notified device reconnects and subscribes again: told again.
  service_->on_disconnect(&conn_);
  int reconnected = 0;
  service_->on_acl_check("/ota/device/upgrade/pk/d1", AclAccess::kSubscribe,
                         {&reconnected, kDeviceClientId, ""}, now_);
  std::vector<OutboundMessage> out = flush();
  ASSERT_EQ(notifications_to_d1(out), 1);
  now_ += 1000;
  flush();
  EXPECT_EQ(samples().at("mosquitto_ota_report_to_notification_seconds_count"), "1");
}

TEST_F(OtaServiceMetricsTest, TheSnapshotEqualsTheSysMessagesOfTheSameFlush) {
  open(true);
  upgrade_started();
  device("/ota/device/progress/pk/d1", R"({"id":"3","params":{"step":"50"}})");
  device("/ota/device/inform/pk/bad", "not json");
  now_ += 1000;
  const std::vector<OutboundMessage> out = flush();
  const auto s = samples();
  size_t compared = 0;
  for (const OutboundMessage& m : out) {
    if (m.topic.rfind("$SYS/broker/ota/", 0) != 0) continue;
    const std::string series = test::metric_for_sys_topic(m.topic);
    ASSERT_NE(series, "") << m.topic;
    ASSERT_EQ(s.count(series), 1u) << series;
    EXPECT_EQ(s.at(series), m.payload) << m.topic;
    compared++;
  }
  EXPECT_GT(compared, 20u);
  EXPECT_EQ(s.at("mosquitto_ota_job_tasks{job=\"1\",state=\"IN_PROGRESS\"}"), "1");
  EXPECT_EQ(s.at("mosquitto_ota_messages_rejected_total"), "1");
}

TEST_F(OtaServiceMetricsTest, MetricsOffReadsNoClock) {
  open(false);
  upgrade_started();
  device("/ota/device/inform/pk/d1", R"({"id":"2","params":{"version":"1.0.0"}})");
  now_ += 1000;
  flush();
  EXPECT_EQ(clock_reads_, 0);
}

}  // namespace
}  // namespace ota
