#include "dialects/aliyun.h"

#include <gtest/gtest.h>
#include <jansson.h>

#include <string>
#include <vector>

#include "dialects/registry.h"

namespace ota {
namespace {

using Kind = ParseOutcome::Kind;

constexpr std::string_view kInform = "/ota/device/inform/a1Pk/dev-01";
constexpr std::string_view kProgress = "/ota/device/progress/a1Pk/dev-01";

// Seed 000, "上报ota相关信息", exactly as printed.
constexpr std::string_view kSeedInform = R"({
"id": "123",
"params": {
"version": "1.0.1",
"module": "MCU"
}
})";

// Seed 000, "上报升级进度信息", exactly as printed.
constexpr std::string_view kSeedProgress = R"({
"id": "123",
"params": {
"step": "-1",
"desc": "OTA升级失败,请求不到升级包信息。",
"module": "MCU"
}
})";

OutboundMessage encode(const Notification& n, const std::string& code = "200") {
  ProductConfig product;
  product.aliyun_code = code;
  return AliyunDialect().encode_notification(n, {product, {}});
}

ParseOutcome parse(std::string_view topic, std::string_view payload) {
  return AliyunDialect().parse(topic, payload, {});
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

// The error text for a payload that must be rejected.
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

TEST(AliyunDialect, NameAndClaims) {
  AliyunDialect d;
  EXPECT_EQ(d.name(), "aliyun");
  EXPECT_TRUE(d.claims("/ota/device/inform/pk/dn"));
  EXPECT_TRUE(d.claims("/ota/device/progress/pk/dn"));
  EXPECT_TRUE(d.claims("/ota/device/request/pk/dn"));
  EXPECT_TRUE(d.claims("/sys/pk/dn/thing/ota/firmware/get"));
  EXPECT_TRUE(d.claims("/ota/device/inform/token"));  // cheap prefix test
  EXPECT_TRUE(d.claims("/sys/x/thing/ota/firmware/get"));
  // Our own downstream topics and everything else are not claimed.
  EXPECT_FALSE(d.claims("/ota/device/upgrade/pk/dn"));
  EXPECT_FALSE(d.claims("/sys/pk/dn/thing/ota/firmware/get_reply"));
  EXPECT_FALSE(d.claims("/sys/pk/dn/thing/event/property/post"));
  EXPECT_FALSE(d.claims("/ota/device/"));
  EXPECT_FALSE(d.claims("/ota/inform"));
  EXPECT_FALSE(d.claims("$ota/report/pid/dn"));
  EXPECT_FALSE(d.claims("ota/device/inform/pk/dn"));
  EXPECT_FALSE(d.claims(""));
}

TEST(AliyunDialect, TopicsThatAreNotMine) {
  for (std::string_view topic : {
           "/ota/device/upgrade/pk/dn",         // our own downstream topic
           "/ota/device//pk/dn",
           "/ota/device/Inform/pk/dn",
           "/ota/device/inform",
           "/ota/device/",
           "/ota/inform",
           // Under our prefixes but not exactly our shapes: ThingsPanel's
           // one-level token topics, extra or empty levels.
           "/ota/device/inform/token",
           "/ota/device/progress/token",
           "/ota/device/request/token",
           "/ota/device/inform/pk/dn/extra",
           "/ota/device/inform/pk/dn/",
           "/ota/device/inform//dn",
           "/ota/device/inform/pk/",
           "/ota/device/inform/",
           "/sys/pk/thing/ota/firmware/get",
           "/sys/pk/dn/x/thing/ota/firmware/get",
           "/sys//dn/thing/ota/firmware/get",
           "/sys/thing/ota/firmware/get",
           "/sys/pk/dn/thing/ota/firmware/get_reply",
           "/sys/pk/dn/thing/ota/firmware/get/",
           "",
       }) {
    // Not mine even with a valid payload, and before looking at it.
    ParseOutcome o = parse(topic, kSeedInform);
    EXPECT_EQ(o.kind, Kind::kNotMine) << topic;
    EXPECT_EQ(parse(topic, "garbage").kind, Kind::kNotMine) << topic;
  }
}

TEST(AliyunDialect, OverlongProductOrDeviceNameIsMalformed) {
  const std::string long_name(129, 'n');
  EXPECT_EQ(parse("/ota/device/inform/pk/" + std::string(128, 'n'), kSeedInform).kind,
            Kind::kEvent);
  for (const std::string& topic :
       {"/ota/device/inform/pk/" + long_name,
        "/ota/device/progress/" + long_name + "/dn",
        "/ota/device/request/pk/" + long_name,
        "/sys/" + long_name + "/dn/thing/ota/firmware/get"}) {
    ParseOutcome o = parse(topic, kSeedInform);
    EXPECT_EQ(o.kind, Kind::kMalformed);
    EXPECT_EQ(o.error, "product key and device name must be at most 128 bytes each");
  }
}

// --- inform ---

TEST(AliyunDialect, ParsesSeedInform) {
  VersionReport r = inform_ok(kSeedInform);
  EXPECT_EQ(r.device, (DeviceKey{"a1Pk", "dev-01"}));
  EXPECT_EQ(r.module, "MCU");
  EXPECT_EQ(r.version, "1.0.1");
}

TEST(AliyunDialect, InformIdForms) {
  EXPECT_EQ(inform_ok(R"({"id":0,"params":{"version":"1"}})").version, "1");
  EXPECT_EQ(inform_ok(R"({"id":"0","params":{"version":"1"}})").version, "1");
  EXPECT_EQ(inform_ok(R"({"id":4294967295,"params":{"version":"1"}})").version,
            "1");
  EXPECT_EQ(inform_ok(R"({"params":{"version":"1"}})").version, "1");
  EXPECT_EQ(inform_ok(R"({"id":null,"params":{"version":"1"}})").version, "1");

  EXPECT_EQ(malformed(kInform, R"({"id":-1,"params":{"version":"1"}})"),
            "field 'id' must not be negative, got -1");
  EXPECT_EQ(malformed(kInform, R"({"id":1.5,"params":{"version":"1"}})"),
            "field 'id' must be a string or an integer, got 1.5");
  EXPECT_EQ(malformed(kInform, R"({"id":true,"params":{"version":"1"}})"),
            "field 'id' must be a string or an integer, got true");
  EXPECT_EQ(malformed(kInform, R"({"id":{},"params":{"version":"1"}})"),
            "field 'id' must be a string or an integer, got an object");
}

TEST(AliyunDialect, InformModuleAbsentOrEmptyIsDefault) {
  EXPECT_EQ(inform_ok(R"({"id":"1","params":{"version":"2.0"}})").module,
            "default");
  EXPECT_EQ(
      inform_ok(R"({"id":"1","params":{"version":"2.0","module":""}})").module,
      "default");
  EXPECT_EQ(
      inform_ok(R"({"id":"1","params":{"version":"2.0","module":null}})")
          .module,
      "default");
  EXPECT_EQ(inform_ok(R"({"params":{"version":"2.0","module":"default"}})")
                .module,
            "default");
  EXPECT_EQ(inform_ok(R"({"params":{"version":"2.0","module":"WiFi"}})").module,
            "WiFi");
}

TEST(AliyunDialect, InformIgnoresUnknownFields) {
  VersionReport r = inform_ok(
      R"({"id":"1","version":"1.0","params":{"version":"3","extra":[1]},"x":1})");
  EXPECT_EQ(r.version, "3");
}

TEST(AliyunDialect, RejectsPayloadsThatAreNotAnObject) {
  for (std::string_view topic : {kInform, kProgress}) {
    for (std::string_view bad :
         {"", "not json", "{", R"({"id":"1","params":{"version":"1"})",
          "\xff\xfe", "{\"params\":{\"version\":\"\xc3\"}}"}) {
      EXPECT_EQ(malformed(topic, bad).rfind("payload: invalid JSON at byte ",
                                            0),
                0u)
          << bad;
    }
    EXPECT_EQ(malformed(topic, R"([{"params":{"version":"1"}}])"),
              "payload: JSON must be an object, got an array");
    EXPECT_EQ(malformed(topic, "42"), "payload: JSON must be an object, got 42");
    EXPECT_EQ(malformed(topic, R"("x")"),
              "payload: JSON must be an object, got a string");
    EXPECT_EQ(malformed(topic, "null"),
              "payload: JSON must be an object, got null");
  }
}

TEST(AliyunDialect, RejectsDuplicateKeys) {
  std::string e = malformed(
      kInform, R"({"params":{"version":"1","version":"2"}})");
  EXPECT_EQ(e.rfind("payload: invalid JSON at byte ", 0), 0u) << e;
}

TEST(AliyunDialect, OnlyTheGivenBytesAreRead) {
  // The payload is not NUL-terminated: bytes past its end must not count.
  std::string buffer = std::string(kSeedInform) + "garbage";
  VersionReport r = inform_ok(std::string_view(buffer).substr(0,
                                                              kSeedInform.size()));
  EXPECT_EQ(r.version, "1.0.1");
  // An embedded NUL is just an invalid byte.
  std::string with_nul("{\"params\":{\"version\":\"1\"}}\0", 27);
  EXPECT_EQ(malformed(kInform, with_nul).rfind("payload: invalid JSON", 0), 0u);
}

TEST(AliyunDialect, RejectsBadParams) {
  for (std::string_view topic : {kInform, kProgress}) {
    EXPECT_EQ(malformed(topic, R"({"id":"1"})"), "field 'params' is required");
    EXPECT_EQ(malformed(topic, R"({"id":"1","params":null})"),
              "field 'params' must be an object, got null");
    EXPECT_EQ(malformed(topic, R"({"id":"1","params":"version=1"})"),
              "field 'params' must be an object, got a string");
    EXPECT_EQ(malformed(topic, R"({"id":"1","params":[]})"),
              "field 'params' must be an object, got an array");
    EXPECT_EQ(malformed(topic, R"({"id":"1","params":3})"),
              "field 'params' must be an object, got 3");
  }
}

TEST(AliyunDialect, RejectsBadVersion) {
  EXPECT_EQ(malformed(kInform, R"({"id":"1","params":{"module":"MCU"}})"),
            "params: field 'version' is required");
  EXPECT_EQ(malformed(kInform, R"({"id":"1","params":{"version":101}})"),
            "params: field 'version' must be a string, got 101");
  EXPECT_EQ(malformed(kInform, R"({"id":"1","params":{"version":1.0}})"),
            "params: field 'version' must be a string, got 1.0");
  EXPECT_EQ(malformed(kInform, R"({"id":"1","params":{"version":null}})"),
            "params: field 'version' must be a string, got null");
  EXPECT_EQ(malformed(kInform, R"({"id":"1","params":{"version":""}})"),
            "params: field 'version' must not be empty");

  std::string v128 = repeat("v", 128);
  EXPECT_EQ(inform_ok(R"({"params":{"version":")" + v128 + "\"}}").version,
            v128);
  EXPECT_EQ(malformed(kInform, R"({"params":{"version":")" + v128 + "9\"}}"),
            "params: field 'version' is longer than 128 bytes (129)");
}

