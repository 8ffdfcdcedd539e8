#include "dialects/registry.h"

#include "dialects/aliyun.h"

namespace ota {

std::unique_ptr<Dialect> make_dialect(std::string_view name,
                                      const DialectOptions&) {
  if (name == "aliyun") return std::make_unique<AliyunDialect>();
  return nullptr;
}

std::vector<std::string_view> dialect_names() { return {"aliyun"}; }

}  // namespace ota
