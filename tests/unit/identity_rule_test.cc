// Which device a connection speaks for: identity patterns and each dialect's
// SDK rule (DESIGN.md §10), and which topics are a device's downstream ones.
#include "dialects/identity_rule.h"

#include <gtest/gtest.h>

#include "dialects/registry.h"

namespace ota {
namespace {

const DeviceKey kA{"pk", "A"};
const DeviceKey kB{"pk", "B"};
const DeviceKey kOtherProductA{"otherpk", "A"};

TEST(IdentityPattern, PlaceholdersLiteralsAndStars) {
  IdentityPattern p = IdentityPattern::parse("{pk}.{dn}|*").value();
  EXPECT_TRUE(p.names_product());
  EXPECT_TRUE(p.matches("pk.A|timestamp=1,securemode=3|", kA));
  EXPECT_TRUE(p.matches("pk.A|", kA));
  EXPECT_FALSE(p.matches("pk.A", kA));            // the '|' is literal
  EXPECT_FALSE(p.matches("pk.B|x|", kA));
  EXPECT_FALSE(p.matches("otherpk.A|x|", kA));
  EXPECT_FALSE(p.matches("pk.AB|x|", kA));        // the name ends at the '|'
  EXPECT_FALSE(p.matches("xpk.A|", kA));

  IdentityPattern star_inside = IdentityPattern::parse("dev-*-{dn}").value();
  EXPECT_FALSE(star_inside.names_product());
  EXPECT_TRUE(star_inside.matches("dev--A", kA));
  EXPECT_TRUE(star_inside.matches("dev-x-y-A", kA));
  EXPECT_FALSE(star_inside.matches("dev-x-y-B", kA));
}

TEST(IdentityPattern, LengthsAroundTheFixedPartsAlone) {
  // Without a wildcard the value has exactly the fixed parts' length; with
  // one, at least that. Both sides of each bound, with names that repeat.
  IdentityPattern exact = IdentityPattern::parse("{dn}&{pk}&{dn}").value();
  EXPECT_TRUE(exact.matches("A&pk&A", kA));
  EXPECT_FALSE(exact.matches("A&pk&", kA));
  EXPECT_FALSE(exact.matches("A&pk&AA", kA));
  IdentityPattern wild = IdentityPattern::parse("{pk}*{dn}").value();
  EXPECT_TRUE(wild.matches("pkA", kA));  // the wildcard takes nothing
  EXPECT_TRUE(wild.matches("pk--A", kA));
  EXPECT_FALSE(wild.matches("pk", kA));
  EXPECT_FALSE(wild.matches("kA", kA));
}

TEST(IdentityPattern, NamesAreMatchedWholeNotAsPatterns) {
  // A device name with pattern characters stands for itself.
  const DeviceKey odd{"pk", "*{dn}"};
  IdentityPattern p = IdentityPattern::parse("{dn}&{pk}").value();
  EXPECT_TRUE(p.matches("*{dn}&pk", odd));
  EXPECT_FALSE(p.matches("anything&pk", odd));
  // An empty product or device never matches.
  EXPECT_FALSE(p.matches("&pk", DeviceKey{"pk", ""}));
  EXPECT_FALSE(IdentityPattern::parse("{pk}{dn}").value().matches("x", DeviceKey{"", "x"}));
}

TEST(IdentityPattern, RejectsPatternsWithoutDeviceOrUnknownPlaceholders) {
  EXPECT_FALSE(IdentityPattern::parse("{pk}"));
  EXPECT_FALSE(IdentityPattern::parse("*"));
  EXPECT_FALSE(IdentityPattern::parse(""));
  Result<IdentityPattern> unknown = IdentityPattern::parse("{device}");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("{device}"), std::string::npos) << unknown.error();
  EXPECT_FALSE(IdentityPattern::parse("{dn"));
}

TEST(IdentityRule, TheUsernameDecidesWhenThereIsOne) {
  const IdentityRule rule = IdentityRule::of({"{dn}&{pk}"}, {"{pk}.{dn}|*"});
  EXPECT_TRUE(rule.speaks_for({"pk.A|x|", "A&pk"}, kA));
  // An authenticated B claiming A's client id does not become A.
  EXPECT_FALSE(rule.speaks_for({"pk.A|x|", "B&pk"}, kA));
  EXPECT_TRUE(rule.speaks_for({"anything", "A&pk"}, kA));
  // The product part: A of pk is not A of otherpk.
  EXPECT_FALSE(rule.speaks_for({"", "A&pk"}, kOtherProductA));
  // Without a username, the client id decides.
  EXPECT_TRUE(rule.speaks_for({"pk.A|x|", ""}, kA));
  EXPECT_FALSE(rule.speaks_for({"pk.A|x|", ""}, kB));
  EXPECT_FALSE(rule.speaks_for({"", ""}, kA));
}

TEST(IdentityRule, ClientIdsDecideForEveryoneWhenNoUsernamePatterns) {
  const IdentityRule rule = IdentityRule::parse("clientid:{pk}-{dn}").value();
  EXPECT_TRUE(rule.trusts_client_ids());
  EXPECT_TRUE(rule.speaks_for({"pk-A", "fleet-user"}, kA));
  EXPECT_FALSE(rule.speaks_for({"pk-B", "fleet-user"}, kA));
}

TEST(IdentityRule, ParsesLists) {
  Result<IdentityRule> rule = IdentityRule::parse(" username:{dn}&{pk} , clientid:{pk}.{dn}|* ");
  ASSERT_TRUE(rule) << rule.error();
  EXPECT_EQ(rule.value().describe(), "username:{dn}&{pk},clientid:{pk}.{dn}|*");
  EXPECT_EQ(rule.value().usernames_only().describe(), "username:{dn}&{pk}");
  EXPECT_EQ(rule.value().client_ids_only().describe(), "clientid:{pk}.{dn}|*");
  EXPECT_FALSE(rule.value().usernames_only().trusts_client_ids());
  EXPECT_FALSE(IdentityRule::parse("user:{dn}"));
  EXPECT_FALSE(IdentityRule::parse("username:{pk}"));
  EXPECT_FALSE(IdentityRule::parse(" , "));
}

TEST(IdentityRule, NobodyAndEveryone) {
  EXPECT_FALSE(IdentityRule().speaks_for({"pk.A", "A&pk"}, kA));
  EXPECT_EQ(IdentityRule().describe(), "(nobody)");
  EXPECT_TRUE(IdentityRule::open().speaks_for({"x", ""}, kA));
  EXPECT_TRUE(IdentityRule::open().is_open());
  EXPECT_EQ(IdentityRule::open().describe(), "none");
}

std::unique_ptr<Dialect> dialect(std::string_view name) {
  std::unique_ptr<Dialect> d = make_dialect(name, DialectOptions{});
  EXPECT_TRUE(d) << name;
  return d;
}

// The connect identities of the platforms' SDKs (DESIGN.md §10).
TEST(SdkIdentity, Aliyun) {
  const IdentityRule& rule = dialect("aliyun")->sdk_identity();
  // iotkit-embedded 3.x and LinkSDK 4.x.
  EXPECT_TRUE(rule.speaks_for(
      {"pk.A|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|", "A&pk"}, kA));
  EXPECT_TRUE(rule.speaks_for({"pk.A|timestamp=2524608000000,_ss=1,_v=sdk-c-4.2.0|", "A&pk"}, kA));
  EXPECT_FALSE(rule.speaks_for({"pk.A|securemode=3|", "B&pk"}, kA));
  EXPECT_FALSE(rule.speaks_for({"", "A&otherpk"}, kA));
  EXPECT_FALSE(rule.speaks_for({"", "A"}, kA));  // the product part is required
  // Anonymous (no username): the client id, with or without the |...|.
  EXPECT_TRUE(rule.speaks_for({"pk.A", ""}, kA));
  EXPECT_TRUE(rule.speaks_for({"pk.A|securemode=3|", ""}, kA));
  EXPECT_FALSE(rule.speaks_for({"pk.B", ""}, kA));
  EXPECT_FALSE(rule.speaks_for({"otherpk.A", ""}, kA));
}

TEST(SdkIdentity, Tencent) {
  const IdentityRule& rule = dialect("tencent")->sdk_identity();
  const DeviceKey dev{"ABCDEFGHIJ", "dev1"};
  EXPECT_TRUE(rule.speaks_for({"ABCDEFGHIJdev1", "ABCDEFGHIJdev1;12010126;Xq1pA;1767225600"}, dev));
  // A certificate's CN as the username (use_identity_as_username).
  EXPECT_TRUE(rule.speaks_for({"whatever", "ABCDEFGHIJdev1"}, dev));
  EXPECT_FALSE(rule.speaks_for({"ABCDEFGHIJdev1", "ABCDEFGHIJdev2;12010126;Xq1pA;1"}, dev));
  EXPECT_FALSE(rule.speaks_for({"", "ABCDEFGHIJdev1x;1"}, dev));
  EXPECT_TRUE(rule.speaks_for({"ABCDEFGHIJdev1", ""}, dev));
  EXPECT_FALSE(rule.speaks_for({"ABCDEFGHIJdev2", ""}, dev));
}

TEST(SdkIdentity, ThingsPanelIsTheTokenAsUsername) {
  const IdentityRule& rule = dialect("thingspanel")->sdk_identity();
  const DeviceKey dev{"thingspanel", "tok-1"};
  EXPECT_TRUE(rule.speaks_for({"random-id", "tok-1"}, dev));
  EXPECT_FALSE(rule.speaks_for({"tok-1", "tok-2"}, dev));
  // The client id of a ThingsPanel device is its own choice: no identity.
  EXPECT_FALSE(rule.speaks_for({"tok-1", ""}, dev));
}

TEST(SdkIdentity, CtwingUsernameMustBeTheDeviceWhenPresent) {
  const IdentityRule& rule = dialect("ctwing")->sdk_identity();
  const DeviceKey dev{"ctwing", "device10001"};
  EXPECT_TRUE(rule.speaks_for({"device10001", ""}, dev));
  EXPECT_TRUE(rule.speaks_for({"device10001", "device10001"}, dev));
  EXPECT_FALSE(rule.speaks_for({"device10001", "someone-else"}, dev));
}

TEST(DownstreamTopic, Aliyun) {
  auto d = dialect("aliyun");
  auto up = d->downstream_topic("/ota/device/upgrade/pk/A");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->device, kA);
  auto get_reply = d->downstream_topic("/sys/pk/A/thing/ota/firmware/get_reply");
  ASSERT_TRUE(get_reply);
  EXPECT_EQ(get_reply->device, kA);
  auto download_reply = d->downstream_topic("/sys/pk/A/thing/file/download_reply");
  ASSERT_TRUE(download_reply);
  EXPECT_EQ(download_reply->device, kA);
  EXPECT_FALSE(d->downstream_topic("/ota/device/inform/pk/A"));
  EXPECT_FALSE(d->downstream_topic("/ota/device/progress/pk/A"));
  EXPECT_FALSE(d->downstream_topic("/sys/pk/A/thing/ota/firmware/get"));
  EXPECT_FALSE(d->downstream_topic("/sys/pk/A/thing/file/download"));
  EXPECT_FALSE(d->downstream_topic("/ota/device/upgrade/tok"));   // ThingsPanel's shape
  EXPECT_FALSE(d->downstream_topic("/ota/device/upgrade/pk/A/x"));
  EXPECT_FALSE(d->downstream_topic("/ota/device/upgrade/pk/"));
  EXPECT_FALSE(d->downstream_topic("/sys/pk/thing/ota/firmware/get_reply"));
  EXPECT_FALSE(d->downstream_topic("sensors/temperature"));
}

