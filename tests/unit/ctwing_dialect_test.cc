#include "dialects/ctwing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dialects/registry.h"

namespace ota {
namespace {

using Kind = ParseOutcome::Kind;

constexpr std::string_view kInform = "/ota/inform";
constexpr std::string_view kProgress = "/ota/progress";

// Seed 002's messages with its // comments removed and its non-breaking
// space indentation made plain (neither is JSON); every key and value as
// printed.
constexpr std::string_view kSeedInform = R"({
"taskId":-1,
  "params": {
    "version": "1.0.1",
    "module": "MCU"
  }
})";
constexpr std::string_view kSeedProgress = R"({
  "taskId": 1,
  "params": {
"step": -1,
    "desc": "固件升级失败,请求不到固件信息。",
    "module": "MCU"
  }
})";
constexpr std::string_view kSeedInformAfter = R"({
"taskId": 1,
  "params": {
    "version": "1.0.2",
    "module": "MCU"
  }
})";

const DeviceConnection kDevice{"device10001", "user-7"};

ParseOutcome parse(std::string_view topic, std::string_view payload,
                   const DeviceConnection& from = kDevice,
                   IdentitySource identity = IdentitySource::kClientId) {
  return CtwingDialect(identity, "ctwing").parse(topic, payload, from);
}

VersionReport inform_ok(std::string_view payload) {
  ParseOutcome o = parse(kInform, payload);
  EXPECT_EQ(o.kind, Kind::kEvent) << payload << " -> " << o.error;
  const VersionReport* r = std::get_if<VersionReport>(&o.event);
  EXPECT_NE(r, nullptr) << payload;
  return r != nullptr ? *r : VersionReport{};
}

ProgressReport progress_ok(std::string_view payload) {
  ParseOutcome o = parse(kProgress, payload);
  EXPECT_EQ(o.kind, Kind::kEvent) << payload << " -> " << o.error;
  const ProgressReport* r = std::get_if<ProgressReport>(&o.event);
  EXPECT_NE(r, nullptr) << payload;
  return r != nullptr ? *r : ProgressReport{};
}

