// CTWing (seed 002) on a real broker. Every device uses the same three
// topics; the device is the MQTT client (client id, or username):
//
//   device → /ota/inform    {"taskId":-1,"params":{"version":"1.0.1","module":"MCU"}}
//   broker → /ota/upgrade   {"taskId":1,"payload":{size,version,url,md5,token,module}}  (to that client only)
//   device → /ota/progress  {"taskId":1,"params":{"step":-1,"desc":"…","module":"MCU"}}
//   device → /ota/inform    {"taskId":1,"params":{"version":"1.0.2","module":"MCU"}}
#include <gtest/gtest.h>

#include "dialect_support.h"

namespace ota::test::dialect_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kInform = "/ota/inform";
constexpr const char* kProgress = "/ota/progress";
constexpr const char* kUpgrade = "/ota/upgrade";
constexpr const char* kSeedUrl = "https://dmfile.ctwing.cn/file/upgrade/32128a6e8c3e15aea1c7/147589";
constexpr const char* kSeedMd5 = "93230c3bde425a9d7984a594ac55ea1e";

std::string package_fields(const std::string& product, const std::string& version) {
  return R"({"product":")" + product + R"(","module":"MCU","version":")" + version +
         R"(","url":")" + kSeedUrl + R"(","size":432945,"sign":")" + kSeedMd5 +
         R"(","signMethod":"MD5"})";
}

// docs/dialects.md (seed 002's example; token "" until download tokens exist).
std::string notification(long long task_id, const std::string& version) {
  return R"({"taskId":)" + std::to_string(task_id) + R"(,"payload":{"size":432945,"version":")" +
         version + R"(","url":")" + kSeedUrl + R"(","md5":")" + kSeedMd5 +
         R"(","token":"","module":"MCU"}})";
}

std::string progress(long long task_id, const std::string& step, const std::string& desc) {
  return R"({"taskId":)" + std::to_string(task_id) + R"(,"params":{"step":)" + step +
         R"(,"desc":)" + quoted(desc) + R"(,"module":"MCU"}})";
}

std::string inform(long long task_id, const std::string& version) {
  return R"({"taskId":)" + std::to_string(task_id) + R"(,"params":{"version":")" + version +
         R"(","module":"MCU"}})";
}

class CtwingTestBase : public DialectTest {
 protected:
  // A CTWing device: named by its client id (or username), listening on the
  // shared upgrade topic.
  std::unique_ptr<MqttClient> connect_device(const std::string& client_id,
                                             std::optional<std::string> username = std::nullopt) {
    auto c = std::make_unique<MqttClient>();
    EXPECT_TRUE(c->connect(broker().port(), client_id, username));
    EXPECT_TRUE(c->subscribe(kUpgrade, 1));
    return c;
  }
  // Takes the next notification and checks it to the letter.
  void expect_notification(MqttClient& dev, long long job, const std::string& version) {
    auto note = dev.wait_message(kUpgrade);
    ASSERT_TRUE(note.has_value()) << dev.client_id() << ": no notification on " << kUpgrade;
    EXPECT_EQ(note->qos, 1);
    EXPECT_FALSE(note->retain);
    EXPECT_TRUE(exact_payload(note->payload, notification(job, version)));
    JsonPtr parsed = json_parse(note->payload);
    EXPECT_TRUE(json_is_integer(json_at(parsed.get(), "taskId"))) << note->payload;
  }
};

class DialectCtwingTest : public CtwingTestBase {
 protected:
  BrokerOptions broker_options() override { return with_opts({{"dialects", "ctwing"}}); }
  void SetUp() override {
    CtwingTestBase::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(configure_product(R"({"product":"ctwing","dialect":"ctwing"})"));
  }
};

