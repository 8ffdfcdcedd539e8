// The one path of every message to a device: notifications, query replies,
// dialect replies and MQTT firmware blocks all leave through send() or
// reply(), which hand them to the batch (caused by its state, or stateless).
// How a device message is addressed is decided here and nowhere else: to
// the client id of each of the device's own connections (docs/security.md),
// never to subscribers, so no other client's filter matches it and a device
// that never subscribes (Alibaba LinkSDK 4.x) still gets it.
#pragma once

#include "engine/engine.h"
#include "service/batch_committer.h"
#include "service/device_presence.h"
#include "service/dialect_set.h"
#include "service/download_links.h"

namespace ota {

class DeviceOutbox {
 public:
  enum class Timing {
    kCaused,        // caused by the batch's state: leaves with its loop iteration
    kNotification,  // ... and counted as a notification when it leaves
    kStateless,     // records no state (a firmware block): leaves even if the batch fails
  };

  DeviceOutbox(BatchCommitter& batch, const DevicePresence& presence, const DialectSet& dialects,
               const DownloadLinks& links, Engine& engine, const Logger& log)
      : batch_(batch), presence_(presence), dialects_(dialects), links_(links),
        engine_(engine), log_(log) {}

  // Queues a copy of `m` for each open connection of `device`. False,
  // nothing queued, when the message has no topic or the device has no
  // open connection of its own.
  bool send(const DeviceKey& device, OutboundMessage m, Timing timing = Timing::kCaused);
  // Queues `m` for the connection that asked (a reply to its request).
  bool reply(const ClientInfo& asker, OutboundMessage m, Timing timing = Timing::kCaused);
  // The engine's notifications, each encoded by its product's dialect with
  // its download link; a device is told of a job once per batch. Inline for
  // the usual case: most reports and ticks notify nobody.
  void send_notifications(Outbox& out) {
    if (!out.empty()) send_each(out);
  }
  const DownloadLinks& links() const { return links_; }
  // What an encoder of `device`'s messages needs to know.
  EncodeContext context(const DeviceKey& device, const ProductConfig& resolved) {
    client_id_ = presence_.client_id(device);
    return {resolved, client_id_};
  }

 private:
  void send_each(Outbox& out);
  BatchCommitter& batch_;
  const DevicePresence& presence_;
  const DialectSet& dialects_;
  const DownloadLinks& links_;
  Engine& engine_;
  const Logger& log_;
  std::string client_id_;  // backs the last context()

  void queue(OutboundMessage m, Timing timing);
};

}  // namespace ota
