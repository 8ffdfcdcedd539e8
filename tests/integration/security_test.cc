// Secure by default (docs/security.md): a broker with the plugin's default
// options and a password file (every client authenticated), tried as an
// attacker would, in every dialect. No client may act for another device,
// read another device's downstream messages, publish on downstream OTA
// topics, or make another device look online; a non-admin cannot become an
// admin by client id.
#include <gtest/gtest.h>

#include <thread>

#include "json.h"
#include "ota_api.h"
#include "security_support.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kQuiet = 700ms;  // how long an attacker listens after the device heard

// Every downstream OTA topic of every dialect: what no other client may read.
// (Upstream reports continue to subscribers, as documented.)
bool heard_no_downstream(MqttClient& c, std::chrono::milliseconds quiet) {
  bool silent = c.no_message("/ota/device/upgrade/#", quiet);
  for (const char* f : {"/sys/+/+/thing/ota/firmware/get_reply", "/sys/+/+/thing/file/download_reply",
                        "$ota/update/#", "/ota/upgrade"}) {
    silent = c.no_message(f, std::chrono::milliseconds(1)) && silent;
  }
  return silent;
}

std::string aliyun_inform(const std::string& version) {
  return R"({"id":"1","params":{"version":")" + version + R"("}})";
}
std::string aliyun_progress(const std::string& step) {
  return R"({"id":"2","params":{"step":")" + step + R"(","desc":"forged"}})";
}
const char* const kForgedAliyun =
    R"({"code":"200","data":{"size":1,"version":"6.6.6","url":"http://evil.example/fw.bin","sign":"00000000000000000000000000000000","signMethod":"MD5"},"id":1,"message":"success"})";

// Subscribes to each filter, ignoring whether the broker grants it: what
// counts is that nothing arrives.
void subscribe_all(MqttClient& c, const std::vector<std::string>& filters) {
  for (const std::string& f : filters) (void)c.subscribe(f, 1);
}

// The state of the device's task in job `job` ("" when there is none).
std::string task_state(OtaApi& api, const std::string& product, const std::string& device,
                       long long job) {
  JsonPtr dev = api.get_device(product, device);
  if (!dev) return "";
  JsonPtr task = find_task(dev.get(), job);
  if (!task) return "";
  return json_string_at(task.get(), "state").value_or("");
}

bool online(OtaApi& api, const std::string& product, const std::string& device) {
  JsonPtr dev = api.get_device(product, device);
  return dev && json_is_true(json_at(dev.get(), "online"));
}

// ---------------------------------------------------------------- aliyun

class SecurityAliyunTest : public SecureBrokerTest {
 protected:
  std::vector<std::string> users() const override {
    return {"A&pk", "B&pk", "A&otherpk", "mallory"};
  }
  // Alibaba iotkit-embedded 3.x: client id {pk}.{dn}|...|, username
  // {dn}&{pk}, clean session false, subscribed to its upgrade topic.
  std::unique_ptr<MqttClient> sdk3_device(const std::string& dn) {
    auto c = client("pk." + dn + "|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|",
                    dn + "&pk", /*clean_session=*/false);
    EXPECT_TRUE(c->subscribe("/ota/device/upgrade/pk/" + dn, 1));
    return c;
  }
  // LinkSDK 4.x: "_ss=1", no SUBSCRIBE at all.
  std::unique_ptr<MqttClient> linksdk_device(const std::string& dn) {
    return client("pk." + dn + "|timestamp=2524608000000,_ss=1,_v=sdk-c-4.2.0,securemode=2|",
                  dn + "&pk");
  }
};

