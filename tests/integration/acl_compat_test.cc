// Loading the plugin changes nothing for non-OTA traffic (docs/security.md
// "Beside other ACLs"). The same set of MQTT 3.1.1 and 5 checks, in the
// spirit of Eclipse Paho's interoperability suite (which needs a network we
// do not have), runs against a plain mosquitto and against the same broker
// with the plugin at its default options, in three set-ups: no other ACL,
// an acl_file, and mosquitto's dynamic-security plugin. Every outcome must
// be the same: the plugin never widens what the set-up allows, and never
// narrows it outside the OTA topics.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <functional>
#include <map>
#include <thread>

#include "broker_process.h"
#include "mqtt_client.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 1500ms;   // for a retained or queued message

enum class Setup { kAlone, kAclFile, kDynamicSecurity };

const char* const kDynsecPlugin = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so";

// Anonymous clients may: read and write open/#, read ro/#, write wo/#,
// use users/<their client id>/#. Nothing else (OTA topics included).
const char* const kAclFile =
    "topic readwrite open/#\n"
    "topic read ro/#\n"
    "topic write wo/#\n"
    "pattern readwrite users/%c/#\n";

const char* const kDynsecConfig = R"({
  "defaultACLAccess": {"publishClientSend": false, "publishClientReceive": true,
                       "subscribe": false, "unsubscribe": true},
  "clients": [],
  "groups": [{"groupname": "anonymous", "roles": [{"rolename": "open"}]}],
  "anonymousGroup": "anonymous",
  "roles": [{"rolename": "open", "acls": [
    {"acltype": "publishClientSend", "topic": "open/#", "allow": true},
    {"acltype": "subscribePattern", "topic": "open/#", "allow": true},
    {"acltype": "subscribePattern", "topic": "ro/#", "allow": true},
    {"acltype": "publishClientSend", "topic": "wo/#", "allow": true},
    {"acltype": "publishClientSend", "topic": "users/%c/#", "allow": true},
    {"acltype": "subscribePattern", "topic": "users/%c/#", "allow": true}
  ]}]
})";

BrokerOptions options_for(Setup setup, bool with_plugin) {
  BrokerOptions o;
  o.with_plugin = with_plugin;
  // The plugin's defaults: no acl_default.
  o.plugin_opts = {{"db_path", std::string(kDirPlaceholder) + "/db"}, {"admins", "admin"}};
  if (setup == Setup::kAclFile) {
    o.extra_config.push_back("acl_file " + std::string(kDirPlaceholder) + "/acl");
  } else if (setup == Setup::kDynamicSecurity) {
    o.extra_config.push_back(std::string("plugin ") + kDynsecPlugin);
    o.extra_config.push_back("plugin_opt_config_file " + std::string(kDirPlaceholder) +
                             "/dynsec.json");
  }
  return o;
}

// One broker and the probes run against it; each probe's outcome is a
// short text ("got qos 1", "none", "refused", ...).
class Prober {
 public:
  Prober(Setup setup, bool with_plugin) : broker_(options_for(setup, with_plugin)) {
    std::ofstream(broker_.dir() + "/acl") << kAclFile;
    std::ofstream(broker_.dir() + "/dynsec.json") << kDynsecConfig;
    start_error_ = broker_.start();
  }
  const std::string& start_error() const { return start_error_; }
  BrokerProcess& broker() { return broker_; }

  std::map<std::string, std::string> run_all() {
    std::map<std::string, std::string> out;
    for (int version : {MQTT_PROTOCOL_V311, MQTT_PROTOCOL_V5}) {
      const std::string v = version == MQTT_PROTOCOL_V5 ? "v5 " : "v3 ";
      for (const std::string root : {"open", "ro", "wo", "denied", "users/probe-sub", "sensors"}) {
        for (int qos : {0, 1, 2}) {
          out[v + "pubsub " + root + " qos" + std::to_string(qos)] =
              pubsub(version, root + "/t" + std::to_string(qos), qos);
        }
      }
      out[v + "wildcard +"] = wildcard(version, "open/+/leaf", "open/x/leaf");
      out[v + "wildcard #"] = wildcard(version, "open/#", "open/a/b/c");
      out[v + "overlapping"] = overlapping(version);
      out[v + "retained"] = retained(version, "open/retained");
      out[v + "retained denied"] = retained(version, "denied/retained");
      out[v + "unsubscribe"] = unsubscribe(version);
      out[v + "offline queue"] = offline_queue(version);
      out[v + "dollar topics"] = dollar_topics(version);
      out[v + "subscribe denied"] = subscribe_only(version, "denied/#");
      out[v + "subscribe ota"] = subscribe_only(version, "/ota/#");
      if (version == MQTT_PROTOCOL_V5) out[v + "shared"] = shared(version);
    }
    return out;
  }