std::string malformed(std::string_view topic, std::string_view payload,
                      const DeviceConnection& from = kDevice,
                      IdentitySource identity = IdentitySource::kClientId) {
  ParseOutcome o = parse(topic, payload, from, identity);
  EXPECT_EQ(o.kind, Kind::kMalformed) << payload;
  return o.error;
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// --- topics and identity ---

TEST(CtwingDialect, NameAndClaims) {
  CtwingDialect d(IdentitySource::kClientId, "ctwing");
  EXPECT_EQ(d.name(), "ctwing");
  EXPECT_TRUE(d.claims("/ota/inform"));
  EXPECT_TRUE(d.claims("/ota/progress"));
  EXPECT_FALSE(d.claims("/ota/upgrade"));  // our downstream topic
  EXPECT_FALSE(d.claims("/ota/inform/"));
  EXPECT_FALSE(d.claims("/ota/inform/x"));
  EXPECT_FALSE(d.claims("ota/inform"));
  EXPECT_FALSE(d.claims("/ota/device/inform/pk/dn"));
  EXPECT_FALSE(d.claims(""));
}

TEST(CtwingDialect, TopicsThatAreNotMine) {
  for (std::string_view topic : {"/ota/upgrade", "/ota/inform/", "/ota/Inform",
                                 "/ota/progress/1", "/ota", "/ota/device/inform/tok",
                                 ""}) {
    EXPECT_EQ(parse(topic, kSeedInform).kind, Kind::kNotMine) << topic;
    EXPECT_EQ(parse(topic, "garbage", {}).kind, Kind::kNotMine) << topic;
  }
}

TEST(CtwingDialect, DeviceIsTheClientIdByDefault) {
  ParseOutcome o = parse(kInform, kSeedInform);
  ASSERT_EQ(o.kind, Kind::kEvent) << o.error;
  EXPECT_EQ(std::get<VersionReport>(o.event).device,
            (DeviceKey{"ctwing", "device10001"}));
}

TEST(CtwingDialect, DeviceIsTheUsernameWhenConfigured) {
  ParseOutcome o = parse(kProgress, kSeedProgress, kDevice, IdentitySource::kUsername);
  ASSERT_EQ(o.kind, Kind::kEvent) << o.error;
  EXPECT_EQ(std::get<ProgressReport>(o.event).device, (DeviceKey{"ctwing", "user-7"}));
}

TEST(CtwingDialect, EmptyOrOverlongIdentityIsMalformed) {
  EXPECT_EQ(malformed(kInform, kSeedInform, {"", "user-7"}),
            "the device is named by its MQTT client id, which is empty");
  EXPECT_EQ(malformed(kProgress, kSeedProgress, {"c", ""}, IdentitySource::kUsername),
            "the device is named by its MQTT username, which is empty");
  std::string id128(128, 'c');
  EXPECT_EQ(parse(kInform, kSeedInform, {id128, ""}).kind, Kind::kEvent);
  std::string id129(129, 'c');
  EXPECT_EQ(malformed(kInform, kSeedInform, {id129, ""}),
            "the device's MQTT client id must be at most 128 bytes");
  EXPECT_EQ(malformed(kInform, kSeedInform, {"c", id129}, IdentitySource::kUsername),
            "the device's MQTT username must be at most 128 bytes");
}

// --- inform ---

TEST(CtwingDialect, ParsesSeedInforms) {
  VersionReport r = inform_ok(kSeedInform);
  EXPECT_EQ(r.module, "MCU");
  EXPECT_EQ(r.version, "1.0.1");
  r = inform_ok(kSeedInformAfter);
  EXPECT_EQ(r.module, "MCU");
  EXPECT_EQ(r.version, "1.0.2");
  EXPECT_TRUE(parse(kInform, kSeedInform).replies.empty());
}

TEST(CtwingDialect, InformModuleIsOptional) {
  EXPECT_EQ(inform_ok(R"({"taskId":-1,"params":{"version":"1"}})").module, "default");
  EXPECT_EQ(inform_ok(R"({"taskId":-1,"params":{"version":"1","module":""}})").module,
            "default");
}

TEST(CtwingDialect, RejectsBadTaskId) {
  for (std::string_view topic : {kInform, kProgress}) {
    std::string params = topic == kInform ? R"("params":{"version":"1"})"
                                          : R"("params":{"step":1})";
    EXPECT_EQ(malformed(topic, "{" + params + "}"), "field 'taskId' is required");
    EXPECT_EQ(malformed(topic, R"({"taskId":"5",)" + params + "}"),
              "field 'taskId' must be an integer, got a string");
    EXPECT_EQ(malformed(topic, R"({"taskId":"-1",)" + params + "}"),
              "field 'taskId' must be an integer, got a string");
    EXPECT_EQ(malformed(topic, R"({"taskId":1.0,)" + params + "}"),
              "field 'taskId' must be an integer, got 1.0");
    EXPECT_EQ(malformed(topic, R"({"taskId":null,)" + params + "}"),
              "field 'taskId' must be an integer, got null");
    EXPECT_EQ(malformed(topic, R"({"taskId":-2,)" + params + "}"),
              "field 'taskId' must be an integer of at least -1, got -2");
  }
}

TEST(CtwingDialect, RejectsBadInform) {
  EXPECT_EQ(malformed(kInform, R"({"taskId":-1})"), "field 'params' is required");
  EXPECT_EQ(malformed(kInform, R"({"taskId":-1,"params":"1.0"})"),
            "field 'params' must be an object, got a string");
  EXPECT_EQ(malformed(kInform, R"({"taskId":-1,"params":{}})"),
            "params: field 'version' is required");
  EXPECT_EQ(malformed(kInform, R"({"taskId":-1,"params":{"version":101}})"),
            "params: field 'version' must be a string, got 101");
  EXPECT_EQ(malformed(kInform, R"({"taskId":-1,"params":{"version":""}})"),
            "params: field 'version' must not be empty");
  EXPECT_EQ(malformed(kInform,
                      R"({"taskId":-1,"params":{"version":")" + repeat("v", 129) + "\"}}"),
            "params: field 'version' is longer than 128 bytes (129)");
  EXPECT_EQ(malformed(kInform, R"({"taskId":-1,"params":{"version":"1","module":1}})"),
            "params: field 'module' must be a string, got 1");
  EXPECT_EQ(malformed(kInform, R"({"taskId":-1,"params":{"version":"1","module":")" +
                                   repeat("m", 129) + "\"}}"),
            "params: field 'module' is longer than 128 bytes (129)");
  EXPECT_EQ(malformed(kInform, "[]"), "payload: JSON must be an object, got an array");
  EXPECT_EQ(malformed(kInform, "{").rfind("payload: invalid JSON at byte ", 0), 0u);
}

// --- progress ---

TEST(CtwingDialect, ParsesSeedProgress) {
  ProgressReport r = progress_ok(kSeedProgress);
  EXPECT_EQ(r.device, (DeviceKey{"ctwing", "device10001"}));
  EXPECT_EQ(r.step, -1);
  EXPECT_EQ(r.desc, "固件升级失败,请求不到固件信息。");
  EXPECT_EQ(r.module, "MCU");
  EXPECT_EQ(r.job_id, std::optional<JobId>(1));
  EXPECT_FALSE(r.completed);
}