TEST(AliyunDialect, RejectsBadModule) {
  EXPECT_EQ(malformed(kInform, R"({"params":{"version":"1","module":7}})"),
            "params: field 'module' must be a string, got 7");
  EXPECT_EQ(malformed(kInform, R"({"params":{"version":"1","module":["MCU"]}})"),
            "params: field 'module' must be a string, got an array");
  EXPECT_EQ(malformed(kProgress, R"({"params":{"step":"1","module":false}})"),
            "params: field 'module' must be a string, got false");

  std::string m128 = repeat("m", 128);
  EXPECT_EQ(
      inform_ok(R"({"params":{"version":"1","module":")" + m128 + "\"}}").module,
      m128);
  EXPECT_EQ(malformed(kInform,
                      R"({"params":{"version":"1","module":")" + m128 + "x\"}}"),
            "params: field 'module' is longer than 128 bytes (129)");
  EXPECT_EQ(malformed(kProgress,
                      R"({"params":{"step":"1","module":")" + m128 + "x\"}}"),
            "params: field 'module' is longer than 128 bytes (129)");
}

// --- progress ---

TEST(AliyunDialect, ParsesSeedProgress) {
  ProgressReport r = progress_ok(kSeedProgress);
  EXPECT_EQ(r.device, (DeviceKey{"a1Pk", "dev-01"}));
  EXPECT_EQ(r.module, "MCU");
  EXPECT_EQ(r.step, -1);
  EXPECT_EQ(r.desc, "OTA升级失败,请求不到升级包信息。");
}

