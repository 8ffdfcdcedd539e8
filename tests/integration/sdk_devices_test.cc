// End to end with devices that behave like the platforms' public device SDKs
// (sdk_*_device.h), on a real broker with the plugin's default identity
// settings and its own HTTP download server: every task ends SUCCEEDED once
// the device reports the new version. (LinkSDK 4.x, which never subscribes,
// is in linksdk_device_test.cc.)
#include <gtest/gtest.h>

#include "sdk_device_fixture.h"
#include "sdk_alibaba3_device.h"
#include "sdk_http_client.h"
#include "sdk_tencent_device.h"

namespace ota::test::dialect_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAliPk = "a1Sdk3Prod";
constexpr const char* kPid = "TCSDKPROD1";

// The emulators' parser refuses what the SDKs cannot read: without this,
// the end-to-end tests below could pass against a server the devices fail on.
TEST(SdkHttpParser, RefusesWhatTheSdksCannotRead) {
  const std::string good =
      "HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\n"
      "Content-Length: 10\r\nAccept-Ranges: bytes\r\nETag: \"x\"\r\n"
      "Content-Range: bytes 5-14/15\r\n";
  SdkHttpHead h = parse_sdk_head(good);
  ASSERT_TRUE(h.ok) << h.error;
  EXPECT_EQ(h.status, 206);
  EXPECT_EQ(h.content_length, 10u);
  EXPECT_EQ(h.range_first, 5u);
  EXPECT_EQ(h.range_last, 14u);
  EXPECT_EQ(h.range_size, 15u);

  EXPECT_EQ(parse_sdk_head("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n").error,
            "no Content-Length header");
  EXPECT_EQ(parse_sdk_head("HTTP/1.1 200 OK\r\nContent-length: 10\r\n").error,
            "no Content-Length header");
  EXPECT_FALSE(parse_sdk_head("HTTP/1.0 200 OK\r\nContent-Length: 10\r\n").ok);
  EXPECT_FALSE(parse_sdk_head("HTTP/1.1 200 OK\nContent-Length: 10\n").ok);
  EXPECT_FALSE(parse_sdk_head("HTTP/1.1 200 OK\r\nContent-Length:10\r\n").ok);
  EXPECT_FALSE(parse_sdk_head("HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\n"
                              "content-range: bytes 5-14/15\r\n")
                   .ok);
  EXPECT_FALSE(parse_sdk_head("HTTP/1.1 200 OK\r\nbroken\r\nContent-Length: 1\r\n").ok);
}

class SdkDevicesTest : public SdkDeviceTest {
 protected:
  void SetUp() override {
    SdkDeviceTest::SetUp();
    if (HasFatalFailure()) return;
    // Alibaba's own code: the SDK's signMethod spelling "Md5".
    ASSERT_TRUE(configure_product(std::string(R"({"product":")") + kAliPk +
                                  R"(","dialect":"aliyun","aliyunCode":"1000"})"));
    ASSERT_TRUE(configure_product(std::string(R"({"product":")") + kPid +
                                  R"(","dialect":"tencent"})"));
  }

  // Tencent: version 1.0.0 reported, a job to 2.0.0 created with `extra`
  // job fields; the first update_firmware.
  std::optional<SdkTencentDevice::Firmware> notified(SdkTencentDevice& dev, const std::string& dn,
                                                     const std::string& extra, long long* job) {
    EXPECT_TRUE(dev.connect(broker().port()));
    EXPECT_TRUE(dev.report_version("1.0.0"));
    const long long pkg = uploaded_package(kPid, "2.0.0");
    *job = pkg > 0 ? create_job(R"({"packageId":)" + std::to_string(pkg) + R"(,"devices":[")" +
                                dn + "\"]" + extra + "}")
                   : -1;
    if (*job <= 0) return std::nullopt;
    return dev.wait_update_firmware();
  }

  // The cut-and-resume sequence of DESIGN.md §10, `cuts` times, then the
  // whole rest; the task SUCCEEDED in its first attempt.
  void cut_and_resume(const std::string& dn, const std::string& extra, int cuts) {
    SdkTencentDevice dev(kPid, dn);
    long long job = -1;
    std::optional<SdkTencentDevice::Firmware> fw = notified(dev, dn, extra, &job);
    ASSERT_TRUE(fw) << "no update_firmware";
    EXPECT_EQ(fw->size, kFileSize);
    uint64_t offset = 0;
    for (int i = 0; i < cuts; ++i) {
      EXPECT_FALSE(dev.download(*fw, kFileSize / 5)) << "the cut went unnoticed";
      EXPECT_EQ(dev.last_range(),
                "bytes=" + std::to_string(offset) + "-" + std::to_string(kFileSize));
      offset += kFileSize / 5;
      ASSERT_EQ(dev.saved_offset(), offset);
      JsonPtr cut = api().wait_task(kPid, dn, job, in_progress_at(-4), "IN_PROGRESS -4");
      ASSERT_TRUE(cut);
      EXPECT_EQ(json_string_at(cut.get(), "detail"), "result_code -5: time_out");
      EXPECT_TRUE(dev.no_update_firmware(100ms)) << "re-sent before the version report";
      // Rebooted on the old firmware: the version report brings the resume.
      ASSERT_TRUE(dev.report_version("1.0.0"));
      fw = dev.wait_update_firmware();
      ASSERT_TRUE(fw) << "no update_firmware after the version report";
    }
    ASSERT_TRUE(dev.download(*fw));
    EXPECT_EQ(dev.last_range(),
              "bytes=" + std::to_string(offset) + "-" + std::to_string(kFileSize));
    EXPECT_EQ(dev.last_response().head.status, 206);
    EXPECT_EQ(dev.last_response().head.range_first, offset);
    ASSERT_TRUE(dev.install(*fw));
    JsonPtr task = api().wait_task_state(kPid, dn, job, "SUCCEEDED");
    ASSERT_TRUE(task);
    EXPECT_EQ(json_int_at(task.get(), "attempts"), 1) << json_text(task.get());
    EXPECT_EQ(json_int_at(task.get(), "notifyCount"), 1 + cuts) << json_text(task.get());
    JsonPtr done = api().wait_job_state(job, "completed");
    ASSERT_TRUE(done);
    EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 1);
  }
};

