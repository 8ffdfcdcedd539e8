// Tencent IoT Explorer (seed 003) on a real broker. Both directions share
// two topics per device and are told apart by "type":
//
//   device → $ota/report/{pid}/{dn}  {"type":"report_version","report":{"version":"0.1"}}
//   broker → $ota/update/{pid}/{dn}  {"type":"report_version_rsp","version":"0.1","result_code":0,"result_msg":"success"}
//   broker → $ota/update/{pid}/{dn}  {"file_size":708482,"md5sum":"…","type":"update_firmware","url":"…","version":"0.2"}
//   device → $ota/report/{pid}/{dn}  {"type":"report_progress","report":{"progress":{"state","percent","result_code","result_msg"},"version":"0.2"}}
#include <gtest/gtest.h>

#include "dialect_support.h"

namespace ota::test::dialect_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPid = "S3EUVBRJLB";
constexpr const char* kUrl = "https://ota-1255858890.cos.ap-guangzhou.myqcloud.com";
constexpr const char* kMd5 = "36eb5951179db14a631463a37a9322a2";

std::string report_topic(const std::string& dn) { return std::string("$ota/report/") + kPid + "/" + dn; }
std::string update_topic(const std::string& dn) { return std::string("$ota/update/") + kPid + "/" + dn; }

std::string report_version(const std::string& version) {
  return R"({"type":"report_version","report":{"version":")" + version + R"("}})";
}
// docs/dialects.md: result_code an integer, as the platform sends it.
std::string version_rsp(const std::string& version) {
  return R"({"type":"report_version_rsp","version":")" + version +
         R"(","result_code":0,"result_msg":"success"})";
}
// The seed's update_firmware, keys sorted as the platform sends them.
std::string update_firmware(const std::string& version) {
  return std::string(R"({"file_size":708482,"md5sum":")") + kMd5 +
         R"(","type":"update_firmware","url":")" + kUrl + R"(","version":")" + version + R"("})";
}
std::string package_fields(const std::string& version, const std::string& module = "default") {
  return std::string(R"({"product":")") + kPid + R"(","module":")" + module +
         R"(","version":")" + version + R"(","url":")" + kUrl + R"(","size":708482,"sign":")" +
         kMd5 + R"(","signMethod":"MD5"})";
}
// The seed's progress messages.
std::string downloading(const std::string& percent, const std::string& version = "0.2") {
  return R"({"type":"report_progress","report":{"progress":{"state":"downloading","percent":")" +
         percent + R"(","result_code":"0","result_msg":""},"version":")" + version + R"("}})";
}
const char* const kBurning =
    R"({"type":"report_progress","report":{"progress":{"state":"burning","result_code":"0","result_msg":""},"version":"0.2"}})";
const char* const kDone =
    R"({"type":"report_progress","report":{"progress":{"state":"done","result_code":"0","result_msg":""},"version":"0.2"}})";
const char* const kFailTimeout =
    R"({"type":"report_progress","report":{"progress":{"state":"fail","result_code":"-1","result_msg":"time_out"},"version":"0.2"}})";

class DialectTencentTest : public DialectTest {
 protected:
  BrokerOptions broker_options() override { return with_opts({{"dialects", "tencent"}}); }
  void SetUp() override {
    DialectTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(configure_product(std::string(R"({"product":")") + kPid +
                                  R"(","dialect":"tencent"})"));
  }

  // A device as the Tencent SDK connects it: client id {pid}{dn}, subscribed
  // to its update topic.
  std::unique_ptr<MqttClient> connect_device(const std::string& dn) {
    auto c = std::make_unique<MqttClient>();
    EXPECT_TRUE(c->connect(broker().port(), std::string(kPid) + dn));
    EXPECT_TRUE(c->subscribe(update_topic(dn), 1));
    return c;
  }
  // Reports the version and checks the report_version_rsp.
  void report(MqttClient& c, const std::string& dn, const std::string& version) {
    ASSERT_TRUE(c.publish(report_topic(dn), report_version(version)));
    auto rsp = c.wait_message(update_topic(dn));
    ASSERT_TRUE(rsp.has_value()) << "no report_version_rsp on " << update_topic(dn);
    EXPECT_EQ(rsp->qos, 1);
    EXPECT_TRUE(exact_payload(rsp->payload, version_rsp(version)));
  }
  void expect_update(MqttClient& c, const std::string& dn, const std::string& want) {
    auto note = c.wait_message(update_topic(dn));
    ASSERT_TRUE(note.has_value()) << "no update_firmware on " << update_topic(dn);
    EXPECT_EQ(note->qos, 1);
    EXPECT_FALSE(note->retain);
    EXPECT_TRUE(exact_payload(note->payload, want));
  }
  // dev at 0.1, a job to 0.2, notified; returns the job id.
  long long notified(MqttClient& c, const std::string& dn) {
    report(c, dn, "0.1");
    const long long pkg = create_package(package_fields("0.2"));
    const long long job = pkg > 0 ? create_job(pkg, {dn}) : -1;
    if (job > 0) expect_update(c, dn, update_firmware("0.2"));
    return job;
  }
};