TEST(AliyunDialect, ProgressStepForms) {
  struct Case {
    std::string_view step;  // JSON text of the value
    int32_t want;
  };
  for (const Case& c : std::vector<Case>{
           {R"("50")", 50}, {"50", 50}, {R"("0")", 0}, {"0", 0},
           {R"("100")", 100}, {"100", 100}, {R"("1")", 1}, {R"("-1")", -1},
           {R"("-2")", -2}, {R"("-3")", -3}, {R"("-4")", -4}, {"-4", -4},
           {R"("-0")", 0}, {R"("007")", 7}}) {
    std::string payload =
        R"({"id":0,"params":{"step":)" + std::string(c.step) + "}}";
    EXPECT_EQ(progress_ok(payload).step, c.want) << payload;
  }
}

TEST(AliyunDialect, ProgressModuleAndDescDefaults) {
  ProgressReport r = progress_ok(R"({"id":"9","params":{"step":"20"}})");
  EXPECT_EQ(r.module, "default");
  EXPECT_EQ(r.desc, "");
  EXPECT_EQ(r.device.product, "a1Pk");
  EXPECT_EQ(r.device.device, "dev-01");
}

TEST(AliyunDialect, RejectsBadStep) {
  struct Case {
    std::string_view step;
    std::string_view error;
  };
  const std::string range = "params: field 'step' must be an integer from -4 "
                            "to 100, got ";
  const std::string type = "params: field 'step' must be a string or an "
                           "integer, got ";
  for (const Case& c : std::vector<Case>{
           {R"("abc")", R"("abc")"}, {R"("7.5")", R"("7.5")"},
           {R"("101")", R"("101")"}, {"101", "101"},
           {R"("-5")", R"("-5")"}, {"-5", "-5"},
           {R"("")", R"("")"}, {R"(" 50")", R"(" 50")"},
           {R"("50 ")", R"("50 ")"}, {R"("+5")", R"("+5")"},
           {R"("0x10")", R"("0x10")"},
           {"9223372036854775807", "9223372036854775807"},
           {R"("99999999999999999999")", R"("99999999999999999999")"}}) {
    std::string payload =
        R"({"id":"1","params":{"step":)" + std::string(c.step) + "}}";
    EXPECT_EQ(malformed(kProgress, payload), range + std::string(c.error));
  }
  std::string long_step = repeat("1", 40);
  EXPECT_EQ(malformed(kProgress,
                      R"({"params":{"step":")" + long_step + "\"}}"),
            range + "a string of 40 bytes");

  EXPECT_EQ(malformed(kProgress, R"({"params":{"step":7.5}})"), type + "7.5");
  EXPECT_EQ(malformed(kProgress, R"({"params":{"step":true}})"), type + "true");
  EXPECT_EQ(malformed(kProgress, R"({"params":{"step":null}})"), type + "null");
  EXPECT_EQ(malformed(kProgress, R"({"params":{"step":[50]}})"),
            type + "an array");
  EXPECT_EQ(malformed(kProgress, R"({"params":{"desc":"x"}})"),
            "params: field 'step' is required");
}

