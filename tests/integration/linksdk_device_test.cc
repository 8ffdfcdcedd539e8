// End to end with a device that behaves like Alibaba's LinkSDK 4.x
// (sdk_linksdk_device.h): it never subscribes, so every message the plugin
// sends it must be addressed to its connection. Over the plugin's own HTTP
// server, and by MQTT block download.
#include <gtest/gtest.h>

#include "sdk_device_fixture.h"
#include "sdk_linksdk_device.h"

namespace ota::test::dialect_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPk = "a1LinkSdk4";
constexpr const char* kMqttPk = "a1LinkMqtt";

class LinkSdkDeviceTest : public SdkDeviceTest {
 protected:
  void SetUp() override {
    SdkDeviceTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(configure_product(std::string(R"({"product":")") + kPk +
                                  R"(","dialect":"aliyun","aliyunCode":"1000"})"));
    ASSERT_TRUE(configure_product(
        std::string(R"({"product":")") + kMqttPk +
        R"(","dialect":"aliyun","aliyunCode":"1000","downloadProtocol":"mqtt"})"));
  }

  void upgrade(const std::string& product, const std::string& dn, const std::string& protocol) {
    SdkLinkSdkDevice dev(product, dn);
    ASSERT_TRUE(dev.connect(broker().port()));
    ASSERT_TRUE(dev.report_version("1.0.0"));
    const long long pkg = uploaded_package(product, "2.0.0");
    ASSERT_GT(pkg, 0);
    const long long job = create_job(pkg, {dn});
    ASSERT_GT(job, 0);
    std::optional<SdkLinkSdkDevice::Firmware> fw = dev.wait_upgrade();
    ASSERT_TRUE(fw) << "the notification never reached the unsubscribed device";
    EXPECT_EQ(fw->sign_method, "Md5");
    EXPECT_EQ(fw->protocol, protocol);
    ASSERT_TRUE(dev.upgrade(*fw));
    if (protocol == "mqtt") {
      EXPECT_EQ(dev.blocks_received(), (kFileSize + 5 * 1024 - 1) / (5 * 1024));
    }
    JsonPtr task = api().wait_task_state(product, dn, job, "SUCCEEDED");
    ASSERT_TRUE(task);
    EXPECT_EQ(json_int_at(task.get(), "step"), 100) << json_text(task.get());
  }
};

TEST_F(LinkSdkDeviceTest, UnsubscribedDeviceUpgradesOverHttp) {
  upgrade(kPk, "link-http", "");
}

TEST_F(LinkSdkDeviceTest, UnsubscribedDeviceUpgradesByMqttBlockDownload) {
  upgrade(kMqttPk, "link-mqtt", "mqtt");
}

}  // namespace
}  // namespace ota::test::dialect_test