// The seed's messages verbatim; two devices share /ota/upgrade and only the
// addressed one hears its notification; taskId selects the task.
TEST_F(DialectCtwingTest, SeedExchangeOnSharedTopics) {
  auto d1 = connect_device("device10001");
  auto d2 = connect_device("device10002");
  MqttClient logger;  // an ordinary subscriber of the shared topic
  ASSERT_TRUE(logger.connect(broker().port(), "ctwing-logger"));
  ASSERT_TRUE(logger.subscribe(kUpgrade, 1));

  const std::string seed_inform = R"({"taskId":-1,"params":{"version":"1.0.1","module":"MCU"}})";
  ASSERT_TRUE(d1->publish(kInform, seed_inform));
  ASSERT_TRUE(d2->publish(kInform, seed_inform));
  JsonPtr dev = api().get_device("ctwing", "device10001");
  ASSERT_TRUE(dev);
  EXPECT_EQ(json_string_at(dev.get(), "modules/MCU/version"), "1.0.1") << json_text(dev.get());

  const long long pkg = create_package(package_fields("ctwing", "2.0.0"));
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {"device10001"});
  ASSERT_GT(job, 0);
  expect_notification(*d1, job, "2.0.0");
  if (HasFatalFailure()) return;
  EXPECT_TRUE(d2->no_message(kUpgrade, 300ms)) << "device10002 heard device10001's notification";
  EXPECT_TRUE(logger.no_message(kUpgrade, 10ms)) << "the notification reached a logger";
  ASSERT_TRUE(api().wait_task_state("ctwing", "device10001", job, "NOTIFIED"));

  // A taskId that is not the device's task changes nothing; nor does the
  // right taskId from another device.
  const std::string before = stored("ctwing", "device10001");
  ASSERT_TRUE(d1->publish(kProgress, progress(job + 100, "50", "wrong task")));
  ASSERT_TRUE(d2->publish(kProgress, progress(job, "50", "wrong device")));
  EXPECT_EQ(stored("ctwing", "device10001"), before);
  JsonPtr still = api().wait_task_state("ctwing", "device10001", job, "NOTIFIED");
  ASSERT_TRUE(still);
  EXPECT_EQ(json_int_at(still.get(), "step"), 0) << json_text(still.get());

  // The right taskId (an int) updates it.
  ASSERT_TRUE(d1->publish(kProgress, progress(job, "50", "downloading")));
  ASSERT_TRUE(api().wait_task("ctwing", "device10001", job, in_progress_at(50), "IN_PROGRESS 50"));
  // The seed's failure report, verbatim but for its taskId.
  ASSERT_TRUE(d1->publish(kProgress, progress(job, "-1", "固件升级失败,请求不到固件信息。")));
  JsonPtr failed = api().wait_task_state("ctwing", "device10001", job, "FAILED");
  ASSERT_TRUE(failed);
  EXPECT_EQ(json_string_at(failed.get(), "reason"), "upgrade failed") << json_text(failed.get());
  EXPECT_EQ(json_string_at(failed.get(), "detail"), "固件升级失败,请求不到固件信息。");

  // A second task, to the seed's final version report.
  const long long pkg2 = create_package(package_fields("ctwing", "1.0.2"));
  ASSERT_GT(pkg2, 0);
  const long long job2 = create_job(pkg2, {"device10001"});
  ASSERT_GT(job2, 0);
  expect_notification(*d1, job2, "1.0.2");
  if (HasFatalFailure()) return;
  EXPECT_TRUE(d2->no_message(kUpgrade, 200ms)) << "device10002 heard device10001's notification";
  ASSERT_TRUE(d1->publish(kProgress, progress(job2, "100", "升级完成")));
  ASSERT_TRUE(api().wait_task("ctwing", "device10001", job2, in_progress_at(100), "IN_PROGRESS 100"));
  ASSERT_TRUE(d1->publish(kInform, inform(job2, "1.0.2")));
  JsonPtr task = api().wait_task_state("ctwing", "device10001", job2, "SUCCEEDED");
  ASSERT_TRUE(task);
  JsonPtr job_done = api().wait_job_state(job2, "completed");
  ASSERT_TRUE(job_done);
  EXPECT_EQ(job_count(job_done.get(), "SUCCEEDED"), 1);
  dev = api().get_device("ctwing", "device10001");
  ASSERT_TRUE(dev);
  EXPECT_EQ(json_string_at(dev.get(), "modules/MCU/version"), "1.0.2") << json_text(dev.get());
  // device10002 was never part of it.
  JsonPtr other = api().get_device("ctwing", "device10002");
  ASSERT_TRUE(other);
  EXPECT_EQ(json_array_size(json_at(other.get(), "tasks")), 0u) << json_text(other.get());
  EXPECT_TRUE(d2->no_message(kUpgrade, 10ms));
}

// One job for both devices: each hears exactly one notification, its own.
TEST_F(DialectCtwingTest, EachDeviceHearsOnlyItsOwnNotification) {
  auto d1 = connect_device("device10001");
  auto d2 = connect_device("device10002");
  auto d3 = connect_device("device10003");  // not in the job
  for (MqttClient* d : {d1.get(), d2.get(), d3.get()}) {
    ASSERT_TRUE(d->publish(kInform, inform(-1, "1.0.1")));
  }
  const long long pkg = create_package(package_fields("ctwing", "2.0.0"));
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {"device10001", "device10002"});
  ASSERT_GT(job, 0);
  expect_notification(*d1, job, "2.0.0");
  expect_notification(*d2, job, "2.0.0");
  EXPECT_TRUE(d1->no_message(kUpgrade, 250ms)) << "device10001 heard a second notification";
  EXPECT_TRUE(d2->no_message(kUpgrade, 10ms)) << "device10002 heard a second notification";
  EXPECT_TRUE(d3->no_message(kUpgrade, 10ms)) << "device10003 heard a notification";
  for (MqttClient* d : {d1.get(), d2.get()}) {
    ASSERT_TRUE(d->publish(kProgress, progress(job, "100", "ok")));
    ASSERT_TRUE(d->publish(kInform, inform(job, "2.0.0")));
    ASSERT_TRUE(api().wait_task_state("ctwing", d->client_id(), job, "SUCCEEDED"));
  }
  JsonPtr done = api().wait_job_state(job, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 2);
}