TEST(AliyunDialect, DescLengthCountsCharacters) {
  auto payload = [](const std::string& desc) {
    return R"({"id":"1","params":{"step":"-2","desc":")" + desc + "\"}}";
  };
  // 128 characters, each three bytes in UTF-8: fine.
  std::string cn128 = repeat("升", 128);
  EXPECT_EQ(progress_ok(payload(cn128)).desc, cn128);
  EXPECT_EQ(malformed(kProgress, payload(cn128 + "级")),
            "params: field 'desc' is longer than 128 characters (129)");

  std::string ascii128 = repeat("a", 128);
  EXPECT_EQ(progress_ok(payload(ascii128)).desc, ascii128);
  EXPECT_EQ(malformed(kProgress, payload(ascii128 + "b")),
            "params: field 'desc' is longer than 128 characters (129)");

  // Escapes count as the character they stand for.
  std::string escaped = repeat("\\u5347", 128);
  EXPECT_EQ(progress_ok(payload(escaped)).desc, cn128);

  EXPECT_EQ(malformed(kProgress, R"({"params":{"step":"1","desc":5}})"),
            "params: field 'desc' must be a string, got 5");
  EXPECT_EQ(progress_ok(R"({"params":{"step":"1","desc":""}})").desc, "");
}

// --- notification ---

Notification seed_notification() {
  Notification n;
  n.device = {"a1Pk", "dev-01"};
  n.job_id = 3;
  n.at = 1626969597470;
  n.package.product = "a1Pk";
  n.package.module = "MCU";
  n.package.version = "2.0.0";
  n.package.url =
      "https://***/nop***.tar.gz?Expires=1502955804&OSSAccessKeyId=***&"
      "Signature=XfgJu7P6DW***qAKU%3D&security-token=***Tz2IHtIf3***";
  n.package.size = 432945;
  n.package.sign_method = SignMethod::kMd5;
  n.package.sign = "93230c3bde425a9d***";
  n.package.ext_data_json =
      R"({"key1":"value1","key2":"value2",)"
      R"("_package_udi":"{\"ota_notice\":\"升级底层摄像头驱动,解决视频图像模糊的问题。\"}"})";
  return n;
}

TEST(AliyunDialect, EncodesSeedNotification) {
  OutboundMessage m = encode(seed_notification());
  EXPECT_EQ(m.topic, "/ota/device/upgrade/a1Pk/dev-01");
  EXPECT_EQ(m.qos, 1);
  EXPECT_FALSE(m.retain);
  // Seed 000's example, plus md5 (= sign for MD5 packages, DESIGN §10).
  EXPECT_EQ(m.payload,
            R"({"code":"200","data":{"size":432945,"version":"2.0.0",)"
            R"("url":"https://***/nop***.tar.gz?Expires=1502955804&)"
            R"(OSSAccessKeyId=***&Signature=XfgJu7P6DW***qAKU%3D&)"
            R"(security-token=***Tz2IHtIf3***",)"
            R"("sign":"93230c3bde425a9d***","signMethod":"MD5",)"
            R"("md5":"93230c3bde425a9d***","module":"MCU",)"
            R"("extData":{"key1":"value1","key2":"value2",)"
            R"("_package_udi":"{\"ota_notice\":\"升级底层摄像头驱动,)"
            R"(解决视频图像模糊的问题。\"}"}},)"
            R"("id":1626969597470,"message":"success"})");
}

