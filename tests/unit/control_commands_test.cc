// The $CONTROL/ota/v1 handlers through the envelope, against a real engine
// and store: replies, errors that leave state unchanged, and the one line
// per admin action.
#include "control/control_api.h"

#include <gtest/gtest.h>

#include "json/json_util.h"
#include "storage/lmdb_store.h"
#include "temp_dir.h"

namespace ota {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;
const char* kPackage =
    R"({"command":"createPackage","product":"pk","version":"2.0.0",)"
    R"("url":"https://fw.example/2.bin","size":100,"sign":"93230c3bde425a9d93230c3bde425a9d",)"
    R"("signMethod":"MD5"})";

class ControlCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = LmdbStore::open(tmp_.sub("db"), {});
    engine_ = std::make_unique<Engine>(*store_, EngineOptions{});
    for (const char* d : {"d1", "d2"}) {
      Outbox out;
      engine_->on_version_report({{"pk", d}, "default", "1.0.0"}, kT0, out);
    }
  }
  // Runs one command; returns its response object (owned by last_).
  const json_t* run(const std::string& command, bool authorised = true) {
    CommandContext ctx{*engine_, *store_, kT0, [](const DeviceKey& k) { return k.device == "d1"; },
                       {"aliyun", "tencent"}, nullptr};
    outcome_ = handle_control_payload(R"({"commands":[)" + command + "]}", ctx, authorised);
    std::string error;
    last_ = json::parse(outcome_.response, &error);
    EXPECT_TRUE(last_) << error;
    return json_array_get(json_object_get(last_.get(), "responses"), 0);
  }
  static std::string error_of(const json_t* r) {
    const json_t* e = json_object_get(r, "error");
    return e ? json_string_value(e) : "";
  }
  static const json_t* data(const json_t* r, const char* key) {
    return json_object_get(json_object_get(r, "data"), key);
  }

  test::TempDir tmp_;
  std::unique_ptr<LmdbStore> store_;
  std::unique_ptr<Engine> engine_;
  ControlOutcome outcome_;
  json::JsonPtr last_;
};

TEST_F(ControlCommandsTest, PackageLifecycle) {
  const json_t* created = run(kPackage);
  ASSERT_EQ(error_of(created), "");
  EXPECT_EQ(json_integer_value(json_object_get(data(created, "package"), "id")), 1);
  EXPECT_EQ(outcome_.actions, (std::vector<std::string>{
                                  "createPackage product=pk version=2.0.0: ok, package 1"}));
  EXPECT_EQ(error_of(run(R"({"command":"getPackage","packageId":1})")), "");
  EXPECT_TRUE(outcome_.actions.empty());  // reads are not admin actions
  EXPECT_EQ(error_of(run(R"({"command":"getPackage","packageId":2})")),
            "package 2 does not exist");
  EXPECT_EQ(json_array_size(data(run(R"({"command":"listPackages"})"), "packages")), 1u);
  EXPECT_EQ(error_of(run(R"({"command":"deletePackage","packageId":1})")), "");
  EXPECT_FALSE(store_->get_package(1));
}

TEST_F(ControlCommandsTest, BadFieldsChangeNothing) {
  EXPECT_EQ(error_of(run(R"({"command":"createPackage","product":"pk","version":"2",)"
                         R"("url":"ftp://x","size":1,"sign":"93230c3bde425a9d93230c3bde425a9d",)"
                         R"("signMethod":"MD5"})")),
            "field 'url' must be an http:// or https:// URL of at most 2048 bytes");
  EXPECT_NE(error_of(run(R"({"command":"createPackage","colour":"red"})")).find("unknown field 'colour'"),
            std::string::npos);
  EXPECT_EQ(outcome_.failed, 1u);
  EXPECT_FALSE(store_->get_package(1));
  EXPECT_EQ(error_of(run(R"({"command":"launchRockets"})")), "unknown command 'launchRockets'");
}

TEST_F(ControlCommandsTest, NotAuthorisedRunsNoHandler) {
  const json_t* r = run(kPackage, false);
  EXPECT_EQ(error_of(r), "not authorised: this client is not an OTA admin");
  EXPECT_TRUE(outcome_.actions.empty());
  EXPECT_FALSE(store_->get_package(1));
}

