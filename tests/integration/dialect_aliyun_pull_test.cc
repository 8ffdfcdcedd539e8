// The aliyun dialect beyond the base flow (aliyun_upgrade_test.cc): the
// Alibaba device pull (/sys/{pk}/{dn}/thing/ota/firmware/get → get_reply),
// the device SDK v3 pull (/ota/device/request/{pk}/{dn}, answered on the
// upgrade topic), and Alibaba's notification shape (product aliyunCode
// "1000": "code":"1000", "isDiff", "signMethod":"Md5", "id" a string).
#include <gtest/gtest.h>

#include "dialect_support.h"

namespace ota::test::dialect_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAlibaba = "a1Pk";  // aliyunCode "1000"
constexpr const char* kSagoo = "pk3";     // the default code "200"
constexpr const char* kFwSign = "f8d85b250d4d787a9f483d89a9747348";

std::string upgrade_topic(const std::string& pk, const std::string& dn) {
  return "/ota/device/upgrade/" + pk + "/" + dn;
}
std::string inform_topic(const std::string& pk, const std::string& dn) {
  return "/ota/device/inform/" + pk + "/" + dn;
}
std::string progress_topic(const std::string& pk, const std::string& dn) {
  return "/ota/device/progress/" + pk + "/" + dn;
}
std::string get_topic(const std::string& pk, const std::string& dn) {
  return "/sys/" + pk + "/" + dn + "/thing/ota/firmware/get";
}
std::string get_reply_topic(const std::string& pk, const std::string& dn) {
  return get_topic(pk, dn) + "_reply";
}
std::string request_topic(const std::string& pk, const std::string& dn) {
  return "/ota/device/request/" + pk + "/" + dn;
}

// Alibaba's document's firmware (its get_reply example): module MCU, a
// differential package with extData.
std::string alibaba_package_fields() {
  return std::string(R"({"product":")") + kAlibaba +
         R"(","module":"MCU","version":"1.0.1.9.20171112.1432","url":"https://the_firmware_url",)"
         R"("size":93796291,"sign":")" + kFwSign +
         R"(","signMethod":"MD5","diff":true,"extData":{"key1":"value1","key2":"value2"}})";
}
// Its "data", as docs/dialects.md gives it for both the push and get_reply.
std::string alibaba_data() {
  return std::string(R"({"size":93796291,"version":"1.0.1.9.20171112.1432","isDiff":1,)"
                     R"("url":"https://the_firmware_url","sign":")") +
         kFwSign + R"(","signMethod":"Md5","md5":")" + kFwSign +
         R"(","module":"MCU","extData":{"key1":"value1","key2":"value2"}})";
}
std::string alibaba_push() {
  return R"({"code":"1000","data":)" + alibaba_data() + R"(,"id":@MSSTR:id@,"message":"success"})";
}
const char* const kAlinkGet =
    R"({"id":"123","version":"1.0","params":{"module":"MCU"},"method":"thing.ota.firmware.get"})";

class DialectAliyunPullTest : public DialectTest {
 protected:
  void SetUp() override {
    DialectTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(configure_product(std::string(R"({"product":")") + kAlibaba +
                                  R"(","aliyunCode":"1000"})"));
  }
  // An Alibaba device: subscribed to its upgrade topic and get_reply.
  std::unique_ptr<MqttClient> connect_device(const std::string& pk, const std::string& dn) {
    auto c = std::make_unique<MqttClient>();
    // As Alibaba's SDK 3.x connects: client id {pk}.{dn}|...|, username {dn}&{pk}.
    EXPECT_TRUE(c->connect(broker().port(), pk + "." + dn + "|securemode=2|", dn + "&" + pk));
    EXPECT_TRUE(c->subscribe(upgrade_topic(pk, dn), 1));
    EXPECT_TRUE(c->subscribe(get_reply_topic(pk, dn), 1));
    return c;
  }
  // Sends a firmware/get and compares the get_reply to the letter.
  void expect_get_reply(MqttClient& c, const std::string& pk, const std::string& dn,
                        const std::string& request, const std::string& want) {
    SCOPED_TRACE("firmware/get " + request);
    ASSERT_TRUE(c.publish(get_topic(pk, dn), request));
    auto reply = c.wait_message(get_reply_topic(pk, dn));
    ASSERT_TRUE(reply.has_value()) << "no answer on " << get_reply_topic(pk, dn);
    EXPECT_EQ(reply->qos, 1);
    EXPECT_TRUE(exact_payload(reply->payload, want));
  }
  // A device of the Alibaba product with the document's MCU package pushed.
  long long alibaba_notified(MqttClient& c, const std::string& dn) {
    EXPECT_TRUE(c.publish(inform_topic(kAlibaba, dn),
                          R"({"id":"1","params":{"version":"1.0.1.9.20171111","module":"MCU"}})"));
    const long long pkg = create_package(alibaba_package_fields());
    const long long job = pkg > 0 ? create_job(pkg, {dn}) : -1;
    if (job < 0) return -1;
    auto push = c.wait_message(upgrade_topic(kAlibaba, dn));
    EXPECT_TRUE(push.has_value()) << "no push";
    if (!push) return -1;
    EXPECT_TRUE(exact_payload(push->payload, alibaba_push()));
    return job;
  }
};