// downloadProtocol "mqtt": an uploaded package (no URL) is named by its
// stream, as Alibaba's SDK 4.x reads it (dProtocol, then streamId and
// streamFileId as numbers); an external URL is still sent as a URL.
TEST(AliyunDialect, EncodesMqttDeliveryForUploadedPackages) {
  Notification n = seed_notification();
  n.package.id = 42;
  n.package.module = "default";
  n.package.ext_data_json = "";
  n.package.url = "";
  n.package.size = 1048576;
  n.package.sign = n.package.md5 = "0123456789abcdef0123456789abcdef";
  n.at = 5;
  ProductConfig product;
  product.aliyun_code = "1000";
  product.download_protocol = DownloadProtocol::kMqtt;
  EXPECT_EQ(AliyunDialect().encode_notification(n, {product, {}}).payload,
            R"({"code":"1000","data":{"size":1048576,"version":"2.0.0",)"
            R"("dProtocol":"mqtt","streamId":42,"streamFileId":1,)"
            R"("sign":"0123456789abcdef0123456789abcdef","signMethod":"Md5",)"
            R"("md5":"0123456789abcdef0123456789abcdef"},)"
            R"("id":"5","message":"success"})");
  n.package.url = "https://objects.example/fw.bin";
  const std::string with_url = AliyunDialect().encode_notification(n, {product, {}}).payload;
  EXPECT_NE(with_url.find(R"("url":"https://objects.example/fw.bin")"), std::string::npos);
  EXPECT_EQ(with_url.find("dProtocol"), std::string::npos);
}

TEST(AliyunDialect, EncodesDefaultModuleWithoutModuleOrExtData) {
  Notification n = seed_notification();
  n.package.module = "default";
  n.package.ext_data_json = "";
  n.package.md5 = "0123456789abcdef0123456789abcdef";
  n.package.sign = "0123456789abcdef0123456789abcdef";
  n.package.url = "https://dl.example.com/fw.bin";
  n.package.size = 1;
  n.at = 5;
  EXPECT_EQ(encode(n).payload,
            R"({"code":"200","data":{"size":1,"version":"2.0.0",)"
            R"("url":"https://dl.example.com/fw.bin",)"
            R"("sign":"0123456789abcdef0123456789abcdef","signMethod":"MD5",)"
            R"("md5":"0123456789abcdef0123456789abcdef"},)"
            R"("id":5,"message":"success"})");
  n.package.ext_data_json = "{}";  // empty object: left out as well
  EXPECT_EQ(encode(n).payload,
            R"({"code":"200","data":{"size":1,"version":"2.0.0",)"
            R"("url":"https://dl.example.com/fw.bin",)"
            R"("sign":"0123456789abcdef0123456789abcdef","signMethod":"MD5",)"
            R"("md5":"0123456789abcdef0123456789abcdef"},)"
            R"("id":5,"message":"success"})");
}

TEST(AliyunDialect, EncodesSha256WithAndWithoutMd5) {
  Notification n = seed_notification();
  n.device = {"pk", "dn"};
  n.package.module = "WiFi";
  n.package.ext_data_json = "";
  n.package.url = "https://h/f";
  n.package.size = 10;
  n.package.sign_method = SignMethod::kSha256;
  n.package.sign = "aa";
  n.at = 7;
  OutboundMessage m = encode(n, "1000");
  EXPECT_EQ(m.topic, "/ota/device/upgrade/pk/dn");
  EXPECT_EQ(m.payload,
            R"({"code":"1000","data":{"size":10,"version":"2.0.0",)"
            R"("url":"https://h/f","sign":"aa","signMethod":"SHA256",)"
            R"("module":"WiFi"},"id":"7","message":"success"})");

  n.package.md5 = "bb";
  EXPECT_EQ(encode(n, "1000")
                .payload,
            R"({"code":"1000","data":{"size":10,"version":"2.0.0",)"
            R"("url":"https://h/f","sign":"aa","signMethod":"SHA256",)"
            R"("md5":"bb","module":"WiFi"},"id":"7","message":"success"})");
}

TEST(AliyunDialect, EncodedNotificationRoundTripsAsJson) {
  // Strings with quotes, backslashes and Chinese survive encoding.
  Notification n = seed_notification();
  n.package.version = "v\"1\\2 升级";
  n.package.ext_data_json = "";
  OutboundMessage m = encode(n);
  json_error_t err;
  json_t* root = json_loadb(m.payload.data(), m.payload.size(), 0, &err);
  ASSERT_NE(root, nullptr) << err.text;
  json_t* data = json_object_get(root, "data");
  EXPECT_STREQ(json_string_value(json_object_get(data, "version")),
               "v\"1\\2 升级");
  EXPECT_TRUE(json_is_integer(json_object_get(data, "size")));
  EXPECT_TRUE(json_is_integer(json_object_get(root, "id")));
  EXPECT_TRUE(json_is_string(json_object_get(root, "code")));
  json_decref(root);
}

// One dialect encodes every notification of the broker and reuses the data
// object it encoded last: each payload must still be the one a fresh
// dialect writes, whatever came before it.
TEST(AliyunDialect, ReusedEncodingFollowsThePackageProductAndId) {
  const AliyunDialect dialect;
  ProductConfig sagoo;
  sagoo.aliyun_code = "200";
  ProductConfig alibaba;
  alibaba.aliyun_code = "1000";
  Notification a = seed_notification();
  Notification b = seed_notification();
  b.package.id = a.package.id + 1;
  b.package.version = "3.0.0";
  b.package.url = "https://fw.example/3.bin";
  Notification a_later = a;
  a_later.at = a.at + 60'000;
  Notification a_signed = a;  // a per-device download link
  a_signed.package.url = "https://fw.example/a.bin?expires=1&signature=x";
  const std::vector<std::pair<const Notification*, const ProductConfig*>> sequence = {
      {&a, &sagoo}, {&a, &sagoo}, {&b, &sagoo}, {&a, &sagoo}, {&a, &alibaba},
      {&a_later, &alibaba}, {&a_signed, &alibaba}, {&b, &alibaba}, {&a, &sagoo}};
  for (const auto& [n, product] : sequence) {
    SCOPED_TRACE(n->package.version + " " + product->aliyun_code + " " + std::to_string(n->at));
    const OutboundMessage reused = dialect.encode_notification(*n, {*product, {}});
    const OutboundMessage fresh = AliyunDialect().encode_notification(*n, {*product, {}});
    EXPECT_EQ(reused.topic, fresh.topic);
    EXPECT_EQ(reused.payload, fresh.payload);
  }
  // And the two packages' payloads differ where they should.
  EXPECT_NE(dialect.encode_notification(a, {sagoo, {}}).payload.find("\"version\":\"2.0.0\""),
            std::string::npos);
  EXPECT_NE(dialect.encode_notification(b, {sagoo, {}}).payload.find("\"version\":\"3.0.0\""),
            std::string::npos);
}

// --- Alibaba's spellings (code "1000") ---

TEST(AliyunDialect, EncodesAlibabaNotification) {
  // Alibaba's document: "id" a string, signMethod "Md5", md5 beside sign,
  // isDiff 1 only for a differential package.
  Notification n = seed_notification();
  n.package.ext_data_json = R"({"key1":"value1","key2":"value2"})";
  n.package.url = "https://iotx-ota.example.com/nopoll_0.4.4.tar.gz";
  n.package.sign = "93230c3bde425a9d7984a594ac55ea1e";
  n.at = 1507707025;
  OutboundMessage m = encode(n, "1000");
  EXPECT_EQ(m.topic, "/ota/device/upgrade/a1Pk/dev-01");
  EXPECT_EQ(m.payload,
            R"({"code":"1000","data":{"size":432945,"version":"2.0.0",)"
            R"("url":"https://iotx-ota.example.com/nopoll_0.4.4.tar.gz",)"
            R"("sign":"93230c3bde425a9d7984a594ac55ea1e","signMethod":"Md5",)"
            R"("md5":"93230c3bde425a9d7984a594ac55ea1e","module":"MCU",)"
            R"("extData":{"key1":"value1","key2":"value2"}},)"
            R"("id":"1507707025","message":"success"})");

  n.package.diff = true;
  EXPECT_EQ(encode(n, "1000").payload,
            R"({"code":"1000","data":{"size":432945,"version":"2.0.0",)"
            R"("isDiff":1,)"
            R"("url":"https://iotx-ota.example.com/nopoll_0.4.4.tar.gz",)"
            R"("sign":"93230c3bde425a9d7984a594ac55ea1e","signMethod":"Md5",)"
            R"("md5":"93230c3bde425a9d7984a594ac55ea1e","module":"MCU",)"
            R"("extData":{"key1":"value1","key2":"value2"}},)"
            R"("id":"1507707025","message":"success"})");
}

TEST(AliyunDialect, SagooNotificationIgnoresDiff) {
  // SagooIOT output does not change for a differential package.
  Notification n = seed_notification();
  std::string full = encode(n).payload;
  n.package.diff = true;
  EXPECT_EQ(encode(n).payload, full);
  EXPECT_EQ(full.find("isDiff"), std::string::npos);
  EXPECT_NE(full.find(R"("signMethod":"MD5")"), std::string::npos);
  EXPECT_NE(full.find(R"("id":1626969597470)"), std::string::npos);
}

// --- device pull: /sys/{pk}/{dn}/thing/ota/firmware/get ---

constexpr std::string_view kPull = "/sys/a1Pk/dev-01/thing/ota/firmware/get";

// Alibaba's document, "设备请求升级包信息", exactly as printed.
constexpr std::string_view kDocPull = R"({
  "id": "123",
  "version": "1.0",
  "params": {
      "module": "MCU"
  },
  "method": "thing.ota.firmware.get"
})";

