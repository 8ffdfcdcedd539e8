// The vocabulary the broker glue (plugin/broker/) and the service share:
// who sent a message, what the broker should do with it, how the service
// logs. No mosquitto headers, so the service stays testable without one.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace ota {

// Who sent a message. `handle` identifies the connection (mosquitto's
// struct mosquitto*), which outlives a client id taken over by a reconnect.
struct ClientInfo {
  const void* handle = nullptr;
  std::string_view client_id;
  std::string_view username;
};

enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError };
using Logger = std::function<void(LogLevel, const std::string&)>;

// What the broker should do with a client's PUBLISH after the plugin read it.
enum class MessageVerdict { kPass, kDrop };

enum class AclAccess { kRead, kWrite, kSubscribe, kUnsubscribe };
enum class AclVerdict { kAllow, kDeny, kDefer };

}  // namespace ota
