// The enabled dialects, the default one first (it is offered each message
// first), and the product configuration as the encoders need it: defaults
// resolved (the product's dialect, Alibaba's result code).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dialects/dialect.h"
#include "dialects/registry.h"
#include "engine/engine.h"

namespace ota {

class DialectSet {
 public:
  // The default dialect and the other enabled ones (known names: the
  // options were validated).
  DialectSet(const std::string& default_name, const std::vector<std::string>& enabled,
             const DialectOptions& options, std::string aliyun_code);

  const std::vector<std::unique_ptr<Dialect>>& all() const { return dialects_; }
  const Dialect& default_dialect() const { return *dialects_.front(); }
  // nullptr when `name` is not enabled.
  const Dialect* named(std::string_view name) const;
  // The enabled names, default first ("aliyun, tencent" for messages).
  std::vector<std::string> names() const;
  std::string names_joined() const;

  // The name of the dialect a product speaks (its configured one, else the
  // default), from an unresolved configuration.
  std::string_view dialect_of(const ProductConfig& config) const {
    return config.dialect.empty() ? default_dialect().name() : std::string_view(config.dialect);
  }
  // The product's configuration with its defaults resolved.
  ProductConfig resolved_config(Engine& engine, const std::string& product) const;
  // The dialect that encodes for a resolved configuration: its own, or the
  // default when that is not enabled.
  const Dialect& encoder_for(const ProductConfig& resolved) const;

  // The configuration of a product nobody configured: what the first known
  // dialect that owns the product by construction says (enabled or not, as
  // products keep their rules), else ProductConfig's defaults.
  ProductConfig product_defaults(const std::string& product) const;
  // The enabled dialect whose devices read firmware blocks over MQTT, if any.
  const Dialect* block_download_dialect() const;

 private:
  std::vector<std::unique_ptr<Dialect>> dialects_;  // enabled, default first
  std::vector<std::unique_ptr<Dialect>> known_;     // one of each, for defaults
  std::string aliyun_code_;
};

}  // namespace ota