UpgradeQuery pull_ok(std::string_view payload, std::string* message_id = nullptr) {
  ParseOutcome o = parse(kPull, payload);
  EXPECT_EQ(o.kind, Kind::kEvent) << payload << " -> " << o.error;
  EXPECT_TRUE(o.replies.empty());
  const UpgradeQuery* q = std::get_if<UpgradeQuery>(&o.event);
  EXPECT_NE(q, nullptr) << payload;
  if (message_id != nullptr) *message_id = o.message_id;
  return q != nullptr ? *q : UpgradeQuery{};
}

TEST(AliyunDialect, ParsesDocumentPull) {
  std::string id;
  UpgradeQuery q = pull_ok(kDocPull, &id);
  EXPECT_EQ(q.device, (DeviceKey{"a1Pk", "dev-01"}));
  EXPECT_EQ(q.module, "MCU");
  EXPECT_EQ(q.version, "");
  EXPECT_EQ(id, "123");
}

TEST(AliyunDialect, PullForms) {
  std::string id;
  // Alibaba's device SDK 4.x (aiot_ota_query_firmware): a numeric id and
  // params {} or {"module"}; no version, no method.
  UpgradeQuery q = pull_ok(R"({"id":7, "params":{}})", &id);
  EXPECT_EQ(q.module, "default");  // no module: the default module
  EXPECT_EQ(id, "7");
  EXPECT_EQ(pull_ok(R"({"id":8, "params":{"module":"WiFi"}})").module, "WiFi");
  EXPECT_EQ(pull_ok(R"({"id":"9","version":"1.0","params":{"module":""}})").module,
            "default");
  q = pull_ok("{}", &id);
  EXPECT_EQ(q.module, "default");
  EXPECT_EQ(id, "");
  EXPECT_EQ(pull_ok(R"({"params":null,"method":null,"version":null})").module,
            "default");
}

