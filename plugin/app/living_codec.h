// The app side of Alibaba's Living platform OTA (seed 001): five request
// topics an app publishes to, each answered on the same topic + "_reply".
// Pure parsing and encoding, no engine and no broker. The payloads follow
// Alibaba's Alink style (docs/dialects.md "Living app topics"):
//
//   request  {"id":"<decimal>","version":"1.0","params":{...}}
//   reply    {"id":"<same>","code":200,"data":{...},"message":"success"}
//   error    {"id":"<same>","code":403,"data":{},"message":"<why>"}
#pragma once

#include <jansson.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model.h"

namespace ota::living {

enum class Op {
  kPendingFirmware,  // /living/ota/firmware/file/get: upgrades awaiting confirmation
  kConfirm,          // /living/ota/confirm: the user lets one go ahead
  kDevicesList,      // /living/ota/devices/list: devices upgrading now
  kProgressList,     // /living/ota/progress/list: progress of given devices
  kCancel,           // /living/ota/cancel: stop a device's upgrade
};

inline constexpr std::string_view kTopicPrefix = "/living/ota/";

// The operation of a request topic; nullopt for any other topic.
std::optional<Op> op_of_topic(std::string_view topic);
// The request topic + "_reply".
std::string reply_topic(Op op);
bool is_reply_topic(std::string_view topic);

// Reply codes, HTTP-like as Alibaba's.
inline constexpr int kOk = 200;
inline constexpr int kBadRequest = 400;    // malformed request
inline constexpr int kUnauthorized = 401;  // the connection has no app identity
inline constexpr int kForbidden = 403;     // a device not bound to the user
inline constexpr int kNotFound = 404;      // no such upgrade for the device
inline constexpr int kConflict = 409;      // the upgrade is not in a state for that

// Devices one progress/list request may name.
inline constexpr size_t kMaxDevices = 100;

struct Request {
  Op op = Op::kPendingFirmware;
  std::string id;  // echoed in the reply
  // confirm and cancel: exactly one; progress/list: 1..kMaxDevices;
  // firmware/file/get and devices/list: none (all the user's devices).
  std::vector<DeviceKey> devices;
};

struct ParsedRequest {
  bool ok = false;
  Request request;    // request.id is set whenever it could be read
  std::string error;  // why the request is malformed
};

ParsedRequest parse_request(Op op, std::string_view payload);

// The reply payload. Takes ownership of `data` (null: an empty object). An
// empty id is left out (it could not be read from the request).
std::string encode_reply(const std::string& id, int code, json_t* data,
                         std::string_view message);

}  // namespace ota::living
