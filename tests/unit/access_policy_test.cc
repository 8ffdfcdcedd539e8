#include "service/access_policy.h"

#include <gtest/gtest.h>

#include <memory>

#include "dialects/registry.h"

namespace ota {
namespace {

int conn = 0;

// The enabled dialects of these tests: aliyun only.
struct Dialects {
  std::unique_ptr<Dialect> aliyun = make_dialect("aliyun", DialectOptions{});
  std::vector<const Dialect*> all() const { return {aliyun.get()}; }
};
const Dialects kDialects;

AccessPolicy policy(AccessOptions o) { return AccessPolicy(std::move(o), kDialects.all()); }

AccessOptions with_admins() {
  AccessOptions o;
  o.admins = {"ops"};
  return o;
}

TEST(AccessPolicy, AdminsByUsernameNeverByClientIdOrEmptyName) {
  AccessPolicy p = policy(with_admins());
  EXPECT_TRUE(p.is_admin({&conn, "any", "ops"}));
  EXPECT_FALSE(p.is_admin({&conn, "ops", "eve"}));  // an admin's name as client id
  EXPECT_FALSE(p.is_admin({&conn, "ops", ""}));
  EXPECT_FALSE(p.is_admin({&conn, "", ""}));
  AccessOptions empty_names;
  empty_names.admins = {""};
  EXPECT_FALSE(policy(empty_names).is_admin({&conn, "", ""}));
}

TEST(AccessPolicy, ControlTopicsAreForAdminsOnly) {
  AccessPolicy p = policy(with_admins());
  const ClientInfo admin{&conn, "x", "ops"}, other{&conn, "intruder", "eve"};
  for (AclAccess a : {AclAccess::kRead, AclAccess::kWrite, AclAccess::kSubscribe}) {
    EXPECT_EQ(p.control_verdict("$CONTROL/ota/v1", a, admin), AclVerdict::kAllow);
    EXPECT_EQ(p.control_verdict("$CONTROL/ota/v1/response", a, other), AclVerdict::kDeny);
    EXPECT_EQ(p.control_verdict("$CONTROL/ota/v1", a, other), AclVerdict::kDeny);
  }
  EXPECT_EQ(p.control_verdict("$CONTROL/ota/v1", AclAccess::kUnsubscribe, other),
            AclVerdict::kAllow);
  EXPECT_EQ(p.control_verdict("$CONTROL/dynamic-security/v1", AclAccess::kWrite, other),
            std::nullopt);
  EXPECT_EQ(p.control_verdict("sensors/1", AclAccess::kWrite, other), std::nullopt);
}

TEST(AccessPolicy, IdentityByDefaultIsTheSdksWithTheProduct) {
  AccessPolicy p = policy(AccessOptions{});
  const Dialect& aliyun = *kDialects.aliyun;
  EXPECT_EQ(p.identity_problem(aliyun, {"pk", "d1"}, {&conn, "pk.d1|securemode=3|", "d1&pk"}), "");
  EXPECT_EQ(p.identity_problem(aliyun, {"pk", "d1"}, {&conn, "pk.d1", ""}), "");
  const std::string why = p.identity_problem(aliyun, {"pk", "d1"}, {&conn, "pk.d1", "d2&pk"});
  EXPECT_NE(why.find("does not speak for device d1 of product pk"), std::string::npos) << why;
  EXPECT_NE(p.identity_problem(aliyun, {"pk", "d1"}, {&conn, "", "d1&other"}), "");
  EXPECT_NE(p.identity_problem(aliyun, {"pk", "d1"}, {&conn, "other", "eve"}), "");
}

TEST(AccessPolicy, IdentityNoneAcceptsAnyone) {
  AccessOptions o;
  o.device_identity = IdentityChoice::parse("none").value();
  EXPECT_EQ(policy(o).identity_problem(*kDialects.aliyun, {"pk", "d1"}, {&conn, "other", "eve"}), "");
}

TEST(AccessPolicy, DownstreamTopicsForTheDevicesOwnConnectionsOnly) {
  AccessPolicy p = policy(AccessOptions{});
  const ClientInfo own{&conn, "pk.d1", "d1&pk"}, other{&conn, "pk.d1", "eve"};
  EXPECT_TRUE(p.device_verdict("/ota/device/upgrade/pk/d1", AclAccess::kWrite, own).refused());
  EXPECT_TRUE(p.device_verdict("/ota/device/upgrade/pk/d1", AclAccess::kRead, other).refused());
  EXPECT_TRUE(p.device_verdict("/ota/device/upgrade/pk/d1", AclAccess::kSubscribe, other).refused());
  TopicVerdict sub = p.device_verdict("/ota/device/upgrade/pk/d1", AclAccess::kSubscribe, own);
  EXPECT_EQ(sub.kind, TopicVerdict::Kind::kPass);
  ASSERT_TRUE(sub.listening);
  EXPECT_EQ(sub.listening->device, "d1");
  EXPECT_EQ(p.device_verdict("sensors/1", AclAccess::kWrite, other).kind,
            TopicVerdict::Kind::kNotOta);
}

// What the broker glue answers without reading the client: never a
// control topic, a downstream topic or a subscription, whoever asks.
TEST(AccessPolicy, TheTopicAloneDecidesOnlyWhereNoClientCould) {
  AccessOptions o;
  o.living_app = true;
  AccessPolicy p = policy(o);
  for (AclAccess a : {AclAccess::kRead, AclAccess::kWrite}) {
    EXPECT_EQ(p.topic_verdict("/ota/device/inform/pk/d1", a), AclVerdict::kDefer);
    EXPECT_EQ(p.topic_verdict("sensors/1", a), AclVerdict::kDefer);
    EXPECT_EQ(p.topic_verdict("/ota/device/upgrade/pk/d1", a), std::nullopt);
    EXPECT_EQ(p.topic_verdict("/sys/pk/d1/thing/ota/firmware/get_reply", a), std::nullopt);
    EXPECT_EQ(p.topic_verdict("$CONTROL/ota/v1", a), std::nullopt);
  }
  EXPECT_EQ(p.topic_verdict("/living/ota/not-an-op", AclAccess::kWrite), AclVerdict::kDeny);
  EXPECT_EQ(p.topic_verdict("/ota/device/inform/pk/d1", AclAccess::kSubscribe), std::nullopt);
  EXPECT_EQ(p.topic_verdict("sensors/#", AclAccess::kUnsubscribe), std::nullopt);
  // Where it answers, the full check gives the same answer for anyone.
  const ClientInfo eve{&conn, "eve", "eve"};
  EXPECT_EQ(p.device_verdict("/ota/device/inform/pk/d1", AclAccess::kRead, eve).kind,
            TopicVerdict::Kind::kNotOta);
  o.acl_allow_others = true;
  EXPECT_EQ(policy(o).topic_verdict("sensors/1", AclAccess::kRead), AclVerdict::kAllow);
}

TEST(AccessPolicy, AppTopicsOnlyWhenServed) {
  AccessOptions o;
  EXPECT_EQ(policy(o).app_verdict("/living/ota/x", AclAccess::kWrite), std::nullopt);
  o.living_app = true;
  AccessPolicy p = policy(o);
  EXPECT_EQ(p.app_verdict("sensors/1", AclAccess::kWrite), std::nullopt);
  EXPECT_EQ(p.app_verdict("/living/ota/x", AclAccess::kUnsubscribe), AclVerdict::kAllow);
  // Nobody publishes to a topic that is not a request.
  EXPECT_EQ(p.app_verdict("/living/ota/not-an-op", AclAccess::kWrite), AclVerdict::kDeny);
}

TEST(AccessPolicy, OtherTopicsAndAppUser) {
  AccessOptions o;
  EXPECT_EQ(policy(o).other_topics_verdict(), AclVerdict::kDefer);
  EXPECT_EQ(policy(o).app_user({&conn, "cid", "user"}), "user");
  o.acl_allow_others = true;
  o.living_app_identity = IdentitySource::kClientId;
  EXPECT_EQ(policy(o).other_topics_verdict(), AclVerdict::kAllow);
  EXPECT_EQ(policy(o).app_user({&conn, "cid", "user"}), "cid");
}

}  // namespace
}  // namespace ota