// The seed's exchange, every message verbatim.
TEST_F(DialectTencentTest, SeedExchangeSucceeds) {
  const std::string dn = "dev_01";
  auto dev = connect_device(dn);
  report(*dev, dn, "0.1");
  if (HasFatalFailure()) return;
  JsonPtr device = api().get_device(kPid, dn);
  ASSERT_TRUE(device);
  EXPECT_EQ(json_string_at(device.get(), "modules/default/version"), "0.1");

  const long long pkg = create_package(package_fields("0.2"));
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {dn});
  ASSERT_GT(job, 0);
  expect_update(*dev, dn, update_firmware("0.2"));
  if (HasFatalFailure()) return;
  ASSERT_TRUE(api().wait_task_state(kPid, dn, job, "NOTIFIED"));

  ASSERT_TRUE(dev->publish(report_topic(dn), downloading("10")));
  JsonPtr t10 = api().wait_task(kPid, dn, job, in_progress_at(10), "IN_PROGRESS 10");
  ASSERT_TRUE(t10);
  EXPECT_EQ(json_string_at(t10.get(), "detail"), "downloading");
  // Burning: downloaded and being written, not yet success.
  ASSERT_TRUE(dev->publish(report_topic(dn), kBurning));
  JsonPtr burning = api().wait_task(kPid, dn, job, in_progress_at(100), "IN_PROGRESS 100");
  ASSERT_TRUE(burning);
  EXPECT_EQ(json_string_at(burning.get(), "detail"), "burning");
  ASSERT_TRUE(dev->publish(report_topic(dn), kDone));
  JsonPtr task = api().wait_task_state(kPid, dn, job, "SUCCEEDED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "reason"), "");
  JsonPtr done = api().wait_job_state(job, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 1);

  // After the reboot the device reports its new version, and is answered.
  report(*dev, dn, "0.2");
  device = api().get_device(kPid, dn);
  ASSERT_TRUE(device);
  EXPECT_EQ(json_string_at(device.get(), "modules/default/version"), "0.2");
  EXPECT_TRUE(dev->no_message(update_topic(dn), 150ms)) << "unexpected message after success";
}

// One connection speaks for a whole fleet below: that needs
// plugin_opt_device_identity none (identity binding is security_test's).
class DialectTencentFleetTest : public DialectTencentTest {
 protected:
  BrokerOptions broker_options() override {
    BrokerOptions o = DialectTencentTest::broker_options();
    o.plugin_opts["device_identity"] = "none";
    return o;
  }
};

