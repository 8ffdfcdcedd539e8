// Routing of what clients publish and subscribe to: device messages to their
// dialect and the engine, firmware block requests to the block server,
// Living app requests to the app, control commands to the control API, and
// device subscriptions to presence. Everything a message causes is queued on
// the batch (BatchCommitter), which says when it leaves; every message to a
// device goes through DeviceOutbox.
#pragma once

#include <string_view>

#include "engine/engine.h"
#include "service/access_policy.h"
#include "service/batch_committer.h"
#include "service/block_download_server.h"
#include "service/device_outbox.h"
#include "service/device_presence.h"
#include "service/dialect_set.h"
#include "service/log_throttle.h"
#include "service/monitoring.h"

namespace ota {

class LivingApp;
class FirmwareStore;

struct RoutingOptions {
  size_t max_payload_bytes = 16384;
  bool consume_device_messages = false;  // drop OTA device messages at the plugin
};

// The units a router works with; the service owns them.
struct RouterUnits {
  Engine& engine;
  Store& store;
  DevicePresence& presence;
  const DialectSet& dialects;
  const AccessPolicy& access;
  BatchCommitter& batch;
  DeviceOutbox& outbox;
  RejectionLog& rejections;
  ServiceCounters& counters;
  const Logger& log;
  LivingApp* living = nullptr;               // null: Living app topics off
  BlockDownloadServer* blocks = nullptr;     // null: no MQTT block download
  FirmwareStore* firmware = nullptr;         // for upload commands
};

class MessageRouter {
 public:
  MessageRouter(RoutingOptions options, RouterUnits units)
      : options_(options), u_(units) {}

  MessageVerdict on_message(std::string_view topic, std::string_view payload,
                            const ClientInfo& client, TimeMs now);
  // The device's own connection subscribed to (or unsubscribed from) its
  // downstream topic (AccessPolicy::device_verdict said so): presence, and
  // a waiting push that can leave now.
  void on_subscription(const DeviceKey& device, bool subscribe, const ClientInfo& client,
                       TimeMs now);
  // A $CONTROL/ota/v1 payload, answered to its client after the commit.
  void on_control(std::string_view payload, const ClientInfo& client, TimeMs now);

 private:
  MessageVerdict on_device_message(std::string_view topic, std::string_view payload,
                                   const ClientInfo& client, TimeMs now);
  // A device message a dialect took: rejected, or checked and handled.
  MessageVerdict on_parsed(const Dialect& dialect, ParseOutcome& parsed, std::string_view topic,
                           const ClientInfo& client, TimeMs now);
  void handle_event(const Dialect& dialect, ParseOutcome& parsed, std::string_view topic,
                    const ClientInfo& client, TimeMs now);
  void handle_app_request(std::string_view topic, std::string_view payload,
                          const ClientInfo& client, TimeMs now);
  MessageVerdict passed() const {
    return options_.consume_device_messages ? MessageVerdict::kDrop : MessageVerdict::kPass;
  }

  RoutingOptions options_;
  RouterUnits u_;
};

}  // namespace ota
