#include "service/device_presence.h"

#include <gtest/gtest.h>

namespace ota {
namespace {

const DeviceKey kD1{"pk", "d1"};
const DeviceKey kD2{"pk", "d2"};
int listener, publisher, takeover;

TEST(DevicePresence, OnlineWhileAnyConnectionServesTheDevice) {
  DevicePresence p;
  EXPECT_EQ(p.record_connection(kD1, &listener, "sub"), DevicePresence::Arrival::kCameOnline);  // subscribed
  EXPECT_EQ(p.record_connection(kD1, &publisher, "pub"), DevicePresence::Arrival::kWasOnline);  // a short-lived publisher
  EXPECT_EQ(p.client_id(kD1), "pub");
  p.disconnected(&publisher);
  EXPECT_TRUE(p.is_online(kD1)) << "the listening connection is still open";
  EXPECT_EQ(p.client_id(kD1), "sub");
  p.disconnected(&listener);
  EXPECT_FALSE(p.is_online(kD1));
  EXPECT_EQ(p.client_id(kD1), "");
  EXPECT_EQ(p.online_count(), 0u);
}

// The most recent connection is what a message is addressed to: it follows
// every message, and falls back to the one before when it closes.
TEST(DevicePresence, TheMostRecentConnectionFollowsMessagesAndDisconnects) {
  DevicePresence p;
  p.record_connection(kD1, &listener, "sub");
  p.record_connection(kD1, &publisher, "pub");
  EXPECT_EQ(p.record_connection(kD1, &listener, "sub"), DevicePresence::Arrival::kWasOnline);
  EXPECT_EQ(p.client_id(kD1), "sub");  // the listener spoke last
  EXPECT_EQ(p.client_ids(kD1), (std::vector<std::string>{"pub", "sub"}));
  p.disconnected(&listener);
  EXPECT_EQ(p.client_id(kD1), "pub");
  EXPECT_EQ(p.record_connection(kD1, &publisher, "pub"), DevicePresence::Arrival::kWasOnline);
  EXPECT_EQ(p.record_connection(kD1, &listener, "sub"), DevicePresence::Arrival::kWasOnline);
  EXPECT_EQ(p.client_id(kD1), "sub");
  p.unsubscribed(kD1, &listener);
  EXPECT_EQ(p.client_id(kD1), "pub");
  p.disconnected(&publisher);
  EXPECT_EQ(p.record_connection(kD1, &publisher, "pub"), DevicePresence::Arrival::kCameOnline);
}

TEST(DevicePresence, SessionTakeoverKeepsTheDeviceOnline) {
  DevicePresence p;
  p.record_connection(kD1, &listener, "dev");
  p.record_connection(kD1, &takeover, "dev");  // the reconnect speaks before the old disconnect
  p.disconnected(&listener);
  EXPECT_TRUE(p.is_online(kD1));
}

TEST(DevicePresence, UnsubscribeAndSeveralDevicesPerConnection) {
  DevicePresence p;
  p.record_connection(kD1, &listener, "gw");
  p.record_connection(kD2, &listener, "gw");
  EXPECT_EQ(p.online_count(), 2u);
  p.unsubscribed(kD1, &listener);
  EXPECT_FALSE(p.is_online(kD1));
  EXPECT_TRUE(p.is_online(kD2));
  p.unsubscribed(kD1, &publisher);  // not its connection: nothing happens
  p.disconnected(&listener);
  EXPECT_EQ(p.online_count(), 0u);
}

}  // namespace
}  // namespace ota