TEST(AliyunDialect, RejectsBadPull) {
  EXPECT_EQ(malformed(kPull, R"({"id":"1","params":[]})"),
            "field 'params' must be an object, got an array");
  EXPECT_EQ(malformed(kPull, R"({"id":"1","params":"MCU"})"),
            "field 'params' must be an object, got a string");
  EXPECT_EQ(malformed(kPull, R"({"id":"1","version":1.0,"params":{}})"),
            "field 'version' must be a string, got 1.0");
  EXPECT_EQ(malformed(kPull, R"({"id":"1","method":"thing.ota.firmware.post"})"),
            "field 'method' must be \"thing.ota.firmware.get\"");
  EXPECT_EQ(malformed(kPull, R"({"id":"1","method":5})"),
            "field 'method' must be a string, got 5");
  EXPECT_EQ(malformed(kPull, R"({"id":"1","params":{"module":3}})"),
            "params: field 'module' must be a string, got 3");
  EXPECT_EQ(malformed(kPull, R"({"id":"1","params":{"module":")" +
                                 repeat("m", 129) + "\"}}"),
            "params: field 'module' is longer than 128 bytes (129)");
  EXPECT_EQ(malformed(kPull, R"({"id":-3})"),
            "field 'id' must not be negative, got -3");
  EXPECT_EQ(malformed(kPull, R"({"id":[1]})"),
            "field 'id' must be a string or an integer, got an array");
  EXPECT_EQ(malformed(kPull, "[]"), "payload: JSON must be an object, got an array");
  EXPECT_EQ(malformed(kPull, "").rfind("payload: invalid JSON at byte ", 0), 0u);
}

OutboundMessage reply(const UpgradeQuery& q, const std::string& id,
                      const Notification* pending, const std::string& code = "200") {
  ProductConfig product;
  product.aliyun_code = code;
  return AliyunDialect().encode_query_reply(q, id, pending, {product, {}});
}

TEST(AliyunDialect, PullReplyWithPendingUpgrade) {
  Notification n = seed_notification();
  n.package.ext_data_json = R"({"key1":"value1","key2":"value2"})";
  n.package.url = "https://the_firmware_url";
  n.package.sign = "f8d85b250d4d787a9f483d89a9747348";
  n.package.size = 93796291;
  n.package.version = "1.0.1.9.20171112.1432";
  n.package.diff = true;
  UpgradeQuery q = pull_ok(kDocPull);
  // Alibaba: the document's get_reply, "code" the number 200.
  OutboundMessage m = reply(q, "123", &n, "1000");
  EXPECT_EQ(m.topic, "/sys/a1Pk/dev-01/thing/ota/firmware/get_reply");
  EXPECT_EQ(m.qos, 1);
  EXPECT_FALSE(m.retain);
  EXPECT_EQ(m.client_id, "");
  EXPECT_EQ(m.payload,
            R"({"id":"123","code":200,"data":{"size":93796291,)"
            R"("version":"1.0.1.9.20171112.1432","isDiff":1,)"
            R"("url":"https://the_firmware_url",)"
            R"("sign":"f8d85b250d4d787a9f483d89a9747348","signMethod":"Md5",)"
            R"("md5":"f8d85b250d4d787a9f483d89a9747348","module":"MCU",)"
            R"("extData":{"key1":"value1","key2":"value2"}}})");
  // SagooIOT: the same reply shape with SagooIOT's package data.
  EXPECT_EQ(reply(q, "123", &n).payload,
            R"({"id":"123","code":200,"data":{"size":93796291,)"
            R"("version":"1.0.1.9.20171112.1432",)"
            R"("url":"https://the_firmware_url",)"
            R"("sign":"f8d85b250d4d787a9f483d89a9747348","signMethod":"MD5",)"
            R"("md5":"f8d85b250d4d787a9f483d89a9747348","module":"MCU",)"
            R"("extData":{"key1":"value1","key2":"value2"}}})");
}

TEST(AliyunDialect, PullReplyWithoutUpgrade) {
  UpgradeQuery q = pull_ok(kDocPull);
  // Alibaba's "无升级包信息下发" shape.
  OutboundMessage m = reply(q, "123", nullptr, "1000");
  EXPECT_EQ(m.topic, "/sys/a1Pk/dev-01/thing/ota/firmware/get_reply");
  EXPECT_EQ(m.payload, R"({"id":"123","code":200,"data":{}})");
  // A request without an id gets a reply without one.
  EXPECT_EQ(reply(q, "", nullptr).payload, R"({"code":200,"data":{}})");
}

// --- SDK v3 request: /ota/device/request/{pk}/{dn} ---

constexpr std::string_view kRequest = "/ota/device/request/a1Pk/dev-01";