// aliyunCode "1000": the Alibaba push, then the Alink pull before, during
// and after the upgrade; the SDK 4.x pull; the SDK v3 pull; success.
TEST_F(DialectAliyunPullTest, AlibabaPushAndFirmwareGet) {
  const std::string dn = "dev-01";
  auto dev = connect_device(kAlibaba, dn);
  ASSERT_TRUE(dev->publish(inform_topic(kAlibaba, dn),
                           R"({"id":"1","params":{"version":"1.0.1.9.20171111","module":"MCU"}})"));
  // Nothing pending: Alibaba's "no upgrade" answer.
  expect_get_reply(*dev, kAlibaba, dn, kAlinkGet, R"({"id":"123","code":200,"data":{}})");
  if (HasFatalFailure()) return;

  const long long pkg = create_package(alibaba_package_fields());
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {dn});
  ASSERT_GT(job, 0);
  auto push = dev->wait_message(upgrade_topic(kAlibaba, dn));
  ASSERT_TRUE(push.has_value()) << "no push on " << upgrade_topic(kAlibaba, dn);
  EXPECT_EQ(push->qos, 1);
  EXPECT_FALSE(push->retain);
  EXPECT_TRUE(exact_payload(push->payload, alibaba_push()));
  ASSERT_TRUE(api().wait_task_state(kAlibaba, dn, job, "NOTIFIED"));

  // The Alink document's request, verbatim.
  expect_get_reply(*dev, kAlibaba, dn, kAlinkGet,
                   R"({"id":"123","code":200,"data":)" + alibaba_data() + "}");
  // Alibaba's SDK 4.x asks with {"id":7,"params":{}}: the default module,
  // which has nothing pending; the id comes back as a string.
  expect_get_reply(*dev, kAlibaba, dn, R"({"id":7,"params":{}})",
                   R"({"id":"7","code":200,"data":{}})");
  // No id in, no id out.
  expect_get_reply(*dev, kAlibaba, dn, R"({"params":{"module":"MCU"}})",
                   R"({"code":200,"data":)" + alibaba_data() + "}");
  // SDK v3: the answer is the push itself, on the upgrade topic.
  ASSERT_TRUE(dev->publish(request_topic(kAlibaba, dn),
                           R"({"id":12,"params":{"version":"1.0.1.9.20171111"}})"));
  auto again = dev->wait_message(upgrade_topic(kAlibaba, dn));
  ASSERT_TRUE(again.has_value()) << "no answer to the SDK v3 request";
  EXPECT_TRUE(exact_payload(again->payload, alibaba_push()));
  // Pulls change nothing.
  JsonPtr still = api().wait_task_state(kAlibaba, dn, job, "NOTIFIED");
  ASSERT_TRUE(still);

  ASSERT_TRUE(dev->publish(progress_topic(kAlibaba, dn),
                           R"({"id":"124","params":{"step":"50","desc":"downloading","module":"MCU"}})"));
  ASSERT_TRUE(api().wait_task(kAlibaba, dn, job, in_progress_at(50), "IN_PROGRESS 50"));
  // While the upgrade runs, the pull still answers with it.
  expect_get_reply(*dev, kAlibaba, dn, kAlinkGet,
                   R"({"id":"123","code":200,"data":)" + alibaba_data() + "}");
  ASSERT_TRUE(dev->publish(inform_topic(kAlibaba, dn),
                           R"({"id":"125","params":{"version":"1.0.1.9.20171112.1432","module":"MCU"}})"));
  ASSERT_TRUE(api().wait_task_state(kAlibaba, dn, job, "SUCCEEDED"));
  JsonPtr done = api().wait_job_state(job, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 1);
  // Done: nothing pending any more.
  expect_get_reply(*dev, kAlibaba, dn, kAlinkGet, R"({"id":"123","code":200,"data":{}})");
  ASSERT_TRUE(dev->publish(request_topic(kAlibaba, dn),
                           R"({"id":13,"params":{"version":"1.0.1.9.20171112.1432"}})"));
  EXPECT_TRUE(dev->no_message(upgrade_topic(kAlibaba, dn), 200ms))
      << "an answer to the SDK v3 request with nothing pending";
}