// "fail" with a result_code once the download finished (burning): the
// mapped failure step and reason, the device's own code and message kept as
// the task's detail and in its history.
TEST_F(DialectTencentFleetTest, FailResultCodesMapToReasons) {
  struct Case {
    std::string dn;
    std::string payload;
    std::string reason;
    std::string detail;
    int step;
  };
  const std::string long_msg = std::string(200, 'm');
  auto fail = [](const std::string& code_json, const std::string& msg) {
    return R"({"type":"report_progress","report":{"progress":{"state":"fail","result_code":)" +
           code_json + R"(,"result_msg":")" + msg + R"("},"version":"0.2"}})";
  };
  const std::vector<Case> cases = {
      {"dev_f1", kFailTimeout, "download failed", "result_code -1: time_out", -2},  // the seed's
      {"dev_f2", fail("\"-2\"", "file_not_exist"), "download failed", "result_code -2: file_not_exist", -2},
      {"dev_f3", fail("\"-3\"", "sign_expired"), "download failed", "result_code -3: sign_expired", -2},
      {"dev_f4", fail("\"-4\"", "md5_mismatch"), "verification failed", "result_code -4: md5_mismatch", -3},
      {"dev_f5", fail("-5", "update_failed"), "flashing failed", "result_code -5: update_failed", -4},
      {"dev_f6", fail("\"-9\"", long_msg), "upgrade failed",
       ("result_code -9: " + long_msg).substr(0, 128), -1},
  };
  // One connection speaks for the whole fleet (devices are named by topic).
  MqttClient fleet;
  ASSERT_TRUE(fleet.connect(broker().port(), "tencent-fleet"));
  ASSERT_TRUE(fleet.subscribe(std::string("$ota/update/") + kPid + "/+", 1));
  std::vector<std::string> names;
  for (const Case& c : cases) {
    names.push_back(c.dn);
    ASSERT_TRUE(fleet.publish(report_topic(c.dn), report_version("0.1")));
    auto rsp = fleet.wait_message(update_topic(c.dn));
    ASSERT_TRUE(rsp.has_value());
    EXPECT_TRUE(exact_payload(rsp->payload, version_rsp("0.1")));
  }
  const long long pkg = create_package(package_fields("0.2"));
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, names);
  ASSERT_GT(job, 0);
  for (const Case& c : cases) {
    auto note = fleet.wait_message(update_topic(c.dn));
    ASSERT_TRUE(note.has_value()) << c.dn;
    EXPECT_TRUE(exact_payload(note->payload, update_firmware("0.2")));
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.dn);
    ASSERT_TRUE(fleet.publish(report_topic(c.dn), kBurning));
    ASSERT_TRUE(api().wait_task(kPid, c.dn, job, in_progress_at(100), "IN_PROGRESS 100"));
    ASSERT_TRUE(fleet.publish(report_topic(c.dn), c.payload));
    JsonPtr task = api().wait_task_state(kPid, c.dn, job, "FAILED");
    ASSERT_TRUE(task);
    EXPECT_EQ(json_string_at(task.get(), "reason"), c.reason) << json_text(task.get());
    EXPECT_EQ(json_int_at(task.get(), "step"), c.step) << json_text(task.get());
    EXPECT_EQ(json_string_at(task.get(), "detail"), c.detail) << json_text(task.get());
    EXPECT_TRUE(history_has_detail(task.get(), c.detail)) << json_text(task.get());
  }
  JsonPtr done = api().wait_job_state(job, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "FAILED"), static_cast<long long>(cases.size()));
}

// Resumable download (seed 003): a device that reports a version other
// than its target while its task is unfinished gets update_firmware again.
TEST_F(DialectTencentTest, DifferentVersionWhileUnfinishedIsNotifiedAgain) {
  const std::string dn = "dev_01";
  auto dev = connect_device(dn);
  const long long job = notified(*dev, dn);
  ASSERT_GT(job, 0);
  if (HasFatalFailure()) return;

  // Still NOTIFIED: the device restarted before downloading anything.
  report(*dev, dn, "0.1");
  expect_update(*dev, dn, update_firmware("0.2"));
  if (HasFatalFailure()) return;

  // IN_PROGRESS: the download was cut at 30 %.
  ASSERT_TRUE(dev->publish(report_topic(dn), downloading("30")));
  ASSERT_TRUE(api().wait_task(kPid, dn, job, in_progress_at(30), "IN_PROGRESS 30"));
  report(*dev, dn, "0.1");
  expect_update(*dev, dn, update_firmware("0.2"));
  if (HasFatalFailure()) return;
  JsonPtr again = api().wait_task_state(kPid, dn, job, "NOTIFIED");
  ASSERT_TRUE(again);
  EXPECT_EQ(json_int_at(again.get(), "notifyCount"), 3) << json_text(again.get());
  EXPECT_TRUE(dev->no_message(update_topic(dn), 100ms)) << "more than one re-notification";

  // It resumes; "done" for another version is not success; for the target it is.
  ASSERT_TRUE(dev->publish(report_topic(dn), downloading("60")));
  ASSERT_TRUE(api().wait_task(kPid, dn, job, in_progress_at(60), "IN_PROGRESS 60"));
  ASSERT_TRUE(dev->publish(
      report_topic(dn),
      R"({"type":"report_progress","report":{"progress":{"state":"done","result_code":"0","result_msg":""},"version":"0.9"}})"));
  JsonPtr not_yet = api().get_device(kPid, dn);
  ASSERT_TRUE(not_yet);
  JsonPtr task = find_task(not_yet.get(), job);
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "state"), "IN_PROGRESS") << json_text(task.get());
  ASSERT_TRUE(dev->publish(report_topic(dn), kDone));
  ASSERT_TRUE(api().wait_task_state(kPid, dn, job, "SUCCEEDED"));
  // A finished task is not pushed again.
  report(*dev, dn, "0.1");
  EXPECT_TRUE(dev->no_message(update_topic(dn), 150ms)) << "a finished task was pushed again";
}