TEST_F(ControlCommandsTest, JobControlAndTasks) {
  run(kPackage);
  const json_t* job = run(R"({"command":"createJob","packageId":1,"devices":["d1","d2"]})");
  ASSERT_EQ(error_of(job), "");
  EXPECT_EQ(outcome_.actions.back(), "createJob packageId=1: ok, job 1");
  EXPECT_EQ(error_of(run(R"({"command":"pauseJob","jobId":1})")), "");
  EXPECT_EQ(outcome_.actions.back(), "pauseJob jobId=1: ok, job 1");
  EXPECT_NE(error_of(run(R"({"command":"pauseJob","jobId":1})")), "");
  EXPECT_EQ(outcome_.actions.back().rfind("pauseJob jobId=1: error: job 1 is", 0), 0u);
  EXPECT_EQ(error_of(run(R"({"command":"resumeJob","jobId":1})")), "");
  EXPECT_EQ(error_of(run(R"({"command":"cancelTask","jobId":1,"device":"d2"})")),
            "");
  EXPECT_EQ(outcome_.actions.back(), "cancelTask device=d2 jobId=1: ok");
  EXPECT_EQ(store_->get_task(1, {"pk", "d2"})->state, TaskState::kCanceled);
  EXPECT_EQ(error_of(run(R"({"command":"retryTask","jobId":1,"device":"d2"})")),
            "");
  EXPECT_NE(error_of(run(R"({"command":"confirmTask","jobId":1,"device":"d2"})")),
            "");
  EXPECT_EQ(error_of(run(R"({"command":"getJob","jobId":1})")), "");
  EXPECT_EQ(error_of(run(R"({"command":"cancelJob","jobId":1})")), "");
  EXPECT_EQ(store_->get_job(1)->state, JobState::kCanceled);
  EXPECT_EQ(error_of(run(R"({"command":"getJob","jobId":9})")), "job 9 does not exist");
}

TEST_F(ControlCommandsTest, DevicesAndPresence) {
  const json_t* d1 = run(R"({"command":"getDevice","product":"pk","device":"d1"})");
  ASSERT_EQ(error_of(d1), "");
  EXPECT_TRUE(json_is_true(json_object_get(data(d1, "device"), "online")));
  EXPECT_EQ(error_of(run(R"({"command":"getDevice","product":"pk","device":"ghost"})")),
            "device ghost of product pk does not exist");
  EXPECT_EQ(json_array_size(data(run(R"({"command":"listDevices","product":"pk"})"), "devices")),
            2u);
  // Paging by name: only the devices after it, offset and filters still apply.
  const json_t* after = run(R"({"command":"listDevices","product":"pk","after":"d1"})");
  ASSERT_EQ(error_of(after), "");
  const json_t* devices = data(after, "devices");
  ASSERT_EQ(json_array_size(devices), 1u);
  EXPECT_STREQ(json_string_value(json_object_get(json_array_get(devices, 0), "device")), "d2");
  EXPECT_EQ(json_array_size(data(run(R"({"command":"listDevices","product":"pk","after":"d2"})"),
                                 "devices")),
            0u);
  EXPECT_EQ(json_array_size(data(run(R"({"command":"listDevices","product":"pk","after":"d0",)"
                                     R"("offset":1})"),
                                 "devices")),
            1u);
  EXPECT_EQ(json_array_size(data(run(R"({"command":"listDevices","product":"pk","after":"d1",)"
                                     R"("version":"9.9"})"),
                                 "devices")),
            0u);
  EXPECT_EQ(error_of(run(R"({"command":"listDevices","product":"pk","after":1})")).rfind(
                "field 'after' must be a string", 0),
            0u);
}

TEST_F(ControlCommandsTest, ProductConfigOnlyForEnabledDialects) {
  EXPECT_EQ(error_of(run(R"({"command":"setProductConfig","product":"pk","dialect":"ctwing"})")),
            "dialect 'ctwing' is not enabled; enabled: aliyun, tencent (plugin_opt_dialects)");
  EXPECT_EQ(engine_->product_config("pk").dialect, "");
  EXPECT_EQ(error_of(run(R"({"command":"setProductConfig","product":"pk","dialect":"tencent"})")),
            "");
  EXPECT_EQ(engine_->product_config("pk").dialect, "tencent");
  EXPECT_EQ(outcome_.actions.back(), "setProductConfig product=pk: ok");
}

TEST_F(ControlCommandsTest, Bindings) {
  EXPECT_EQ(error_of(run(R"({"command":"bindDevice","user":"u1","product":"pk","device":"d1"})")),
            "");
  EXPECT_EQ(outcome_.actions.back(), "bindDevice product=pk device=d1 user=u1: ok");
  EXPECT_TRUE(store_->has_binding({"u1", {"pk", "d1"}}));
  EXPECT_EQ(json_array_size(data(run(R"({"command":"listBindings","user":"u1"})"), "bindings")), 1u);
  EXPECT_EQ(error_of(run(R"({"command":"unbindDevice","user":"u1","product":"pk","device":"d1"})")),
            "");
  EXPECT_FALSE(store_->has_binding({"u1", {"pk", "d1"}}));
}

TEST_F(ControlCommandsTest, UploadsNeedTheFirmwareStore) {
  EXPECT_EQ(error_of(run(R"({"command":"beginUpload","size":10,"sha256":"00"})")),
            "firmware uploads need a firmware store: set plugin_opt_firmware_dir");
  EXPECT_EQ(outcome_.actions, (std::vector<std::string>{
                                  "beginUpload: error: firmware uploads need a firmware store: "
                                  "set plugin_opt_firmware_dir"}));
}

}  // namespace
}  // namespace ota