// aliyunCode "1000" with a full SHA256 package: no isDiff, "SHA256", no md5.
TEST_F(DialectAliyunPullTest, AlibabaFullShaPackage) {
  const std::string dn = "dev-02";
  auto dev = connect_device(kAlibaba, dn);
  ASSERT_TRUE(dev->publish(inform_topic(kAlibaba, dn), R"({"id":"1","params":{"version":"1.0.0"}})"));
  const std::string sha(64, 'c');
  const long long pkg = create_package(std::string(R"({"product":")") + kAlibaba +
                                       R"(","version":"1.1.0","url":"https://fw.example/a.bin",)"
                                       R"("size":2048,"sign":")" + sha +
                                       R"(","signMethod":"SHA256"})");
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {dn});
  ASSERT_GT(job, 0);
  auto push = dev->wait_message(upgrade_topic(kAlibaba, dn));
  ASSERT_TRUE(push.has_value());
  EXPECT_TRUE(exact_payload(push->payload,
                            R"({"code":"1000","data":{"size":2048,"version":"1.1.0",)"
                            R"("url":"https://fw.example/a.bin","sign":")" + sha +
                                R"(","signMethod":"SHA256"},"id":@MSSTR:id@,"message":"success"})"));
  // The SDK 4.x pull: default module, pending.
  expect_get_reply(*dev, kAlibaba, dn, R"({"id":7,"params":{}})",
                   R"({"id":"7","code":200,"data":{"size":2048,"version":"1.1.0",)"
                   R"("url":"https://fw.example/a.bin","sign":")" + sha +
                       R"(","signMethod":"SHA256"}})");
  ASSERT_TRUE(dev->publish(inform_topic(kAlibaba, dn), R"({"id":"2","params":{"version":"1.1.0"}})"));
  ASSERT_TRUE(api().wait_task_state(kAlibaba, dn, job, "SUCCEEDED"));
}

// SagooIOT (code "200"): the SDK v3 pull answers with SagooIOT's push
// ("id" an integer, "MD5", never isDiff), and with silence when nothing is
// pending.
TEST_F(DialectAliyunPullTest, SdkV3RequestOnSagooProduct) {
  const std::string dn = "d3";
  auto dev = connect_device(kSagoo, dn);
  ASSERT_TRUE(dev->publish(inform_topic(kSagoo, dn), R"({"id":"1","params":{"version":"1.0.1"}})"));
  ASSERT_TRUE(dev->publish(request_topic(kSagoo, dn), R"({"id":12,"params":{"version":"1.0.1"}})"));
  EXPECT_TRUE(dev->no_message(upgrade_topic(kSagoo, dn), 200ms))
      << "an answer to the SDK v3 request with nothing pending";

  const std::string sign = "93230c3bde425a9d7984a594ac55ea1e";
  const long long pkg = create_package(
      std::string(R"({"product":")") + kSagoo +
      R"(","version":"2.0.0","url":"https://example.com/fw-2.0.0.bin","size":432945,"sign":")" +
      sign + R"(","signMethod":"MD5","diff":true})");
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {dn});
  ASSERT_GT(job, 0);
  const std::string want = R"({"code":"200","data":{"size":432945,"version":"2.0.0",)"
                           R"("url":"https://example.com/fw-2.0.0.bin","sign":")" +
                           sign + R"(","signMethod":"MD5","md5":")" + sign +
                           R"("},"id":@MSINT:id@,"message":"success"})";
  auto push = dev->wait_message(upgrade_topic(kSagoo, dn));
  ASSERT_TRUE(push.has_value());
  EXPECT_TRUE(exact_payload(push->payload, want));

  // The request, with and without a version, gets the same push.
  for (const char* request : {R"({"id":12,"params":{"version":"1.0.1"}})", R"({"id":"13","params":{}})"}) {
    SCOPED_TRACE(request);
    ASSERT_TRUE(dev->publish(request_topic(kSagoo, dn), request));
    auto answer = dev->wait_message(upgrade_topic(kSagoo, dn));
    ASSERT_TRUE(answer.has_value()) << "no answer to the SDK v3 request";
    EXPECT_TRUE(exact_payload(answer->payload, want));
  }
  // The Alink pull on a SagooIOT product: SagooIOT's spellings in data.
  expect_get_reply(*dev, kSagoo, dn, R"({"id":"9","params":{}})",
                   R"({"id":"9","code":200,"data":{"size":432945,"version":"2.0.0",)"
                   R"("url":"https://example.com/fw-2.0.0.bin","sign":")" + sign +
                       R"(","signMethod":"MD5","md5":")" + sign + R"("}})");

  ASSERT_TRUE(dev->publish(progress_topic(kSagoo, dn), R"({"id":"2","params":{"step":"80","desc":"flashing"}})"));
  ASSERT_TRUE(api().wait_task(kSagoo, dn, job, in_progress_at(80), "IN_PROGRESS 80"));
  ASSERT_TRUE(dev->publish(inform_topic(kSagoo, dn), R"({"id":"3","params":{"version":"2.0.0"}})"));
  ASSERT_TRUE(api().wait_task_state(kSagoo, dn, job, "SUCCEEDED"));
}

