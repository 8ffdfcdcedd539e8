#include "dialects/tencent.h"

#include <gtest/gtest.h>
#include <jansson.h>

#include <string>
#include <vector>

#include "dialects/registry.h"

namespace ota {
namespace {

using Kind = ParseOutcome::Kind;

constexpr std::string_view kReport = "$ota/report/S3EUVBRJLB/dev_01";

// Seed 003's messages, exactly as printed.
constexpr std::string_view kSeedVersion = R"({
"type": "report_version",
"report":{
"version": "0.1"
}
})";
constexpr std::string_view kSeedUpdate = R"({
"file_size": 708482,
"md5sum": "36eb5951179db14a631463a37a9322a2",
"type": "update_firmware",
"url": "https://ota-1255858890.cos.ap-guangzhou.myqcloud.com",
"version": "0.2"
})";
constexpr std::string_view kSeedDownloading = R"({
"type": "report_progress",
"report":{
"progress":{
"state":"downloading",
"percent":"10",
"result_code":"0",
"result_msg":""
},
"version": "0.2"
}
})";
constexpr std::string_view kSeedBurning = R"({
"type": "report_progress",
"report":{
"progress":{
"state":"burning",
"result_code":"0",
"result_msg":""
},
"version": "0.2"
}
})";
constexpr std::string_view kSeedDone = R"({
"type": "report_progress",
"report":{
"progress":{
"state":"done",
"result_code":"0",
"result_msg":""
},
"version": "0.2"
}
})";
constexpr std::string_view kSeedFail = R"({
"type": "report_progress",
"report":{
"progress":{
"state":"fail",
"result_code":"-1",
"result_msg":"time_out"
},
"version": "0.2"
}
})";

ParseOutcome parse(std::string_view topic, std::string_view payload) {
  return TencentDialect().parse(topic, payload, {"S3EUVBRJLBdev_01", ""});
}

ProgressReport progress_ok(std::string_view payload) {
  ParseOutcome o = parse(kReport, payload);
  EXPECT_EQ(o.kind, Kind::kEvent) << payload << " -> " << o.error;
  EXPECT_TRUE(o.replies.empty());
  const ProgressReport* r = std::get_if<ProgressReport>(&o.event);
  EXPECT_NE(r, nullptr) << payload;
  return r != nullptr ? *r : ProgressReport{};
}

