#include "service/dialect_set.h"

namespace ota {

DialectSet::DialectSet(const std::string& default_name, const std::vector<std::string>& enabled,
                       const DialectOptions& options, std::string aliyun_code)
    : known_(make_every_dialect(options)), aliyun_code_(std::move(aliyun_code)) {
  // The default dialect is always enabled, and offered each message first.
  dialects_.push_back(make_dialect(default_name, options));
  for (const std::string& name : enabled) {
    if (name != default_name) dialects_.push_back(make_dialect(name, options));
  }
}

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

ProductConfig DialectSet::product_defaults(const std::string& product) const {
  for (const auto& d : known_) {
    if (std::optional<ProductConfig> c = d->product_defaults(product)) return *c;
  }
  ProductConfig c;
  c.product = product;
  return c;
}

const Dialect* DialectSet::block_download_dialect() const {
  for (const auto& d : dialects_) {
    if (d->offers_block_download()) return d.get();
  }
  return nullptr;
}

}  // namespace ota
