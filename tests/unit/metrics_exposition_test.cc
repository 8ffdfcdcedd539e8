#include "service/metrics_exposition.h"

#include <gtest/gtest.h>

#include "../common/exposition_samples.h"
#include "../common/promtool_check.h"
#include "temp_dir.h"

namespace ota {
namespace {

constexpr int kSucceeded = static_cast<int>(TaskState::kSucceeded);
constexpr int kNotified = static_cast<int>(TaskState::kNotified);

MonitoringFigures rich_figures() {
  MonitoringFigures f;
  f.store = StoreFigures{};
  f.store->devices_total = 7;
  f.store->devices_online = 3;
  f.store->tasks[kSucceeded] = 4;
  f.store->tasks[kNotified] = 2;
  f.store->running_jobs[5][kNotified] = 2;
  f.store->running_jobs[12][kSucceeded] = 4;
  f.counters.messages_received = 11;
  f.counters.messages_rejected = 1;
  f.counters.notifications_sent = 6;
  f.counters.store_syncs = 9;
  f.counters.download_bytes = 4096;
  f.counters.downloads_completed = 2;
  f.downloads = true;
  return f;
}

ServiceTimings some_timings() {
  ServiceTimings t;
  t.report_to_notification.observe(40'000);     // 40 µs: first bucket
  t.report_to_notification.observe(3'000'000);  // 3 ms
  t.batch_commit_durable.observe(2'000'000);
  t.batch_commit_unsynced.observe(20'000);
  t.store_sync.observe(20'000'000'000);  // 20 s: +Inf only
  return t;
}

TEST(SecondsText, ExactDecimalSeconds) {
  EXPECT_EQ(seconds_text(0), "0");
  EXPECT_EQ(seconds_text(50'000), "0.00005");
  EXPECT_EQ(seconds_text(1'000'000), "0.001");
  EXPECT_EQ(seconds_text(2'500'000'000), "2.5");
  EXPECT_EQ(seconds_text(10'000'000'000), "10");
  EXPECT_EQ(seconds_text(1), "0.000000001");
}

TEST(EscapeLabelValue, BackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value("plain-1"), "plain-1");
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(RenderMetrics, TheFiguresAsSamples) {
  const ServiceTimings t = some_timings();
  const auto s = test::exposition_samples(render_metrics(rich_figures(), &t));
  EXPECT_EQ(s.at("mosquitto_ota_store_readable"), "1");
  EXPECT_EQ(s.at("mosquitto_ota_devices"), "7");
  EXPECT_EQ(s.at("mosquitto_ota_devices_online"), "3");
  EXPECT_EQ(s.at("mosquitto_ota_tasks{state=\"SUCCEEDED\"}"), "4");
  EXPECT_EQ(s.at("mosquitto_ota_tasks{state=\"QUEUED\"}"), "0");
  EXPECT_EQ(s.at("mosquitto_ota_running_jobs"), "2");
  EXPECT_EQ(s.at("mosquitto_ota_job_tasks{job=\"5\",state=\"NOTIFIED\"}"), "2");
  EXPECT_EQ(s.at("mosquitto_ota_job_tasks{job=\"12\",state=\"SUCCEEDED\"}"), "4");
  EXPECT_EQ(s.at("mosquitto_ota_messages_received_total"), "11");
  EXPECT_EQ(s.at("mosquitto_ota_download_bytes_total"), "4096");
  // Histograms: cumulative buckets, exact sums.
  EXPECT_EQ(s.at("mosquitto_ota_report_to_notification_seconds_bucket{le=\"0.00005\"}"), "1");
  EXPECT_EQ(s.at("mosquitto_ota_report_to_notification_seconds_bucket{le=\"0.0025\"}"), "1");
  EXPECT_EQ(s.at("mosquitto_ota_report_to_notification_seconds_bucket{le=\"0.005\"}"), "2");
  EXPECT_EQ(s.at("mosquitto_ota_report_to_notification_seconds_bucket{le=\"+Inf\"}"), "2");
  EXPECT_EQ(s.at("mosquitto_ota_report_to_notification_seconds_sum"), "0.00304");
  EXPECT_EQ(s.at("mosquitto_ota_report_to_notification_seconds_count"), "2");
  EXPECT_EQ(s.at("mosquitto_ota_batch_commit_seconds_count{durable=\"true\"}"), "1");
  EXPECT_EQ(s.at("mosquitto_ota_batch_commit_seconds_bucket{durable=\"false\",le=\"0.00005\"}"),
            "1");
  EXPECT_EQ(s.at("mosquitto_ota_store_sync_seconds_bucket{le=\"10\"}"), "0");
  EXPECT_EQ(s.at("mosquitto_ota_store_sync_seconds_bucket{le=\"+Inf\"}"), "1");
  EXPECT_EQ(s.at("mosquitto_ota_store_sync_seconds_sum"), "20");
}

TEST(RenderMetrics, EverySysFigureHasItsMetricWithTheSameValue) {
  const MonitoringFigures f = rich_figures();
  SysPublisher sys(10);
  const auto s = test::exposition_samples(render_metrics(f, nullptr));
  size_t checked = 0;
  for (const OutboundMessage& m : sys.messages(f)) {
    const std::string series = test::metric_for_sys_topic(m.topic);
    ASSERT_NE(series, "") << m.topic;
    ASSERT_EQ(s.count(series), 1u) << m.topic << " -> " << series;
    EXPECT_EQ(s.at(series), m.payload) << m.topic;
    checked++;
  }
  EXPECT_GT(checked, 30u);  // every state of both jobs, the counters, downloads
}

TEST(RenderMetrics, WithoutStoreFiguresSaysSoAndKeepsTheCounters) {
  MonitoringFigures f;
  f.counters.store_errors = 3;
  const auto s = test::exposition_samples(render_metrics(f, nullptr));
  EXPECT_EQ(s.at("mosquitto_ota_store_readable"), "0");
  EXPECT_EQ(s.count("mosquitto_ota_devices"), 0u);
  EXPECT_EQ(s.at("mosquitto_ota_store_errors_total"), "3");
  EXPECT_EQ(s.count("mosquitto_ota_download_bytes_total"), 0u);  // nothing served
  EXPECT_EQ(s.count("mosquitto_ota_report_to_notification_seconds_count"), 0u);
}

TEST(RenderMetrics, EveryFamilyHasHelpAndTypeBeforeItsSamples) {
  const ServiceTimings t = some_timings();
  const std::string text = render_metrics(rich_figures(), &t);
  for (const char* family : {"mosquitto_ota_devices", "mosquitto_ota_job_tasks",
                             "mosquitto_ota_batch_commit_seconds"}) {
    const size_t help = text.find(std::string("# HELP ") + family + " ");
    const size_t type = text.find(std::string("# TYPE ") + family + " ");
    const size_t sample = text.find(std::string("\n") + family);
    ASSERT_NE(help, std::string::npos) << family;
    ASSERT_NE(type, std::string::npos) << family;
    EXPECT_LT(help, type);
    EXPECT_LT(type, sample);
  }
  EXPECT_EQ(text.back(), '\n');
}

class PromtoolTest : public ::testing::Test {
 protected:
  test::TempDir tmp_;
};

TEST_F(PromtoolTest, AcceptsTheRenderedExposition) {
  OTA_REQUIRE_PROMTOOL_OR_SKIP();
  const ServiceTimings t = some_timings();
  const test::PromtoolResult r = test::promtool_check(render_metrics(rich_figures(), &t), tmp_.path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "");
}

TEST_F(PromtoolTest, AcceptsTheSparseExpositions) {
  OTA_REQUIRE_PROMTOOL_OR_SKIP();
  MonitoringFigures no_jobs;
  no_jobs.store = StoreFigures{};
  const ServiceTimings empty;
  for (const MonitoringFigures& f : {MonitoringFigures{}, no_jobs}) {
    const test::PromtoolResult r = test::promtool_check(render_metrics(f, &empty), tmp_.path());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "");
  }
}

// The check is live: promtool refuses what breaks the format or its rules.
TEST_F(PromtoolTest, RefusesABrokenExposition) {
  OTA_REQUIRE_PROMTOOL_OR_SKIP();
  const std::string gauge_named_like_a_counter =
      "# HELP mosquitto_ota_x_total x\n# TYPE mosquitto_ota_x_total gauge\nmosquitto_ota_x_total 1\n";
  test::PromtoolResult r = test::promtool_check(gauge_named_like_a_counter, tmp_.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("_total"), std::string::npos) << r.output;
  r = test::promtool_check("mosquitto_ota_x{state=\"A} 1\n", tmp_.path());
  EXPECT_NE(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace ota