TEST(AliyunDialect, ParsesSdkV3Request) {
  ParseOutcome o = parse(kRequest, R"({"id":12,"params":{"version":"1.0.1"}})");
  ASSERT_EQ(o.kind, Kind::kEvent) << o.error;
  const UpgradeQuery* q = std::get_if<UpgradeQuery>(&o.event);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->device, (DeviceKey{"a1Pk", "dev-01"}));
  EXPECT_EQ(q->module, "");  // any module: v3 names none
  EXPECT_EQ(q->version, "1.0.1");
  EXPECT_EQ(o.message_id, "12");
  EXPECT_TRUE(o.replies.empty());

  o = parse(kRequest, R"({"id":"1","params":{}})");
  ASSERT_EQ(o.kind, Kind::kEvent) << o.error;
  EXPECT_EQ(std::get<UpgradeQuery>(o.event).version, "");
  // A module the v3 protocol does not have is ignored.
  o = parse(kRequest, R"({"params":{"version":"2","module":"MCU"}})");
  ASSERT_EQ(o.kind, Kind::kEvent) << o.error;
  EXPECT_EQ(std::get<UpgradeQuery>(o.event).module, "");
}

TEST(AliyunDialect, RejectsBadSdkV3Request) {
  EXPECT_EQ(malformed(kRequest, R"({"id":"1"})"), "field 'params' is required");
  EXPECT_EQ(malformed(kRequest, R"({"id":"1","params":"1.0"})"),
            "field 'params' must be an object, got a string");
  EXPECT_EQ(malformed(kRequest, R"({"id":"1","params":{"version":1}})"),
            "params: field 'version' must be a string, got 1");
  EXPECT_EQ(malformed(kRequest, R"({"id":"1","params":{"version":""}})"),
            "params: field 'version' must not be empty");
  EXPECT_EQ(malformed(kRequest, R"({"params":{"version":")" + repeat("v", 129) + "\"}}"),
            "params: field 'version' is longer than 128 bytes (129)");
  EXPECT_EQ(malformed(kRequest, R"({"id":true,"params":{}})"),
            "field 'id' must be a string or an integer, got true");
}

TEST(AliyunDialect, SdkV3RequestReply) {
  UpgradeQuery q = std::get<UpgradeQuery>(
      parse(kRequest, R"({"id":12,"params":{"version":"1.0.1"}})").event);
  Notification n = seed_notification();
  // The answer is the ordinary notification on the upgrade topic...
  OutboundMessage m = reply(q, "12", &n);
  EXPECT_EQ(m.topic, "/ota/device/upgrade/a1Pk/dev-01");
  EXPECT_EQ(m.payload, encode(n).payload);
  EXPECT_EQ(reply(q, "12", &n, "1000").payload, encode(n, "1000").payload);
  // ...and nothing at all when no upgrade is pending.
  OutboundMessage none = reply(q, "12", nullptr);
  EXPECT_EQ(none.topic, "");
  EXPECT_EQ(none.payload, "");
}

TEST(AliyunDialect, MessageIdIsKeptForEveryMessage) {
  EXPECT_EQ(parse(kInform, kSeedInform).message_id, "123");
  EXPECT_EQ(parse(kProgress, R"({"id":0,"params":{"step":"1"}})").message_id, "0");
  EXPECT_EQ(parse(kInform, R"({"params":{"version":"1"}})").message_id, "");
}

TEST(AliyunDialect, MadeByTheRegistry) {
  std::unique_ptr<Dialect> d = make_dialect("aliyun", {});
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->name(), "aliyun");
  Notification n = seed_notification();
  ProductConfig product;
  product.aliyun_code = "1000";
  EXPECT_EQ(d->encode_notification(n, {product, {}}).payload.rfind(R"({"code":"1000",)", 0),
            0u);
}

}  // namespace
}  // namespace ota

namespace ota {
namespace {

// Presence: a subscription to one device's upgrade topic names it; the SDK
// 4.x wildcard names the device of the connection's "{dn}&{pk}" username.
TEST(AliyunDialect, SubscriberDeviceFromTopicOrSdkUsername) {
  AliyunDialect d;
  EXPECT_EQ(d.subscriber_device("/ota/device/upgrade/pk/dn", {"c", ""}), (DeviceKey{"pk", "dn"}));
  EXPECT_EQ(d.subscriber_device("/ota/device/upgrade/+/+", {"c", "dn&pk"}), (DeviceKey{"pk", "dn"}));
  EXPECT_EQ(d.subscriber_device("/ota/device/upgrade/pk/+", {"c", "dn&pk"}), (DeviceKey{"pk", "dn"}));
  EXPECT_EQ(d.subscriber_device("/ota/device/upgrade/+/dn", {"c", "dn&pk"}), (DeviceKey{"pk", "dn"}));
  for (const std::string& user : std::vector<std::string>{"", "logger", "&pk", "dn&", "d/n&pk", "dn&p+k", "dn&pk&x",
                                 std::string(129, 'd') + "&pk"}) {
    EXPECT_EQ(d.subscriber_device("/ota/device/upgrade/+/+", {"c", user}), std::nullopt) << user;
  }
  // A filter naming another product or device, or a multi-level wildcard.
  for (const char* topic : {"/ota/device/upgrade/other/+", "/ota/device/upgrade/+/other",
                            "/ota/device/upgrade/#", "/ota/device/upgrade/+/+/x",
                            "/ota/device/upgrade/p+/dn", "/ota/device/inform/+/+"}) {
    EXPECT_EQ(d.subscriber_device(topic, {"c", "dn&pk"}), std::nullopt) << topic;
  }
}

}  // namespace
}  // namespace ota
