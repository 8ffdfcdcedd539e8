// The Living app topics on a real broker (seed 001, docs/dialects.md
// "Living app topics"): devices bound to users through the control API, a
// job that needs the app's confirmation, and two users' apps (real MQTT
// clients known by their usernames) listing, confirming and canceling.
// Alice sees and acts only on her devices; her attempt on Bob's device is
// refused with its state unchanged; every reply reaches only its asker.
#include <gtest/gtest.h>

#include <fstream>

#include "dialect_support.h"

namespace ota::test::dialect_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPk = "pk1";
const std::vector<std::string> kReplyTopics = {
    "/living/ota/firmware/file/get_reply", "/living/ota/confirm_reply",
    "/living/ota/devices/list_reply", "/living/ota/progress/list_reply",
    "/living/ota/cancel_reply"};

class LivingAppTest : public DialectTest {
 protected:
  // An app: a real MQTT client with the user's name as its username,
  // subscribed to every reply topic.
  std::unique_ptr<MqttClient> app(const std::string& user) {
    auto c = std::make_unique<MqttClient>();
    EXPECT_TRUE(c->connect(broker().port(), user + "-phone", user));
    for (const std::string& t : kReplyTopics) EXPECT_TRUE(c->subscribe(t, 1));
    return c;
  }
  void bind(const std::string& user, const std::string& device) {
    EXPECT_TRUE(api().run("bindDevice", R"({"user":")" + user + R"(","product":"pk1","device":")" +
                                            device + "\"}", "binding"));
  }
  // Publishes a request and returns the reply's payload ("" on timeout).
  std::string ask(MqttClient& c, const std::string& topic, const std::string& payload) {
    EXPECT_TRUE(c.publish(topic, payload, 1));
    auto reply = c.wait_message(topic + "_reply");
    EXPECT_TRUE(reply.has_value()) << "no reply on " << topic << "_reply";
    if (!reply) return "";
    EXPECT_EQ(reply->qos, 1);
    return reply->payload;
  }
  static std::string device_params(const std::string& id, const std::string& dn) {
    return R"({"id":")" + id + R"(","version":"1.0","params":{"productKey":"pk1","deviceName":")" +
           dn + "\"}}";
  }
  // A device's item in the replies.
  static std::string item(const std::string& dn, const std::string& state, int step,
                          const std::string& desc) {
    return R"({"productKey":"pk1","deviceName":")" + dn +
           R"(","jobId":1,"module":"default","targetVersion":"2.0.0","state":")" + state +
           R"(","step":)" + std::to_string(step) + R"(,"desc":)" + quoted(desc) + "}";
  }
  static std::string pending_item(const std::string& dn) {
    std::string i = item(dn, "CONFIRM", 0, "");
    i.pop_back();
    return i + R"(,"currentVersion":"1.0.0","size":432945,"description":"integration test package"})";
  }
  static std::string ok(const std::string& id, const std::string& data) {
    return R"({"id":")" + id + R"(","code":200,"data":)" + data + R"(,"message":"success"})";
  }
};