TEST(CtwingDialect, TaskIdNamesTheJob) {
  EXPECT_EQ(progress_ok(R"({"taskId":-1,"params":{"step":5}})").job_id, std::nullopt);
  EXPECT_EQ(progress_ok(R"({"taskId":0,"params":{"step":5}})").job_id,
            std::optional<JobId>(0));
  EXPECT_EQ(progress_ok(R"({"taskId":147589,"params":{"step":5}})").job_id,
            std::optional<JobId>(147589));
}

TEST(CtwingDialect, ProgressSteps) {
  for (int step : {-4, -3, -2, -1, 0, 1, 50, 100}) {
    std::string payload = R"({"taskId":1,"params":{"step":)" + std::to_string(step) + "}}";
    ProgressReport r = progress_ok(payload);
    EXPECT_EQ(r.step, step);
    EXPECT_EQ(r.module, "default");
    EXPECT_EQ(r.desc, "");
  }
}

TEST(CtwingDialect, RejectsBadProgress) {
  const std::string range = "params: field 'step' must be an integer from -4 to 100, got ";
  EXPECT_EQ(malformed(kProgress, R"({"taskId":1})"), "field 'params' is required");
  EXPECT_EQ(malformed(kProgress, R"({"taskId":1,"params":[]})"),
            "field 'params' must be an object, got an array");
  EXPECT_EQ(malformed(kProgress, R"({"taskId":1,"params":{"desc":"x"}})"),
            "params: field 'step' is required");
  // step is an int in seed 002: its string form is malformed here.
  EXPECT_EQ(malformed(kProgress, R"({"taskId":1,"params":{"step":"50"}})"),
            "params: field 'step' must be an integer, got a string");
  EXPECT_EQ(malformed(kProgress, R"({"taskId":1,"params":{"step":50.5}})"),
            "params: field 'step' must be an integer, got 50.5");
  EXPECT_EQ(malformed(kProgress, R"({"taskId":1,"params":{"step":101}})"), range + "101");
  EXPECT_EQ(malformed(kProgress, R"({"taskId":1,"params":{"step":-5}})"), range + "-5");
  EXPECT_EQ(malformed(kProgress, R"({"taskId":1,"params":{"step":1,"desc":1}})"),
            "params: field 'desc' must be a string, got 1");
  EXPECT_EQ(malformed(kProgress, R"({"taskId":1,"params":{"step":1,"module":{}}})"),
            "params: field 'module' must be a string, got an object");
}

TEST(CtwingDialect, DescLengthCountsCharacters) {
  auto payload = [](const std::string& desc) {
    return R"({"taskId":1,"params":{"step":-2,"desc":")" + desc + "\"}}";
  };
  std::string cn128 = repeat("固", 128);
  EXPECT_EQ(progress_ok(payload(cn128)).desc, cn128);
  EXPECT_EQ(malformed(kProgress, payload(cn128 + "件")),
            "params: field 'desc' is longer than 128 characters (129)");
}

// --- notification ---

// Seed 002's upgrade example.
Notification seed_notification() {
  Notification n;
  n.device = {"ctwing", "device10001"};
  n.job_id = 1;
  n.at = 5;
  n.package.product = "ctwing";
  n.package.module = "MCU";
  n.package.version = "2.0.0";
  n.package.size = 432945;
  n.package.url = "https://dmfile.ctwing.cn/file/upgrade/32128a6e8c3e15aea1c7/147589";
  n.package.sign_method = SignMethod::kMd5;
  n.package.sign = "93230c3bde425a9d7984a594ac55ea1e";
  return n;
}

OutboundMessage encode(const Notification& n, std::string_view client_id,
                       IdentitySource identity = IdentitySource::kClientId) {
  ProductConfig product;
  product.product = "ctwing";
  return CtwingDialect(identity, "ctwing").encode_notification(n, {product, client_id});
}

TEST(CtwingDialect, EncodesSeedNotification) {
  OutboundMessage m = encode(seed_notification(), "device10001");
  EXPECT_EQ(m.topic, "/ota/upgrade");
  EXPECT_EQ(m.client_id, "device10001");  // the shared topic: one device only
  EXPECT_EQ(m.qos, 1);
  EXPECT_FALSE(m.retain);
  // token: the seed's download credential; none yet.
  EXPECT_EQ(m.payload,
            R"({"taskId":1,"payload":{"size":432945,"version":"2.0.0",)"
            R"("url":"https://dmfile.ctwing.cn/file/upgrade/32128a6e8c3e15aea1c7/147589",)"
            R"("md5":"93230c3bde425a9d7984a594ac55ea1e","token":"","module":"MCU"}})");
}

