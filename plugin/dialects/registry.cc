#include "dialects/registry.h"

#include "dialects/aliyun.h"
#include "dialects/ctwing.h"
#include "dialects/tencent.h"
#include "dialects/thingspanel.h"

namespace ota {

std::unique_ptr<Dialect> make_dialect(std::string_view name,
                                      const DialectOptions& options) {
  if (name == "aliyun") return std::make_unique<AliyunDialect>();
  if (name == "thingspanel") {
    return std::make_unique<ThingsPanelDialect>(options.thingspanel_product);
  }
  if (name == "ctwing") {
    return std::make_unique<CtwingDialect>(options.ctwing_identity,
                                           options.ctwing_product);
  }
  if (name == "tencent") return std::make_unique<TencentDialect>();
  return nullptr;
}

std::vector<std::string_view> dialect_names() {
  return {"aliyun", "thingspanel", "ctwing", "tencent"};
}

}  // namespace ota