 private:
  std::unique_ptr<MqttClient> connect(int version, const std::string& id, bool clean = true) {
    ConnectOptions o;
    o.protocol_version = version;
    o.clean_session = clean;
    auto c = std::make_unique<MqttClient>();
    if (!c->connect(broker_.port(), id, o)) return nullptr;
    return c;
  }
  static std::string heard(MqttClient& c, const std::string& filter, std::chrono::milliseconds w) {
    auto m = c.wait_message(filter, w);
    if (!m) return "none";
    return "got " + m->topic + " qos " + std::to_string(m->qos) + (m->retain ? " retained" : "");
  }
  // What `sub` heard on `filter` from `pub`, without waiting for silence:
  // `pub` then sends a marker on open/marker (allowed in every set-up),
  // which reaches `sub` after anything `pub` sent before it. At QoS 2 the
  // marker goes at QoS 2 too: the client hands a QoS 2 message over only
  // at its PUBREL, after a QoS 1 marker sent later might already be there.
  std::string heard_before_marker(MqttClient& sub, MqttClient& pub, const std::string& filter,
                                  int qos = 1) {
    const std::string marker = "open/marker/" + std::to_string(++markers_);
    if (!pub.publish(marker, "m", qos == 2 ? 2 : 1)) return "marker not sent";
    if (!sub.wait_message(marker, std::chrono::seconds(5))) return "marker lost";
    return heard(sub, filter, std::chrono::milliseconds(1));
  }
  int markers_ = 0;