TEST_F(SecurityAliyunTest, NoClientReportsOrFailsForAnotherDevice) {
  auto a = sdk3_device("A");
  ASSERT_TRUE(a->publish("/ota/device/inform/pk/A", aliyun_inform("1.0.0")));
  const long long job = job_for("pk", {"A"});
  ASSERT_GT(job, 0);
  ASSERT_TRUE(a->wait_message("/ota/device/upgrade/pk/A")) << "A was not notified";
  const long long rejected0 = sys_value("messages/rejected");

  // B, authenticated as itself, on A's topics; with A's client id pattern;
  // and A of another product.
  auto b = client("pk.B|securemode=3|", "B&pk");
  auto b_as_a = client("pk.A|timestamp=1,securemode=3|", "B&pk");
  auto other_a = client("otherpk.A|securemode=3|", "A&otherpk");
  auto mallory = client("mallory-1", "mallory");
  int attempts = 0;
  for (MqttClient* attacker : {b.get(), b_as_a.get(), other_a.get(), mallory.get()}) {
    EXPECT_TRUE(attacker->publish("/ota/device/progress/pk/A", aliyun_progress("-1")));
    EXPECT_TRUE(attacker->publish("/ota/device/inform/pk/A", aliyun_inform("2.0.0")));
    attempts += 2;
  }
  EXPECT_EQ(wait_sys_value("messages/rejected", rejected0 + attempts), rejected0 + attempts);
  EXPECT_EQ(task_state(api(), "pk", "A", job), "NOTIFIED");
  JsonPtr dev = api().get_device("pk", "A");
  ASSERT_TRUE(dev);
  EXPECT_EQ(json_string_at(dev.get(), "modules/default/version"), "1.0.0") << json_text(dev.get());
  // Nobody was registered as otherpk/A by A's messages either.
  EXPECT_TRUE(api().expect_error("getDevice", R"({"product":"otherpk","device":"A"})"));

  // A itself still can.
  ASSERT_TRUE(a->publish("/ota/device/inform/pk/A", aliyun_inform("2.0.0")));
  EXPECT_TRUE(api().wait_task_state("pk", "A", job, "SUCCEEDED"));
}

TEST_F(SecurityAliyunTest, OnlyTheDevicesOwnConnectionHearsItsMessages) {
  auto mallory = client("mallory-1", "mallory");
  // Exact foreign downstream topics are refused outright.
  for (const std::string& exact :
       {std::string("/ota/device/upgrade/pk/A"), std::string("/sys/pk/A/thing/ota/firmware/get_reply"),
        std::string("/sys/pk/A/thing/file/download_reply"),
        std::string("$share/g//ota/device/upgrade/pk/A")}) {
    EXPECT_FALSE(mallory->subscribe(exact, 1)) << exact << " was granted to another client";
  }
  subscribe_all(*mallory, {"#", "/ota/#", "/ota/device/upgrade/+/+", "/ota/device/upgrade/pk/+",
                           "/sys/#", "/sys/+/+/thing/ota/firmware/get_reply", "$share/g/#",
                           "$share/g//ota/device/upgrade/+/+"});
  // B listens as Alibaba's SDK 4.x does: its own name, wildcards.
  auto b = client("pk.B|securemode=3|", "B&pk");
  subscribe_all(*b, {"/ota/device/upgrade/+/+", "/sys/pk/+/thing/ota/firmware/get_reply"});

  // A never subscribes (LinkSDK 4.x): it hears its notification and its
  // get_reply on its own connection anyway.
  auto a = linksdk_device("A");
  ASSERT_TRUE(a->publish("/ota/device/inform/pk/A", aliyun_inform("1.0.0")));
  const long long job = job_for("pk", {"A"});
  ASSERT_GT(job, 0);
  auto note = a->wait_message("/ota/device/upgrade/pk/A");
  ASSERT_TRUE(note) << "a device that never subscribed was not notified";
  EXPECT_EQ(note->qos, 1);
  ASSERT_TRUE(a->publish("/sys/pk/A/thing/ota/firmware/get",
                         R"({"id":"7","version":"1.0","params":{"module":"default"}})"));
  EXPECT_TRUE(a->wait_message("/sys/pk/A/thing/ota/firmware/get_reply"));

  EXPECT_TRUE(heard_no_downstream(*mallory, kQuiet)) << "another client read A's messages";
  EXPECT_TRUE(heard_no_downstream(*b, 100ms)) << "B read A's messages";
}

