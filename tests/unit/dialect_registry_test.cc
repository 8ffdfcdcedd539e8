#include "dialects/registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ota {
namespace {

TEST(DialectRegistry, Names) {
  EXPECT_EQ(dialect_names(), (std::vector<std::string_view>{
                                 "aliyun", "thingspanel", "ctwing", "tencent"}));
}

TEST(DialectRegistry, MakesEveryNamedDialect) {
  for (std::string_view name : dialect_names()) {
    std::unique_ptr<Dialect> d = make_dialect(name, {});
    ASSERT_NE(d, nullptr) << name;
    EXPECT_EQ(d->name(), name);
  }
}

TEST(DialectRegistry, UnknownNames) {
  for (std::string_view name : {"", "Aliyun", "ALIYUN", "thingsPanel", "ctwing ",
                                "tencent2", "sagoo", "alibaba"}) {
    EXPECT_EQ(make_dialect(name, {}), nullptr) << name;
  }
}

TEST(DialectRegistry, DefaultOptions) {
  DialectOptions o;
  EXPECT_EQ(o.thingspanel_product, "thingspanel");
  EXPECT_EQ(o.ctwing_identity, IdentitySource::kClientId);
  EXPECT_EQ(o.ctwing_product, "ctwing");
}

// Each device->broker topic is claimed by the dialects whose prefixes it
// has, and parsed by exactly the one whose shape it is.
TEST(DialectRegistry, EachTopicShapeHasOneOwner) {
  struct Case {
    std::string topic;
    std::string payload;
    std::string owner;  // "" for none
  };
  std::vector<Case> cases = {
      {"/ota/device/inform/pk/dn", R"({"params":{"version":"1"}})", "aliyun"},
      {"/ota/device/progress/pk/dn", R"({"params":{"step":"1"}})", "aliyun"},
      {"/ota/device/request/pk/dn", R"({"params":{}})", "aliyun"},
      {"/sys/pk/dn/thing/ota/firmware/get", R"({"params":{}})", "aliyun"},
      {"/ota/device/inform/token", R"({"params":{"version":"1"}})", "thingspanel"},
      {"/ota/device/progress/token", R"({"step":"1"})", "thingspanel"},
      {"/ota/inform", R"({"taskId":-1,"params":{"version":"1"}})", "ctwing"},
      {"/ota/progress", R"({"taskId":1,"params":{"step":1}})", "ctwing"},
      {"$ota/report/pid/dn", R"({"type":"report_version","report":{"version":"1"}})",
       "tencent"},
      // Downstream topics and other shapes: nobody's.
      {"/ota/device/upgrade/pk/dn", "{}", ""},
      {"/ota/device/upgrade/token", "{}", ""},
      {"/ota/upgrade", "{}", ""},
      {"$ota/update/pid/dn", "{}", ""},
      {"/sys/pk/dn/thing/ota/firmware/get_reply", "{}", ""},
      {"/ota/device/inform/a/b/c", "{}", ""},
  };
  for (const Case& c : cases) {
    std::string parsed_by;
    for (std::string_view name : dialect_names()) {
      std::unique_ptr<Dialect> d = make_dialect(name, {});
      ParseOutcome o = d->parse(c.topic, c.payload, {"client", "user"});
      if (o.kind != ParseOutcome::Kind::kNotMine) {
        EXPECT_TRUE(d->claims(c.topic)) << name << " parses but does not claim " << c.topic;
        EXPECT_EQ(o.kind, ParseOutcome::Kind::kEvent) << c.topic << ": " << o.error;
        EXPECT_EQ(parsed_by, "") << c.topic << " parsed by " << parsed_by << " and " << name;
        parsed_by = name;
      }
    }
    EXPECT_EQ(parsed_by, c.owner) << c.topic;
  }
}

// Each notification topic shows the presence of one dialect's device.
TEST(DialectRegistry, EachSubscriptionHasOneOwner) {
  struct Case {
    std::string topic;
    std::string owner;
    DeviceKey device;
  };
  std::vector<Case> cases = {
      {"/ota/device/upgrade/pk/dn", "aliyun", {"pk", "dn"}},
      {"/ota/device/upgrade/token", "thingspanel", {"thingspanel", "token"}},
      {"/ota/upgrade", "ctwing", {"ctwing", "client"}},
      {"$ota/update/pid/dn", "tencent", {"pid", "dn"}},
      {"/ota/device/upgrade/+/+", "", {}},  // username "user" names no device
      {"#", "", {}},
      {"/ota/device/inform/pk/dn", "", {}},
  };
  for (const Case& c : cases) {
    std::string owner;
    for (std::string_view name : dialect_names()) {
      std::optional<DeviceKey> key =
          make_dialect(name, {})->subscriber_device(c.topic, {"client", "user"});
      if (!key) continue;
      EXPECT_EQ(owner, "") << c.topic << " shown by " << owner << " and " << name;
      owner = name;
      EXPECT_EQ(*key, c.device) << c.topic;
    }
    EXPECT_EQ(owner, c.owner) << c.topic;
  }
}

}  // namespace
}  // namespace ota