std::string malformed(std::string_view payload, std::string_view topic = kReport) {
  ParseOutcome o = parse(topic, payload);
  EXPECT_EQ(o.kind, Kind::kMalformed) << payload;
  EXPECT_TRUE(o.replies.empty()) << payload;
  return o.error;
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// A progress report with the given progress object and report extras.
std::string progress(const std::string& progress_fields,
                     const std::string& report_extra = R"(,"version":"0.2")") {
  return R"({"type":"report_progress","report":{"progress":{)" + progress_fields + "}" +
         report_extra + "}}";
}

// Compact text of `json`, keys in their order.
std::string compact(std::string_view json) {
  json_error_t err;
  json_t* v = json_loadb(json.data(), json.size(), 0, &err);
  EXPECT_NE(v, nullptr) << err.text;
  char* text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
  std::string out = text != nullptr ? text : "";
  free(text);
  json_decref(v);
  return out;
}

// --- topics ---

TEST(TencentDialect, NameAndClaims) {
  TencentDialect d;
  EXPECT_EQ(d.name(), "tencent");
  EXPECT_TRUE(d.claims("$ota/report/pid/dn"));
  EXPECT_TRUE(d.claims("$ota/report/x"));  // cheap prefix test
  EXPECT_FALSE(d.claims("$ota/update/pid/dn"));  // our downstream topic
  EXPECT_FALSE(d.claims("ota/report/pid/dn"));
  EXPECT_FALSE(d.claims("/ota/device/inform/pk/dn"));
  EXPECT_FALSE(d.claims(""));
}

TEST(TencentDialect, TopicsThatAreNotMine) {
  for (std::string_view topic : {"$ota/update/pid/dn", "$ota/report/pid",
                                 "$ota/report/pid/dn/x", "$ota/report//dn",
                                 "$ota/report/pid/", "$ota/report/", "$ota/Report/pid/dn",
                                 "$ota/report", ""}) {
    EXPECT_EQ(parse(topic, kSeedVersion).kind, Kind::kNotMine) << topic;
    EXPECT_EQ(parse(topic, "garbage").kind, Kind::kNotMine) << topic;
  }
}

TEST(TencentDialect, OverlongNamesAreMalformed) {
  std::string n128(128, 'n');
  EXPECT_EQ(parse("$ota/report/pid/" + n128, kSeedVersion).kind, Kind::kEvent);
  for (const std::string& topic :
       {"$ota/report/pid/" + n128 + "x", "$ota/report/" + n128 + "x/dn"}) {
    EXPECT_EQ(malformed(kSeedVersion, topic),
              "product id and device name must be at most 128 bytes each");
  }
}

// --- version report and its reply ---

TEST(TencentDialect, ParsesSeedVersionReportAndReplies) {
  ParseOutcome o = parse(kReport, kSeedVersion);
  ASSERT_EQ(o.kind, Kind::kEvent) << o.error;
  const VersionReport& r = std::get<VersionReport>(o.event);
  EXPECT_EQ(r.device, (DeviceKey{"S3EUVBRJLB", "dev_01"}));
  EXPECT_EQ(r.module, "default");
  EXPECT_EQ(r.version, "0.1");
  ASSERT_EQ(o.replies.size(), 1u);
  EXPECT_EQ(o.replies[0].topic, "$ota/update/S3EUVBRJLB/dev_01");
  EXPECT_EQ(o.replies[0].payload,
            R"({"type":"report_version_rsp","version":"0.1","result_code":0,)"
            R"("result_msg":"success"})");
  EXPECT_EQ(o.replies[0].qos, 1);
  EXPECT_FALSE(o.replies[0].retain);
  EXPECT_EQ(o.replies[0].client_id, "");
}

TEST(TencentDialect, VersionReportForms) {
  // As the C SDK prints it.
  ParseOutcome o = parse(kReport, R"({"type": "report_version", "report":{"version":"1.0.0"}})");
  ASSERT_EQ(o.kind, Kind::kEvent) << o.error;
  EXPECT_EQ(std::get<VersionReport>(o.event).version, "1.0.0");
  // A module other than the default, as the notification's fw_type.
  o = parse(kReport, R"({"type":"report_version","report":{"version":"3","fw_type":"mcu"}})");
  ASSERT_EQ(o.kind, Kind::kEvent) << o.error;
  EXPECT_EQ(std::get<VersionReport>(o.event).module, "mcu");
  EXPECT_EQ(o.replies.at(0).payload,
            R"({"type":"report_version_rsp","version":"3","result_code":0,)"
            R"("result_msg":"success"})");
}

TEST(TencentDialect, RejectsBadVersionReport) {
  EXPECT_EQ(malformed(R"({"type":"report_version"})"), "field 'report' is required");
  EXPECT_EQ(malformed(R"({"type":"report_version","report":"0.1"})"),
            "field 'report' must be an object, got a string");
  EXPECT_EQ(malformed(R"({"type":"report_version","report":{}})"),
            "report: field 'version' is required");
  EXPECT_EQ(malformed(R"({"type":"report_version","report":{"version":1.5}})"),
            "report: field 'version' must be a string, got 1.5");
  EXPECT_EQ(malformed(R"({"type":"report_version","report":{"version":""}})"),
            "report: field 'version' must not be empty");
  EXPECT_EQ(malformed(R"({"type":"report_version","report":{"version":")" +
                      repeat("v", 129) + "\"}}"),
            "report: field 'version' is longer than 128 bytes (129)");
  EXPECT_EQ(malformed(R"({"type":"report_version","report":{"version":"1","fw_type":1}})"),
            "report: field 'fw_type' must be a string, got 1");
}

TEST(TencentDialect, RejectsBadType) {
  EXPECT_EQ(malformed(R"({"report":{"version":"1"}})"), "field 'type' is required");
  EXPECT_EQ(malformed(R"({"type":5,"report":{"version":"1"}})"),
            "field 'type' must be a string, got 5");
  EXPECT_EQ(malformed(R"({"type":"update_firmware","report":{"version":"1"}})"),
            "field 'type' must be \"report_version\" or \"report_progress\", got "
            "\"update_firmware\"");
  EXPECT_EQ(malformed(R"({"type":"Report_Version","report":{"version":"1"}})"),
            "field 'type' must be \"report_version\" or \"report_progress\", got "
            "\"Report_Version\"");
  EXPECT_EQ(malformed(R"({"type":")" + repeat("x", 40) + R"(","report":{}})"),
            "field 'type' must be \"report_version\" or \"report_progress\", got "
            "a string of 40 bytes");
  EXPECT_EQ(malformed("[]"), "payload: JSON must be an object, got an array");
  EXPECT_EQ(malformed("").rfind("payload: invalid JSON at byte ", 0), 0u);
  EXPECT_EQ(malformed(R"({"type":"report_version","type":"x"})").rfind(
                "payload: invalid JSON at byte ", 0),
            0u);
}