// Malformed pulls of both kinds: rejected and counted, no answer, nothing
// stored changes.
TEST_F(DialectAliyunPullTest, MalformedPullsAreRejected) {
  const std::string dn = "dev-01";
  auto dev = connect_device(kAlibaba, dn);
  const long long job = alibaba_notified(*dev, dn);
  ASSERT_GT(job, 0);
  ASSERT_TRUE(dev->publish(progress_topic(kAlibaba, dn),
                           R"({"id":"124","params":{"step":"10","desc":"downloading","module":"MCU"}})"));
  ASSERT_TRUE(api().wait_task(kAlibaba, dn, job, in_progress_at(10), "IN_PROGRESS 10"));

  begin_rejections(kAlibaba, dn);
  if (HasFatalFailure()) return;
  const std::string get = get_topic(kAlibaba, dn), req = request_topic(kAlibaba, dn);
  // No push may result; whether get_reply answers errors is checked below.
  const std::string quiet = upgrade_topic(kAlibaba, dn);
  auto g = [&](const char* name, const std::string& payload) { bad(*dev, name, get, payload, quiet); };
  auto r = [&](const char* name, const std::string& payload) { bad(*dev, name, req, payload, quiet); };
  g("GetNotJson", R"({"id":"123","params":{"module":"MCU"})");
  g("GetArray", R"([{"id":"123","params":{"module":"MCU"}}])");
  g("GetString", R"("thing.ota.firmware.get")");
  g("GetMethodWrong", R"({"id":"123","version":"1.0","params":{"module":"MCU"},"method":"thing.ota.firmware.set"})");
  g("GetMethodNumber", R"({"id":"123","version":"1.0","params":{"module":"MCU"},"method":1})");
  g("GetVersionNumber", R"({"id":"123","version":1.0,"params":{"module":"MCU"},"method":"thing.ota.firmware.get"})");
  g("GetParamsString", R"({"id":"123","version":"1.0","params":"MCU","method":"thing.ota.firmware.get"})");
  g("GetParamsArray", R"({"id":"123","version":"1.0","params":["MCU"],"method":"thing.ota.firmware.get"})");
  g("GetModuleNumber", R"({"id":"123","version":"1.0","params":{"module":1},"method":"thing.ota.firmware.get"})");
  g("GetModule129", R"({"id":"123","version":"1.0","params":{"module":")" + std::string(129, 'M') +
                        R"("},"method":"thing.ota.firmware.get"})");
  g("GetIdNegative", R"({"id":-1,"params":{"module":"MCU"}})");
  g("GetIdObject", R"({"id":{"v":1},"params":{"module":"MCU"}})");
  g("GetIdBool", R"({"id":true,"params":{"module":"MCU"}})");
  r("RequestNotJson", R"({"id":12,"params":{"version":"1.0.0"})");
  r("RequestNoParams", R"({"id":12,"version":"1.0.0"})");
  r("RequestParamsString", R"({"id":12,"params":"1.0.0"})");
  r("RequestVersionNumber", R"({"id":12,"params":{"version":1.0}})");
  r("RequestVersionEmpty", R"({"id":12,"params":{"version":""}})");
  r("RequestVersion129", R"({"id":12,"params":{"version":")" + std::string(129, '1') + R"("}})");
  r("RequestIdObject", R"({"id":{},"params":{"version":"1.0.0"}})");
  // A well-formed pull from a device the plugin does not know.
  bad(*dev, "GetUnknownDevice", get_topic(kAlibaba, "ghost"), kAlinkGet, quiet);
  bad(*dev, "RequestUnknownDevice", request_topic(kAlibaba, "ghost"),
      R"({"id":12,"params":{"version":"1.0.0"}})", quiet);
  end_rejections();
  if (HasFatalFailure()) return;
  EXPECT_TRUE(api().expect_error("getDevice", std::string(R"({"product":")") + kAlibaba +
                                                  R"(","device":"ghost"})"))
      << "a pull registered a device";

  // The device still pulls and finishes.
  dev->clear_messages();
  expect_get_reply(*dev, kAlibaba, dn, kAlinkGet,
                   R"({"id":"123","code":200,"data":)" + alibaba_data() + "}");
  ASSERT_TRUE(dev->publish(inform_topic(kAlibaba, dn),
                           R"({"id":"125","params":{"version":"1.0.1.9.20171112.1432","module":"MCU"}})"));
  ASSERT_TRUE(api().wait_task_state(kAlibaba, dn, job, "SUCCEEDED"));
}

