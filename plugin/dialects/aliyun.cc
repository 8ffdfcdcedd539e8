#include "dialects/aliyun.h"

#include <charconv>
#include <optional>
#include <string>

#include "json/json_util.h"

namespace ota {
namespace {

constexpr std::string_view kPrefix = "/ota/device/";
constexpr std::string_view kUpgradeTopic = "/ota/device/upgrade/";
constexpr std::string_view kInformPrefix = "/ota/device/inform/";
constexpr std::string_view kProgressPrefix = "/ota/device/progress/";
// Bounds on what we store per device: version and module names are opaque
// but must not grow the store without limit.
constexpr size_t kMaxVersionBytes = 128;
constexpr size_t kMaxModuleBytes = 128;
// -1..-4 are failure codes, 1..100 percent, 0 "entering download" (§10).
constexpr int64_t kMinStep = -4;
constexpr int64_t kMaxStep = 100;
// Longer offending values are summarised in errors, not echoed into logs.
constexpr size_t kMaxEchoBytes = 32;

enum class TopicKind { kInform, kProgress };

struct DeviceTopic {
  TopicKind kind;
  DeviceKey device;
};

// Accepts exactly /ota/device/{inform|progress}/{pk}/{dn}. Other shapes under
// /ota/device/ belong to other dialects (ThingsPanel's /inform/{token}) or
// are our own downstream topic (/upgrade/...).
std::optional<DeviceTopic> split_topic(std::string_view topic) {
  if (!topic.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = topic.substr(kPrefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view verb = rest.substr(0, slash);
  rest = rest.substr(slash + 1);
  slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view pk = rest.substr(0, slash);
  std::string_view dn = rest.substr(slash + 1);
  if (pk.empty() || dn.empty() || dn.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  TopicKind kind;
  if (verb == "inform") {
    kind = TopicKind::kInform;
  } else if (verb == "progress") {
    kind = TopicKind::kProgress;
  } else {
    return std::nullopt;
  }
  return DeviceTopic{kind, DeviceKey{std::string(pk), std::string(dn)}};
}

// `id` is unused but, when sent, must look like a message id: devices send
// it as a string (the documents) or as a number (real SDKs send 0, §10).
bool check_id(const json_t* root, std::string* error) {
  std::string id;
  if (!json::get_string_or_int(root, "id", &id, /*optional=*/true, error)) {
    return false;
  }
  const json_t* v = json_object_get(root, "id");
  if (json_is_integer(v) && json_integer_value(v) < 0) {
    *error = "field 'id' must not be negative, got " + id;
    return false;
  }
  return true;
}

// params.module: absent or "" means the default module (seed 001).
bool read_module(const json_t* params, std::string* module,
                 std::string* error) {
  std::string m;
  if (!json::get_string(params, "module", &m, /*optional=*/true, error)) {
    return false;
  }
  if (m.size() > kMaxModuleBytes) {
    *error = "field 'module' is longer than " +
             std::to_string(kMaxModuleBytes) + " bytes (" +
             std::to_string(m.size()) + ")";
    return false;
  }
  if (!m.empty()) *module = std::move(m);
  return true;
}

bool read_version(const json_t* params, std::string* version,
                  std::string* error) {
  if (!json::get_string(params, "version", version, /*optional=*/false,
                        error)) {
    return false;
  }
  if (version->empty()) {
    *error = "field 'version' must not be empty";
    return false;
  }
  if (version->size() > kMaxVersionBytes) {
    *error = "field 'version' is longer than " +
             std::to_string(kMaxVersionBytes) + " bytes (" +
             std::to_string(version->size()) + ")";
    return false;
  }
  return true;
}

// params.step: "50" per the documents, 50 from some SDKs; both mean 50.
bool read_step(const json_t* params, int32_t* step, std::string* error) {
  std::string text;
  if (!json::get_string_or_int(params, "step", &text, /*optional=*/false,
                               error)) {
    return false;
  }
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc() && ptr == end && value >= kMinStep &&
      value <= kMaxStep) {
    *step = static_cast<int32_t>(value);
    return true;
  }
  std::string shown =
      text.size() <= kMaxEchoBytes
          ? json::dump(json_object_get(params, "step"))
          : "a string of " + std::to_string(text.size()) + " bytes";
  *error = "field 'step' must be an integer from " + std::to_string(kMinStep) +
           " to " + std::to_string(kMaxStep) + ", got " + shown;
  return false;
}

bool read_desc(const json_t* params, std::string* desc, std::string* error) {
  if (!json::get_string(params, "desc", desc, /*optional=*/true, error)) {
    return false;
  }
  size_t chars = json::utf8_length(*desc);
  if (chars > kMaxDescLength) {
    *error = "field 'desc' is longer than " + std::to_string(kMaxDescLength) +
             " characters (" + std::to_string(chars) + ")";
    return false;
  }
  return true;
}

ParseOutcome parse_inform(DeviceKey device, const json_t* params) {
  VersionReport report;
  report.device = std::move(device);
  std::string error;
  if (!read_version(params, &report.version, &error) ||
      !read_module(params, &report.module, &error)) {
    return ParseOutcome::malformed("params: " + error);
  }
  return ParseOutcome::of(std::move(report));
}

ParseOutcome parse_progress(DeviceKey device, const json_t* params) {
  ProgressReport report;
  report.device = std::move(device);
  std::string error;
  if (!read_step(params, &report.step, &error) ||
      !read_desc(params, &report.desc, &error) ||
      !read_module(params, &report.module, &error)) {
    return ParseOutcome::malformed("params: " + error);
  }
  return ParseOutcome::of(std::move(report));
}


}  // namespace

bool AliyunDialect::claims(std::string_view topic) const {
  return topic.starts_with(kPrefix);
}

ParseOutcome AliyunDialect::parse(std::string_view topic,
                                  std::string_view payload,
                                  const DeviceConnection&) const {
  std::optional<DeviceTopic> t = split_topic(topic);
  if (t && (t->device.product.size() > kMaxDeviceNameBytes ||
            t->device.device.size() > kMaxDeviceNameBytes)) {
    return ParseOutcome::malformed("product key and device name must be at most " +
                                   std::to_string(kMaxDeviceNameBytes) + " bytes each");
  }
  if (!t) {
    // A device topic of ours with the wrong levels is a broken device, not
    // someone else's traffic. (Until a ThingsPanel dialect claims the
    // one-level /inform/{token} shape, that shape is malformed here too.)
    if (topic.starts_with(kInformPrefix) || topic.starts_with(kProgressPrefix)) {
      return ParseOutcome::malformed(
          "topic must be /ota/device/{inform|progress}/{productKey}/{deviceName}");
    }
    return ParseOutcome::not_mine();
  }

  std::string error;
  json::JsonPtr root = json::parse(payload, &error);
  if (root == nullptr) return ParseOutcome::malformed("payload: " + error);
  if (!check_id(root.get(), &error)) return ParseOutcome::malformed(error);
  const json_t* params = nullptr;
  if (!json::get_object(root.get(), "params", &params, /*optional=*/false,
                        &error)) {
    return ParseOutcome::malformed(error);
  }
  return t->kind == TopicKind::kInform
             ? parse_inform(std::move(t->device), params)
             : parse_progress(std::move(t->device), params);
}

OutboundMessage AliyunDialect::encode_notification(
    const Notification& n, const EncodeContext& ctx) const {
  const Package& p = n.package;
  // Key order follows seed 000's example; devices parse by key, but exact
  // output keeps captures and tests comparable.
  json::JsonPtr data(json_object());
  json_object_set_new(data.get(), "size",
                      json_integer(static_cast<json_int_t>(p.size)));
  json::set_string(data.get(), "version", p.version);
  json::set_string(data.get(), "url", p.url);
  json::set_string(data.get(), "sign", p.sign);
  json::set_string(data.get(), "signMethod", to_string(p.sign_method));
  // Alibaba devices ignore a notification without md5 (§10).
  const std::string& md5 =
      !p.md5.empty() || p.sign_method != SignMethod::kMd5 ? p.md5 : p.sign;
  if (!md5.empty()) json::set_string(data.get(), "md5", md5);
  // The platform omits module for the default module (seed 001).
  if (!p.module.empty() && p.module != kDefaultModule) {
    json::set_string(data.get(), "module", p.module);
  }
  if (!p.ext_data_json.empty()) {
    // Validated as an object when the package was created; an unreadable
    // value is left out rather than failing the notification.
    json::JsonPtr ext = json::parse(p.ext_data_json, nullptr);
    if (ext != nullptr && json_object_size(ext.get()) > 0) {
      json_object_set_new(data.get(), "extData", ext.release());
    }
  }

  json::JsonPtr root(json_object());
  json::set_string(root.get(), "code", ctx.product.aliyun_code);
  json_object_set_new(root.get(), "data", data.release());
  json_object_set_new(root.get(), "id",
                      json_integer(static_cast<json_int_t>(n.at)));
  json::set_string(root.get(), "message", "success");

  OutboundMessage out;
  out.topic = std::string(kUpgradeTopic) + n.device.product + "/" +
              n.device.device;
  out.payload = json::dump(root.get());
  out.qos = 1;
  out.retain = false;
  return out;
}

}  // namespace ota
