// What the service asks of dialects instead of their names.
#include <gtest/gtest.h>

#include "dialects/registry.h"
#include "service/dialect_set.h"

namespace ota {
namespace {

TEST(DialectCapabilities, OnlyAliyunOffersBlocksAndTheLivingApp) {
  for (std::string_view name : dialect_names()) {
    std::unique_ptr<Dialect> d = make_dialect(name, {});
    EXPECT_EQ(d->offers_block_download(), name == "aliyun") << name;
    EXPECT_EQ(d->serves_living_app(), name == "aliyun") << name;
  }
}

TEST(DialectCapabilities, ProductDefaultsOfOwnedProducts) {
  DialectOptions o;
  o.thingspanel_product = "tp";
  o.ctwing_product = "cw";
  o.ctwing_identity = IdentitySource::kUsername;
  std::optional<ProductConfig> tp = make_dialect("thingspanel", o)->product_defaults("tp");
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->product, "tp");
  EXPECT_EQ(tp->dialect, "thingspanel");
  EXPECT_EQ(tp->success_rule, SuccessRule::kProgress100);
  EXPECT_EQ(tp->offline_policy, OfflinePolicy::kFail);
  std::optional<ProductConfig> cw = make_dialect("ctwing", o)->product_defaults("cw");
  ASSERT_TRUE(cw);
  EXPECT_EQ(cw->dialect, "ctwing");
  EXPECT_EQ(cw->identity, IdentitySource::kUsername);
  for (std::string_view name : dialect_names()) {
    EXPECT_FALSE(make_dialect(name, o)->product_defaults("pk")) << name;
  }
}

TEST(DialectSet, DefaultFirstAndDefaultsOfEveryKnownDialect) {
  DialectOptions o;
  DialectSet set("tencent", {"aliyun", "tencent"}, o, "200");
  EXPECT_EQ(set.names(), (std::vector<std::string>{"tencent", "aliyun"}));
  EXPECT_EQ(set.default_dialect().name(), "tencent");
  EXPECT_EQ(set.names_joined(), "tencent, aliyun");
  EXPECT_EQ(set.named("ctwing"), nullptr);
  ASSERT_NE(set.block_download_dialect(), nullptr);
  EXPECT_EQ(set.block_download_dialect()->name(), "aliyun");
  // A ThingsPanel product keeps its rules whether or not the dialect is on.
  EXPECT_EQ(set.product_defaults(o.thingspanel_product).success_rule, SuccessRule::kProgress100);
  const ProductConfig plain = set.product_defaults("pk");
  EXPECT_EQ(plain.product, "pk");
  EXPECT_EQ(plain.dialect, "");
  EXPECT_EQ(set.dialect_of(plain), "tencent");
  EXPECT_EQ(DialectSet("tencent", {}, o, "200").block_download_dialect(), nullptr);
}

}  // namespace
}  // namespace ota
