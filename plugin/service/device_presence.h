// Which devices can be reached now, learned from the broker's connections:
// a device is online while any connection that spoke for it, or subscribed
// to its notification topic, stays open (a device may listen on one
// connection and publish on short-lived others, as mosquitto_sub and
// mosquitto_pub do). mosquitto 2.0.11 has no connect event, so this is the
// best signal there is; after a restart devices are offline until they
// subscribe or speak again.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "engine/engine.h"

namespace ota {

class DevicePresence final : public Presence {
 public:
  enum class Arrival {
    kCameOnline,  // the device was offline before this connection
    kWasOnline,   // another (or this) connection already served it
  };
  // The connection `handle` (client id `client_id`) is the device's, and
  // its most recent one.
  Arrival record_connection(const DeviceKey& device, const void* handle,
                            std::string_view client_id);
  // The connection stopped listening for the device (unsubscribe).
  void unsubscribed(const DeviceKey& device, const void* handle);
  // The connection closed: the devices it alone served go offline.
  void disconnected(const void* handle);

  bool is_online(const DeviceKey& device) const override;
  // The client id of the device's most recent connection, "" if offline.
  std::string client_id(const DeviceKey& device) const;
  // The client ids of all the device's open connections, each once, most
  // recent last (every one gets a copy of a message to the device).
  std::vector<std::string> client_ids(const DeviceKey& device) const;
  size_t online_count() const { return devices_.size(); }

 private:
  struct Connection {
    const void* handle = nullptr;
    std::string client_id;
  };
  struct Served {
    // connections.back().handle, kept in the table's slot: the check every
    // device message makes reads no other memory (the list is on the heap).
    const void* latest = nullptr;
    std::vector<Connection> connections;  // most recent last, never empty
  };
  void forget(const DeviceKey& device, const void* handle);

  // Hash maps: record_connection() and is_online() run on every device message.
  absl::flat_hash_map<DeviceKey, Served, DeviceKeyHash> devices_;
  std::unordered_map<const void*, std::unordered_set<DeviceKey, DeviceKeyHash>> by_connection_;
};

}  // namespace ota
