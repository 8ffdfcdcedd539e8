#include "dialects/thingspanel.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dialects/registry.h"

namespace ota {
namespace {

using Kind = ParseOutcome::Kind;

constexpr std::string_view kInform = "/ota/device/inform/tok-0001";
constexpr std::string_view kProgress = "/ota/device/progress/tok-0001";

// Seed 004, step 1, exactly as printed.
constexpr std::string_view kSeedInform = R"({
        "id": "147258369",
        "params": {
            "version": "v1.0.1",
            "module": "default"
        }
    })";

// Seed 004, step 3, exactly as printed.
constexpr std::string_view kSeedProgress = R"({
        "step":"100",
        "desc":"升级进度100%",
        "module": "MCU"
    })";

ParseOutcome parse(std::string_view topic, std::string_view payload,
                   const std::string& product = "thingspanel") {
  return ThingsPanelDialect(product).parse(topic, payload, {"client", "user"});
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

std::string malformed(std::string_view topic, std::string_view payload) {
  ParseOutcome o = parse(topic, payload);
  EXPECT_EQ(o.kind, Kind::kMalformed) << payload;
  return o.error;
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// --- topics ---

TEST(ThingsPanelDialect, NameAndClaims) {
  ThingsPanelDialect d("thingspanel");
  EXPECT_EQ(d.name(), "thingspanel");
  EXPECT_TRUE(d.claims("/ota/device/inform/tok"));
  EXPECT_TRUE(d.claims("/ota/device/progress/tok"));
  EXPECT_TRUE(d.claims("/ota/device/inform/pk/dn"));  // cheap prefix test
  EXPECT_FALSE(d.claims("/ota/device/upgrade/tok"));  // our downstream topic
  EXPECT_FALSE(d.claims("/ota/device/request/tok"));
  EXPECT_FALSE(d.claims("/ota/inform"));
  EXPECT_FALSE(d.claims("$ota/report/pid/dn"));
  EXPECT_FALSE(d.claims(""));
}

TEST(ThingsPanelDialect, TopicsThatAreNotMine) {
  for (std::string_view topic : {
           "/ota/device/upgrade/tok",
           "/ota/device/inform/pk/dn",  // aliyun's two-level shape
           "/ota/device/progress/pk/dn",
           "/ota/device/inform/",
           "/ota/device/inform/tok/",
           "/ota/device/inform//tok",
           "/ota/device/inform",
           "/ota/device/Inform/tok",
           "/ota/device/request/tok",
           "/ota/inform",
           "",
       }) {
    EXPECT_EQ(parse(topic, kSeedInform).kind, Kind::kNotMine) << topic;
    EXPECT_EQ(parse(topic, "garbage").kind, Kind::kNotMine) << topic;
  }
}

TEST(ThingsPanelDialect, OverlongTokenIsMalformed) {
  std::string t128(128, 't');
  EXPECT_EQ(parse("/ota/device/inform/" + t128, kSeedInform).kind, Kind::kEvent);
  for (const std::string& topic : {"/ota/device/inform/" + t128 + "x",
                                   "/ota/device/progress/" + t128 + "x"}) {
    ParseOutcome o = parse(topic, kSeedInform);
    EXPECT_EQ(o.kind, Kind::kMalformed);
    EXPECT_EQ(o.error, "access token must be at most 128 bytes");
  }
}

// --- inform ---

TEST(ThingsPanelDialect, ParsesSeedInform) {
  ParseOutcome o = parse(kInform, kSeedInform);
  ASSERT_EQ(o.kind, Kind::kEvent) << o.error;
  const VersionReport& r = std::get<VersionReport>(o.event);
  EXPECT_EQ(r.device, (DeviceKey{"thingspanel", "tok-0001"}));
  EXPECT_EQ(r.module, "default");
  EXPECT_EQ(r.version, "v1.0.1");
  EXPECT_EQ(o.message_id, "147258369");
  EXPECT_TRUE(o.replies.empty());
}

TEST(ThingsPanelDialect, ProductComesFromTheOptions) {
  ParseOutcome o = parse(kInform, kSeedInform, "tp-fleet");
  ASSERT_EQ(o.kind, Kind::kEvent);
  EXPECT_EQ(std::get<VersionReport>(o.event).device,
            (DeviceKey{"tp-fleet", "tok-0001"}));
  o = parse(kProgress, kSeedProgress, "tp-fleet");
  ASSERT_EQ(o.kind, Kind::kEvent);
  EXPECT_EQ(std::get<ProgressReport>(o.event).device,
            (DeviceKey{"tp-fleet", "tok-0001"}));
}

TEST(ThingsPanelDialect, InformForms) {
  // id is optional (seed 004 marks the inform itself optional) and may be
  // a number, as in the aliyun dialect.
  EXPECT_EQ(inform_ok(R"({"params":{"version":"1"}})").version, "1");
  EXPECT_EQ(inform_ok(R"({"id":0,"params":{"version":"1"}})").version, "1");
  EXPECT_EQ(inform_ok(R"({"params":{"version":"1"}})").module, "default");
  EXPECT_EQ(inform_ok(R"({"params":{"version":"1","module":""}})").module,
            "default");
  EXPECT_EQ(inform_ok(R"({"params":{"version":"1","module":"MCU"}})").module,
            "MCU");
  EXPECT_EQ(inform_ok(R"({"params":{"version":"1","x":[]},"y":{}})").version,
            "1");
}

TEST(ThingsPanelDialect, RejectsBadInform) {
  EXPECT_EQ(malformed(kInform, R"({"id":"1"})"), "field 'params' is required");
  EXPECT_EQ(malformed(kInform, R"({"version":"v1"})"), "field 'params' is required");
  EXPECT_EQ(malformed(kInform, R"({"params":[]})"),
            "field 'params' must be an object, got an array");
  EXPECT_EQ(malformed(kInform, R"({"params":{}})"),
            "params: field 'version' is required");
  EXPECT_EQ(malformed(kInform, R"({"params":{"version":1}})"),
            "params: field 'version' must be a string, got 1");
  EXPECT_EQ(malformed(kInform, R"({"params":{"version":""}})"),
            "params: field 'version' must not be empty");
  EXPECT_EQ(malformed(kInform, R"({"params":{"version":")" + repeat("v", 129) + "\"}}"),
            "params: field 'version' is longer than 128 bytes (129)");
  EXPECT_EQ(malformed(kInform, R"({"params":{"version":"1","module":5}})"),
            "params: field 'module' must be a string, got 5");
  EXPECT_EQ(malformed(kInform,
                      R"({"params":{"version":"1","module":")" + repeat("m", 129) + "\"}}"),
            "params: field 'module' is longer than 128 bytes (129)");
  EXPECT_EQ(malformed(kInform, R"({"id":-1,"params":{"version":"1"}})"),
            "field 'id' must not be negative, got -1");
  EXPECT_EQ(malformed(kInform, R"({"id":1.5,"params":{"version":"1"}})"),
            "field 'id' must be a string or an integer, got 1.5");
}