TEST_F(SecurityAliyunTest, ForgedNotificationsAreRefusedLoggedAndCounted) {
  auto a = sdk3_device("A");
  ASSERT_TRUE(a->publish("/ota/device/inform/pk/A", aliyun_inform("1.0.0")));
  const long long refused0 = sys_value("access/refused");
  ASSERT_GE(refused0, 0) << "no $SYS/broker/ota/access/refused";
  auto mallory = client("mallory-1", "mallory");
  auto b = client("pk.B|securemode=3|", "B&pk");
  const std::vector<std::string> downstream = {"/ota/device/upgrade/pk/A",
                                               "/sys/pk/A/thing/ota/firmware/get_reply",
                                               "/sys/pk/A/thing/file/download_reply"};
  for (const std::string& topic : downstream) {
    EXPECT_TRUE(mallory->publish(topic, kForgedAliyun, 1, /*retain=*/true));
  }
  // A device may not publish on its own downstream topic either.
  EXPECT_TRUE(b->publish("/ota/device/upgrade/pk/B", kForgedAliyun));
  EXPECT_TRUE(a->no_message("#", kQuiet)) << "A received a forged message";
  EXPECT_EQ(wait_sys_value("access/refused", refused0 + 4), refused0 + 4);
  EXPECT_EQ(log_lines_with("mosquitto-ota: rejected access on '/ota/device/upgrade/pk/A'"), 1u)
      << "one log line per refused publish\n" << log_tail(broker());
  // Nothing was retained for A's next subscription.
  auto a_again = client("pk.A|second|", "A&pk");
  ASSERT_TRUE(a_again->subscribe("/ota/device/upgrade/pk/A", 1));
  EXPECT_TRUE(a_again->no_message("#", 300ms));
}