  std::string pubsub(int version, const std::string& topic, int qos) {
    auto sub = connect(version, "probe-sub");
    auto pub = connect(version, "probe-pub");
    if (!sub || !pub) return "connect failed";
    if (!sub->subscribe("open/marker/#", 2)) return "marker subscribe refused";
    if (!sub->subscribe(topic, 2)) return "subscribe refused";
    // A refused QoS 2 publish of MQTT 5 is never completed: bounded wait.
    if (!pub->publish(topic, "x", qos, false, kWait)) return "publish failed";
    return heard_before_marker(*sub, *pub, topic, qos);
  }
  std::string wildcard(int version, const std::string& filter, const std::string& topic) {
    auto sub = connect(version, "probe-sub");
    auto pub = connect(version, "probe-pub");
    if (!sub || !pub) return "connect failed";
    if (!sub->subscribe("open/marker/#", 1)) return "marker subscribe refused";
    if (!sub->subscribe(filter, 1)) return "subscribe refused";
    if (!pub->publish(topic, "x", 1)) return "publish failed";
    return heard_before_marker(*sub, *pub, topic);
  }
  std::string overlapping(int version) {
    auto sub = connect(version, "probe-sub");
    auto pub = connect(version, "probe-pub");
    if (!sub || !pub) return "connect failed";
    if (!sub->subscribe("open/marker/#", 1)) return "marker subscribe refused";
    if (!sub->subscribe("open/ov/#", 2) || !sub->subscribe("open/ov/+", 1)) return "subscribe refused";
    if (!pub->publish("open/ov/a", "x", 2)) return "publish failed";
    // MQTT 3.1.1 allows one or two copies; mosquitto's choice must not change.
    std::string r = heard_before_marker(*sub, *pub, "open/ov/a");
    r += "; then " + heard(*sub, "open/ov/a", std::chrono::milliseconds(1));
    return r;
  }
  std::string retained(int version, const std::string& topic) {
    {
      auto pub = connect(version, "probe-pub");
      if (!pub || !pub->publish(topic, "kept", 1, /*retain=*/true)) return "publish failed";
    }
    auto sub = connect(version, "probe-sub");
    if (!sub) return "connect failed";
    if (!sub->subscribe(topic, 1)) return "subscribe refused";
    std::string r = heard(*sub, topic, kWait);
    auto clear = connect(version, "probe-pub");
    if (clear) (void)clear->publish(topic, "", 1, true);
    return r;
  }
  std::string unsubscribe(int version) {
    auto sub = connect(version, "probe-sub");
    auto pub = connect(version, "probe-pub");
    if (!sub || !pub) return "connect failed";
    if (!sub->subscribe("open/unsub", 1)) return "subscribe refused";
    if (mosquitto_unsubscribe(sub->handle(), nullptr, "open/unsub") != MOSQ_ERR_SUCCESS) {
      return "unsubscribe failed";
    }
    if (!sub->subscribe("open/marker/#", 1)) return "marker subscribe refused";  // after the UNSUBSCRIBE
    if (!pub->publish("open/unsub", "x", 1)) return "publish failed";
    return heard_before_marker(*sub, *pub, "open/unsub");
  }
  std::string offline_queue(int version) {
    {
      auto sub = connect(version, "probe-durable", /*clean=*/false);
      if (!sub) return "connect failed";
      if (!sub->subscribe("open/queued", 1)) return "subscribe refused";
      sub->disconnect();
    }
    {
      auto pub = connect(version, "probe-pub");
      if (!pub || !pub->publish("open/queued", "while away", 1)) return "publish failed";
    }
    auto back = connect(version, "probe-durable", /*clean=*/false);
    if (!back) return "reconnect failed";
    std::string r = heard(*back, "open/queued", kWait);
    back->disconnect();
    // Leave no session behind for the next protocol version's run.
    auto clean = connect(version, "probe-durable", true);
    return r;
  }
  std::string dollar_topics(int version) {
    auto sub = connect(version, "probe-sub");
    if (!sub) return "connect failed";
    if (!sub->subscribe("#", 0)) return "subscribe refused";
    auto pub = connect(version, "probe-pub");
    if (!pub || !pub->publish("open/dollar", "x", 1)) return "publish failed";
    std::string r = heard_before_marker(*sub, *pub, "open/dollar");
    // '#' never matches $SYS (the plugin's own $SYS/broker/ota included).
    r += "; $: " + heard(*sub, "$SYS/#", std::chrono::milliseconds(1));
    return r;
  }
  std::string subscribe_only(int version, const std::string& filter) {
    auto sub = connect(version, "probe-sub");
    if (!sub) return "connect failed";
    return sub->subscribe(filter, 1) ? "granted" : "refused";
  }
  std::string shared(int version) {
    auto s1 = connect(version, "probe-s1");
    auto s2 = connect(version, "probe-s2");
    auto pub = connect(version, "probe-pub");
    if (!s1 || !s2 || !pub) return "connect failed";
    if (!s1->subscribe("$share/g/open/shared", 1) || !s2->subscribe("$share/g/open/shared", 1)) {
      return "subscribe refused";
    }
    if (!s1->subscribe("open/marker/#", 1) || !s2->subscribe("open/marker/#", 1)) {
      return "marker subscribe refused";
    }
    int heard_count = 0;
    for (int i = 0; i < 4; ++i) {
      if (!pub->publish("open/shared", "x", 1)) return "publish failed";
    }
    const std::string marker = "open/marker/shared";
    if (!pub->publish(marker, "m", 1)) return "marker not sent";
    if (!s1->wait_message(marker, std::chrono::seconds(5)) ||
        !s2->wait_message(marker, std::chrono::seconds(5))) {
      return "marker lost";
    }
    while (s1->wait_message("open/shared", std::chrono::milliseconds(1))) ++heard_count;
    while (s2->wait_message("open/shared", std::chrono::milliseconds(1))) ++heard_count;
    return "heard " + std::to_string(heard_count) + " of 4";
  }

  BrokerProcess broker_;
  std::string start_error_;
};

class AclCompatTest : public ::testing::TestWithParam<Setup> {};