TEST_F(DialectCtwingTest, MalformedMessagesAreRejected) {
  auto d1 = connect_device("device10001");
  ASSERT_TRUE(d1->publish(kInform, inform(-1, "1.0.1")));
  const long long pkg = create_package(package_fields("ctwing", "2.0.0"));
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {"device10001"});
  ASSERT_GT(job, 0);
  expect_notification(*d1, job, "2.0.0");
  if (HasFatalFailure()) return;
  ASSERT_TRUE(d1->publish(kProgress, progress(job, "10", "downloading")));
  ASSERT_TRUE(api().wait_task("ctwing", "device10001", job, in_progress_at(10), "IN_PROGRESS 10"));

  begin_rejections("ctwing", "device10001");
  if (HasFatalFailure()) return;
  const std::string t = std::to_string(job);
  auto b = [&](const char* name, const char* topic, const std::string& payload) {
    bad(*d1, name, topic, payload, kUpgrade);
  };
  // Version report: every payload would change the stored version (and
  // trigger a re-notification) if it were accepted.
  b("InformNotJson", kInform, R"({"taskId":-1,"params":{"version":"9.9.9")");
  b("InformEmpty", kInform, "");
  b("InformArray", kInform, R"([{"taskId":-1,"params":{"version":"9.9.9"}}])");
  b("InformNoTaskId", kInform, R"({"params":{"version":"9.9.9","module":"MCU"}})");
  b("InformTaskIdString", kInform, R"({"taskId":"-1","params":{"version":"9.9.9","module":"MCU"}})");
  b("InformTaskIdReal", kInform, R"({"taskId":-1.0,"params":{"version":"9.9.9","module":"MCU"}})");
  b("InformTaskIdNull", kInform, R"({"taskId":null,"params":{"version":"9.9.9","module":"MCU"}})");
  b("InformTaskIdMinus2", kInform, R"({"taskId":-2,"params":{"version":"9.9.9","module":"MCU"}})");
  b("InformDuplicateTaskId", kInform,
    R"({"taskId":-1,"taskId":-1,"params":{"version":"9.9.9","module":"MCU"}})");
  b("InformNoParams", kInform, R"({"taskId":-1,"version":"9.9.9","module":"MCU"})");
  b("InformParamsArray", kInform, R"({"taskId":-1,"params":["9.9.9"]})");
  b("InformNoVersion", kInform, R"({"taskId":-1,"params":{"module":"MCU"}})");
  b("InformVersionNumber", kInform, R"({"taskId":-1,"params":{"version":9,"module":"MCU"}})");
  b("InformVersionEmpty", kInform, R"({"taskId":-1,"params":{"version":"","module":"MCU"}})");
  b("InformVersion129", kInform,
    R"({"taskId":-1,"params":{"version":")" + std::string(129, '9') + R"(","module":"MCU"}})");
  b("InformModuleNumber", kInform, R"({"taskId":-1,"params":{"version":"9.9.9","module":5}})");
  // Progress: each would move the task off step 10 if accepted.
  b("ProgressNotJson", kProgress, R"({"taskId":)" + t + R"(,"params":{"step":50)");
  b("ProgressNoTaskId", kProgress, R"({"params":{"step":50,"desc":"x","module":"MCU"}})");
  b("ProgressTaskIdString", kProgress,
    R"({"taskId":")" + t + R"(","params":{"step":50,"desc":"x","module":"MCU"}})");
  b("ProgressTaskIdMinus2", kProgress, R"({"taskId":-2,"params":{"step":50,"desc":"x","module":"MCU"}})");
  b("ProgressNoParams", kProgress, R"({"taskId":)" + t + R"(,"step":50,"desc":"x","module":"MCU"})");
  b("ProgressParamsString", kProgress, R"({"taskId":)" + t + R"(,"params":"50"})");
  b("ProgressStepString", kProgress, progress(job, "\"50\"", "x"));  // the seed's type is int
  b("ProgressNoStep", kProgress, R"({"taskId":)" + t + R"(,"params":{"desc":"x","module":"MCU"}})");
  b("ProgressStep101", kProgress, progress(job, "101", "x"));
  b("ProgressStepMinus5", kProgress, progress(job, "-5", "x"));
  b("ProgressStepReal", kProgress, progress(job, "50.5", "x"));
  b("ProgressStepBool", kProgress, progress(job, "true", "x"));
  b("ProgressDesc129", kProgress, progress(job, "50", std::string(129, 'd')));
  b("ProgressDesc129Cjk", kProgress, progress(job, "50", repeat("固", 129)));
  b("ProgressDescNumber", kProgress,
    R"({"taskId":)" + t + R"(,"params":{"step":50,"desc":5,"module":"MCU"}})");
  b("ProgressModuleNumber", kProgress,
    R"({"taskId":)" + t + R"(,"params":{"step":50,"desc":"x","module":5}})");
  end_rejections();
  if (HasFatalFailure()) return;

  // The device still finishes.
  ASSERT_TRUE(d1->publish(kProgress, progress(job, "60", repeat("固", 128))));
  ASSERT_TRUE(api().wait_task("ctwing", "device10001", job, in_progress_at(60), "IN_PROGRESS 60"));
  ASSERT_TRUE(d1->publish(kInform, inform(job, "2.0.0")));
  ASSERT_TRUE(api().wait_task_state("ctwing", "device10001", job, "SUCCEEDED"));
}

