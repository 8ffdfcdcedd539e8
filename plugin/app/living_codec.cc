#include "app/living_codec.h"

#include <array>
#include <charconv>

#include "dialects/dialect.h"
#include "dialects/fields.h"
#include "json/json_util.h"

namespace ota::living {
namespace {

struct TopicName {
  Op op;
  std::string_view topic;
};

constexpr std::array<TopicName, 5> kTopics = {{
    {Op::kPendingFirmware, "/living/ota/firmware/file/get"},
    {Op::kConfirm, "/living/ota/confirm"},
    {Op::kDevicesList, "/living/ota/devices/list"},
    {Op::kProgressList, "/living/ota/progress/list"},
    {Op::kCancel, "/living/ota/cancel"},
}};

constexpr std::string_view kReplySuffix = "_reply";
// Seed 001: a message id is a decimal string from 0 to 4294967295.
constexpr uint64_t kMaxId = 4294967295u;

std::string_view request_topic(Op op) {
  for (const TopicName& t : kTopics) {
    if (t.op == op) return t.topic;
  }
  return "";
}

bool read_id(const json_t* root, std::string* id, std::string* error) {
  std::string text;
  if (!json::get_string_or_int(root, "id", &text, /*optional=*/false, error)) return false;
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || text[0] == '-' || ec != std::errc() || ptr != end || value > kMaxId) {
    *error = "field 'id' must be a decimal string from 0 to 4294967295";
    return false;
  }
  *id = std::move(text);
  return true;
}

// {"productKey","deviceName"} of `obj`; `where` prefixes errors.
bool read_device(const json_t* obj, const std::string& where, DeviceKey* out,
                 std::string* error) {
  std::string e;
  for (auto [field, target] : {std::pair{"productKey", &out->product},
                               std::pair{"deviceName", &out->device}}) {
    if (!json::get_string(obj, field, target, /*optional=*/false, &e)) {
      *error = where + e;
      return false;
    }
    if (target->empty() || !fields::name_fits(*target)) {
      *error = where + "field '" + field + "' must be 1 to " +
               std::to_string(kMaxDeviceNameBytes) + " bytes long";
      return false;
    }
  }
  return true;
}

bool read_device_list(const json_t* params, std::vector<DeviceKey>* out, std::string* error) {
  const json_t* list = nullptr;
  std::string e;
  if (!json::get_array(params, "devices", &list, /*optional=*/false, &e)) {
    *error = "params: " + e;
    return false;
  }
  const size_t n = json_array_size(list);
  if (n == 0 || n > kMaxDevices) {
    *error = "params: field 'devices' must name 1 to " + std::to_string(kMaxDevices) + " devices";
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    const json_t* item = json_array_get(list, i);
    const std::string where = "params: devices[" + std::to_string(i) + "]: ";
    if (!json_is_object(item)) {
      *error = where + "must be an object {\"productKey\",\"deviceName\"}";
      return false;
    }
    DeviceKey key;
    if (!read_device(item, where, &key, error)) return false;
    out->push_back(std::move(key));
  }
  return true;
}

}  // namespace

std::optional<Op> op_of_topic(std::string_view topic) {
  for (const TopicName& t : kTopics) {
    if (t.topic == topic) return t.op;
  }
  return std::nullopt;
}

std::string reply_topic(Op op) { return std::string(request_topic(op)) + std::string(kReplySuffix); }

bool is_reply_topic(std::string_view topic) {
  if (!topic.ends_with(kReplySuffix)) return false;
  return op_of_topic(topic.substr(0, topic.size() - kReplySuffix.size())).has_value();
}

ParsedRequest parse_request(Op op, std::string_view payload) {
  ParsedRequest out;
  out.request.op = op;
  std::string error;
  json::JsonPtr root = json::parse(payload, &error);
  if (!root) {
    out.error = "payload is not a JSON object: " + error;
    return out;
  }
  std::string version;
  const json_t* params = nullptr;
  // Params may be left out only where the request names no device.
  const bool names_devices = op == Op::kConfirm || op == Op::kCancel || op == Op::kProgressList;
  if (!read_id(root.get(), &out.request.id, &error) ||
      !json::get_string(root.get(), "version", &version, /*optional=*/true, &error) ||
      !json::get_object(root.get(), "params", &params, /*optional=*/!names_devices, &error)) {
    out.error = error;
    return out;
  }
  if (op == Op::kConfirm || op == Op::kCancel) {
    DeviceKey key;
    if (!read_device(params, "params: ", &key, &out.error)) return out;
    out.request.devices.push_back(std::move(key));
  } else if (op == Op::kProgressList) {
    if (!read_device_list(params, &out.request.devices, &out.error)) return out;
  }
  out.ok = true;
  return out;
}

std::string encode_reply(const std::string& id, int code, json_t* data,
                         std::string_view message) {
  json::JsonPtr reply(json_object());
  if (!id.empty()) json::set_string(reply.get(), "id", id);
  json_object_set_new(reply.get(), "code", json_integer(code));
  json_object_set_new(reply.get(), "data", data ? data : json_object());
  if (!json::set_string(reply.get(), "message", message)) {
    json::set_string(reply.get(), "message", "error");
  }
  return json::dump(reply.get());
}

}  // namespace ota::living
