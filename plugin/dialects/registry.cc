#include "dialects/registry.h"

#include "dialects/aliyun.h"
#include "dialects/ctwing.h"
#include "dialects/tencent.h"
#include "dialects/thingspanel.h"

namespace ota {
namespace {

struct DialectEntry {
  std::string_view name;
  std::unique_ptr<Dialect> (*make)(const DialectOptions& options);
};

// The one registration table: name and factory, in the order products'
// defaults are asked.
constexpr DialectEntry kDialects[] = {
    {"aliyun", [](const DialectOptions&) -> std::unique_ptr<Dialect> {
       return std::make_unique<AliyunDialect>();
     }},
    {"thingspanel", [](const DialectOptions& o) -> std::unique_ptr<Dialect> {
       return std::make_unique<ThingsPanelDialect>(o.thingspanel_product);
     }},
    {"ctwing", [](const DialectOptions& o) -> std::unique_ptr<Dialect> {
       return std::make_unique<CtwingDialect>(o.ctwing_identity, o.ctwing_product);
     }},
    {"tencent", [](const DialectOptions&) -> std::unique_ptr<Dialect> {
       return std::make_unique<TencentDialect>();
     }},
};

}  // namespace

std::unique_ptr<Dialect> make_dialect(std::string_view name, const DialectOptions& options) {
  for (const DialectEntry& e : kDialects) {
    if (e.name == name) return e.make(options);
  }
  return nullptr;
}

std::vector<std::string_view> dialect_names() {
  std::vector<std::string_view> names;
  for (const DialectEntry& e : kDialects) names.push_back(e.name);
  return names;
}

std::vector<std::unique_ptr<Dialect>> make_every_dialect(const DialectOptions& options) {
  std::vector<std::unique_ptr<Dialect>> all;
  for (const DialectEntry& e : kDialects) all.push_back(e.make(options));
  return all;
}

}  // namespace ota
