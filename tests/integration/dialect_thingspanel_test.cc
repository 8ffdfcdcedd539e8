// ThingsPanel (seed 004) on a real broker: the seed's exchange to the letter,
// success by progress 100, the offline rule, and malformed input.
//
//   device → /ota/device/inform/{token}    {"id":"147258369","params":{"version","module"}}
//   broker → /ota/device/upgrade/{token}   {"id":"…","code":200,"params":{version,size,url,signMethod,sign,module,extData}}
//   device → /ota/device/progress/{token}  {"step":"100","desc":"升级进度100%","module":"MCU"}
#include <gtest/gtest.h>

#include "dialect_support.h"

namespace ota::test::dialect_test {
namespace {

using namespace std::chrono_literals;

// All ThingsPanel devices belong to this product (plugin_opt_thingspanel_product).
constexpr const char* kProduct = "tp-gateway";
constexpr const char* kSign = "a243f0a4b9c0d1e2f3a4b5c6d7e8f901";

std::string inform_topic(const std::string& token) { return "/ota/device/inform/" + token; }
std::string progress_topic(const std::string& token) { return "/ota/device/progress/" + token; }
std::string upgrade_topic(const std::string& token) { return "/ota/device/upgrade/" + token; }

// The seed's package: module MCU, v1.1, the seed's URL, size and extData
// (its sign "a243fgh4b9v" is a placeholder, not an MD5: a real one here).
std::string seed_package_fields() {
  return std::string(R"({"product":")") + kProduct +
         R"(","module":"MCU","version":"v1.1","url":"http://dev.thingspane.cn/files/ota/s121jg3245gg.zip",)"
         R"("size":432945,"sign":")" + kSign +
         R"(","signMethod":"MD5","extData":{"key1":"value1","key2":"value2"}})";
}

// docs/dialects.md: the seed's example with "id" the decision time as a string.
std::string seed_notification() {
  return std::string(R"({"id":@MSSTR:id@,"code":200,"params":{"version":"v1.1","size":432945,)"
                     R"("url":"http://dev.thingspane.cn/files/ota/s121jg3245gg.zip",)"
                     R"("signMethod":"Md5","sign":")") +
         kSign + R"(","module":"MCU","extData":{"key1":"value1","key2":"value2"}}})";
}

// The seed's version report, verbatim.
const char* const kSeedInform = R"({"id":"147258369","params":{"version":"v1.0.1","module":"default"}})";

class DialectThingsPanelTest : public DialectTest {
 protected:
  BrokerOptions broker_options() override {
    return with_opts({{"dialects", "thingspanel"}, {"thingspanel_product", kProduct}});
  }
  void SetUp() override {
    DialectTest::SetUp();
    if (HasFatalFailure()) return;
    // ThingsPanel decides success by progress 100 (seed 004).
    ASSERT_TRUE(configure_product(std::string(R"({"product":")") + kProduct +
                                  R"(","dialect":"thingspanel","successRule":"progress100"})"));
  }

  // A ThingsPanel device: any client id, listening on its token's upgrade topic.
  std::unique_ptr<MqttClient> connect_device(const std::string& token) {
    auto c = std::make_unique<MqttClient>();
    // As ThingsPanel devices connect: the access token as the username.
    EXPECT_TRUE(c->connect(broker().port(), "tp-client-" + token, token));
    EXPECT_TRUE(c->subscribe(upgrade_topic(token), 1));
    return c;
  }

  // A device that reported v1.0.1 and was notified of the seed package.
  long long notified_device(MqttClient& dev, const std::string& token) {
    EXPECT_TRUE(dev.publish(inform_topic(token), kSeedInform));
    const long long package = create_package(seed_package_fields());
    if (package < 0) return -1;
    const long long job = create_job(package, {token});
    if (job < 0) return -1;
    auto note = dev.wait_message(upgrade_topic(token));
    EXPECT_TRUE(note.has_value()) << "no notification on " << upgrade_topic(token);
    if (!note) return -1;
    EXPECT_TRUE(exact_payload(note->payload, seed_notification()));
    return job;
  }
};

