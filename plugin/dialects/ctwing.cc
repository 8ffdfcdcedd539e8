#include "dialects/ctwing.h"

#include "dialects/fields.h"
#include "json/json_util.h"

namespace ota {
namespace {

constexpr std::string_view kInformTopic = "/ota/inform";
constexpr std::string_view kProgressTopic = "/ota/progress";
constexpr std::string_view kUpgradeTopic = "/ota/upgrade";
// "taskId: 当前无升级任务情况取 -1" (seed 002).
constexpr int64_t kNoTask = -1;

// Every CTWing message is {"taskId":<int>,"params":{...}}. taskId is an int
// in the seed's table and examples, so "5" is malformed.
bool read_envelope(const json_t* root, int64_t* task_id, const json_t** params,
                   std::string* error) {
  return fields::read_integer(root, "taskId", fields::IntForm::kInteger,
                              kNoTask, fields::kNoMax, /*optional=*/false,
                              task_id, error) &&
         json::get_object(root, "params", params, /*optional=*/false, error);
}

ParseOutcome parse_inform(DeviceKey device, const json_t* root) {
  VersionReport report;
  report.device = std::move(device);
  std::string error;
  int64_t task_id = kNoTask;
  const json_t* params = nullptr;
  if (!read_envelope(root, &task_id, &params, &error)) {
    return ParseOutcome::malformed(error);
  }
  if (!fields::read_version(params, "version", /*optional=*/false,
                            &report.version, &error) ||
      !fields::read_module(params, "module", &report.module, &error)) {
    return ParseOutcome::malformed("params: " + error);
  }
  return ParseOutcome::of(std::move(report));
}

ParseOutcome parse_progress(DeviceKey device, const json_t* root) {
  ProgressReport report;
  report.device = std::move(device);
  std::string error;
  int64_t task_id = kNoTask;
  const json_t* params = nullptr;
  if (!read_envelope(root, &task_id, &params, &error)) {
    return ParseOutcome::malformed(error);
  }
  int64_t step = 0;
  // step: an int in seed 002 ("step": -1), unlike aliyun's string.
  if (!fields::read_integer(params, "step", fields::IntForm::kInteger,
                            fields::kMinStep, fields::kMaxStep,
                            /*optional=*/false, &step, &error) ||
      !fields::read_desc(params, &report.desc, &error) ||
      !fields::read_module(params, "module", &report.module, &error)) {
    return ParseOutcome::malformed("params: " + error);
  }
  report.step = static_cast<int32_t>(step);
  if (task_id != kNoTask) report.job_id = static_cast<JobId>(task_id);
  return ParseOutcome::of(std::move(report));
}

}  // namespace

std::string_view CtwingDialect::identity_of(
    const DeviceConnection& from) const {
  return identity_ == IdentitySource::kUsername ? from.username
                                                : from.client_id;
}

std::optional<DeviceKey> CtwingDialect::subscriber_device(
    std::string_view topic, const DeviceConnection& from) const {
  std::string_view name = identity_of(from);
  if (topic != kUpgradeTopic || name.empty() || !fields::name_fits(name)) {
    return std::nullopt;
  }
  return DeviceKey{product_, std::string(name)};
}

bool CtwingDialect::claims(std::string_view topic) const {
  return topic == kInformTopic || topic == kProgressTopic;
}

ParseOutcome CtwingDialect::parse(std::string_view topic,
                                  std::string_view payload,
                                  const DeviceConnection& from) const {
  bool inform = topic == kInformTopic;
  if (!inform && topic != kProgressTopic) return ParseOutcome::not_mine();
  std::string_view name = identity_of(from);
  const char* what = identity_ == IdentitySource::kUsername ? "MQTT username"
                                                            : "MQTT client id";
  if (name.empty()) {
    return ParseOutcome::malformed(std::string("the device is named by its ") +
                                   what + ", which is empty");
  }
  if (!fields::name_fits(name)) {
    return ParseOutcome::malformed(std::string("the device's ") + what +
                                   " must be at most " +
                                   std::to_string(kMaxDeviceNameBytes) +
                                   " bytes");
  }
  DeviceKey device{product_, std::string(name)};
  std::string error;
  json::JsonPtr root = json::parse(payload, &error);
  if (root == nullptr) return ParseOutcome::malformed("payload: " + error);
  return inform ? parse_inform(std::move(device), root.get())
                : parse_progress(std::move(device), root.get());
}

namespace {

// The upgrade command: everything in it is the package's and the job's,
// the same for every device of a job (the addressee is the message's).
std::string upgrade_payload(const Package& p, JobId job_id) {
  // Key order as seed 002's example.
  json::JsonPtr payload(json_object());
  json_object_set_new(payload.get(), "size",
                      json_integer(static_cast<json_int_t>(p.size)));
  json::set_string(payload.get(), "version", p.version);
  json::set_string(payload.get(), "url", p.url);
  // "当签名方法为Md5时，md5值": the package's MD5, whatever it is signed with.
  json::set_string(payload.get(), "md5",
                   !p.md5.empty() || p.sign_method != SignMethod::kMd5
                       ? p.md5
                       : p.sign);
  // The download credential ("认证信息", the URL's accessToken): none yet;
  // signed per-device URLs will carry their own.
  json::set_string(payload.get(), "token", "");
  json::set_string(payload.get(), "module",
                   p.module.empty() ? std::string(kDefaultModule) : p.module);

  json::JsonPtr root(json_object());
  json_object_set_new(root.get(), "taskId",
                      json_integer(static_cast<json_int_t>(job_id)));
  json_object_set_new(root.get(), "payload", payload.release());
  return json::dump(root.get());
}

}  // namespace

OutboundMessage CtwingDialect::encode_notification(
    const Notification& n, const EncodeContext& ctx) const {
  OutboundMessage out;
  out.client_id = std::string(ctx.client_id);
  if (out.client_id.empty() && identity_ != IdentitySource::kUsername) {
    out.client_id = n.device.device;
  }
  // A shared topic without an addressee would reach every device.
  if (out.client_id.empty()) return {};
  out.topic = std::string(kUpgradeTopic);
  out.payload = last_payload_.get({n.package, n.job_id}, [&] {
    return upgrade_payload(n.package, n.job_id);
  });
  return out;
}

std::optional<ProductConfig> CtwingDialect::product_defaults(const std::string& product) const {
  if (product != product_) return std::nullopt;
  ProductConfig c;
  c.product = product;
  c.dialect = std::string(name());
  c.identity = identity_;
  return c;
}

}  // namespace ota

namespace ota {

const IdentityRule& CtwingDialect::sdk_identity() const {
  static const IdentityRule rule = IdentityRule::of({"{dn}"}, {"{dn}"});
  return rule;
}

std::optional<DownstreamTopic> CtwingDialect::downstream_topic(std::string_view topic) const {
  if (topic != kUpgradeTopic) return std::nullopt;
  return DownstreamTopic{};  // shared by every CTWing device
}

}  // namespace ota