TEST_F(LivingAppTest, AliceConfirmsAndCancelsOnlyHerDevices) {
  auto a1 = device(kPk, "a1");
  auto a2 = device(kPk, "a2");
  auto a3 = device(kPk, "a3");
  auto b1 = device(kPk, "b1");
  for (const char* d : {"a1", "a2", "a3"}) bind("alice", d);
  bind("bob", "b1");
  JsonPtr pkg = api().create_package(PackageSpec{});
  ASSERT_TRUE(pkg);
  JsonPtr job = api().run("createJob",
                          R"({"packageId":)" + json_text(json_object_get(pkg.get(), "id")) +
                              R"(,"devices":["a1","a2","a3","b1"],"needConfirm":true})",
                          "job");
  ASSERT_TRUE(job);
  ASSERT_EQ(json_int_at(job.get(), "id"), 1);
  for (const char* d : {"a1", "a2", "a3", "b1"}) ASSERT_TRUE(api().wait_task_state(kPk, d, 1, "CONFIRM"));
  auto alice = app("alice");
  auto bob = app("bob");

  // Alice's pending upgrades: her three devices, not Bob's.
  EXPECT_TRUE(exact_payload(
      ask(*alice, "/living/ota/firmware/file/get", R"({"id":"1","version":"1.0","params":{}})"),
      ok("1", R"({"devices":[)" + pending_item("a1") + "," + pending_item("a2") + "," +
                  pending_item("a3") + "]}")));

  // She confirms a1: the device is told, upgrades, and the lists follow it.
  EXPECT_TRUE(exact_payload(ask(*alice, "/living/ota/confirm", device_params("2", "a1")),
                            ok("2", item("a1", "QUEUED", 0, "confirmed"))));
  JsonPtr push = a1->wait_upgrade();
  ASSERT_TRUE(push) << "a1 got no upgrade notification";
  EXPECT_EQ(json_text(json_object_get(json_object_get(push.get(), "data"), "version")), "\"2.0.0\"");
  ASSERT_TRUE(a1->report_progress("\"50\"", "downloading"));
  ASSERT_TRUE(api().wait_task(kPk, "a1", 1, in_progress_at(50), "IN_PROGRESS 50"));
  EXPECT_TRUE(exact_payload(ask(*alice, "/living/ota/devices/list", R"({"id":"3","version":"1.0","params":{}})"),
                            ok("3", "{\"devices\":[" + item("a1", "IN_PROGRESS", 50, "downloading") + "]}")));
  const std::string progress_request =
      R"({"id":"4","version":"1.0","params":{"devices":[{"productKey":"pk1","deviceName":"a1"},)"
      R"({"productKey":"pk1","deviceName":"a2"}]}})";
  EXPECT_TRUE(exact_payload(ask(*alice, "/living/ota/progress/list", progress_request),
                            ok("4", "{\"devices\":[" + item("a1", "IN_PROGRESS", 50, "downloading") +
                                        "," + item("a2", "CONFIRM", 0, "") + "]}")));
  ASSERT_TRUE(a1->report_version("2.0.0"));
  ASSERT_TRUE(api().wait_task_state(kPk, "a1", 1, "SUCCEEDED"));
  EXPECT_TRUE(exact_payload(
      ask(*alice, "/living/ota/progress/list",
          R"({"id":"5","version":"1.0","params":{"devices":[{"productKey":"pk1","deviceName":"a1"}]}})"),
      ok("5", "{\"devices\":[" + item("a1", "SUCCEEDED", 50, "reported version 2.0.0") + "]}")));
  EXPECT_TRUE(exact_payload(ask(*alice, "/living/ota/devices/list", R"({"id":"6","version":"1.0","params":{}})"),
                            ok("6", R"({"devices":[]})")));

  // She cancels a2.
  EXPECT_TRUE(exact_payload(ask(*alice, "/living/ota/cancel", device_params("7", "a2")),
                            ok("7", item("a2", "CANCELED", 0, "canceled by user alice"))));
  ASSERT_TRUE(api().wait_task_state(kPk, "a2", 1, "CANCELED"));
  EXPECT_TRUE(a2->no_upgrade(200ms)) << "a2 was notified: " << a2->last_raw();

  // Bob's device: refused, counted, nothing changes and nothing is sent.
  begin_rejections(kPk, "b1");
  bad(*alice, "confirm of bob's device", "/living/ota/confirm", device_params("8", "b1"), "");
  auto refused = alice->wait_message("/living/ota/confirm_reply");
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(exact_payload(refused->payload,
      R"({"id":"8","code":403,"data":{},"message":"device b1 of product pk1 is not bound to user alice"})"));
  bad(*alice, "cancel of bob's device", "/living/ota/cancel", device_params("9", "b1"), "");
  end_rejections();
  EXPECT_TRUE(api().wait_task_state(kPk, "b1", 1, "CONFIRM"));
  EXPECT_TRUE(b1->no_upgrade(200ms)) << "b1 was notified: " << b1->last_raw();
  EXPECT_TRUE(api().wait_task_state(kPk, "a3", 1, "CONFIRM"));

  // None of Alice's replies reached Bob, though he subscribes to the same
  // topics; his own confirm reaches him and not her.
  EXPECT_TRUE(bob->no_message("/living/ota/#", 100ms));
  alice->clear_messages();
  EXPECT_TRUE(exact_payload(ask(*bob, "/living/ota/confirm", device_params("10", "b1")),
                            ok("10", R"({"productKey":"pk1","deviceName":"b1","jobId":1,"module":"default",)"
                                     R"("targetVersion":"2.0.0","state":"QUEUED","step":0,"desc":"confirmed"})")));
  ASSERT_TRUE(b1->wait_upgrade()) << "b1 got no upgrade notification after Bob's confirm";
  EXPECT_TRUE(alice->no_message("/living/ota/#", 100ms));
}

