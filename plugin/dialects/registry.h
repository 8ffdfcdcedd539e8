// The dialects this build knows, by name: the one place that maps a product's
// configured dialect name to a codec. A new dialect is its own file plus one
// line in the table of registry.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dialects/dialect.h"

namespace ota {

// Plugin-wide settings of dialects (per-product ones are in ProductConfig).
struct DialectOptions {
  // ThingsPanel topics carry only the access token: the product its
  // devices are filed under (the device name is the token).
  std::string thingspanel_product = "thingspanel";
  // CTWing topics name no device: it is the publishing MQTT client, by
  // client id or by username; its devices are filed under ctwing_product.
  IdentitySource ctwing_identity = IdentitySource::kClientId;
  std::string ctwing_product = "ctwing";
};

// The dialect a broker speaks when plugin_opt_default_dialect is not set.
inline constexpr std::string_view kDefaultDialectName = "aliyun";

// nullptr if `name` is not a known dialect.
std::unique_ptr<Dialect> make_dialect(std::string_view name,
                                      const DialectOptions& options);

// Every name make_dialect() accepts, for configuration checks and messages.
std::vector<std::string_view> dialect_names();

// One of every known dialect, in table order (for capabilities that hold
// whether or not a dialect is enabled, such as product defaults).
std::vector<std::unique_ptr<Dialect>> make_every_dialect(const DialectOptions& options);

}  // namespace ota
