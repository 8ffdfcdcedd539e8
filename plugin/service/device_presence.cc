#include "service/device_presence.h"

namespace ota {

bool DevicePresence::seen(const DeviceKey& device, const void* handle,
                          std::string_view client_id) {
  auto [it, inserted] = devices_.try_emplace(device);
  if (!inserted && it->second.handle == handle) return false;
  if (!inserted) {
    auto old = by_connection_.find(it->second.handle);
    if (old != by_connection_.end()) old->second.erase(device);
  }
  it->second = {handle, std::string(client_id)};
  by_connection_[handle].insert(device);
  return inserted;
}

void DevicePresence::unsubscribed(const DeviceKey& device, const void* handle) {
  auto it = devices_.find(device);
  if (it == devices_.end() || it->second.handle != handle) return;
  devices_.erase(it);
  auto conn = by_connection_.find(handle);
  if (conn != by_connection_.end()) conn->second.erase(device);
}

void DevicePresence::disconnected(const void* handle) {
  auto conn = by_connection_.find(handle);
  if (conn == by_connection_.end()) return;
  for (const DeviceKey& device : conn->second) {
    auto it = devices_.find(device);
    if (it != devices_.end() && it->second.handle == handle) devices_.erase(it);
  }
  by_connection_.erase(conn);
}

bool DevicePresence::is_online(const DeviceKey& device) const {
  return devices_.count(device) > 0;
}

std::string DevicePresence::client_id(const DeviceKey& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? "" : it->second.client_id;
}

}  // namespace ota
