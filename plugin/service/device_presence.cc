#include "service/device_presence.h"

#include <algorithm>

namespace ota {

DevicePresence::Arrival DevicePresence::record_connection(const DeviceKey& device,
                                                         const void* handle,
                                                         std::string_view client_id) {
  // Most messages come from the connection that spoke for the device last.
  if (auto known = devices_.find(device); known != devices_.end() && known->second.latest == handle) {
    return Arrival::kWasOnline;
  }
  Served& served = devices_[device];
  std::vector<Connection>& connections = served.connections;
  const bool was_offline = connections.empty();
  auto it = std::find_if(connections.begin(), connections.end(),
                         [&](const Connection& c) { return c.handle == handle; });
  if (it != connections.end()) connections.erase(it);
  connections.push_back({handle, std::string(client_id)});
  served.latest = handle;
  by_connection_[handle].insert(device);
  return was_offline ? Arrival::kCameOnline : Arrival::kWasOnline;
}

void DevicePresence::forget(const DeviceKey& device, const void* handle) {
  auto it = devices_.find(device);
  if (it == devices_.end()) return;
  std::vector<Connection>& connections = it->second.connections;
  std::erase_if(connections, [&](const Connection& c) { return c.handle == handle; });
  if (connections.empty()) {
    devices_.erase(it);
  } else {
    it->second.latest = connections.back().handle;
  }
}

void DevicePresence::unsubscribed(const DeviceKey& device, const void* handle) {
  forget(device, handle);
  auto conn = by_connection_.find(handle);
  if (conn == by_connection_.end()) return;
  conn->second.erase(device);
  if (conn->second.empty()) by_connection_.erase(conn);
}

void DevicePresence::disconnected(const void* handle) {
  auto conn = by_connection_.find(handle);
  if (conn == by_connection_.end()) return;
  for (const DeviceKey& device : conn->second) forget(device, handle);
  by_connection_.erase(conn);
}

bool DevicePresence::is_online(const DeviceKey& device) const {
  return devices_.count(device) > 0;
}

std::string DevicePresence::client_id(const DeviceKey& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? "" : it->second.connections.back().client_id;
}

std::vector<std::string> DevicePresence::client_ids(const DeviceKey& device) const {
  std::vector<std::string> ids;
  auto it = devices_.find(device);
  if (it == devices_.end()) return ids;
  for (const Connection& c : it->second.connections) {
    if (c.client_id.empty() || std::find(ids.begin(), ids.end(), c.client_id) != ids.end()) continue;
    ids.push_back(c.client_id);
  }
  return ids;
}

}  // namespace ota
