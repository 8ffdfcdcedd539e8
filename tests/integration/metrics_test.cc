// Prometheus metrics on a real broker (docs/metrics.md): /metrics scraped
// over a raw socket, validated by promtool, equal to $SYS/broker/ota/#.
#include <gtest/gtest.h>

#include "../common/exposition_samples.h"
#include "../common/promtool_check.h"
#include "http_test_client.h"
#include "ota_fixture.h"
#include "sys_monitor.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

class MetricsTest : public OtaBrokerTest {
 protected:
  BrokerOptions broker_options() override {
    BrokerOptions options;
    metrics_port_ = pick_listen_port();
    options.plugin_opts["http_library"] = OTA_HTTP_LIBRARY_PATH;
    options.plugin_opts["metrics_listen"] = "127.0.0.1:" + std::to_string(metrics_port_);
    // With sys_interval 1 (the tests' default) both render in the same
    // broker tick, from the same figures.
    options.plugin_opts["metrics_refresh_ms"] = "1000";
    return options;
  }

  HttpReply scrape(const std::string& target = "/metrics", const std::string& method = "GET") {
    return http_exchange(metrics_port_, http_get(target, {}, false, method), method == "HEAD");
  }
  // The scrape once it shows `series` == `value` (figures are re-rendered
  // every second), or the last one.
  HttpReply scrape_when(const std::string& series, const std::string& value) {
    HttpReply r;
    for (int i = 0; i < 40; ++i) {
      r = scrape();
      if (r.ok && r.status == 200) {
        auto s = exposition_samples(r.body);
        if (s.count(series) && s.at(series) == value) return r;
      }
      std::this_thread::sleep_for(100ms);
    }
    return r;
  }

  int metrics_port_ = 0;
};

TEST_F(MetricsTest, ScrapeIsValidAndEqualsTheSysTopicsAfterAnUpgrade) {
  SysMonitor sys;
  ASSERT_TRUE(sys.connect(broker().port()));
  auto d1 = device("pk1", "d1", "1.0.0");
  auto d2 = device("pk1", "d2", "1.0.0");
  ASSERT_GT(start_job(PackageSpec{}, {"d1"}), 0);
  ASSERT_TRUE(d1->wait_upgrade());  // the job's push
  // The device reports its old version while notified: told again, in
  // answer to the report (the one notification the latency histogram times).
  ASSERT_TRUE(d1->report_version("1.0.0"));
  ASSERT_TRUE(d1->wait_upgrade());
  ASSERT_TRUE(d1->report_progress("\"50\""));
  ASSERT_TRUE(d1->report_version("2.0.0"));
  ASSERT_TRUE(d2->publish("/ota/device/inform/pk1/d2", "not json"));  // rejected
  auto eq = [](long long want) { return [want](long long v) { return v == want; }; };
  ASSERT_TRUE(sys.wait_for("tasks/SUCCEEDED", eq(1), 5s)) << log_tail(broker());
  ASSERT_TRUE(sys.wait_for("notifications/sent", eq(2), 5s));
  ASSERT_TRUE(sys.wait_for("messages/rejected", eq(1), 5s));

  HttpReply r = scrape_when("mosquitto_ota_tasks{state=\"SUCCEEDED\"}", "1");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));

  // Every $SYS figure equals its metric. Both are refreshed each second
  // from the same figures; nothing changes any more, so a pair read across
  // a refresh settles on the next one.
  std::string mismatch;
  for (int attempt = 0; attempt < 5; ++attempt) {
    sys.absorb(1200ms);
    const auto samples = exposition_samples(scrape().body);
    mismatch.clear();
    size_t compared = 0;
    for (const auto& [topic, payload] : sys.all()) {
      if (payload.empty()) continue;  // a cleared job's retained delete
      const std::string series = metric_for_sys_topic(topic);
      ASSERT_NE(series, "") << topic << " has no metric";
      auto it = samples.find(series);
      if (it == samples.end() || it->second != payload) {
        mismatch += topic + "=" + payload + " but " + series + "=" +
                    (it == samples.end() ? "<absent>" : it->second) + "; ";
      }
      compared++;
    }
    ASSERT_GT(compared, 15u);
    if (mismatch.empty()) break;
  }
  EXPECT_EQ(mismatch, "");

  const auto s = exposition_samples(scrape().body);
  EXPECT_EQ(s.at("mosquitto_ota_devices"), "2");
  EXPECT_EQ(s.at("mosquitto_ota_notifications_sent_total"), "2");
  EXPECT_EQ(s.at("mosquitto_ota_report_to_notification_seconds_count"), "1");
  EXPECT_EQ(s.at("mosquitto_ota_report_to_notification_seconds_bucket{le=\"+Inf\"}"), "1");
  EXPECT_NE(s.at("mosquitto_ota_batch_commit_seconds_count{durable=\"true\"}"), "0");

  if (!promtool_available() && !promtool_required()) GTEST_SKIP() << "promtool not installed";
  ASSERT_TRUE(promtool_available()) << "promtool is not installed";
  const PromtoolResult check = promtool_check(scrape().body, broker().dir());
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output, "");
}