TEST_F(SecurityAliyunTest, SubscribingDoesNotMakeAnotherDeviceLookOnline) {
  {
    auto a = sdk3_device("A");
    ASSERT_TRUE(a->publish("/ota/device/inform/pk/A", aliyun_inform("1.0.0")));
    a->disconnect();
  }
  ASSERT_TRUE([&] {
    for (int i = 0; i < 40; ++i) {
      if (!online(api(), "pk", "A")) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }()) << "A stayed online after disconnecting";
  auto mallory = client("pk.A|timestamp=1|", "mallory");
  EXPECT_FALSE(mallory->subscribe("/ota/device/upgrade/pk/A", 1));
  subscribe_all(*mallory, {"/ota/device/upgrade/+/+", "/ota/device/upgrade/pk/+"});
  auto b = client("pk.B|securemode=3|", "B&pk");
  subscribe_all(*b, {"/ota/device/upgrade/+/+", "/ota/device/upgrade/pk/+"});
  EXPECT_FALSE(online(api(), "pk", "A"));

  const long long job = job_for("pk", {"A"}, R"(,"offlinePolicy":"fail")");
  ASSERT_GT(job, 0);
  JsonPtr task = api().wait_task_state("pk", "A", job, "FAILED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "reason"), "offline") << json_text(task.get());
  EXPECT_TRUE(heard_no_downstream(*mallory, kQuiet));
  EXPECT_TRUE(heard_no_downstream(*b, 100ms));
}

// ---------------------------------------------------------------- tencent

constexpr const char* kPid = "TPID000001";

std::string tencent_report(const std::string& version) {
  return R"({"type":"report_version","report":{"version":")" + version + R"("}})";
}
const char* const kTencentFail =
    R"({"type":"report_progress","report":{"progress":{"state":"fail","result_code":"-1","result_msg":"forged"},"version":"1.0.0"}})";
const char* const kForgedTencent =
    R"({"file_size":1,"md5sum":"00000000000000000000000000000000","type":"update_firmware","url":"http://evil.example/fw.bin","version":"6.6.6"})";

class SecurityTencentTest : public SecureBrokerTest {
 protected:
  std::vector<std::string> users() const override {
    return {std::string(kPid) + "devA", std::string(kPid) + "devB", "mallory"};
  }
  std::map<std::string, std::string> extra_plugin_opts() const override {
    return {{"dialects", "tencent"}};
  }
  void SetUp() override {
    SecureBrokerTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(api().run("setProductConfig",
                          std::string(R"({"product":")") + kPid + R"(","dialect":"tencent"})",
                          "product"));
  }
  static std::string report_topic(const std::string& dn) {
    return std::string("$ota/report/") + kPid + "/" + dn;
  }
  static std::string update_topic(const std::string& dn) {
    return std::string("$ota/update/") + kPid + "/" + dn;
  }
  // The Tencent SDK's client id; the username a certificate's CN gives
  // (a password file cannot hold the SDK's per-connection username).
  std::unique_ptr<MqttClient> device(const std::string& dn) {
    return client(std::string(kPid) + dn, std::string(kPid) + dn);
  }
};

TEST_F(SecurityTencentTest, NoClientReportsOrFailsForAnotherDevice) {
  auto a = device("devA");  // never subscribes
  ASSERT_TRUE(a->publish(report_topic("devA"), tencent_report("1.0.0")));
  ASSERT_TRUE(a->wait_message(update_topic("devA"))) << "no report_version_rsp without SUBSCRIBE";
  const long long job = job_for(kPid, {"devA"});
  ASSERT_GT(job, 0);
  ASSERT_TRUE(a->wait_message(update_topic("devA"))) << "no update_firmware without SUBSCRIBE";
  const long long rejected0 = sys_value("messages/rejected");
  auto b = device("devB");
  auto b_as_a = client(std::string(kPid) + "devA-2", std::string(kPid) + "devB");
  auto mallory = client("mallory-1", "mallory");
  for (MqttClient* attacker : {b.get(), b_as_a.get(), mallory.get()}) {
    EXPECT_TRUE(attacker->publish(report_topic("devA"), kTencentFail));
    EXPECT_TRUE(attacker->publish(report_topic("devA"), tencent_report("2.0.0")));
  }
  EXPECT_EQ(wait_sys_value("messages/rejected", rejected0 + 6), rejected0 + 6);
  EXPECT_EQ(task_state(api(), kPid, "devA", job), "NOTIFIED");
  EXPECT_TRUE(a->no_message("#", 200ms)) << "an attacker's report caused a message to A";
  EXPECT_TRUE(b->no_message("#", 100ms)) << "B got a reply for A's topic";
}

TEST_F(SecurityTencentTest, ForeignSubscriptionsAndForgedUpdatesGetNothing) {
  auto mallory = client("mallory-1", "mallory");
  EXPECT_FALSE(mallory->subscribe(update_topic("devA"), 1));
  EXPECT_FALSE(mallory->subscribe("$share/g/" + update_topic("devA"), 1));
  subscribe_all(*mallory, {"$ota/update/+/+", "$ota/#", "$ota/update/" + std::string(kPid) + "/+",
                           "$share/g/$ota/#", "#"});
  auto a = device("devA");
  ASSERT_TRUE(a->subscribe(update_topic("devA"), 1));
  ASSERT_TRUE(a->publish(report_topic("devA"), tencent_report("1.0.0")));
  ASSERT_TRUE(a->wait_message(update_topic("devA")));
  const long long refused0 = sys_value("access/refused");
  EXPECT_TRUE(mallory->publish(update_topic("devA"), kForgedTencent));
  EXPECT_TRUE(a->no_message("#", kQuiet)) << "A received a forged update_firmware";
  EXPECT_EQ(wait_sys_value("access/refused", refused0 + 1), refused0 + 1);
  const long long job = job_for(kPid, {"devA"});
  ASSERT_GT(job, 0);
  ASSERT_TRUE(a->wait_message(update_topic("devA")));
  EXPECT_TRUE(heard_no_downstream(*mallory, kQuiet)) << "another client read A's update";
}

TEST_F(SecurityTencentTest, SubscribingDoesNotMakeAnotherDeviceLookOnline) {
  {
    auto a = device("devA");
    ASSERT_TRUE(a->publish(report_topic("devA"), tencent_report("1.0.0")));
    ASSERT_TRUE(a->wait_message(update_topic("devA")));
  }
  std::this_thread::sleep_for(300ms);
  auto mallory = client(std::string(kPid) + "devA-x", "mallory");
  EXPECT_FALSE(mallory->subscribe(update_topic("devA"), 1));
  EXPECT_FALSE(online(api(), kPid, "devA"));
  const long long job = job_for(kPid, {"devA"}, R"(,"offlinePolicy":"fail")");
  ASSERT_GT(job, 0);
  JsonPtr task = api().wait_task_state(kPid, "devA", job, "FAILED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "reason"), "offline");
  EXPECT_TRUE(mallory->no_message("#", kQuiet));
}

// ------------------------------------------------------------ thingspanel

const char* const kForgedThingsPanel =
    R"({"id":"1","code":200,"params":{"size":1,"version":"6.6.6","url":"http://evil.example/fw.bin","sign":"00000000000000000000000000000000","signMethod":"MD5"}})";

class SecurityThingsPanelTest : public SecureBrokerTest {
 protected:
  std::vector<std::string> users() const override { return {"tokA", "tokB", "mallory"}; }
  std::map<std::string, std::string> extra_plugin_opts() const override {
    return {{"dialects", "thingspanel"}};
  }
};

TEST_F(SecurityThingsPanelTest, TheAccessTokenIsTheIdentity) {
  auto a = client("tp-random-1", "tokA");  // the token as its username
  ASSERT_TRUE(a->publish("/ota/device/inform/tokA", aliyun_inform("1.0.0")));
  const long long job = job_for("thingspanel", {"tokA"});
  ASSERT_GT(job, 0);
  ASSERT_TRUE(a->wait_message("/ota/device/upgrade/tokA")) << "no notification without SUBSCRIBE";

  auto b = client("tp-random-2", "tokB");
  auto mallory = client("tokA", "mallory");  // the token as its client id
  subscribe_all(*mallory, {"#", "/ota/#", "/ota/device/upgrade/+", "$share/g//ota/device/upgrade/+"});
  EXPECT_FALSE(b->subscribe("/ota/device/upgrade/tokA", 1));
  const long long rejected0 = sys_value("messages/rejected");
  const long long refused0 = sys_value("access/refused");
  for (MqttClient* attacker : {b.get(), mallory.get()}) {
    // Progress 100 is success in ThingsPanel: the worst spoof there is.
    EXPECT_TRUE(attacker->publish("/ota/device/progress/tokA", R"({"step":"100","desc":"forged"})"));
    EXPECT_TRUE(attacker->publish("/ota/device/upgrade/tokA", kForgedThingsPanel));
  }
  EXPECT_EQ(wait_sys_value("messages/rejected", rejected0 + 2), rejected0 + 2);
  EXPECT_EQ(wait_sys_value("access/refused", refused0 + 2), refused0 + 2);
  EXPECT_EQ(task_state(api(), "thingspanel", "tokA", job), "NOTIFIED");
  EXPECT_TRUE(a->no_message("#", kQuiet)) << "A received a forged notification";
  EXPECT_TRUE(heard_no_downstream(*mallory, 100ms));
}

TEST_F(SecurityThingsPanelTest, SubscribingDoesNotMakeAnotherDeviceLookOnline) {
  {
    auto a = client("tp-random-1", "tokA");
    ASSERT_TRUE(a->publish("/ota/device/inform/tokA", aliyun_inform("1.0.0")));
  }
  std::this_thread::sleep_for(300ms);
  auto b = client("tp-random-2", "tokB");
  EXPECT_FALSE(b->subscribe("/ota/device/upgrade/tokA", 1));
  EXPECT_FALSE(online(api(), "thingspanel", "tokA"));
  // ThingsPanel fails devices offline at push time (seed 004).
  const long long job = job_for("thingspanel", {"tokA"});
  ASSERT_GT(job, 0);
  JsonPtr task = api().wait_task_state("thingspanel", "tokA", job, "FAILED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "reason"), "offline");
  EXPECT_TRUE(b->no_message("#", kQuiet));
}

// ----------------------------------------------------------------- ctwing

const char* const kCtwingInform = R"({"taskId":-1,"params":{"version":"1.0.0","module":"default"}})";
const char* const kForgedCtwing =
    R"({"taskId":1,"payload":{"size":1,"version":"6.6.6","url":"http://evil.example/fw.bin","md5":"00000000000000000000000000000000","token":"","module":"default"}})";

class SecurityCtwingTest : public SecureBrokerTest {
 protected:
  std::vector<std::string> users() const override { return {"ctA", "ctB", "mallory"}; }
  std::map<std::string, std::string> extra_plugin_opts() const override {
    return {{"dialects", "ctwing"}};
  }
  void SetUp() override {
    SecureBrokerTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(api().run("setProductConfig", R"({"product":"ctwing","dialect":"ctwing"})",
                          "product"));
  }
};

TEST_F(SecurityCtwingTest, OnlyTheAddressedDeviceHearsTheSharedTopic) {
  auto a = client("ctA", "ctA");
  auto b = client("ctB", "ctB");
  ASSERT_TRUE(b->subscribe("/ota/upgrade", 1));  // the shared topic is every device's
  auto mallory = client("mallory-1", "mallory");
  subscribe_all(*mallory, {"/ota/upgrade", "/ota/#", "#", "$share/g//ota/upgrade"});
  ASSERT_TRUE(a->publish("/ota/inform", kCtwingInform));
  const long long job = job_for("ctwing", {"ctA"});
  ASSERT_GT(job, 0);
  ASSERT_TRUE(a->wait_message("/ota/upgrade")) << "no notification without SUBSCRIBE";
  EXPECT_TRUE(heard_no_downstream(*b, kQuiet)) << "another device heard A's notification";
  EXPECT_TRUE(heard_no_downstream(*mallory, 100ms)) << "another client heard A's notification";

  const long long refused0 = sys_value("access/refused");
  EXPECT_TRUE(mallory->publish("/ota/upgrade", kForgedCtwing));
  EXPECT_TRUE(b->publish("/ota/upgrade", kForgedCtwing));
  EXPECT_EQ(wait_sys_value("access/refused", refused0 + 2), refused0 + 2);
  EXPECT_TRUE(a->no_message("#", kQuiet)) << "a forged notification reached A";
  EXPECT_TRUE(heard_no_downstream(*b, 100ms));
}

TEST_F(SecurityCtwingTest, AClientIdIsNotEnoughToSpeakForADevice) {
  {
    auto a = client("ctA", "ctA");
    ASSERT_TRUE(a->publish("/ota/inform", kCtwingInform));
  }
  std::this_thread::sleep_for(300ms);
  const long long rejected0 = sys_value("messages/rejected");
  // mallory takes A's client id: named ctA by it, authenticated as mallory.
  auto mallory = client("ctA", "mallory");
  EXPECT_TRUE(mallory->subscribe("/ota/upgrade", 1));
  EXPECT_TRUE(mallory->publish("/ota/inform",
                               R"({"taskId":-1,"params":{"version":"9.9.9","module":"default"}})"));
  EXPECT_EQ(wait_sys_value("messages/rejected", rejected0 + 1), rejected0 + 1);
  JsonPtr dev = api().get_device("ctwing", "ctA");
  ASSERT_TRUE(dev);
  EXPECT_EQ(json_string_at(dev.get(), "modules/default/version"), "1.0.0");
  EXPECT_FALSE(json_is_true(json_at(dev.get(), "online"))) << "mallory made ctA look online";
  const long long job = job_for("ctwing", {"ctA"}, R"(,"offlinePolicy":"fail")");
  ASSERT_GT(job, 0);
  JsonPtr task = api().wait_task_state("ctwing", "ctA", job, "FAILED");
  ASSERT_TRUE(task);
  EXPECT_EQ(json_string_at(task.get(), "reason"), "offline");
  EXPECT_TRUE(mallory->no_message("#", kQuiet)) << "the holder of ctA's client id was notified";
}

// ----------------------------------------------------------------- admins

class SecurityAdminTest : public SecureBrokerTest {
 protected:
  std::vector<std::string> users() const override { return {"mallory"}; }
};

TEST_F(SecurityAdminTest, AnAdminsClientIdDoesNotMakeAnAdmin) {
  const long long refused0 = sys_value("control/refused");
  // The admin's own client id, taken by an authenticated non-admin: it may
  // neither read the replies nor command.
  MqttClient fake;
  ASSERT_TRUE(fake.connect(broker().port(), admin().mqtt().client_id(), as_user("mallory")));
  EXPECT_FALSE(fake.subscribe("$CONTROL/ota/v1/response", 1));
  ASSERT_TRUE(fake.publish("$CONTROL/ota/v1", R"({"commands":[{"command":"createPackage",)" +
                                                  package_fields(PackageSpec{}).substr(1) + "]}"));
  EXPECT_GE(wait_sys_value("control/refused", refused0 + 2), refused0 + 2);
  ASSERT_TRUE(connect_admin());
  JsonPtr reply = admin().send("listPackages");
  ASSERT_TRUE(reply);
  json_t* packages = json_at(response_data(reply.get()), "packages");
  ASSERT_TRUE(json_is_array(packages)) << json_text(reply.get());
  EXPECT_EQ(json_array_size(packages), 0u) << json_text(reply.get());
}

TEST(SecurityOptions, ClientIdAdminsAreRefusedAtStart) {
  BrokerOptions o;
  o.plugin_opts["admin_client_ids"] = "ota-console";
  BrokerProcess broker(o);
  BrokerExit exit = broker.start_expect_failure();
  ASSERT_TRUE(exit.exited) << "the broker started with client-id admins";
  EXPECT_NE(exit.output.find("plugin_opt_admin_client_ids"), std::string::npos) << exit.output;
  EXPECT_NE(exit.output.find("not authenticate"), std::string::npos) << exit.output;
}

}  // namespace
}  // namespace ota::test