// --- progress ---

TEST(TencentDialect, ParsesSeedProgress) {
  ProgressReport r = progress_ok(kSeedDownloading);
  EXPECT_EQ(r.device, (DeviceKey{"S3EUVBRJLB", "dev_01"}));
  EXPECT_EQ(r.module, "default");
  EXPECT_EQ(r.step, 10);
  EXPECT_EQ(r.desc, "downloading");
  EXPECT_FALSE(r.completed);
  EXPECT_FALSE(r.job_id.has_value());

  r = progress_ok(kSeedBurning);
  EXPECT_EQ(r.step, 100);
  EXPECT_EQ(r.desc, "burning");
  EXPECT_FALSE(r.completed);

  r = progress_ok(kSeedDone);
  EXPECT_EQ(r.step, 100);
  EXPECT_EQ(r.desc, "done");
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.version, "0.2");

  r = progress_ok(kSeedFail);
  EXPECT_EQ(r.step, -2);  // -1 download timed out: download failed
  EXPECT_EQ(r.desc, "result_code -1: time_out");
  EXPECT_FALSE(r.completed);
}

TEST(TencentDialect, ParsesSdkProgress) {
  // qcloud-iot-explorer-sdk-embedded-c's ota_lib.c, byte for byte.
  ProgressReport r = progress_ok(
      R"({"type": "report_progress", "report": {"progress": {"state":"downloading", )"
      R"("percent":"0", "result_code":"0", "result_msg":""}, "version": "1.0.0"}})");
  EXPECT_EQ(r.step, 0);
  r = progress_ok(
      R"({"type": "report_progress", "report": {"progress": {"state":"fail", )"
      R"("result_code":"-4", "result_msg":"time_out"}, "version": "1.0.0"}})");
  EXPECT_EQ(r.step, -3);
  EXPECT_EQ(r.desc, "result_code -4: time_out");
  r = progress_ok(
      R"({"type": "report_progress", "report":{"progress":{"state":"done", )"
      R"("result_code":"0", "result_msg":""}, "version":"1.0.0"}})");
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.version, "1.0.0");
}

TEST(TencentDialect, PercentAsStringOrInteger) {
  for (int percent : {0, 1, 50, 99, 100}) {
    std::string p = std::to_string(percent);
    EXPECT_EQ(progress_ok(progress(R"("state":"downloading","percent":")" + p + "\"")).step,
              percent);
    EXPECT_EQ(progress_ok(progress(R"("state":"downloading","percent":)" + p)).step, percent);
  }
}

TEST(TencentDialect, BurningAndUpdatingAreNotYetSuccess) {
  for (std::string_view state : {"burning", "updating"}) {
    ProgressReport r = progress_ok(progress(R"("state":")" + std::string(state) + "\""));
    EXPECT_EQ(r.step, 100);
    EXPECT_EQ(r.desc, state);
    EXPECT_FALSE(r.completed);
    EXPECT_EQ(r.version, "");
  }
}

TEST(TencentDialect, DoneWithoutVersion) {
  ProgressReport r = progress_ok(progress(R"("state":"done")", ""));
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.version, "");
}

TEST(TencentDialect, FailResultCodes) {
  struct Case {
    std::string code;  // JSON text
    int32_t step;
    std::string desc;
  };
  for (const Case& c : std::vector<Case>{
           {R"("-1")", -2, "result_code -1: m"},  // download timed out
           {R"("-2")", -2, "result_code -2: m"},  // file does not exist
           {R"("-3")", -2, "result_code -3: m"},  // URL signature expired
           {R"("-4")", -3, "result_code -4: m"},  // MD5 mismatch: verify
           {R"("-5")", -4, "result_code -5: m"},  // update failed: flash
           {"-5", -4, "result_code -5: m"},       // an int works too
           {"-6", -1, "result_code -6: m"},       // others: upgrade failed
           {R"("0")", -1, "result_code 0: m"},
           {"7", -1, "result_code 7: m"},
       }) {
    ProgressReport r = progress_ok(
        progress(R"("state":"fail","result_code":)" + c.code + R"(,"result_msg":"m")"));
    EXPECT_EQ(r.step, c.step) << c.code;
    EXPECT_EQ(r.desc, c.desc) << c.code;
  }
  // No result_msg: the code alone.
  EXPECT_EQ(progress_ok(progress(R"("state":"fail","result_code":"-2")")).desc,
            "result_code -2: ");
}

