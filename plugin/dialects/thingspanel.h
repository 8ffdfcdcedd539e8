// The `thingspanel` dialect (seed 004): the aliyun topics with the access
// token as the only level, progress without a params wrapper, and the
// notification's package under "params".
//
//   up    /ota/device/inform/{token}    {"id","params":{"version","module"}}
//   up    /ota/device/progress/{token}  {"step","desc","module"}
//   down  /ota/device/upgrade/{token}   {"id","code":200,"params":{...}}
//
// Topics name no product: every device of this dialect belongs to the one
// product given at construction (DialectOptions::thingspanel_product), and
// its device name is the token.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dialects/dialect.h"
#include "dialects/last_encoded.h"

namespace ota {

class ThingsPanelDialect final : public Dialect {
 public:
  explicit ThingsPanelDialect(std::string product)
      : product_(std::move(product)) {}
  std::string_view name() const override { return "thingspanel"; }
  bool claims(std::string_view topic) const override;
  ParseOutcome parse(std::string_view topic, std::string_view payload,
                     const DeviceConnection& from) const override;
  OutboundMessage encode_notification(const Notification& n,
                                      const EncodeContext& ctx) const override;
  // /ota/device/upgrade/{token}
  std::optional<DeviceKey> subscriber_device(
      std::string_view topic, const DeviceConnection& from) const override;
  // Its product decides success by progress 100 and fails devices that are
  // offline at push time (seed 004).
  std::optional<ProductConfig> product_defaults(const std::string& product) const override;
  // ThingsPanel devices connect with the access token as their username.
  const IdentityRule& sdk_identity() const override;
  std::optional<DownstreamTopic> downstream_topic(std::string_view topic) const override;

 private:
  std::string product_;
  // The last notification's params, by package (last_encoded.h).
  mutable LastEncoded<Package> last_params_;
};

}  // namespace ota
