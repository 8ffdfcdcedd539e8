// Access to device OTA topics across dialects (dialects/device_topic_policy.h).
#include "dialects/device_topic_policy.h"

#include <gtest/gtest.h>

#include <memory>

#include "dialects/registry.h"

namespace ota {
namespace {

class DeviceTopicPolicyTest : public ::testing::Test {
 protected:
  DeviceTopicPolicyTest() {
    for (const char* name : {"aliyun", "tencent", "thingspanel", "ctwing"}) {
      owned_.push_back(make_dialect(name, DialectOptions{}));
      dialects_.push_back(owned_.back().get());
    }
  }
  DeviceTopicPolicy policy(const std::string& choice = "sdk") {
    return DeviceTopicPolicy(dialects_, IdentityChoice::parse(choice).value());
  }
  const Dialect& aliyun() const { return *dialects_[0]; }

  std::vector<std::unique_ptr<Dialect>> owned_;
  std::vector<const Dialect*> dialects_;
};

const DeviceConnection kA{"pk.A|securemode=3|", "A&pk"};
const DeviceConnection kB{"pk.B|securemode=3|", "B&pk"};
const DeviceConnection kMallory{"pk.A|securemode=3|", "mallory"};

TEST_F(DeviceTopicPolicyTest, SpeaksForWithTheProductPart) {
  DeviceTopicPolicy p = policy();
  EXPECT_TRUE(p.speaks_for(aliyun(), kA, {"pk", "A"}));
  EXPECT_FALSE(p.speaks_for(aliyun(), kB, {"pk", "A"}));
  EXPECT_FALSE(p.speaks_for(aliyun(), kMallory, {"pk", "A"}));
  EXPECT_FALSE(p.speaks_for(aliyun(), kA, {"otherpk", "A"}));
  const std::string why = p.not_the_device(aliyun(), kMallory, {"pk", "A"});
  EXPECT_NE(why.find("'mallory'"), std::string::npos) << why;
  EXPECT_NE(why.find("username:{dn}&{pk}"), std::string::npos) << why;
}

TEST_F(DeviceTopicPolicyTest, NobodyPublishesOnDownstreamTopics) {
  DeviceTopicPolicy p = policy();
  for (const char* topic : {"/ota/device/upgrade/pk/A", "/sys/pk/A/thing/ota/firmware/get_reply",
                            "/sys/pk/A/thing/file/download_reply", "$ota/update/PID/dev",
                            "/ota/device/upgrade/tok", "/ota/upgrade"}) {
    TopicVerdict own = p.check(topic, TopicAccess::kWrite, kA);
    EXPECT_TRUE(own.refused()) << topic;
    EXPECT_NE(own.reason.find(topic), std::string::npos) << own.reason;
  }
  // Even with identity binding off.
  EXPECT_TRUE(policy("none").check("/ota/device/upgrade/pk/A", TopicAccess::kWrite, kA).refused());
  // Upstream topics are for the message path to judge.
  EXPECT_EQ(p.check("/ota/device/inform/pk/A", TopicAccess::kWrite, kB).kind,
            TopicVerdict::Kind::kNotOta);
  EXPECT_EQ(p.check("sensors/1", TopicAccess::kWrite, kB).kind, TopicVerdict::Kind::kNotOta);
}

TEST_F(DeviceTopicPolicyTest, ExactDownstreamTopicsOnlyForTheDevice) {
  DeviceTopicPolicy p = policy();
  TopicVerdict own = p.check("/ota/device/upgrade/pk/A", TopicAccess::kSubscribe, kA);
  EXPECT_EQ(own.kind, TopicVerdict::Kind::kPass);
  ASSERT_TRUE(own.listening);
  EXPECT_EQ(*own.listening, (DeviceKey{"pk", "A"}));
  EXPECT_TRUE(p.check("/ota/device/upgrade/pk/A", TopicAccess::kSubscribe, kB).refused());
  EXPECT_TRUE(p.check("/ota/device/upgrade/pk/A", TopicAccess::kSubscribe, kMallory).refused());
  EXPECT_TRUE(p.check("/ota/device/upgrade/pk/A", TopicAccess::kRead, kMallory).refused());
  EXPECT_EQ(p.check("/ota/device/upgrade/pk/A", TopicAccess::kRead, kA).kind,
            TopicVerdict::Kind::kPass);
  EXPECT_TRUE(p.check("$share/g//ota/device/upgrade/pk/A", TopicAccess::kSubscribe, kB).refused());
  EXPECT_TRUE(p.check("/sys/pk/A/thing/file/download_reply", TopicAccess::kSubscribe, kB).refused());
  EXPECT_TRUE(p.check("$ota/update/PID/dev", TopicAccess::kRead, {"PIDdev2", ""}).refused());
  EXPECT_EQ(p.check("$ota/update/PID/dev", TopicAccess::kRead, {"PIDdev", ""}).kind,
            TopicVerdict::Kind::kPass);
  EXPECT_TRUE(p.check("/ota/device/upgrade/tokA", TopicAccess::kSubscribe, {"x", "tokB"}).refused());
  // Unsubscribing is always fine, and names the device for presence.
  TopicVerdict unsub = p.check("/ota/device/upgrade/pk/A", TopicAccess::kUnsubscribe, kB);
  EXPECT_EQ(unsub.kind, TopicVerdict::Kind::kPass);
}

TEST_F(DeviceTopicPolicyTest, DownstreamTopicsOfEveryEnabledDialect) {
  const DeviceTopicPolicy p = policy();
  EXPECT_TRUE(p.is_downstream("/ota/device/upgrade/pk/A"));
  EXPECT_TRUE(p.is_downstream("/sys/pk/A/thing/ota/firmware/get_reply"));
  EXPECT_TRUE(p.is_downstream("/ota/upgrade"));  // CTWing's, shared
  EXPECT_FALSE(p.is_downstream("/ota/device/inform/pk/A"));
  EXPECT_FALSE(p.is_downstream("/sys/pk/A/thing/ota/firmware/get"));
  EXPECT_FALSE(p.is_downstream("sensors/1"));
  EXPECT_FALSE(p.is_downstream(""));
}

TEST_F(DeviceTopicPolicyTest, WildcardsShowOnlyTheConnectionsOwnDevice) {
  DeviceTopicPolicy p = policy();
  TopicVerdict b = p.check("/ota/device/upgrade/+/+", TopicAccess::kSubscribe, kB);
  EXPECT_EQ(b.kind, TopicVerdict::Kind::kPass);
  ASSERT_TRUE(b.listening);
  EXPECT_EQ(*b.listening, (DeviceKey{"pk", "B"}));
  for (const char* filter : {"/ota/device/upgrade/+/+", "#", "/ota/#", "$share/g/#",
                             "$ota/update/+/+", "/sys/+/+/thing/ota/firmware/get_reply"}) {
    TopicVerdict v = p.check(filter, TopicAccess::kSubscribe, kMallory);
    EXPECT_EQ(v.kind, TopicVerdict::Kind::kNotOta) << filter;
    EXPECT_FALSE(v.listening) << filter;
  }
}

TEST_F(DeviceTopicPolicyTest, TheSharedCtwingTopicIsEveryDevicesOwn) {
  DeviceTopicPolicy p = policy();
  TopicVerdict a = p.check("/ota/upgrade", TopicAccess::kSubscribe, {"ctA", "ctA"});
  EXPECT_EQ(a.kind, TopicVerdict::Kind::kPass);
  ASSERT_TRUE(a.listening);
  EXPECT_EQ(*a.listening, (DeviceKey{"ctwing", "ctA"}));
  // Named ctA by its client id, authenticated as mallory: not ctA.
  TopicVerdict m = p.check("/ota/upgrade", TopicAccess::kSubscribe, {"ctA", "mallory"});
  EXPECT_EQ(m.kind, TopicVerdict::Kind::kPass);
  EXPECT_FALSE(m.listening);
}

TEST_F(DeviceTopicPolicyTest, NoneLetsAnyoneListen) {
  DeviceTopicPolicy p = policy("none");
  TopicVerdict v = p.check("/ota/device/upgrade/pk/A", TopicAccess::kSubscribe, {"anything", ""});
  EXPECT_EQ(v.kind, TopicVerdict::Kind::kPass);
  EXPECT_TRUE(v.listening);
  EXPECT_TRUE(p.speaks_for(aliyun(), {"anything", ""}, {"pk", "A"}));
}

TEST(IdentityChoice, Values) {
  EXPECT_EQ(IdentityChoice::parse("sdk").value().kind, IdentityChoice::Kind::kSdk);
  EXPECT_EQ(IdentityChoice::parse("none").value().describe(), "none");
  EXPECT_TRUE(IdentityChoice::parse("clientid").value().trusts_client_ids());
  EXPECT_FALSE(IdentityChoice::parse("sdk").value().trusts_client_ids());
  EXPECT_FALSE(IdentityChoice::parse("username:{pk}/{dn}").value().trusts_client_ids());
  EXPECT_TRUE(IdentityChoice::parse("clientid:dev-{dn}").value().trusts_client_ids());
  Result<IdentityChoice> bad = IdentityChoice::parse("topic");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("sdk, username, clientid, none"), std::string::npos) << bad.error();
  EXPECT_EQ(strip_shared_prefix("$share/g/a/b"), "a/b");
  EXPECT_EQ(strip_shared_prefix("$share/g"), "$share/g");
  EXPECT_EQ(strip_shared_prefix("a/b"), "a/b");
}

}  // namespace
}  // namespace ota
