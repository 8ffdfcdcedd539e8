#include "dialects/thingspanel.h"

#include <array>

#include "dialects/fields.h"
#include "dialects/topic_levels.h"
#include "json/json_util.h"

namespace ota {
namespace {

constexpr std::string_view kInformPrefix = "/ota/device/inform/";
constexpr std::string_view kProgressPrefix = "/ota/device/progress/";
constexpr std::string_view kUpgradePrefix = "/ota/device/upgrade/";

// Exactly {prefix}{token}: the aliyun shapes (two levels) are not ours.
bool match_token(std::string_view topic, std::string_view prefix,
                 std::string_view* token) {
  std::array<std::string_view, 1> levels;
  if (!topic.starts_with(prefix) ||
      !split_levels(topic.substr(prefix.size()), levels)) {
    return false;
  }
  *token = levels[0];
  return true;
}

ParseOutcome parse_inform(DeviceKey device, const json_t* root) {
  VersionReport report;
  report.device = std::move(device);
  std::string error;
  std::string id;
  const json_t* params = nullptr;
  if (!fields::read_message_id(root, &id, &error) ||
      !json::get_object(root, "params", &params, /*optional=*/false,
                        &error)) {
    return ParseOutcome::malformed(error);
  }
  if (!fields::read_version(params, "version", /*optional=*/false,
                            &report.version, &error) ||
      !fields::read_module(params, "module", &report.module, &error)) {
    return ParseOutcome::malformed("params: " + error);
  }
  ParseOutcome out = ParseOutcome::of(std::move(report));
  out.message_id = std::move(id);
  return out;
}

// Seed 004: no params wrapper and no id; step a string ("100"), accepted
// as an integer too, as in the aliyun dialect.
ParseOutcome parse_progress(DeviceKey device, const json_t* root) {
  ProgressReport report;
  report.device = std::move(device);
  std::string error;
  int64_t step = 0;
  if (!fields::read_integer(root, "step", fields::IntForm::kStringOrInteger,
                            fields::kMinStep, fields::kMaxStep,
                            /*optional=*/false, &step, &error) ||
      !fields::read_desc(root, &report.desc, &error) ||
      !fields::read_module(root, "module", &report.module, &error)) {
    return ParseOutcome::malformed(error);
  }
  report.step = static_cast<int32_t>(step);
  return ParseOutcome::of(std::move(report));
}

}  // namespace

std::optional<DeviceKey> ThingsPanelDialect::subscriber_device(
    std::string_view topic, const DeviceConnection&) const {
  std::string_view token;
  if (has_wildcard(topic) || !match_token(topic, kUpgradePrefix, &token) ||
      !fields::name_fits(token)) {
    return std::nullopt;
  }
  return DeviceKey{product_, std::string(token)};
}

bool ThingsPanelDialect::claims(std::string_view topic) const {
  return topic.starts_with(kInformPrefix) ||
         topic.starts_with(kProgressPrefix);
}

ParseOutcome ThingsPanelDialect::parse(std::string_view topic,
                                       std::string_view payload,
                                       const DeviceConnection&) const {
  std::string_view token;
  bool inform = match_token(topic, kInformPrefix, &token);
  if (!inform && !match_token(topic, kProgressPrefix, &token)) {
    return ParseOutcome::not_mine();
  }
  if (!fields::name_fits(token)) {
    return ParseOutcome::malformed("access token must be at most " +
                                   std::to_string(kMaxDeviceNameBytes) +
                                   " bytes");
  }
  DeviceKey device{product_, std::string(token)};
  std::string error;
  json::JsonPtr root = json::parse(payload, &error);
  if (root == nullptr) return ParseOutcome::malformed("payload: " + error);
  return inform ? parse_inform(std::move(device), root.get())
                : parse_progress(std::move(device), root.get());
}

namespace {

// The notification's params: the package's, the same for every device.
std::string upgrade_params(const Package& p) {
  // Keys, order and types as seed 004's example: "signMethod" spelt "Md5"
  // (its table's "MD5" aside).
  json::JsonPtr params(json_object());
  json::set_string(params.get(), "version", p.version);
  json_object_set_new(params.get(), "size",
                      json_integer(static_cast<json_int_t>(p.size)));
  json::set_string(params.get(), "url", p.url);
  json::set_string(params.get(), "signMethod",
                   p.sign_method == SignMethod::kMd5
                       ? std::string_view("Md5")
                       : to_string(p.sign_method));
  json::set_string(params.get(), "sign", p.sign);
  // "模块名为default时，物联网平台不下发module参数" (seed 004).
  if (!p.module.empty() && p.module != kDefaultModule) {
    json::set_string(params.get(), "module", p.module);
  }
  if (!p.ext_data_json.empty()) {
    json::JsonPtr ext = json::parse(p.ext_data_json, nullptr);
    if (ext != nullptr && json_object_size(ext.get()) > 0) {
      json_object_set_new(params.get(), "extData", ext.release());
    }
  }
  return json::dump(params.get());
}

}  // namespace

OutboundMessage ThingsPanelDialect::encode_notification(
    const Notification& n, const EncodeContext&) const {
  // {"id":"<time>","code":200,"params":{...}}: "id" a string, "code" the
  // number 200, as seed 004's example; the id is digits, so it needs no
  // escaping.
  OutboundMessage out;
  out.topic = std::string(kUpgradePrefix) + n.device.device;
  out.payload = "{\"id\":\"" + std::to_string(n.at) + "\",\"code\":200,\"params\":" +
                last_params_.get({n.package}, [&] { return upgrade_params(n.package); }) + "}";
  return out;
}

std::optional<ProductConfig> ThingsPanelDialect::product_defaults(
    const std::string& product) const {
  if (product != product_) return std::nullopt;
  ProductConfig c;
  c.product = product;
  c.dialect = std::string(name());
  c.success_rule = SuccessRule::kProgress100;
  c.offline_policy = OfflinePolicy::kFail;
  return c;
}

}  // namespace ota

namespace ota {

const IdentityRule& ThingsPanelDialect::sdk_identity() const {
  // The token is the device's name; the client id is the device's choice.
  static const IdentityRule rule = IdentityRule::of({"{dn}"}, {});
  return rule;
}

std::optional<DownstreamTopic> ThingsPanelDialect::downstream_topic(
    std::string_view topic) const {
  std::string_view token;
  if (!match_token(topic, kUpgradePrefix, &token)) return std::nullopt;
  return DownstreamTopic{{product_, std::string(token)}};
}

}  // namespace ota