TEST_F(DialectThingsPanelTest, SeedExchangeSucceedsOnProgress100) {
  const std::string token = "tok-0001";
  auto dev = connect_device(token);

  ASSERT_TRUE(dev->publish(inform_topic(token), kSeedInform));
  JsonPtr reported = api().get_device(kProduct, token);
  ASSERT_TRUE(reported);
  EXPECT_EQ(json_string_at(reported.get(), "modules/default/version"), "v1.0.1")
      << json_text(reported.get());
  EXPECT_TRUE(json_is_true(json_at(reported.get(), "online"))) << json_text(reported.get());

  const long long package = create_package(seed_package_fields());
  ASSERT_GT(package, 0);
  const long long job = create_job(package, {token});
  ASSERT_GT(job, 0);

  auto note = dev->wait_message(upgrade_topic(token));
  ASSERT_TRUE(note.has_value()) << "no notification on " << upgrade_topic(token);
  EXPECT_EQ(note->qos, 1);
  EXPECT_FALSE(note->retain);
  EXPECT_TRUE(exact_payload(note->payload, seed_notification()));
  ASSERT_TRUE(api().wait_task_state(kProduct, token, job, "NOTIFIED"));

  // Progress without a params wrapper and without an id; step a string.
  ASSERT_TRUE(dev->publish(progress_topic(token), R"({"step":"50","desc":"升级进度50%","module":"MCU"})"));
  JsonPtr half = api().wait_task(kProduct, token, job, in_progress_at(50), "IN_PROGRESS 50");
  ASSERT_TRUE(half);
  EXPECT_EQ(json_string_at(half.get(), "detail"), "升级进度50%") << json_text(half.get());

  // The seed's progress message, verbatim: progress 100 is success.
  ASSERT_TRUE(dev->publish(progress_topic(token), R"({"step":"100","desc":"升级进度100%","module":"MCU"})"));
  JsonPtr task = api().wait_task_state(kProduct, token, job, "SUCCEEDED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "module"), "MCU");
  EXPECT_EQ(json_string_at(task.get(), "reason"), "");
  const auto states = history_states(task.get());
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "SUCCEEDED") << json_text(task.get());

  JsonPtr done = api().wait_job_state(job, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 1) << json_text(done.get());
  EXPECT_EQ(job_count(done.get(), "FAILED"), 0);
  EXPECT_TRUE(dev->no_message(upgrade_topic(token), 150ms)) << "a second notification";
}

// The progress that decides success is the task's last step: a device
// that reported 100 % shows step 100, not the step before it.
TEST_F(DialectThingsPanelTest, Progress100SuccessRecordsStep100) {
  const std::string token = "tok-0004";
  auto dev = connect_device(token);
  const long long job = notified_device(*dev, token);
  ASSERT_GT(job, 0);
  ASSERT_TRUE(dev->publish(progress_topic(token), R"({"step":"50","desc":"升级进度50%","module":"MCU"})"));
  ASSERT_TRUE(api().wait_task(kProduct, token, job, in_progress_at(50), "IN_PROGRESS 50"));
  ASSERT_TRUE(dev->publish(progress_topic(token), R"({"step":"100","desc":"升级进度100%","module":"MCU"})"));
  JsonPtr task = api().wait_task_state(kProduct, token, job, "SUCCEEDED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_int_at(task.get(), "step"), 100) << json_text(task.get());
  EXPECT_EQ(json_int_at(task.get(), "history/" + std::to_string(history_states(task.get()).size() - 1) + "/step"), 100)
      << json_text(task.get());
}

// The seed's failure steps map onto failure reasons; the desc is the detail.
TEST_F(DialectThingsPanelTest, NegativeStepFailsWithReason) {
  const std::string token = "tok-0003";
  auto dev = connect_device(token);
  const long long job = notified_device(*dev, token);
  ASSERT_GT(job, 0);
  ASSERT_TRUE(dev->publish(progress_topic(token), R"({"step":"-3","desc":"校验失败","module":"MCU"})"));
  JsonPtr task = api().wait_task_state(kProduct, token, job, "FAILED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "reason"), "verification failed") << json_text(task.get());
  EXPECT_EQ(json_string_at(task.get(), "detail"), "校验失败") << json_text(task.get());
}

// The default module is not named in the notification ("模块名为default时…
// 不下发module参数"); a SHA256 package says so; with the "version" success
// rule, progress 100 is not yet success.
TEST_F(DialectThingsPanelTest, DefaultModuleShaPackageAndVersionRule) {
  ASSERT_TRUE(configure_product(std::string(R"({"product":")") + kProduct +
                                R"(","successRule":"version"})"));
  const std::string token = "tok-0002";
  auto dev = connect_device(token);
  ASSERT_TRUE(dev->publish(inform_topic(token), R"({"id":"147258370","params":{"version":"v1.0.1"}})"));
  const std::string sha(64, 'b');
  const long long package = create_package(
      std::string(R"({"product":")") + kProduct +
      R"(","version":"v1.2","url":"https://fw.example/tp.bin","size":1024,"sign":")" + sha +
      R"(","signMethod":"SHA256"})");
  ASSERT_GT(package, 0);
  const long long job = create_job(package, {token});
  ASSERT_GT(job, 0);
  auto note = dev->wait_message(upgrade_topic(token));
  ASSERT_TRUE(note.has_value());
  EXPECT_TRUE(exact_payload(
      note->payload, R"({"id":@MSSTR:id@,"code":200,"params":{"version":"v1.2","size":1024,)"
                     R"("url":"https://fw.example/tp.bin","signMethod":"SHA256","sign":")" +
                         sha + R"("}})"));

  ASSERT_TRUE(dev->publish(progress_topic(token), R"({"step":100,"desc":"done"})"));
  ASSERT_TRUE(api().wait_task(kProduct, token, job, in_progress_at(100), "IN_PROGRESS 100"));
  ASSERT_TRUE(dev->publish(inform_topic(token), R"({"id":"147258371","params":{"version":"v1.2","module":"default"}})"));
  ASSERT_TRUE(api().wait_task_state(kProduct, token, job, "SUCCEEDED"));
}