// Apps may not forge replies, read others' requests, or use the app topics
// without a username; malformed requests get a 400 and change nothing.
TEST_F(LivingAppTest, AclAndMalformedRequests) {
  auto a1 = device(kPk, "a1");
  bind("alice", "a1");
  auto alice = app("alice");
  MqttClient snoop;
  ASSERT_TRUE(snoop.connect(broker().port(), "snoop", std::string("mallory")));
  EXPECT_FALSE(snoop.subscribe("/living/ota/confirm", 1)) << "a request topic is readable";
  EXPECT_FALSE(snoop.subscribe("/living/ota/#", 1)) << "a wildcard over requests is readable";
  EXPECT_TRUE(snoop.subscribe("/living/ota/confirm_reply", 1));
  // A forged reply is not delivered to Alice.
  EXPECT_TRUE(snoop.publish("/living/ota/confirm_reply",
                            R"({"id":"1","code":200,"data":{},"message":"success"})", 1));
  EXPECT_TRUE(alice->no_message("/living/ota/confirm_reply", 200ms));

  begin_rejections(kPk, "a1");
  bad(*alice, "not JSON", "/living/ota/confirm", "{", "");
  auto r = alice->wait_message("/living/ota/confirm_reply");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->payload.rfind(R"({"code":400,"data":{},"message":"payload is not a JSON object: )", 0), 0u)
      << r->payload;
  bad(*alice, "id not decimal", "/living/ota/confirm",
      R"({"id":"x1","params":{"productKey":"pk1","deviceName":"a1"}})", "");
  r = alice->wait_message("/living/ota/confirm_reply");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(exact_payload(r->payload,
      R"({"code":400,"data":{},"message":"field 'id' must be a decimal string from 0 to 4294967295"})"));
  bad(*alice, "params without device", "/living/ota/cancel", R"({"id":"3","params":{"productKey":"pk1"}})", "");
  r = alice->wait_message("/living/ota/cancel_reply");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(exact_payload(r->payload,
      R"({"id":"3","code":400,"data":{},"message":"params: field 'deviceName' is required"})"));
  MqttClient anonymous;
  ASSERT_TRUE(anonymous.connect(broker().port(), "anon-phone"));
  ASSERT_TRUE(anonymous.subscribe("/living/ota/confirm_reply", 1));
  bad(anonymous, "no username", "/living/ota/confirm", device_params("4", "a1"), "");
  r = anonymous.wait_message("/living/ota/confirm_reply");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(exact_payload(r->payload,
      R"js({"id":"4","code":401,"data":{},"message":"the connection has no app identity (plugin_opt_living_app_identity)"})js"));
  end_rejections();
}

// Beside an acl_file that grants nothing, the plugin defers other topics to
// it (plugin_opt_acl_default at its default, auto): mosquitto denies them,
// while the plugin itself lets apps use the Living topics and still refuses
// what no app may do.
class LivingAppDeferTest : public LivingAppTest {
 protected:
  BrokerOptions broker_options() override {
    BrokerOptions o = with_opts({});
    o.plugin_opts.erase("acl_default");
    o.extra_config.push_back("acl_file " + std::string(kDirPlaceholder) + "/acl");
    return o;
  }
  void before_start(BrokerProcess& broker) override {
    std::ofstream(broker.dir() + "/acl") << "# grants nothing\n";
  }
};

TEST_F(LivingAppDeferTest, AppsWorkWithoutOtherAcl) {
  bind("alice", "a1");
  auto alice = app("alice");
  EXPECT_TRUE(exact_payload(ask(*alice, "/living/ota/progress/list",
                                R"({"id":"1","params":{"devices":[{"productKey":"pk1","deviceName":"a1"}]}})"),
                            ok("1", R"({"devices":[{"productKey":"pk1","deviceName":"a1","jobId":null,)"
                                    R"("module":"","targetVersion":"","state":"NONE","step":0,"desc":""}]})")));
  MqttClient other;
  ASSERT_TRUE(other.connect(broker().port(), "other", std::string("mallory")));
  EXPECT_FALSE(other.subscribe("/living/ota/progress/list", 1));
  // Other topics are the acl_file's to decide: it grants nothing (mosquitto
  // grants the SUBSCRIBE itself and refuses every delivery).
  ASSERT_TRUE(other.subscribe("/other/topic", 1));
  ASSERT_TRUE(other.publish("/other/topic", "x"));
  EXPECT_TRUE(other.no_message("/other/topic", 300ms));
}

}  // namespace
}  // namespace ota::test::dialect_test