TEST(ThingsPanelDialect, RejectsPayloadsThatAreNotAnObject) {
  for (std::string_view topic : {kInform, kProgress}) {
    for (std::string_view bad : {"", "{", "not json", "\xff", R"({"step":"1","step":"2"})"}) {
      EXPECT_EQ(malformed(topic, bad).rfind("payload: invalid JSON at byte ", 0), 0u)
          << bad;
    }
    EXPECT_EQ(malformed(topic, "[]"), "payload: JSON must be an object, got an array");
    EXPECT_EQ(malformed(topic, "7"), "payload: JSON must be an object, got 7");
  }
}

// --- progress ---

TEST(ThingsPanelDialect, ParsesSeedProgress) {
  ParseOutcome o = parse(kProgress, kSeedProgress);
  ASSERT_EQ(o.kind, Kind::kEvent) << o.error;
  const ProgressReport& r = std::get<ProgressReport>(o.event);
  EXPECT_EQ(r.device, (DeviceKey{"thingspanel", "tok-0001"}));
  EXPECT_EQ(r.step, 100);
  EXPECT_EQ(r.desc, "升级进度100%");
  EXPECT_EQ(r.module, "MCU");
  EXPECT_FALSE(r.job_id.has_value());
  EXPECT_FALSE(r.completed);  // success by 100 is the product's rule
}