// A failure during the download (seed 003's cut download) does not end the
// task: the step shows the device's code, and the version report that
// follows gets update_firmware again.
TEST_F(DialectTencentTest, FailDuringDownloadResumesOnTheNextVersionReport) {
  const std::string dn = "dev_04";
  auto dev = connect_device(dn);
  const long long job = notified(*dev, dn);
  ASSERT_GT(job, 0);
  if (HasFatalFailure()) return;
  ASSERT_TRUE(dev->publish(report_topic(dn), downloading("40")));
  ASSERT_TRUE(api().wait_task(kPid, dn, job, in_progress_at(40), "IN_PROGRESS 40"));
  const std::string cut =
      R"({"type":"report_progress","report":{"progress":{"state":"fail","result_code":"-5","result_msg":"time_out"},"version":"0.2"}})";
  ASSERT_TRUE(dev->publish(report_topic(dn), cut));
  JsonPtr interrupted = api().wait_task(kPid, dn, job, in_progress_at(-4), "IN_PROGRESS -4");
  ASSERT_TRUE(interrupted);
  EXPECT_EQ(json_string_at(interrupted.get(), "detail"), "result_code -5: time_out");
  EXPECT_TRUE(dev->no_message(update_topic(dn), 100ms)) << "re-sent before the version report";
  report(*dev, dn, "0.1");
  expect_update(*dev, dn, update_firmware("0.2"));
  if (HasFatalFailure()) return;
  ASSERT_TRUE(api().wait_task_state(kPid, dn, job, "NOTIFIED"));
  ASSERT_TRUE(dev->publish(report_topic(dn), downloading("100")));
  ASSERT_TRUE(dev->publish(report_topic(dn), kBurning));
  ASSERT_TRUE(dev->publish(report_topic(dn), kDone));
  ASSERT_TRUE(api().wait_task_state(kPid, dn, job, "SUCCEEDED"));
}

// An MD5 mismatch is final, also during the download: the bytes are wrong.
TEST_F(DialectTencentTest, Md5MismatchDuringDownloadFails) {
  const std::string dn2 = "dev_05";
  auto dev2 = connect_device(dn2);
  const long long job2 = notified(*dev2, dn2);
  ASSERT_GT(job2, 0);
  if (HasFatalFailure()) return;
  ASSERT_TRUE(dev2->publish(report_topic(dn2), downloading("40")));
  ASSERT_TRUE(api().wait_task(kPid, dn2, job2, in_progress_at(40), "IN_PROGRESS 40"));
  ASSERT_TRUE(dev2->publish(
      report_topic(dn2),
      R"({"type":"report_progress","report":{"progress":{"state":"fail","result_code":"-4","result_msg":"md5"},"version":"0.2"}})"));
  JsonPtr failed = api().wait_task_state(kPid, dn2, job2, "FAILED");
  ASSERT_TRUE(failed);
  EXPECT_EQ(json_int_at(failed.get(), "step"), -3) << json_text(failed.get());
  EXPECT_EQ(json_string_at(failed.get(), "reason"), "verification failed");
}

