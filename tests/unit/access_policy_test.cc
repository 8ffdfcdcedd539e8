#include "service/access_policy.h"

#include <gtest/gtest.h>

namespace ota {
namespace {

int conn = 0;

AccessOptions with_admins() {
  AccessOptions o;
  o.admins = {"ops"};
  o.admin_client_ids = {"console"};
  return o;
}

TEST(AccessPolicy, AdminsByUsernameOrClientIdNeverByEmptyName) {
  AccessPolicy p(with_admins());
  EXPECT_TRUE(p.is_admin({&conn, "any", "ops"}));
  EXPECT_TRUE(p.is_admin({&conn, "console", ""}));
  EXPECT_FALSE(p.is_admin({&conn, "ops", "console"}));  // names swapped
  EXPECT_FALSE(p.is_admin({&conn, "", ""}));
  AccessOptions empty_names;
  empty_names.admins = {""};
  empty_names.admin_client_ids = {""};
  EXPECT_FALSE(AccessPolicy(empty_names).is_admin({&conn, "", ""}));
}

TEST(AccessPolicy, ControlTopicsAreForAdminsOnly) {
  AccessPolicy p(with_admins());
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

TEST(AccessPolicy, IdentityByTopicAcceptsAnyone) {
  AccessPolicy p(AccessOptions{});
  EXPECT_EQ(p.identity_problem({"pk", "d1"}, {&conn, "other", "eve"}), "");
}

TEST(AccessPolicy, IdentityByClientIdAcceptsTheDeviceOnly) {
  AccessOptions o;
  o.device_identity = IdentitySource::kClientId;
  AccessPolicy p(o);
  EXPECT_EQ(p.identity_problem({"pk", "d1"}, {&conn, "d1", "eve"}), "");
  EXPECT_EQ(p.identity_problem({"pk", "d1"}, {&conn, "d1&pk", ""}), "");
  const std::string why = p.identity_problem({"pk", "d1"}, {&conn, "d2", "d1"});
  EXPECT_EQ(why, "client id 'd2' may not speak for device d1 of product pk "
                 "(plugin_opt_device_identity)");
  EXPECT_NE(p.identity_problem({"pk", "d1"}, {&conn, "d1&other", ""}), "");
  EXPECT_NE(p.identity_problem({"pk", "d1"}, {&conn, "", ""}), "");
}

TEST(AccessPolicy, IdentityByUsername) {
  AccessOptions o;
  o.device_identity = IdentitySource::kUsername;
  AccessPolicy p(o);
  EXPECT_EQ(p.identity_problem({"pk", "d1"}, {&conn, "x", "d1"}), "");
  EXPECT_EQ(p.identity_problem({"pk", "d1"}, {&conn, "d1", "x"}),
            "username 'x' may not speak for device d1 of product pk (plugin_opt_device_identity)");
}

TEST(AccessPolicy, AppTopicsOnlyWhenServed) {
  AccessOptions o;
  EXPECT_EQ(AccessPolicy(o).app_verdict("/living/ota/x", AclAccess::kWrite), std::nullopt);
  o.living_app = true;
  AccessPolicy p(o);
  EXPECT_EQ(p.app_verdict("sensors/1", AclAccess::kWrite), std::nullopt);
  EXPECT_EQ(p.app_verdict("/living/ota/x", AclAccess::kUnsubscribe), AclVerdict::kAllow);
  // Nobody publishes to a topic that is not a request.
  EXPECT_EQ(p.app_verdict("/living/ota/not-an-op", AclAccess::kWrite), AclVerdict::kDeny);
}

TEST(AccessPolicy, OtherTopicsAndAppUser) {
  AccessOptions o;
  EXPECT_EQ(AccessPolicy(o).other_topics_verdict(), AclVerdict::kDefer);
  EXPECT_EQ(AccessPolicy(o).app_user({&conn, "cid", "user"}), "user");
  o.acl_allow_others = true;
  o.living_app_identity = IdentitySource::kClientId;
  EXPECT_EQ(AccessPolicy(o).other_topics_verdict(), AclVerdict::kAllow);
  EXPECT_EQ(AccessPolicy(o).app_user({&conn, "cid", "user"}), "cid");
}

}  // namespace
}  // namespace ota
