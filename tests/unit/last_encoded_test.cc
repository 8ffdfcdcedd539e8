// Dialects keep the JSON text they encoded last (last_encoded.h): a kept
// text must never stand for another package, job or product.
#include "dialects/last_encoded.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dialects/aliyun.h"
#include "dialects/ctwing.h"
#include "dialects/tencent.h"
#include "dialects/thingspanel.h"

namespace ota {
namespace {

TEST(LastEncoded, EncodesOnlyForAKeyNotAskedJustBefore) {
  LastEncoded<int> last;
  int encoded = 0;
  auto encode = [&](int key) {
    return last.get({key}, [&] {
      ++encoded;
      return "text " + std::to_string(key);
    });
  };
  EXPECT_EQ(encode(1), "text 1");
  EXPECT_EQ(encode(1), "text 1");
  EXPECT_EQ(encoded, 1);
  EXPECT_EQ(encode(2), "text 2");
  EXPECT_EQ(encode(1), "text 1");
  EXPECT_EQ(encoded, 3);
}

Package package(const std::string& version, const std::string& module) {
  Package p;
  p.id = version == "2.0.0" ? 1 : 2;
  p.product = "pk";
  p.module = module;
  p.version = version;
  p.url = "https://fw.example/" + module + "/" + version + ".bin";
  p.size = 1000 + p.id;
  p.sign = "93230c3bde425a9d93230c3bde425a9d";
  p.md5 = p.sign;
  return p;
}

// Each dialect's notifications, in a sequence that changes the package, the
// job, the product's settings and the device, are what a dialect that kept
// nothing encodes.
TEST(LastEncoded, EveryDialectsNotificationFollowsItsPackageJobAndProduct) {
  using Make = std::function<std::unique_ptr<Dialect>()>;
  const std::vector<std::pair<std::string, Make>> dialects = {
      {"aliyun", [] { return std::make_unique<AliyunDialect>(); }},
      {"tencent", [] { return std::make_unique<TencentDialect>(); }},
      {"ctwing", [] { return std::make_unique<CtwingDialect>(IdentitySource::kClientId, "pk"); }},
      {"thingspanel", [] { return std::make_unique<ThingsPanelDialect>("pk"); }},
  };
  ProductConfig sagoo;
  sagoo.product = "pk";
  sagoo.aliyun_code = "200";
  ProductConfig alibaba = sagoo;
  alibaba.aliyun_code = "1000";
  struct Step {
    Package package;
    JobId job;
    const ProductConfig* config;
    std::string device;
    TimeMs at;
  };
  const Package a = package("2.0.0", "MCU");
  Package a_moved = a;
  a_moved.url = "https://mirror.example/MCU/2.0.0.bin";  // the same package, another URL
  const std::vector<Step> steps = {
      {a, 7, &sagoo, "d1", 1}, {a, 7, &sagoo, "d2", 2},       {a, 8, &sagoo, "d3", 3},
      {package("3.0.0", "MCU"), 8, &sagoo, "d4", 4},           {a, 8, &alibaba, "d5", 5},
      {a_moved, 8, &alibaba, "d6", 6}, {package("2.0.0", "default"), 8, &alibaba, "d7", 7},
  };
  for (const auto& [name, make] : dialects) {
    const std::unique_ptr<Dialect> keeping = make();
    for (const Step& s : steps) {
      const Notification n{{"pk", s.device}, s.job, s.package, s.at};
      const EncodeContext ctx{*s.config, s.device};
      const OutboundMessage kept = keeping->encode_notification(n, ctx);
      const OutboundMessage fresh = make()->encode_notification(n, ctx);
      EXPECT_EQ(kept.topic, fresh.topic) << name << " " << s.device;
      EXPECT_EQ(kept.payload, fresh.payload) << name << " " << s.device;
      EXPECT_EQ(kept.client_id, fresh.client_id) << name << " " << s.device;
      EXPECT_FALSE(kept.payload.empty()) << name;
    }
  }
}

}  // namespace
}  // namespace ota
