// The `ctwing` dialect (seed 002, China Telecom CTWing): every device shares
// the same three topics, so the device is the MQTT client that published
// (its client id or username, per DialectOptions::ctwing_identity) and a
// notification must be addressed to that one client.
//
//   up    /ota/inform    {"taskId":-1,"params":{"version","module"}}
//   up    /ota/progress  {"taskId":<int>,"params":{"step","desc","module"}}
//   down  /ota/upgrade   {"taskId":<int>,"payload":{"size","version","url",
//                         "md5","token","module"}}
//
// Every device of this dialect belongs to one product
// (DialectOptions::ctwing_product).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dialects/dialect.h"
#include "dialects/last_encoded.h"

namespace ota {

class CtwingDialect final : public Dialect {
 public:
  // `identity`: kUsername takes the device name from the MQTT username;
  // anything else from the client id.
  CtwingDialect(IdentitySource identity, std::string product)
      : identity_(identity), product_(std::move(product)) {}
  std::string_view name() const override { return "ctwing"; }
  bool claims(std::string_view topic) const override;
  ParseOutcome parse(std::string_view topic, std::string_view payload,
                     const DeviceConnection& from) const override;
  // Addressed to ctx.client_id; without one, to the device name when that
  // is the client id. When the device is known only by its username and
  // its client id is unknown, the result has an empty topic: there is no
  // way to reach only that device, so nothing must be sent.
  OutboundMessage encode_notification(const Notification& n,
                                      const EncodeContext& ctx) const override;
  // A subscription to /ota/upgrade: the subscribing client's device.
  std::optional<DeviceKey> subscriber_device(
      std::string_view topic, const DeviceConnection& from) const override;
  // Its product knows devices by the identity this dialect reads.
  std::optional<ProductConfig> product_defaults(const std::string& product) const override;
  // The device is the connection; when it has a username (and is named by
  // its client id), the username must be the device's name too.
  const IdentityRule& sdk_identity() const override;
  std::optional<DownstreamTopic> downstream_topic(std::string_view topic) const override;

 private:
  // The device name `from` stands for, or "" when it has none.
  std::string_view identity_of(const DeviceConnection& from) const;

  IdentitySource identity_;
  std::string product_;
  // The last notification's payload, by package and job (last_encoded.h).
  mutable LastEncoded<Package, JobId> last_payload_;
};

}  // namespace ota