TEST(ThingsPanelDialect, ProgressForms) {
  EXPECT_EQ(progress_ok(R"({"step":"50"})").step, 50);
  EXPECT_EQ(progress_ok(R"({"step":50})").step, 50);
  EXPECT_EQ(progress_ok(R"({"step":"0"})").step, 0);
  EXPECT_EQ(progress_ok(R"({"step":"-4"})").step, -4);
  EXPECT_EQ(progress_ok(R"({"step":-1})").step, -1);
  ProgressReport r = progress_ok(R"({"step":"20"})");
  EXPECT_EQ(r.module, "default");
  EXPECT_EQ(r.desc, "");
  EXPECT_EQ(progress_ok(R"({"step":"20","module":""})").module, "default");
}

TEST(ThingsPanelDialect, RejectsBadProgress) {
  const std::string range = "field 'step' must be an integer from -4 to 100, got ";
  EXPECT_EQ(malformed(kProgress, R"({"desc":"x"})"), "field 'step' is required");
  // A params wrapper is aliyun's shape, not ThingsPanel's.
  EXPECT_EQ(malformed(kProgress, R"({"params":{"step":"50"}})"),
            "field 'step' is required");
  EXPECT_EQ(malformed(kProgress, R"({"step":"101"})"), range + R"("101")");
  EXPECT_EQ(malformed(kProgress, R"({"step":-5})"), range + "-5");
  EXPECT_EQ(malformed(kProgress, R"({"step":"abc"})"), range + R"("abc")");
  EXPECT_EQ(malformed(kProgress, R"({"step":"5.5"})"), range + R"("5.5")");
  EXPECT_EQ(malformed(kProgress, R"({"step":""})"), range + R"("")");
  EXPECT_EQ(malformed(kProgress, R"({"step":")" + repeat("1", 40) + "\"}"),
            range + "a string of 40 bytes");
  EXPECT_EQ(malformed(kProgress, R"({"step":5.5})"),
            "field 'step' must be a string or an integer, got 5.5");
  EXPECT_EQ(malformed(kProgress, R"({"step":null})"),
            "field 'step' must be a string or an integer, got null");
  EXPECT_EQ(malformed(kProgress, R"({"step":"1","desc":7})"),
            "field 'desc' must be a string, got 7");
  EXPECT_EQ(malformed(kProgress, R"({"step":"1","module":[]})"),
            "field 'module' must be a string, got an array");
}

TEST(ThingsPanelDialect, DescLengthCountsCharacters) {
  std::string cn128 = repeat("升", 128);
  EXPECT_EQ(progress_ok(R"({"step":"-2","desc":")" + cn128 + "\"}").desc, cn128);
  EXPECT_EQ(malformed(kProgress, R"({"step":"-2","desc":")" + cn128 + "级\"}"),
            "field 'desc' is longer than 128 characters (129)");
  EXPECT_EQ(malformed(kProgress, R"({"step":"-2","desc":")" + repeat("a", 129) + "\"}"),
            "field 'desc' is longer than 128 characters (129)");
}

// --- notification ---

// Seed 004, step 2's example, as a notification.
Notification seed_notification() {
  Notification n;
  n.device = {"thingspanel", "tok-0001"};
  n.job_id = 4;
  n.at = 147258369;
  n.package.product = "thingspanel";
  n.package.module = "MCU";
  n.package.version = "v1.1";
  n.package.size = 432945;
  n.package.url = "http://dev.thingspane.cn/files/ota/s121jg3245gg.zip";
  n.package.sign_method = SignMethod::kMd5;
  n.package.sign = "a243fgh4b9v";
  n.package.ext_data_json = R"({"key1":"value1","key2":"value2"})";
  return n;
}

OutboundMessage encode(const Notification& n) {
  ProductConfig product;
  product.product = "thingspanel";
  return ThingsPanelDialect("thingspanel").encode_notification(n, {product, "c1"});
}

