#include "assembly/metrics_endpoint.h"

#include <gtest/gtest.h>

#include "service/metrics_exposition.h"

namespace ota {
namespace {

TEST(MetricsEndpoint, ServesTheLatestSnapshotAtMetricsOnly) {
  auto snapshot = std::make_shared<MetricsSnapshot>();
  const HttpResponder respond = metrics_responder(snapshot);
  EXPECT_EQ(respond("/metrics").status, 503);  // not rendered yet
  snapshot->publish("mosquitto_ota_devices 1\n");
  HttpMemoryResponse r = respond("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, kMetricsContentType);
  EXPECT_EQ(r.body, "mosquitto_ota_devices 1\n");
  snapshot->publish("mosquitto_ota_devices 2\n");
  EXPECT_EQ(respond("/metrics?x=1").body, "mosquitto_ota_devices 2\n");
  for (const char* other : {"/", "", "/metrics/", "/metrics2", "/Metrics", "/x?/metrics"}) {
    EXPECT_EQ(respond(other).status, 404) << other;
    EXPECT_EQ(respond(other).body, "") << other;
  }
}

}  // namespace
}  // namespace ota