TEST(DownstreamTopic, TencentThingsPanelCtwing) {
  auto tencent = dialect("tencent")->downstream_topic("$ota/update/PID/dev1");
  ASSERT_TRUE(tencent);
  EXPECT_EQ(tencent->device, (DeviceKey{"PID", "dev1"}));
  EXPECT_FALSE(dialect("tencent")->downstream_topic("$ota/report/PID/dev1"));
  EXPECT_FALSE(dialect("tencent")->downstream_topic("$ota/update/PID"));

  auto tp = dialect("thingspanel")->downstream_topic("/ota/device/upgrade/tok-1");
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->device, (DeviceKey{"thingspanel", "tok-1"}));
  EXPECT_FALSE(dialect("thingspanel")->downstream_topic("/ota/device/upgrade/pk/A"));
  EXPECT_FALSE(dialect("thingspanel")->downstream_topic("/ota/device/inform/tok-1"));

  auto ctwing = dialect("ctwing")->downstream_topic("/ota/upgrade");
  ASSERT_TRUE(ctwing);
  EXPECT_TRUE(ctwing->shared());
  EXPECT_FALSE(dialect("ctwing")->downstream_topic("/ota/inform"));
  EXPECT_FALSE(dialect("ctwing")->downstream_topic("/ota/upgrade/x"));
}

}  // namespace
}  // namespace ota