// docs/dialects.md maps "done" to step 100: a device that goes from
// downloading straight to done shows step 100 on its finished task.
TEST_F(DialectTencentTest, DoneRecordsStep100) {
  const std::string dn = "dev_03";
  auto dev = connect_device(dn);
  const long long job = notified(*dev, dn);
  ASSERT_GT(job, 0);
  if (HasFatalFailure()) return;
  ASSERT_TRUE(dev->publish(report_topic(dn), downloading("60")));
  ASSERT_TRUE(api().wait_task(kPid, dn, job, in_progress_at(60), "IN_PROGRESS 60"));
  ASSERT_TRUE(dev->publish(report_topic(dn), kDone));
  JsonPtr task = api().wait_task_state(kPid, dn, job, "SUCCEEDED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_int_at(task.get(), "step"), 100) << json_text(task.get());
  EXPECT_EQ(json_string_at(task.get(), "detail"), "done") << json_text(task.get());
}

// A module other than default: fw_type and task_id in update_firmware (the
// Tencent SDK's FwType), task_id in progress must be the device's task.
TEST_F(DialectTencentTest, ModuleUpgradeCarriesFwTypeAndTaskId) {
  const std::string dn = "dev_02";
  auto dev = connect_device(dn);
  ASSERT_TRUE(dev->publish(report_topic(dn), R"({"type":"report_version","report":{"version":"1.0","fw_type":"mcu"}})"));
  auto rsp = dev->wait_message(update_topic(dn));
  ASSERT_TRUE(rsp.has_value());
  EXPECT_TRUE(exact_payload(rsp->payload, version_rsp("1.0")));
  JsonPtr device = api().get_device(kPid, dn);
  ASSERT_TRUE(device);
  EXPECT_EQ(json_string_at(device.get(), "modules/mcu/version"), "1.0") << json_text(device.get());

  const long long pkg = create_package(package_fields("1.1", "mcu"));
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {dn});
  ASSERT_GT(job, 0);
  expect_update(*dev, dn,
                std::string(R"({"file_size":708482,"fw_type":"mcu","md5sum":")") + kMd5 +
                    R"(","task_id":)" + std::to_string(job) +
                    R"(,"type":"update_firmware","url":")" + kUrl + R"(","version":"1.1"})");
  if (HasFatalFailure()) return;
  auto module_progress = [&](long long task_id, const std::string& percent) {
    return R"({"type":"report_progress","report":{"progress":{"state":"downloading","percent":")" +
           percent + R"(","result_code":"0","result_msg":""},"version":"1.1","fw_type":"mcu","task_id":)" +
           std::to_string(task_id) + "}}";
  };
  const std::string before = stored(kPid, dn);
  ASSERT_TRUE(dev->publish(report_topic(dn), module_progress(job + 50, "20")));
  EXPECT_EQ(stored(kPid, dn), before) << "a progress for another task_id changed the task";
  ASSERT_TRUE(dev->publish(report_topic(dn), module_progress(job, "20")));
  ASSERT_TRUE(api().wait_task(kPid, dn, job, in_progress_at(20), "IN_PROGRESS 20"));
  ASSERT_TRUE(dev->publish(report_topic(dn), R"({"type":"report_version","report":{"version":"1.1","fw_type":"mcu"}})"));
  ASSERT_TRUE(api().wait_task_state(kPid, dn, job, "SUCCEEDED"));
}

