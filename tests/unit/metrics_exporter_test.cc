#include "service/metrics_exporter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "service/metrics_exposition.h"

namespace ota {
namespace {

TEST(MetricsExporter, RendersAtOnceThenOncePerRefresh) {
  auto snapshot = std::make_shared<MetricsSnapshot>();
  MetricsExporter e(1000, snapshot);
  EXPECT_EQ(snapshot->latest(), nullptr);
  EXPECT_TRUE(e.take_due(5'000));
  EXPECT_FALSE(e.take_due(5'999));
  EXPECT_TRUE(e.take_due(6'000));
  EXPECT_FALSE(e.take_due(6'500));
}

TEST(MetricsExporter, TheSnapshotHoldsTheFiguresAndTimings) {
  auto snapshot = std::make_shared<MetricsSnapshot>();
  MetricsExporter e(1000, snapshot);
  e.timings().batch_commit_durable.observe(1'000'000);
  MonitoringFigures f;
  f.counters.notifications_sent = 3;
  e.render(f);
  ASSERT_NE(snapshot->latest(), nullptr);
  EXPECT_EQ(*snapshot->latest(), render_metrics(f, &e.timings()));
  EXPECT_NE(snapshot->latest()->find("mosquitto_ota_notifications_sent_total 3\n"),
            std::string::npos);
  EXPECT_NE(snapshot->latest()->find("mosquitto_ota_batch_commit_seconds_count{durable=\"true\"} 1\n"),
            std::string::npos);
}

// The server's thread reads while the broker's publishes: every read is one
// whole published text, and a text stays valid while its reader holds it.
TEST(MetricsSnapshot, ReadersSeeWholeTextsWhilePublished) {
  MetricsSnapshot snapshot;
  std::set<std::string> published;
  for (int i = 0; i < 50; ++i) published.insert(std::string(1000 + i, static_cast<char>('a' + i % 26)));
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      std::shared_ptr<const std::string> t = snapshot.latest();
      if (t && !published.count(*t)) bad++;
    }
  });
  for (int round = 0; round < 20; ++round) {
    for (const std::string& text : published) snapshot.publish(text);
  }
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace ota