TEST_F(MetricsTest, ARunningJobHasItsGaugesUntilItStops) {
  auto d1 = device("pk1", "d1", "1.0.0");
  const long long job = start_job(PackageSpec{}, {"d1"});
  ASSERT_GT(job, 0);
  ASSERT_TRUE(d1->wait_upgrade());
  const std::string notified =
      "mosquitto_ota_job_tasks{job=\"" + std::to_string(job) + "\",state=\"NOTIFIED\"}";
  HttpReply r = scrape_when(notified, "1");
  ASSERT_EQ(exposition_samples(r.body)[notified], "1") << r.body;
  EXPECT_EQ(exposition_samples(r.body)["mosquitto_ota_running_jobs"], "1");
  ASSERT_TRUE(d1->report_version("2.0.0"));
  r = scrape_when("mosquitto_ota_running_jobs", "0");
  ASSERT_EQ(exposition_samples(r.body)["mosquitto_ota_running_jobs"], "0") << r.body;
  EXPECT_EQ(exposition_samples(r.body).count(notified), 0u);
}

TEST_F(MetricsTest, OnlyGetAndHeadOfMetricsAreAnswered) {
  HttpReply head = scrape("/metrics", "HEAD");
  ASSERT_TRUE(head.ok) << head.error;
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_NE(head.header("content-length"), "0");
  EXPECT_EQ(scrape("/metrics?name[]=x").status, 200);  // a scraper's query
  // Nothing else: no firmware, no escape from the one path.
  for (const char* target : {"/", "/metrics/", "/metricsx", "/files/../metrics/x",
                             "/%2e%2e/etc/passwd", "/firmware/1"}) {
    HttpReply r = scrape(target);
    ASSERT_TRUE(r.ok) << target << ": " << r.error;
    EXPECT_EQ(r.status, 404) << target;
  }
  HttpReply post = scrape("/metrics", "POST");
  ASSERT_TRUE(post.ok) << post.error;
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("allow"), "GET, HEAD");
  // The broker is unaffected.
  auto d1 = device("pk1", "d1", "1.0.0");
  ASSERT_TRUE(d1);
}

// A listener that cannot bind stops the broker at start with the reason.
TEST(MetricsStartTest, ABusyPortStopsTheBrokerWithAClearError) {
  const int port = pick_listen_port();
  BrokerOptions first;
  first.plugin_opts["http_library"] = OTA_HTTP_LIBRARY_PATH;
  first.plugin_opts["metrics_listen"] = "127.0.0.1:" + std::to_string(port);
  BrokerProcess a(first);
  ASSERT_EQ(a.start(), "");
  BrokerProcess b(first);
  BrokerExit exit = b.start_expect_failure();
  ASSERT_TRUE(exit.exited) << exit.output;
  EXPECT_NE(exit.output.find("cannot start the metrics listener"), std::string::npos)
      << exit.output;
}

}  // namespace
}  // namespace ota::test
