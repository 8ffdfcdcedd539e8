// The control API: who may use it, and how it reports errors.
#include <gtest/gtest.h>

#include "aliyun_notification.h"
#include "ota_fixture.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

using ControlApiTest = OtaBrokerTest;

// A non-admin may neither read the control replies nor have a command
// carried out: the plugin's ACL check refuses both, whatever other ACLs say.
testing::AssertionResult refused(int port, std::optional<std::string> user,
                                 const std::vector<std::string>& commands) {
  MqttClient other;
  if (auto c = other.connect(port, "not-an-admin", user); !c) return c;
  if (other.subscribe(std::string(kControlResponseTopic))) {
    return testing::AssertionFailure() << "a non-admin subscribed to the control replies";
  }
  for (const std::string& command : commands) {
    if (auto p = other.publish("$CONTROL/ota/v1", R"({"commands":[)" + command + "]}"); !p) {
      return p;
    }
  }
  if (!other.connected()) {
    return testing::AssertionFailure() << "the broker disconnected the non-admin";
  }
  return testing::AssertionSuccess();
}

TEST_F(ControlApiTest, NonAdminCommandsChangeNothing) {
  auto d1 = device("pk1", "d1", "1.0.0");
  JsonPtr pkg = api().create_package(PackageSpec{});
  ASSERT_TRUE(pkg);
  const std::string package_id = std::to_string(json_int_at(pkg.get(), "id").value_or(-1));

  for (std::optional<std::string> user : {std::optional<std::string>("mallory"),
                                          std::optional<std::string>()}) {
    SCOPED_TRACE(user ? "user " + *user : "anonymous");
    EXPECT_TRUE(refused(broker().port(), user,
                        {R"({"command":"createJob","packageId":)" + package_id +
                             R"(,"devices":["d1"]})",
                         R"({"command":"createPackage",)" + package_fields(PackageSpec{}).substr(1),
                         R"({"command":"deletePackage","packageId":)" + package_id + "}"}));
  }

  EXPECT_TRUE(d1->no_upgrade(300ms)) << "a non-admin's job notified d1: " << d1->last_raw();
  JsonPtr dev = api().get_device("pk1", "d1");
  ASSERT_TRUE(dev);
  EXPECT_EQ(json_array_size(json_at(dev.get(), "tasks")), 0u) << json_text(dev.get());
  EXPECT_EQ(json_string_at(dev.get(), "modules/default/version"), "1.0.0");
  // No job exists, and the package is still there.
  EXPECT_TRUE(api().expect_error("getJob", R"({"jobId":1})").has_value());
  JsonPtr still = admin().send("getPackage", R"({"packageId":)" + package_id + "}");
  EXPECT_TRUE(still && response_data(still.get())) << "deletePackage by a non-admin took effect";
  EXPECT_NE(broker().log().find("not an OTA admin"), std::string::npos);
  // The admin still works.
  JsonPtr job = api().create_job(json_int_at(pkg.get(), "id").value_or(-1), {"d1"});
  ASSERT_TRUE(job);
  EXPECT_TRUE(d1->wait_upgrade());
}

TEST_F(ControlApiTest, ErrorsForMissingObjects) {
  auto d1 = device("pk1", "d1", "1.0.0");
  auto e = api().expect_error("getJob", R"({"jobId":424242})");
  EXPECT_TRUE(e.has_value());
  e = api().expect_error("createJob", R"({"packageId":424242,"devices":["d1"]})");
  EXPECT_TRUE(e.has_value());
  e = api().expect_error("getDevice", R"({"product":"pk1","device":"nobody"})");
  EXPECT_TRUE(e.has_value());
  e = api().expect_error("noSuchCommand", "{}");
  EXPECT_TRUE(e.has_value());
  EXPECT_TRUE(d1->no_upgrade(100ms));
}

TEST_F(ControlApiTest, ErrorsForBadRequests) {
  auto d1 = device("pk1", "d1", "1.0.0");
  PackageSpec bad_method;
  bad_method.sign_method = "CRC32";
  EXPECT_TRUE(api().expect_error("createPackage", package_fields(bad_method)).has_value());
  EXPECT_TRUE(api().expect_error("createPackage", R"({"product":"pk1"})").has_value());
  EXPECT_TRUE(api().expect_error("getJob", R"({"jobId":"one"})").has_value());

  // Not even the envelope: no reply is required, but the broker must live
  // and the admin must stay connected.
  ASSERT_TRUE(admin().send_raw("not json"));
  ASSERT_TRUE(admin().send_raw(R"({"commands":"x"})"));
  ASSERT_TRUE(admin().send_raw(R"([1,2,3])"));
  ASSERT_TRUE(admin().send_raw(""));
  JsonPtr dev = api().get_device("pk1", "d1");
  ASSERT_TRUE(dev);
  EXPECT_TRUE(broker().running());
}

TEST_F(ControlApiTest, SeveralCommandsInOneRequest) {
  auto d1 = device("pk1", "d1", "1.0.0");
  auto d2 = device("pk1", "d2", "1.1.0");
  ASSERT_TRUE(admin().send_raw(
      R"({"commands":[)"
      R"({"command":"getDevice","product":"pk1","device":"d1","correlationData":"m1"},)"
      R"({"command":"getDevice","product":"pk1","device":"d2","correlationData":"m2"}]})"));
  std::map<std::string, std::string> versions;
  for (int i = 0; i < 2 && versions.size() < 2; ++i) {
    auto msg = admin().mqtt().wait_message(kControlResponseTopic, 3s);
    ASSERT_TRUE(msg.has_value());
    JsonPtr reply = json_parse(msg->payload);
    size_t n;
    json_t* r;
    json_array_foreach(json_at(reply.get(), "responses"), n, r) {
      versions[json_string_at(r, "correlationData").value_or("?")] =
          json_string_at(r, "data/device/modules/default/version").value_or("?");
    }
  }
  EXPECT_EQ(versions["m1"], "1.0.0");
  EXPECT_EQ(versions["m2"], "1.1.0");
}

class SeveralAdminsTest : public OtaBrokerTest {
 protected:
  BrokerOptions broker_options() override {
    BrokerOptions options;
    options.plugin_opts["admins"] = "admin,ops";
    return options;
  }
};

TEST_F(SeveralAdminsTest, EveryListedAdminMayControl) {
  auto d1 = device("pk1", "d1", "1.0.0");
  ControlClient ops;
  ASSERT_TRUE(ops.connect(broker().port(), "ops"));
  OtaApi ops_api(ops);
  JsonPtr dev = ops_api.get_device("pk1", "d1");
  ASSERT_TRUE(dev);
  // A prefix of an admin's name is not that name.
  EXPECT_TRUE(refused(broker().port(), "admi",
                      {R"({"command":"getDevice","product":"pk1","device":"d1"})"}));
}

}  // namespace
}  // namespace ota::test
