#include "service/dialect_set.h"

namespace ota {

DialectSet::DialectSet(std::vector<std::unique_ptr<Dialect>> enabled, std::string aliyun_code)
    : dialects_(std::move(enabled)), aliyun_code_(std::move(aliyun_code)) {}

const Dialect* DialectSet::named(std::string_view name) const {
  for (const auto& d : dialects_) {
    if (d->name() == name) return d.get();
  }
  return nullptr;
}

std::vector<std::string> DialectSet::names() const {
  std::vector<std::string> out;
  for (const auto& d : dialects_) out.emplace_back(d->name());
  return out;
}

std::string DialectSet::names_joined() const {
  std::string out;
  for (const auto& d : dialects_) out += (out.empty() ? "" : ", ") + std::string(d->name());
  return out;
}

ProductConfig DialectSet::resolved_config(Engine& engine, const std::string& product) const {
  ProductConfig config = engine.product_config(product);
  if (config.dialect.empty()) config.dialect = std::string(default_dialect().name());
  if (config.aliyun_code.empty()) config.aliyun_code = aliyun_code_;
  return config;
}

const Dialect& DialectSet::encoder_for(const ProductConfig& resolved) const {
  const Dialect* d = named(resolved.dialect);
  return d ? *d : default_dialect();
}

}  // namespace ota