TEST(ThingsPanelDialect, EncodesSeedNotification) {
  OutboundMessage m = encode(seed_notification());
  EXPECT_EQ(m.topic, "/ota/device/upgrade/tok-0001");
  EXPECT_EQ(m.qos, 1);
  EXPECT_FALSE(m.retain);
  EXPECT_EQ(m.client_id, "");  // the topic names the device
  EXPECT_EQ(m.payload,
            R"({"id":"147258369","code":200,"params":{"version":"v1.1",)"
            R"("size":432945,)"
            R"("url":"http://dev.thingspane.cn/files/ota/s121jg3245gg.zip",)"
            R"("signMethod":"Md5","sign":"a243fgh4b9v","module":"MCU",)"
            R"("extData":{"key1":"value1","key2":"value2"}}})");
}

TEST(ThingsPanelDialect, EncodesDefaultModuleAndSha256) {
  Notification n = seed_notification();
  n.package.module = "default";
  n.package.ext_data_json = "";
  n.package.sign_method = SignMethod::kSha256;
  n.package.sign = "ab12";
  n.package.md5 = "cd34";  // ThingsPanel has no md5 field
  n.at = 9;
  EXPECT_EQ(encode(n).payload,
            R"({"id":"9","code":200,"params":{"version":"v1.1","size":432945,)"
            R"("url":"http://dev.thingspane.cn/files/ota/s121jg3245gg.zip",)"
            R"("signMethod":"SHA256","sign":"ab12"}})");
}

TEST(ThingsPanelDialect, SeedExchange) {
  // Version report, notification, progress to 100: the seed's flow.
  ThingsPanelDialect d("thingspanel");
  ParseOutcome in = d.parse(kInform, kSeedInform, {});
  ASSERT_EQ(in.kind, Kind::kEvent);
  Notification n = seed_notification();
  n.device = std::get<VersionReport>(in.event).device;
  ProductConfig product;
  EXPECT_EQ(d.encode_notification(n, {product, {}}).topic,
            "/ota/device/upgrade/tok-0001");
  ParseOutcome p = d.parse(kProgress, kSeedProgress, {});
  ASSERT_EQ(p.kind, Kind::kEvent);
  EXPECT_EQ(std::get<ProgressReport>(p.event).device, n.device);
}

TEST(ThingsPanelDialect, SubscriberDevice) {
  ThingsPanelDialect d("tp-fleet");
  EXPECT_EQ(d.subscriber_device("/ota/device/upgrade/tok-0001", {"c", "u"}),
            (std::optional<DeviceKey>(DeviceKey{"tp-fleet", "tok-0001"})));
  for (std::string_view topic : {"/ota/device/upgrade/pk/dn",  // aliyun's
                                 "/ota/device/upgrade/+", "/ota/device/upgrade/#",
                                 "/ota/device/upgrade/", "/ota/device/upgrade",
                                 "/ota/device/inform/tok", "/ota/device/upgrade/to+k"}) {
    EXPECT_EQ(d.subscriber_device(topic, {"c", "u"}), std::nullopt) << topic;
  }
  EXPECT_EQ(d.subscriber_device("/ota/device/upgrade/" + std::string(129, 't'), {}),
            std::nullopt);
}

TEST(ThingsPanelDialect, NoDevicePull) {
  ProductConfig product;
  Notification n = seed_notification();
  EXPECT_EQ(ThingsPanelDialect("tp").encode_query_reply({}, "1", &n, {product, {}}).topic,
            "");
}

TEST(ThingsPanelDialect, MadeByTheRegistry) {
  DialectOptions options;
  EXPECT_EQ(options.thingspanel_product, "thingspanel");
  options.thingspanel_product = "tp-fleet";
  std::unique_ptr<Dialect> d = make_dialect("thingspanel", options);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->name(), "thingspanel");
  ParseOutcome o = d->parse(kInform, kSeedInform, {});
  ASSERT_EQ(o.kind, Kind::kEvent);
  EXPECT_EQ(std::get<VersionReport>(o.event).device.product, "tp-fleet");
}

}  // namespace
}  // namespace ota