TEST(TencentDialect, FailDescIsTruncatedTo128Characters) {
  std::string msg = repeat("超", 200);
  ProgressReport r = progress_ok(
      progress(R"("state":"fail","result_code":"-5","result_msg":")" + msg + "\""));
  // "result_code -5: " is 16 characters; 112 of the message fit.
  EXPECT_EQ(r.desc, "result_code -5: " + repeat("超", 112));
  r = progress_ok(progress(R"("state":"fail","result_code":"-5","result_msg":")" +
                           repeat("a", 112) + "\""));
  EXPECT_EQ(r.desc, "result_code -5: " + repeat("a", 112));
}

TEST(TencentDialect, TaskIdAndModule) {
  ProgressReport r = progress_ok(
      progress(R"("state":"downloading","percent":"5")",
               R"(,"version":"0.2","task_id":42,"fw_type":"mcu")"));
  EXPECT_EQ(r.job_id, std::optional<JobId>(42));
  EXPECT_EQ(r.module, "mcu");
  EXPECT_EQ(malformed(progress(R"("state":"done")", R"(,"task_id":"42")")),
            "report: field 'task_id' must be an integer, got a string");
  EXPECT_EQ(malformed(progress(R"("state":"done")", R"(,"task_id":-1)")),
            "report: field 'task_id' must be an integer of at least 0, got -1");
  EXPECT_EQ(malformed(progress(R"("state":"done")", R"(,"fw_type":["mcu"])")),
            "report: field 'fw_type' must be a string, got an array");
}

TEST(TencentDialect, RejectsBadProgress) {
  const std::string p = "report.progress: ";
  EXPECT_EQ(malformed(R"({"type":"report_progress","report":{"version":"0.2"}})"),
            "report: field 'progress' is required");
  EXPECT_EQ(malformed(R"({"type":"report_progress","report":{"progress":"done"}})"),
            "report: field 'progress' must be an object, got a string");
  EXPECT_EQ(malformed(R"({"type":"report_progress"})"), "field 'report' is required");
  EXPECT_EQ(malformed(progress(R"("percent":"10")")), p + "field 'state' is required");
  EXPECT_EQ(malformed(progress(R"("state":1)")), p + "field 'state' must be a string, got 1");
  EXPECT_EQ(malformed(progress(R"("state":"finished")")),
            p + "field 'state' must be one of downloading, burning, updating, done, "
                "fail, got \"finished\"");
  EXPECT_EQ(malformed(progress(R"("state":"Done")")),
            p + "field 'state' must be one of downloading, burning, updating, done, "
                "fail, got \"Done\"");
  // downloading needs a percent within 0..100.
  const std::string range = p + "field 'percent' must be an integer from 0 to 100, got ";
  EXPECT_EQ(malformed(progress(R"("state":"downloading")")),
            p + "field 'percent' is required");
  EXPECT_EQ(malformed(progress(R"("state":"downloading","percent":"101")")),
            range + R"("101")");
  EXPECT_EQ(malformed(progress(R"("state":"downloading","percent":-1)")), range + "-1");
  EXPECT_EQ(malformed(progress(R"("state":"downloading","percent":"ten")")),
            range + R"("ten")");
  EXPECT_EQ(malformed(progress(R"("state":"downloading","percent":"10.5")")),
            range + R"("10.5")");
  EXPECT_EQ(malformed(progress(R"("state":"downloading","percent":10.5)")),
            p + "field 'percent' must be a string or an integer, got 10.5");
  // fail needs an integer result_code.
  EXPECT_EQ(malformed(progress(R"("state":"fail","result_msg":"x")")),
            p + "field 'result_code' is required");
  EXPECT_EQ(malformed(progress(R"("state":"fail","result_code":"x")")),
            p + "field 'result_code' must be an integer, got \"x\"");
  EXPECT_EQ(malformed(progress(R"("state":"done","result_code":true)")),
            p + "field 'result_code' must be a string or an integer, got true");
  EXPECT_EQ(malformed(progress(R"("state":"fail","result_code":"-1","result_msg":5)")),
            p + "field 'result_msg' must be a string, got 5");
  EXPECT_EQ(malformed(progress(R"("state":"done")", R"(,"version":2)")),
            "report: field 'version' must be a string, got 2");
  EXPECT_EQ(malformed(progress(R"("state":"done")", R"(,"version":"")")),
            "report: field 'version' must not be empty");
}

// --- notification ---