TEST(CtwingDialect, EncodesDefaultModuleAndMd5) {
  Notification n = seed_notification();
  n.job_id = 147589;
  n.package.module = "default";
  n.package.sign_method = SignMethod::kSha256;
  n.package.sign = "aa";
  n.package.md5 = "bb";
  EXPECT_EQ(encode(n, "c").payload,
            R"({"taskId":147589,"payload":{"size":432945,"version":"2.0.0",)"
            R"("url":"https://dmfile.ctwing.cn/file/upgrade/32128a6e8c3e15aea1c7/147589",)"
            R"("md5":"bb","token":"","module":"default"}})");
  n.package.md5 = "";  // a SHA-256 package without MD5: md5 stays empty
  EXPECT_NE(encode(n, "c").payload.find(R"("md5":"",)"), std::string::npos);
}

TEST(CtwingDialect, NotificationAddressee) {
  Notification n = seed_notification();
  // The current connection's client id wins.
  EXPECT_EQ(encode(n, "conn-9").client_id, "conn-9");
  EXPECT_EQ(encode(n, "conn-9", IdentitySource::kUsername).client_id, "conn-9");
  // No connection known: the device name is the client id.
  OutboundMessage m = encode(n, "");
  EXPECT_EQ(m.client_id, "device10001");
  EXPECT_EQ(m.topic, "/ota/upgrade");
  // ...unless the device name is a username: nothing can be sent.
  m = encode(n, "", IdentitySource::kUsername);
  EXPECT_EQ(m.topic, "");
  EXPECT_EQ(m.payload, "");
  EXPECT_EQ(m.client_id, "");
}

TEST(CtwingDialect, SeedExchange) {
  CtwingDialect d(IdentitySource::kClientId, "ctwing");
  ParseOutcome in = d.parse(kInform, kSeedInform, kDevice);
  ASSERT_EQ(in.kind, Kind::kEvent);
  Notification n = seed_notification();
  n.device = std::get<VersionReport>(in.event).device;
  ProductConfig product;
  OutboundMessage up = d.encode_notification(n, {product, kDevice.client_id});
  EXPECT_EQ(up.client_id, "device10001");
  ParseOutcome p = d.parse(kProgress, kSeedProgress, kDevice);
  ASSERT_EQ(p.kind, Kind::kEvent);
  EXPECT_EQ(std::get<ProgressReport>(p.event).job_id, std::optional<JobId>(n.job_id));
  ParseOutcome after = d.parse(kInform, kSeedInformAfter, kDevice);
  ASSERT_EQ(after.kind, Kind::kEvent);
  EXPECT_EQ(std::get<VersionReport>(after.event).device, n.device);
}

TEST(CtwingDialect, SubscriberDevice) {
  CtwingDialect by_id(IdentitySource::kClientId, "ctwing");
  CtwingDialect by_user(IdentitySource::kUsername, "ctwing");
  EXPECT_EQ(by_id.subscriber_device("/ota/upgrade", kDevice),
            (std::optional<DeviceKey>(DeviceKey{"ctwing", "device10001"})));
  EXPECT_EQ(by_user.subscriber_device("/ota/upgrade", kDevice),
            (std::optional<DeviceKey>(DeviceKey{"ctwing", "user-7"})));
  EXPECT_EQ(by_id.subscriber_device("/ota/upgrade", {"", "user-7"}), std::nullopt);
  EXPECT_EQ(by_user.subscriber_device("/ota/upgrade", {"c", ""}), std::nullopt);
  EXPECT_EQ(by_id.subscriber_device("/ota/upgrade", {std::string(129, 'c'), ""}),
            std::nullopt);
  for (std::string_view topic : {"/ota/+", "/ota/#", "/ota/inform", "/ota/upgrade/x", ""}) {
    EXPECT_EQ(by_id.subscriber_device(topic, kDevice), std::nullopt) << topic;
  }
}

TEST(CtwingDialect, MadeByTheRegistry) {
  DialectOptions options;
  EXPECT_EQ(options.ctwing_identity, IdentitySource::kClientId);
  EXPECT_EQ(options.ctwing_product, "ctwing");
  options.ctwing_identity = IdentitySource::kUsername;
  options.ctwing_product = "telecom";
  std::unique_ptr<Dialect> d = make_dialect("ctwing", options);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->name(), "ctwing");
  ParseOutcome o = d->parse(kInform, kSeedInform, kDevice);
  ASSERT_EQ(o.kind, Kind::kEvent);
  EXPECT_EQ(std::get<VersionReport>(o.event).device, (DeviceKey{"telecom", "user-7"}));
}

}  // namespace
}  // namespace ota
