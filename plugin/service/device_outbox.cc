#include "service/device_outbox.h"

namespace ota {

void DeviceOutbox::queue(OutboundMessage m, Timing timing) {
  switch (timing) {
    case Timing::kCaused: batch_.caused(std::move(m)); break;
    case Timing::kNotification: batch_.notification(std::move(m)); break;
    case Timing::kStateless: batch_.stateless(std::move(m)); break;
  }
}

bool DeviceOutbox::send(const DeviceKey& device, OutboundMessage m, Timing timing) {
  if (m.topic.empty()) return false;
  const std::vector<std::string> ids = presence_.client_ids(device);
  if (ids.empty()) return false;
  m.qos = 1;
  for (size_t i = 0; i < ids.size(); ++i) {
    OutboundMessage copy = i + 1 == ids.size() ? std::move(m) : m;
    copy.client_id = ids[i];
    // One notification, however many connections it reaches.
    queue(std::move(copy), timing == Timing::kNotification && i > 0 ? Timing::kCaused : timing);
  }
  return true;
}

bool DeviceOutbox::reply(const ClientInfo& asker, OutboundMessage m, Timing timing) {
  if (m.topic.empty() || asker.client_id.empty()) return false;
  m.qos = 1;
  m.client_id = std::string(asker.client_id);
  queue(std::move(m), timing);
  return true;
}

void DeviceOutbox::send_each(Outbox& out) {
  for (Notification& n : out) {
    const ProductConfig config = dialects_.resolved_config(engine_, n.device.product);
    if (!links_.resolve(n, config)) continue;
    if (!batch_.first_notification(n.device, n.job_id)) continue;
    const Dialect& dialect = dialects_.encoder_for(config);
    OutboundMessage m = dialect.encode_notification(n, context(n.device, config));
    // Only to the device's own connections: with none open, it would reach
    // nobody or the wrong client.
    if (!send(n.device, std::move(m), Timing::kNotification)) {
      log_(LogLevel::kWarning, "mosquitto-ota: cannot address the notification for " +
           n.device.product + "/" + n.device.device + ": it has no open connection of its own");
    }
  }
}

}  // namespace ota