Notification seed_notification() {
  Notification n;
  n.device = {"S3EUVBRJLB", "dev_01"};
  n.job_id = 12;
  n.at = 3;
  n.package.product = "S3EUVBRJLB";
  n.package.version = "0.2";
  n.package.size = 708482;
  n.package.url = "https://ota-1255858890.cos.ap-guangzhou.myqcloud.com";
  n.package.sign_method = SignMethod::kMd5;
  n.package.sign = "36eb5951179db14a631463a37a9322a2";
  return n;
}

OutboundMessage encode(const Notification& n) {
  ProductConfig product;
  return TencentDialect().encode_notification(n, {product, "c"});
}

TEST(TencentDialect, EncodesSeedNotification) {
  OutboundMessage m = encode(seed_notification());
  EXPECT_EQ(m.topic, "$ota/update/S3EUVBRJLB/dev_01");
  EXPECT_EQ(m.qos, 1);
  EXPECT_FALSE(m.retain);
  EXPECT_EQ(m.client_id, "");
  EXPECT_EQ(m.payload,
            R"({"file_size":708482,"md5sum":"36eb5951179db14a631463a37a9322a2",)"
            R"("type":"update_firmware",)"
            R"("url":"https://ota-1255858890.cos.ap-guangzhou.myqcloud.com","version":"0.2"})");
  // The seed's message, keys in the seed's order.
  EXPECT_EQ(m.payload, compact(kSeedUpdate));
}

TEST(TencentDialect, EncodesOtherModules) {
  Notification n = seed_notification();
  n.package.module = "mcu";
  n.package.sign_method = SignMethod::kSha256;
  n.package.sign = "ffff";
  n.package.md5 = "36eb5951179db14a631463a37a9322a2";
  EXPECT_EQ(encode(n).payload,
            R"({"file_size":708482,"fw_type":"mcu",)"
            R"("md5sum":"36eb5951179db14a631463a37a9322a2","task_id":12,)"
            R"("type":"update_firmware",)"
            R"("url":"https://ota-1255858890.cos.ap-guangzhou.myqcloud.com","version":"0.2"})");
  n.package.module = "default";
  EXPECT_EQ(encode(n).payload.find("fw_type"), std::string::npos);
  EXPECT_EQ(encode(n).payload.find("task_id"), std::string::npos);
}

TEST(TencentDialect, SeedExchange) {
  // Version 0.1 reported and acknowledged, 0.2 pushed, downloaded, burnt,
  // done; a later report of 0.2 is acknowledged too.
  TencentDialect d;
  ParseOutcome v = d.parse(kReport, kSeedVersion, {});
  ASSERT_EQ(v.kind, Kind::kEvent);
  ASSERT_EQ(v.replies.size(), 1u);
  Notification n = seed_notification();
  ProductConfig product;
  EXPECT_EQ(d.encode_notification(n, {product, {}}).topic, v.replies[0].topic);
  for (std::string_view p : {kSeedDownloading, kSeedBurning, kSeedDone}) {
    ParseOutcome o = d.parse(kReport, p, {});
    ASSERT_EQ(o.kind, Kind::kEvent) << p;
    EXPECT_EQ(std::get<ProgressReport>(o.event).device, n.device);
  }
  ParseOutcome after = d.parse(kReport, R"({"type":"report_version","report":{"version":"0.2"}})", {});
  ASSERT_EQ(after.kind, Kind::kEvent);
  EXPECT_EQ(after.replies.at(0).payload,
            R"({"type":"report_version_rsp","version":"0.2","result_code":0,)"
            R"("result_msg":"success"})");
}

TEST(TencentDialect, SubscriberDevice) {
  TencentDialect d;
  EXPECT_EQ(d.subscriber_device("$ota/update/S3EUVBRJLB/dev_01", {"c", ""}),
            (std::optional<DeviceKey>(DeviceKey{"S3EUVBRJLB", "dev_01"})));
  for (std::string_view topic : {"$ota/update/+/+", "$ota/update/pid/+", "$ota/update/#",
                                 "$ota/update/pid", "$ota/update/pid/dn/x",
                                 "$ota/report/pid/dn", "$ota/update//dn", ""}) {
    EXPECT_EQ(d.subscriber_device(topic, {"c", ""}), std::nullopt) << topic;
  }
  EXPECT_EQ(d.subscriber_device("$ota/update/pid/" + std::string(129, 'n'), {}),
            std::nullopt);
}

TEST(TencentDialect, MadeByTheRegistry) {
  std::unique_ptr<Dialect> d = make_dialect("tencent", {});
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->name(), "tencent");
  EXPECT_EQ(d->parse(kReport, kSeedVersion, {}).kind, Kind::kEvent);
}

}  // namespace
}  // namespace ota