TEST_F(SdkDevicesTest, Alibaba3DeviceUpgradesOverHttp) {
  SdkAlibaba3Device dev(kAliPk, "sdk3-dev");
  ASSERT_TRUE(dev.connect(broker().port()));
  ASSERT_TRUE(dev.report_version("1.0.0"));
  const long long pkg = uploaded_package(kAliPk, "2.0.0");
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {"sdk3-dev"});
  ASSERT_GT(job, 0);
  std::optional<SdkAlibaba3Device::Firmware> fw = dev.wait_upgrade();
  ASSERT_TRUE(fw);
  EXPECT_EQ(fw->sign_method, "Md5");
  EXPECT_EQ(fw->size, kFileSize);
  ASSERT_TRUE(dev.upgrade(*fw)) << dev.last_response().error;
  EXPECT_EQ(dev.last_response().head.status, 200);
  JsonPtr task = api().wait_task_state(kAliPk, "sdk3-dev", job, "SUCCEEDED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_int_at(task.get(), "step"), 100) << json_text(task.get());
  EXPECT_TRUE(dev.mqtt().no_message(dev.upgrade_topic(), 150ms)) << "notified after success";
}

// Alibaba re-pushes to a device that comes back online: the 3.x device
// reboots after the notification (persistent session, clean session
// false), reconnects and subscribes again, and gets it again.
TEST_F(SdkDevicesTest, Alibaba3DeviceThatRebootsIsNotifiedAgain) {
  auto dev = std::make_unique<SdkAlibaba3Device>(kAliPk, "sdk3-boot");
  ASSERT_TRUE(dev->connect(broker().port()));
  ASSERT_TRUE(dev->report_version("1.0.0"));
  const long long pkg = uploaded_package(kAliPk, "2.0.0");
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {"sdk3-boot"});
  ASSERT_GT(job, 0);
  ASSERT_TRUE(dev->wait_upgrade());
  dev->mqtt().disconnect();
  ASSERT_TRUE(wait_online(kAliPk, "sdk3-boot", false));
  dev = std::make_unique<SdkAlibaba3Device>(kAliPk, "sdk3-boot");
  ASSERT_TRUE(dev->connect(broker().port()));
  std::optional<SdkAlibaba3Device::Firmware> fw = dev->wait_upgrade();
  ASSERT_TRUE(fw) << "not notified again after coming back";
  ASSERT_TRUE(dev->upgrade(*fw)) << dev->last_response().error;
  JsonPtr task = api().wait_task_state(kAliPk, "sdk3-boot", job, "SUCCEEDED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_int_at(task.get(), "notifyCount"), 2) << json_text(task.get());
}

TEST_F(SdkDevicesTest, TencentDeviceUpgradesWithoutACut) {
  cut_and_resume("tc-plain", "", 0);
}

TEST_F(SdkDevicesTest, TencentDeviceResumesACutDownloadWithoutRetries) {
  cut_and_resume("tc-cut", "", 1);
}

TEST_F(SdkDevicesTest, TencentDeviceResumesCutDownloadsWithRetries) {
  cut_and_resume("tc-retry", R"(,"retry":{"count":2,"intervalSeconds":1})", 2);
}

// Past the cap on re-sends, the task fails and says why; the job's retry
// then starts a fresh attempt that the device completes.
TEST_F(SdkDevicesTest, TencentDeviceThatNeverGetsThereFailsWithAReason) {
  const std::string dn = "tc-stuck";
  SdkTencentDevice dev(kPid, dn);
  long long job = -1;
  std::optional<SdkTencentDevice::Firmware> fw = notified(dev, dn, "", &job);
  ASSERT_TRUE(fw);
  // The device keeps coming back on its old version without downloading.
  JsonPtr task;
  for (int i = 0; i < 40 && !task; ++i) {
    ASSERT_TRUE(dev.report_version("1.0.0"));
    JsonPtr device = api().get_device(kPid, dn);
    ASSERT_TRUE(device);
    JsonPtr t = find_task(device.get(), job);
    if (t && json_string_at(t.get(), "state") == "FAILED") task = std::move(t);
  }
  ASSERT_TRUE(task) << "re-sent without end";
  EXPECT_EQ(json_string_at(task.get(), "reason"), "upgrade failed");
  EXPECT_EQ(json_string_at(task.get(), "detail"),
            "still not on version 2.0.0 after 20 re-sent notifications (the limit)");
}

}  // namespace
}  // namespace ota::test::dialect_test