// DESIGN.md §3: a malformed aliyun message is answered "on the reply topic
// where the platform defines one": firmware/get has get_reply. Expected: an
// Alink error answer echoing the request's id with a code other than 200.
TEST_F(DialectAliyunPullTest, MalformedFirmwareGetIsAnsweredOnGetReply) {
  const std::string dn = "dev-01";
  auto dev = connect_device(kAlibaba, dn);
  ASSERT_TRUE(dev->publish(inform_topic(kAlibaba, dn), R"({"id":"1","params":{"version":"1.0.0"}})"));
  ASSERT_TRUE(dev->publish(get_topic(kAlibaba, dn),
                           R"({"id":"321","version":"1.0","params":{"module":"MCU"},"method":"thing.ota.firmware.set"})"));
  auto reply = dev->wait_message(get_reply_topic(kAlibaba, dn), 1s);
  ASSERT_TRUE(reply.has_value()) << "no error answer on " << get_reply_topic(kAlibaba, dn)
                                 << " to a malformed firmware/get";
  JsonPtr parsed = json_parse(reply->payload);
  EXPECT_EQ(json_string_at(parsed.get(), "id"), "321") << reply->payload;
  auto code = json_int_at(parsed.get(), "code");
  ASSERT_TRUE(code.has_value()) << reply->payload;
  EXPECT_NE(*code, 200) << reply->payload;
}

// Alibaba's device SDK 4.x listens on /ota/device/upgrade/+/+ with the
// username "{dn}&{pk}": that subscription alone makes the device online (a
// logger's wildcard does not), and the notification it causes reaches it.
TEST_F(DialectAliyunPullTest, SdkWildcardSubscriptionMakesItsDeviceOnline) {
  const std::string dn = "sdk4";
  {
    MqttClient once;  // registers the device, then leaves: offline
    ASSERT_TRUE(once.connect(broker().port(), std::string(kSagoo) + "." + dn));
    ASSERT_TRUE(once.publish(inform_topic(kSagoo, dn), R"({"id":"1","params":{"version":"1.0"}})"));
  }
  ASSERT_TRUE(wait_online(kSagoo, dn, false));
  MqttClient logger;
  ASSERT_TRUE(logger.connect(broker().port(), "logger", std::string("logger")));
  ASSERT_TRUE(logger.subscribe("/ota/device/upgrade/+/+", 1));
  ASSERT_TRUE(wait_online(kSagoo, dn, false));

  MqttClient sdk;
  ASSERT_TRUE(sdk.connect(broker().port(), "sdk4-client", dn + "&" + kSagoo));
  ASSERT_TRUE(sdk.subscribe("/ota/device/upgrade/+/+", 1));
  ASSERT_TRUE(wait_online(kSagoo, dn, true));
  const long long pkg = create_package(std::string(R"({"product":")") + kSagoo +
                                       R"(","version":"2.0","url":"https://fw.example/2.bin",)"
                                       R"("size":10,"sign":")" + kFwSign + R"(","signMethod":"MD5"})");
  ASSERT_GT(pkg, 0);
  ASSERT_GT(create_job(pkg, {dn}), 0);
  auto push = sdk.wait_message(upgrade_topic(kSagoo, dn));
  ASSERT_TRUE(push.has_value()) << "no notification for the wildcard subscriber";

  // Unsubscribing (the broker's ACL check sees it) takes it offline again.
  ASSERT_EQ(mosquitto_unsubscribe(sdk.handle(), nullptr, "/ota/device/upgrade/+/+"), MOSQ_ERR_SUCCESS);
  EXPECT_TRUE(wait_online(kSagoo, dn, false));
}

}  // namespace
}  // namespace ota::test::dialect_test