TEST_P(AclCompatTest, TheSameOutcomesWithAndWithoutThePlugin) {
  std::map<std::string, std::string> without, with;
  {
    Prober plain(GetParam(), /*with_plugin=*/false);
    ASSERT_EQ(plain.start_error(), "");
    without = plain.run_all();
  }
  {
    Prober plugged(GetParam(), /*with_plugin=*/true);
    ASSERT_EQ(plugged.start_error(), "") << "the broker with the plugin did not start at its "
                                            "default options";
    with = plugged.run_all();
    EXPECT_TRUE(plugged.broker().running());
  }
  // The checks mean something: in every set-up some traffic passes, and
  // with an ACL some is refused.
  EXPECT_EQ(without["v3 pubsub open qos1"], "got open/t1 qos 1");
  EXPECT_EQ(without["v5 retained"], "got open/retained qos 1 retained");
  if (GetParam() != Setup::kAlone) {
    EXPECT_EQ(without["v3 pubsub denied qos1"].rfind("got", 0), std::string::npos);
    EXPECT_EQ(without["v3 pubsub wo qos1"].rfind("got", 0), std::string::npos);
    EXPECT_EQ(without["v3 pubsub ro qos1"].rfind("got", 0), std::string::npos);
  }
  for (const auto& [check, outcome] : without) {
    std::cout << "[acl compat] " << check << ": " << outcome << "\n";
    EXPECT_EQ(with[check], outcome) << check << ": the plugin changed the outcome";
  }
  EXPECT_EQ(with.size(), without.size());
}

INSTANTIATE_TEST_SUITE_P(Setups, AclCompatTest,
                         ::testing::Values(Setup::kAlone, Setup::kAclFile,
                                           Setup::kDynamicSecurity),
                         [](const ::testing::TestParamInfo<Setup>& info) {
                           switch (info.param) {
                             case Setup::kAlone: return std::string("Alone");
                             case Setup::kAclFile: return std::string("AclFile");
                             case Setup::kDynamicSecurity: return std::string("DynamicSecurity");
                           }
                           return std::string("Unknown");
                         });

// A stated acl_default that contradicts the broker's configuration stops
// the broker with a message saying what to change.
TEST(AclDefaultAtStart, AllowBesideAnAclFileIsRefused) {
  BrokerOptions o = options_for(Setup::kAclFile, true);
  o.plugin_opts["acl_default"] = "allow";
  BrokerProcess broker(o);
  std::ofstream(broker.dir() + "/acl") << kAclFile;
  BrokerExit exit = broker.start_expect_failure();
  ASSERT_TRUE(exit.exited) << "started although acl_default allow would bypass the acl_file";
  EXPECT_NE(exit.output.find("bypass acl_file"), std::string::npos) << exit.output;
}

TEST(AclDefaultAtStart, DeferWithoutAnyOtherAclIsRefused) {
  BrokerOptions o = options_for(Setup::kAlone, true);
  o.plugin_opts["acl_default"] = "defer";
  BrokerProcess broker(o);
  BrokerExit exit = broker.start_expect_failure();
  ASSERT_TRUE(exit.exited) << "started although mosquitto would deny every topic";
  EXPECT_NE(exit.output.find("deny every topic"), std::string::npos) << exit.output;
}

TEST(AclDefaultAtStart, LoadedAfterDynamicSecurityIsRefused) {
  BrokerOptions o;
  o.with_plugin = false;
  o.extra_config = {std::string("plugin ") + kDynsecPlugin,
                    "plugin_opt_config_file " + std::string(kDirPlaceholder) + "/dynsec.json",
                    std::string("plugin ") + OTA_PLUGIN_PATH,
                    "plugin_opt_db_path " + std::string(kDirPlaceholder) + "/db"};
  BrokerProcess broker(o);
  std::ofstream(broker.dir() + "/dynsec.json") << kDynsecConfig;
  BrokerExit exit = broker.start_expect_failure();
  ASSERT_TRUE(exit.exited) << "started after dynamic security, whose answers come first";
  EXPECT_NE(exit.output.find("before"), std::string::npos) << exit.output;
}

}  // namespace
}  // namespace ota::test