// plugin_opt_ctwing_identity username: the device is the MQTT username,
// whatever its client id; the notification goes to that user's connection.
class DialectCtwingUsernameTest : public CtwingTestBase {
 protected:
  BrokerOptions broker_options() override {
    return with_opts({{"dialects", "ctwing"},
                      {"ctwing_identity", "username"},
                      {"ctwing_product", "ctw-meter"}});
  }
  void SetUp() override {
    CtwingTestBase::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(configure_product(R"({"product":"ctw-meter","dialect":"ctwing"})"));
  }
};

TEST_F(DialectCtwingUsernameTest, DevicesAreNamedByUsername) {
  auto ma = connect_device("cid-7f3a", std::string("meter-a"));
  auto mb = connect_device("cid-9c21", std::string("meter-b"));
  ASSERT_TRUE(ma->publish(kInform, inform(-1, "1.0.1")));
  ASSERT_TRUE(mb->publish(kInform, inform(-1, "1.0.1")));
  JsonPtr dev = api().get_device("ctw-meter", "meter-a");
  ASSERT_TRUE(dev);
  EXPECT_EQ(json_string_at(dev.get(), "modules/MCU/version"), "1.0.1") << json_text(dev.get());
  EXPECT_TRUE(api().expect_error("getDevice", R"({"product":"ctw-meter","device":"cid-7f3a"})"))
      << "the client id named a device";

  const long long pkg = create_package(package_fields("ctw-meter", "2.0.0"));
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {"meter-a"});
  ASSERT_GT(job, 0);
  expect_notification(*ma, job, "2.0.0");
  if (HasFatalFailure()) return;
  EXPECT_TRUE(mb->no_message(kUpgrade, 300ms)) << "meter-b heard meter-a's notification";

  // meter-b naming meter-a's task changes nothing.
  ASSERT_TRUE(mb->publish(kProgress, progress(job, "50", "not mine")));
  ASSERT_TRUE(api().wait_task_state("ctw-meter", "meter-a", job, "NOTIFIED"));

  ASSERT_TRUE(ma->publish(kProgress, progress(job, "50", "downloading")));
  ASSERT_TRUE(api().wait_task("ctw-meter", "meter-a", job, in_progress_at(50), "IN_PROGRESS 50"));
  ASSERT_TRUE(ma->publish(kInform, inform(job, "2.0.0")));
  ASSERT_TRUE(api().wait_task_state("ctw-meter", "meter-a", job, "SUCCEEDED"));
  JsonPtr done = api().wait_job_state(job, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 1);

  // A client without a username cannot be a device: rejected, not registered.
  begin_rejections("ctw-meter", "meter-a");
  if (HasFatalFailure()) return;
  MqttClient anonymous;
  ASSERT_TRUE(anonymous.connect(broker().port(), "cid-anon"));
  ASSERT_TRUE(anonymous.subscribe(kUpgrade, 1));
  bad(anonymous, "NoUsername", kInform, inform(-1, "1.0.1"), kUpgrade);
  bad(anonymous, "NoUsernameProgress", kProgress, progress(job, "50", "x"), kUpgrade);
  end_rejections();
  EXPECT_TRUE(api().expect_error("getDevice", R"({"product":"ctw-meter","device":"cid-anon"})"));
}

}  // namespace
}  // namespace ota::test::dialect_test
