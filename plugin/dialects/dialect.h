// A dialect is one platform's OTA wire protocol: which topics devices use and
// what their payloads look like. Each dialect is a pure codec (no broker, no
// storage): device message in -> engine event out; engine notification in ->
// topic and payload out. One file per platform, plus one line in the table
// of registry.cc. The service asks a dialect what it offers (capabilities
// below), never its name.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dialects/identity_rule.h"
#include "engine/events.h"

namespace ota {

// A message for the broker to publish.
struct OutboundMessage {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = false;
  // Empty: every subscriber of `topic`. Otherwise only this MQTT client
  // (for shared topics such as CTWing's and for control replies).
  std::string client_id;
};

// The result of offering a device message to a dialect.
struct ParseOutcome {
  enum class Kind {
    kNotMine,    // the topic is not one of this dialect's device topics
    kEvent,      // a well-formed message: `event` holds it
    kMalformed,  // this dialect's topic, but the payload is invalid: `error`
  };
  Kind kind = Kind::kNotMine;
  DeviceEvent event;
  std::string error;
  // The message's own id, for replies that echo it (Alibaba).
  std::string message_id;
  // Answers the platform sends whatever the engine decides (Tencent's
  // report_version_rsp, Alibaba's error replies); sent after the commit.
  std::vector<OutboundMessage> replies;

  static ParseOutcome not_mine() { return {}; }
  static ParseOutcome of(DeviceEvent e) { return {Kind::kEvent, std::move(e), {}, {}, {}}; }
  static ParseOutcome malformed(std::string why) {
    return {Kind::kMalformed, {}, std::move(why), {}, {}};
  }
};

// What an encoder needs beyond the notification itself.
struct EncodeContext {
  // The device's product configuration, with defaults resolved (e.g.
  // aliyun_code is never empty).
  const ProductConfig& product;
  // The client id of the device's current connection, if known: dialects
  // with shared topics address the notification to it.
  std::string_view client_id;
};

// A topic only the plugin publishes on: a device's downstream OTA topic
// (docs/security.md "Confidential downstream topics").
struct DownstreamTopic {
  // The device it is for; empty when every device of the dialect shares the
  // topic (CTWing's /ota/upgrade), and only addressing tells them apart.
  DeviceKey device;
  bool shared() const { return device.device.empty(); }
};

class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual std::string_view name() const = 0;
  // Cheap test used on every published message: could `topic` be one of
  // this dialect's device topics? (false => parse() would say kNotMine)
  virtual bool claims(std::string_view topic) const = 0;
  virtual ParseOutcome parse(std::string_view topic, std::string_view payload,
                             const DeviceConnection& from) const = 0;
  virtual OutboundMessage encode_notification(const Notification& n,
                                              const EncodeContext& ctx) const = 0;
  // The device a subscription to `topic` shows to be listening for its
  // notifications (e.g. /ota/device/upgrade/{pk}/{dn}), if any: presence.
  virtual std::optional<DeviceKey> subscriber_device(std::string_view topic,
                                                     const DeviceConnection& from) const {
    (void)topic, (void)from;
    return std::nullopt;
  }
  // Which connections speak for a device when plugin_opt_device_identity
  // is left at its default: the identity the platform's device SDK
  // connects with (DESIGN.md §10).
  virtual const IdentityRule& sdk_identity() const = 0;
  // `topic` (a topic name, no wildcards) as one of this dialect's
  // downstream topics, if it is one.
  virtual std::optional<DownstreamTopic> downstream_topic(std::string_view topic) const = 0;
  // The answer to an UpgradeQuery: the pending notification, or "none".
  // Dialects without device pull return an empty topic.
  virtual OutboundMessage encode_query_reply(const UpgradeQuery& query,
                                             const std::string& message_id,
                                             const Notification* pending,
                                             const EncodeContext& ctx) const {
    (void)query, (void)message_id, (void)pending, (void)ctx;
    return {};
  }

  // Capabilities.
  // The configuration of a product that belongs to this dialect by
  // construction (its topics name no product), until an operator sets one:
  // nullopt for every other product.
  virtual std::optional<ProductConfig> product_defaults(const std::string& product) const {
    (void)product;
    return std::nullopt;
  }
  // Its devices may read firmware in blocks over MQTT (Alibaba's
  // file/download, dialects/aliyun_download.h).
  virtual bool offers_block_download() const { return false; }
  // Its platform's user apps use the Living app topics (/living/ota/), so
  // they are served by default when the dialect is enabled.
  virtual bool serves_living_app() const { return false; }
};

// Limits every dialect enforces (seed 000/001).
inline constexpr size_t kMaxDescLength = 128;  // characters, UTF-8 aware
// Product and device names: bounded so that storage keys stay within LMDB's
// 511-byte key limit with room to spare.
inline constexpr size_t kMaxDeviceNameBytes = 128;

}  // namespace ota