// Seed 004: "设备离线时，不能接收服务端推送的升级消息，并按升级失败处理（可重新升级）".
// With offlinePolicy "fail", a device that is offline when its push is due
// fails with reason "offline", and retryTask upgrades it once it is back.
TEST_F(DialectThingsPanelTest, OfflineDeviceFailsAndIsRetriedWhenBack) {
  ASSERT_TRUE(configure_product(std::string(R"({"product":")") + kProduct +
                                R"(","offlinePolicy":"fail"})"));
  const std::string gone = "tok-gone";    // connected after the restart, then left
  const std::string never = "tok-never";  // not connected since the restart
  for (const std::string& token : {gone, never}) {
    auto dev = connect_device(token);
    ASSERT_TRUE(dev->publish(inform_topic(token), kSeedInform));
    dev->disconnect();
  }
  // A restarted broker knows no connection: every device is offline until
  // it subscribes or speaks again.
  ASSERT_EQ(broker().restart(), "");
  ASSERT_TRUE(connect_admin());
  {
    auto dev = connect_device(gone);
    ASSERT_TRUE(wait_online(kProduct, gone, true));
    dev->disconnect();
  }
  ASSERT_TRUE(wait_online(kProduct, gone, false));
  ASSERT_TRUE(wait_online(kProduct, never, false));

  // A logger on every upgrade topic: a wildcard does not make devices online.
  MqttClient spy;
  ASSERT_TRUE(spy.connect(broker().port(), "tp-spy"));
  ASSERT_TRUE(spy.subscribe("/ota/device/upgrade/#", 1));

  const long long package = create_package(seed_package_fields());
  ASSERT_GT(package, 0);
  const long long job = create_job(package, {gone, never});
  ASSERT_GT(job, 0);
  for (const std::string& token : {gone, never}) {
    JsonPtr task = api().wait_task_state(kProduct, token, job, "FAILED");
    ASSERT_TRUE(task) << token;
    EXPECT_EQ(json_string_at(task.get(), "reason"), "offline") << json_text(task.get());
  }
  JsonPtr failed = api().wait_job_state(job, "completed");
  ASSERT_TRUE(failed);
  EXPECT_EQ(job_count(failed.get(), "FAILED"), 2) << json_text(failed.get());
  EXPECT_TRUE(spy.no_message("/ota/device/upgrade/#", 100ms)) << "an offline device was pushed";

  // Back online: nothing happens by itself (the task failed) ...
  auto back = connect_device(gone);
  ASSERT_TRUE(wait_online(kProduct, gone, true));
  EXPECT_TRUE(back->no_message(upgrade_topic(gone), 100ms));
  JsonPtr still = api().wait_task_state(kProduct, gone, job, "FAILED");
  ASSERT_TRUE(still);

  // ... until the operator retries it.
  for (const std::string& token : {gone, never}) {
    SCOPED_TRACE(token);
    std::unique_ptr<MqttClient> dev;
    if (token == gone) {
      dev = std::move(back);
    } else {
      dev = connect_device(token);
      ASSERT_TRUE(dev->publish(inform_topic(token), kSeedInform));
    }
    JsonPtr retried = api().run("retryTask",
                                R"({"jobId":)" + std::to_string(job) + R"(,"device":")" + token +
                                    R"("})",
                                "task");
    ASSERT_TRUE(retried);
    auto note = dev->wait_message(upgrade_topic(token));
    ASSERT_TRUE(note.has_value()) << "no notification after retryTask";
    EXPECT_TRUE(exact_payload(note->payload, seed_notification()));
    ASSERT_TRUE(dev->publish(progress_topic(token), R"({"step":"100","desc":"升级进度100%","module":"MCU"})"));
    ASSERT_TRUE(api().wait_task_state(kProduct, token, job, "SUCCEEDED"));
  }
  JsonPtr done = api().wait_job_state(job, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 2) << json_text(done.get());
  EXPECT_EQ(job_count(done.get(), "FAILED"), 0) << json_text(done.get());
}

