#include "service/device_outbox.h"

namespace ota {

bool DeviceOutbox::send(const DeviceKey& device, OutboundMessage m, Timing timing) {
  (void)device;  // subscribers of the dialect's topic receive it (m.client_id may narrow)
  if (m.topic.empty()) return false;
  switch (timing) {
    case Timing::kAfterCommit: batch_.after_commit(std::move(m)); break;
    case Timing::kNotification: batch_.notification(std::move(m)); break;
    case Timing::kStateless: batch_.stateless(std::move(m)); break;
  }
  return true;
}

void DeviceOutbox::send_notifications(Outbox& out) {
  for (Notification& n : out) {
    const ProductConfig config = dialects_.resolved_config(engine_, n.device.product);
    if (!links_.resolve(n, config)) continue;
    if (!batch_.first_notification(n.device, n.job_id)) continue;
    const Dialect& dialect = dialects_.encoder_for(config);
    OutboundMessage m = dialect.encode_notification(n, context(n.device, config));
    // A shared-topic dialect (CTWing) cannot address a device whose
    // connection it does not know: sending would reach other devices.
    if (!send(n.device, std::move(m), Timing::kNotification)) {
      log_(LogLevel::kWarning, "mosquitto-ota: cannot address the notification for " +
           n.device.product + "/" + n.device.device + ": its connection is unknown");
    }
  }
}

}  // namespace ota
