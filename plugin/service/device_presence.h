// Which devices can be reached now, learned from the broker's connections:
// a device is online while a connection that spoke for it, or subscribed to
// its notification topic, stays open. mosquitto 2.0.11 has no connect
// event, so this is the best signal there is; after a restart devices are
// offline until they subscribe or speak again.
#pragma once

#include <map>
#include <set>
#include <string>

#include "engine/engine.h"

namespace ota {

class DevicePresence final : public Presence {
 public:
  // The connection `handle` (client id `client_id`) is the device's.
  // Returns true if the device was offline before.
  bool seen(const DeviceKey& device, const void* handle, std::string_view client_id);
  // The connection stopped listening for the device (unsubscribe).
  void unsubscribed(const DeviceKey& device, const void* handle);
  // The connection closed: its devices go offline (unless a newer
  // connection took them over, as on a session takeover).
  void disconnected(const void* handle);

  bool is_online(const DeviceKey& device) const override;
  // The client id of the device's connection, "" if offline.
  std::string client_id(const DeviceKey& device) const;
  size_t online_count() const { return devices_.size(); }

 private:
  struct Connection {
    const void* handle = nullptr;
    std::string client_id;
  };
  std::map<DeviceKey, Connection> devices_;
  std::map<const void*, std::set<DeviceKey>> by_connection_;
};

}  // namespace ota