// Malformed variants of both device messages: rejected and counted, the
// device's stored state unchanged, nothing sent to it, the broker running.
TEST_F(DialectThingsPanelTest, MalformedMessagesAreRejected) {
  const std::string token = "tok-0001";
  auto dev = connect_device(token);
  const long long job = notified_device(*dev, token);
  ASSERT_GT(job, 0);
  ASSERT_TRUE(dev->publish(progress_topic(token), R"({"step":"10","desc":"downloading","module":"MCU"})"));
  ASSERT_TRUE(api().wait_task(kProduct, token, job, in_progress_at(10), "IN_PROGRESS 10"));

  begin_rejections(kProduct, token);
  if (HasFatalFailure()) return;
  const std::string in = inform_topic(token), pr = progress_topic(token), up = upgrade_topic(token);
  auto b = [&](const char* name, const std::string& topic, const std::string& payload) {
    bad(*dev, name, topic, payload, up);
  };
  // Version report.
  b("InformNotJson", in, R"({"id":"1","params":{"version":"v1.1")");
  b("InformEmpty", in, "");
  b("InformArray", in, R"([{"id":"1","params":{"version":"v1.1"}}])");
  b("InformNoParams", in, R"({"id":"1","version":"v1.1"})");
  b("InformParamsString", in, R"({"id":"1","params":"v1.1"})");
  b("InformNoVersion", in, R"({"id":"1","params":{"module":"MCU"}})");
  b("InformVersionNumber", in, R"({"id":"1","params":{"version":1.1,"module":"MCU"}})");
  b("InformVersionEmpty", in, R"({"id":"1","params":{"version":"","module":"MCU"}})");
  b("InformVersion129", in, R"({"id":"1","params":{"version":")" + std::string(129, 'v') + R"("}})");
  b("InformModuleNumber", in, R"({"id":"1","params":{"version":"v1.1","module":7}})");
  b("InformIdObject", in, R"({"id":{"n":1},"params":{"version":"v1.1","module":"MCU"}})");
  b("InformIdNegative", in, R"({"id":-1,"params":{"version":"v1.1","module":"MCU"}})");
  // Progress.
  b("ProgressNotJson", pr, R"({"step":"100")");
  b("ProgressArray", pr, R"([{"step":"100"}])");
  b("ProgressNoStep", pr, R"({"desc":"升级进度100%","module":"MCU"})");
  b("ProgressWrapped", pr, R"({"id":"1","params":{"step":"100","desc":"x","module":"MCU"}})");
  b("ProgressStepAbc", pr, R"({"step":"abc","desc":"x","module":"MCU"})");
  b("ProgressStepFraction", pr, R"({"step":"50.5","desc":"x","module":"MCU"})");
  b("ProgressStepReal", pr, R"({"step":50.5,"desc":"x","module":"MCU"})");
  b("ProgressStepBool", pr, R"({"step":true,"desc":"x","module":"MCU"})");
  b("ProgressStep101", pr, R"({"step":"101","desc":"x","module":"MCU"})");
  b("ProgressStepMinus5", pr, R"({"step":"-5","desc":"x","module":"MCU"})");
  b("ProgressStepNumber101", pr, R"({"step":101,"desc":"x","module":"MCU"})");
  b("ProgressDesc129", pr, R"({"step":"60","desc":")" + std::string(129, 'a') + R"(","module":"MCU"})");
  b("ProgressDesc129Cjk", pr, R"({"step":"60","desc":")" + repeat("升", 129) + R"(","module":"MCU"})");
  b("ProgressDescNumber", pr, R"({"step":"60","desc":60,"module":"MCU"})");
  b("ProgressDuplicateStep", pr, R"({"step":"60","step":"70","desc":"x","module":"MCU"})");
  b("ProgressModuleNumber", pr, R"({"step":"60","desc":"x","module":1})");
  // Topic shapes: a token over 128 bytes, and extra levels (no dialect's shape).
  b("InformTokenTooLong", inform_topic(std::string(129, 't')), kSeedInform);
  b("ProgressExtraLevels", pr + "/a/b", R"({"step":"60","desc":"x","module":"MCU"})");
  end_rejections();
  if (HasFatalFailure()) return;

  // A 128-character desc is fine, and the device still finishes.
  ASSERT_TRUE(dev->publish(pr, R"({"step":"60","desc":")" + repeat("升", 128) + R"(","module":"MCU"})"));
  ASSERT_TRUE(api().wait_task(kProduct, token, job, in_progress_at(60), "IN_PROGRESS 60"));
  ASSERT_TRUE(dev->publish(pr, R"({"step":"100","desc":"升级进度100%","module":"MCU"})"));
  ASSERT_TRUE(api().wait_task_state(kProduct, token, job, "SUCCEEDED"));
}

}  // namespace
}  // namespace ota::test::dialect_test