TEST_F(DialectTencentTest, MalformedMessagesAreRejected) {
  const std::string dn = "dev_01";
  auto dev = connect_device(dn);
  const long long job = notified(*dev, dn);
  ASSERT_GT(job, 0);
  if (HasFatalFailure()) return;
  ASSERT_TRUE(dev->publish(report_topic(dn), downloading("10")));
  ASSERT_TRUE(api().wait_task(kPid, dn, job, in_progress_at(10), "IN_PROGRESS 10"));

  begin_rejections(kPid, dn);
  if (HasFatalFailure()) return;
  const std::string rt = report_topic(dn), up = update_topic(dn);
  auto b = [&](const char* name, const std::string& payload) { bad(*dev, name, rt, payload, up); };
  auto prog = [](const std::string& progress) {
    return R"({"type":"report_progress","report":{"progress":)" + progress + R"(,"version":"0.2"}})";
  };
  // Envelope.
  b("NotJson", R"({"type":"report_version","report":{"version":"9.9"})");
  b("Empty", "");
  b("Array", R"([{"type":"report_version","report":{"version":"9.9"}}])");
  b("TypeMissing", R"({"report":{"version":"9.9"}})");
  b("TypeNumber", R"({"type":1,"report":{"version":"9.9"}})");
  b("TypeUnknown", R"({"type":"report_foo","report":{"version":"9.9"}})");
  b("TypeDownlinkUpdate", R"({"type":"update_firmware","report":{"version":"9.9"}})");
  b("TypeDownlinkRsp", R"({"type":"report_version_rsp","report":{"version":"9.9"}})");
  b("DuplicateType", R"({"type":"report_version","type":"report_version","report":{"version":"9.9"}})");
  b("ReportMissing", R"({"type":"report_version","version":"9.9"})");
  b("ReportString", R"({"type":"report_version","report":"9.9"})");
  // report_version.
  b("VersionMissing", R"({"type":"report_version","report":{}})");
  b("VersionNumber", R"({"type":"report_version","report":{"version":9.9}})");
  b("VersionEmpty", R"({"type":"report_version","report":{"version":""}})");
  b("Version129", R"({"type":"report_version","report":{"version":")" + std::string(129, '9') + R"("}})");
  b("FwTypeNumber", R"({"type":"report_version","report":{"version":"9.9","fw_type":1}})");
  // report_progress.
  b("ProgressMissing", R"({"type":"report_progress","report":{"version":"0.2"}})");
  b("ProgressString", R"({"type":"report_progress","report":{"progress":"downloading","version":"0.2"}})");
  b("StateMissing", prog(R"({"percent":"50","result_code":"0","result_msg":""})"));
  b("StateNumber", prog(R"({"state":1,"percent":"50","result_code":"0","result_msg":""})"));
  b("StateUnknown", prog(R"({"state":"paused","percent":"50","result_code":"0","result_msg":""})"));
  b("DownloadingNoPercent", prog(R"({"state":"downloading","result_code":"0","result_msg":""})"));
  b("Percent101", prog(R"({"state":"downloading","percent":"101","result_code":"0","result_msg":""})"));
  b("PercentMinus1", prog(R"({"state":"downloading","percent":"-1","result_code":"0","result_msg":""})"));
  b("PercentAbc", prog(R"({"state":"downloading","percent":"abc","result_code":"0","result_msg":""})"));
  b("PercentReal", prog(R"({"state":"downloading","percent":50.5,"result_code":"0","result_msg":""})"));
  b("FailNoResultCode", prog(R"({"state":"fail","result_msg":"time_out"})"));
  b("FailResultCodeAbc", prog(R"({"state":"fail","result_code":"abc","result_msg":"time_out"})"));
  b("ResultCodeBool", prog(R"({"state":"downloading","percent":"50","result_code":true,"result_msg":""})"));
  b("ResultMsgNumber", prog(R"({"state":"fail","result_code":"-1","result_msg":5})"));
  b("ProgressVersionNumber",
    R"({"type":"report_progress","report":{"progress":{"state":"downloading","percent":"50"},"version":0.2}})");
  b("ProgressVersion129",
    R"({"type":"report_progress","report":{"progress":{"state":"downloading","percent":"50"},"version":")" +
        std::string(129, '9') + R"("}})");
  b("TaskIdString",
    R"({"type":"report_progress","report":{"progress":{"state":"downloading","percent":"50"},"version":"0.2","task_id":")" +
        std::to_string(job) + R"("}})");
  b("TaskIdNegative",
    R"({"type":"report_progress","report":{"progress":{"state":"downloading","percent":"50"},"version":"0.2","task_id":-1}})");
  // Topic shapes no dialect reads, and an over-long product id.
  bad(*dev, "TopicOneLevel", std::string("$ota/report/") + kPid, report_version("9.9"), up);
  bad(*dev, "TopicExtraLevel", rt + "/x", report_version("9.9"), up);
  bad(*dev, "ProductTooLong", "$ota/report/" + std::string(129, 'P') + "/" + dn,
      report_version("9.9"), up);
  end_rejections();
  if (HasFatalFailure()) return;

  // The device still finishes.
  ASSERT_TRUE(dev->publish(rt, downloading("80")));
  ASSERT_TRUE(api().wait_task(kPid, dn, job, in_progress_at(80), "IN_PROGRESS 80"));
  ASSERT_TRUE(dev->publish(rt, kDone));
  ASSERT_TRUE(api().wait_task_state(kPid, dn, job, "SUCCEEDED"));
}

}  // namespace
}  // namespace ota::test::dialect_test
