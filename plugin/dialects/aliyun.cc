#include "dialects/aliyun.h"

#include <array>
#include <charconv>
#include <optional>
#include <string>

#include "dialects/aliyun_download.h"
#include "dialects/fields.h"
#include "dialects/topic_levels.h"
#include "json/json_util.h"

namespace ota {
namespace {

constexpr std::string_view kInformPrefix = "/ota/device/inform/";
constexpr std::string_view kProgressPrefix = "/ota/device/progress/";
constexpr std::string_view kRequestPrefix = "/ota/device/request/";
constexpr std::string_view kUpgradePrefix = "/ota/device/upgrade/";
constexpr std::string_view kSysPrefix = "/sys/";
constexpr std::string_view kPullSuffix = "/thing/ota/firmware/get";
constexpr std::string_view kPullMethod = "thing.ota.firmware.get";
// Alibaba's product code; any other code is SagooIOT's shape.
constexpr std::string_view kAlibabaCode = "1000";

enum class TopicKind { kInform, kProgress, kRequest, kPull };

struct DeviceTopic {
  TopicKind kind;
  std::string_view product;
  std::string_view device;
};

// Exactly {prefix}{pk}/{dn}.
std::optional<DeviceTopic> match_prefixed(std::string_view topic,
                                          std::string_view prefix,
                                          TopicKind kind) {
  std::array<std::string_view, 2> levels;
  if (!topic.starts_with(prefix) ||
      !split_levels(topic.substr(prefix.size()), levels)) {
    return std::nullopt;
  }
  return DeviceTopic{kind, levels[0], levels[1]};
}

// Only this dialect's exact device->broker shapes; anything else under the
// same prefixes (ThingsPanel's /inform/{token}, extra levels) is not ours.
std::optional<DeviceTopic> match_topic(std::string_view topic) {
  // The three /ota/device/ topics differ at the level after it: one
  // comparison picks the one to try.
  constexpr std::string_view kDevicePrefix = "/ota/device/";
  static_assert(kInformPrefix.starts_with(kDevicePrefix) && kProgressPrefix.starts_with(kDevicePrefix) &&
                kRequestPrefix.starts_with(kDevicePrefix));
  static_assert(kInformPrefix[kDevicePrefix.size()] == 'i' &&
                kProgressPrefix[kDevicePrefix.size()] == 'p' &&
                kRequestPrefix[kDevicePrefix.size()] == 'r');
  if (topic.size() > kDevicePrefix.size() && topic.starts_with(kDevicePrefix)) {
    switch (topic[kDevicePrefix.size()]) {
      case 'i': return match_prefixed(topic, kInformPrefix, TopicKind::kInform);
      case 'p': return match_prefixed(topic, kProgressPrefix, TopicKind::kProgress);
      case 'r': return match_prefixed(topic, kRequestPrefix, TopicKind::kRequest);
      default: return std::nullopt;
    }
  }
  // /sys/{pk}/{dn}/thing/ota/firmware/get
  if (topic.size() > kSysPrefix.size() + kPullSuffix.size() &&
      topic.starts_with(kSysPrefix) && topic.ends_with(kPullSuffix)) {
    std::array<std::string_view, 2> levels;
    std::string_view middle = topic.substr(
        kSysPrefix.size(),
        topic.size() - kSysPrefix.size() - kPullSuffix.size());
    if (split_levels(middle, levels)) {
      return DeviceTopic{TopicKind::kPull, levels[0], levels[1]};
    }
  }
  return std::nullopt;
}

bool is_alibaba(const ProductConfig& product) {
  return product.aliyun_code == kAlibabaCode;
}

ParseOutcome parse_inform(DeviceKey device, const json_t* params) {
  VersionReport report;
  report.device = std::move(device);
  std::string error;
  if (!fields::read_version(params, "version", /*optional=*/false,
                            &report.version, &error) ||
      !fields::read_module(params, "module", &report.module, &error)) {
    return ParseOutcome::malformed("params: " + error);
  }
  return ParseOutcome::of(std::move(report));
}

ParseOutcome parse_progress(DeviceKey device, const json_t* params) {
  ProgressReport report;
  report.device = std::move(device);
  std::string error;
  int64_t step = 0;
  // "50" per the documents, 50 from some SDKs; both mean 50.
  if (!fields::read_integer(params, "step", fields::IntForm::kStringOrInteger,
                            fields::kMinStep, fields::kMaxStep,
                            /*optional=*/false, &step, &error) ||
      !fields::read_desc(params, &report.desc, &error) ||
      !fields::read_module(params, "module", &report.module, &error)) {
    return ParseOutcome::malformed("params: " + error);
  }
  report.step = static_cast<int32_t>(step);
  return ParseOutcome::of(std::move(report));
}

// The hot path: an inform or progress report whose every field is what the
// full path (parse_inform, parse_progress) accepts, read without a jansson
// DOM, into `out` in place (this runs for every report: no outcome is moved).
// Anything else, every malformed message included, returns false with `out`
// untouched and takes the full path, which decides and explains;
// flat_json_fuzz checks that both paths give the same outcome.
bool parse_flat(flat_json::Reader& reader, const DeviceTopic& topic, std::string_view payload,
                ParseOutcome& out) {
  const TopicKind kind = topic.kind;
  using Kind = flat_json::Scalar::Kind;
  if (!reader.read(payload, "params") || !reader.has_nested()) return false;
  const flat_json::Scalar* id = reader.top().find("id");
  if (id != nullptr && !(id->kind == Kind::kString || (id->kind == Kind::kInteger && id->integer >= 0))) {
    return false;
  }
  const flat_json::Members& params = reader.nested();
  std::string_view module = kDefaultModule;
  if (const flat_json::Scalar* m = params.find("module")) {
    if (m->kind != Kind::kString || m->text.size() > fields::kMaxModuleBytes) return false;
    if (!m->text.empty()) module = m->text;
  }
  if (kind == TopicKind::kInform) {
    const flat_json::Scalar* v = params.find("version");
    if (v == nullptr || v->kind != Kind::kString || v->text.empty() ||
        v->text.size() > fields::kMaxVersionBytes) {
      return false;
    }
    // Built in the outcome, not moved into it: a new outcome already holds
    // an empty version report (its module "default"), which is filled in.
    VersionReport* in_place = std::get_if<VersionReport>(&out.event);
    VersionReport& report = in_place != nullptr ? *in_place : out.event.emplace<VersionReport>();
    report.device.product.assign(topic.product);
    report.device.device.assign(topic.device);
    if (!same_bytes(report.module, module)) report.module.assign(module);
    report.version.assign(v->text);
  } else {
    const flat_json::Scalar* s = params.find("step");
    int64_t step = 0;
    if (s != nullptr && s->kind == Kind::kInteger) {
      step = s->integer;
    } else if (s != nullptr && s->kind == Kind::kString) {
      const char* end = s->text.data() + s->text.size();
      auto [ptr, ec] = std::from_chars(s->text.data(), end, step);
      if (ec != std::errc() || ptr != end) return false;
    } else {
      return false;
    }
    if (step < fields::kMinStep || step > fields::kMaxStep) return false;
    const flat_json::Scalar* d = params.find("desc");
    // A string has no more characters than bytes: only a long one is counted.
    if (d != nullptr && (d->kind != Kind::kString || (d->text.size() > kMaxDescLength &&
                                                      json::utf8_length(d->text) > kMaxDescLength))) {
      return false;
    }
    ProgressReport& report = out.event.emplace<ProgressReport>();
    report.device.product.assign(topic.product);
    report.device.device.assign(topic.device);
    if (!same_bytes(report.module, module)) report.module.assign(module);
    report.step = static_cast<int32_t>(step);
    if (d != nullptr) report.desc.assign(d->text);
  }
  out.kind = ParseOutcome::Kind::kEvent;
  if (id != nullptr && id->kind == Kind::kString) {
    out.message_id = id->text;
  } else if (id != nullptr) {
    out.message_id = std::to_string(id->integer);
  }
  return true;
}

// SDK v3: {"id","params":{"version"}}. It names no module, so the query is
// for any module (and is answered on the upgrade topic).
ParseOutcome parse_request(DeviceKey device, const json_t* params) {
  UpgradeQuery query;
  query.device = std::move(device);  // module stays empty: any
  std::string error;
  if (!fields::read_version(params, "version", /*optional=*/true,
                            &query.version, &error)) {
    return ParseOutcome::malformed("params: " + error);
  }
  return ParseOutcome::of(std::move(query));
}

// Alink: {"id","version":"1.0","params":{"module"},"method"}; Alibaba's SDK
// 4.x sends only {"id":n,"params":{}}. No module means `default`.
ParseOutcome parse_pull(DeviceKey device, const json_t* root) {
  UpgradeQuery query;
  query.device = std::move(device);
  query.module = std::string(kDefaultModule);
  std::string error;
  std::string alink_version;
  std::string method(kPullMethod);
  const json_t* params = nullptr;
  if (!json::get_string(root, "version", &alink_version, /*optional=*/true,
                        &error) ||
      !json::get_string(root, "method", &method, /*optional=*/true, &error) ||
      !json::get_object(root, "params", &params, /*optional=*/true, &error)) {
    return ParseOutcome::malformed(error);
  }
  if (method != kPullMethod) {
    return ParseOutcome::malformed("field 'method' must be \"" +
                                   std::string(kPullMethod) + "\"");
  }
  if (params != nullptr &&
      !fields::read_module(params, "module", &query.module, &error)) {
    return ParseOutcome::malformed("params: " + error);
  }
  return ParseOutcome::of(std::move(query));
}

// The package as both pushes and get_reply carry it. Key order follows seed
// 000's example, Alibaba's isDiff where its document puts it; devices parse
// by key, but exact output keeps captures and tests comparable.
// An uploaded package (no URL) for a product configured for MQTT delivery:
// the device fetches it in blocks (aliyun_download.h) from the stream that
// streamId names. The stream is the package: the broker serves a device
// only its active task's package.
bool by_mqtt(const Package& p, const ProductConfig& product) {
  return p.url.empty() && product.download_protocol == DownloadProtocol::kMqtt;
}

json::JsonPtr upgrade_data(const Package& p, const ProductConfig& product) {
  const bool alibaba = is_alibaba(product);
  json::JsonPtr data(json_object());
  json_object_set_new(data.get(), "size",
                      json_integer(static_cast<json_int_t>(p.size)));
  json::set_string(data.get(), "version", p.version);
  // Alibaba: the integer 1 for a differential package, absent otherwise.
  if (alibaba && p.diff) {
    json_object_set_new(data.get(), "isDiff", json_integer(1));
  }
  if (by_mqtt(p, product)) {
    // The SDK's OTA code reads dProtocol, then streamId and streamFileId as
    // unsigned numbers, and needs no url.
    json::set_string(data.get(), "dProtocol", "mqtt");
    json_object_set_new(data.get(), "streamId", json_integer(static_cast<json_int_t>(p.id)));
    json_object_set_new(data.get(), "streamFileId", json_integer(kStreamFileId));
  } else {
    json::set_string(data.get(), "url", p.url);
  }
  json::set_string(data.get(), "sign", p.sign);
  // Alibaba's SDK 4.x accepts only "Md5" and "SHA256"/"Sha256"; SagooIOT
  // documents "MD5".
  json::set_string(data.get(), "signMethod",
                   alibaba && p.sign_method == SignMethod::kMd5
                       ? std::string_view("Md5")
                       : to_string(p.sign_method));
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
  return data;
}

std::string device_path(const DeviceKey& device) {
  return device.product + "/" + device.device;
}

}  // namespace

namespace {

OutboundMessage pull_error_reply(const DeviceKey& device, const std::string& id,
                                 const std::string& reason) {
  json::JsonPtr root(json_object());
  if (!id.empty()) json::set_string(root.get(), "id", id);
  json_object_set_new(root.get(), "code", json_integer(460));
  json::set_string(root.get(), "message", reason);
  json_object_set_new(root.get(), "data", json_object());
  OutboundMessage out;
  out.topic = std::string(kSysPrefix) + device.product + "/" + device.device +
              std::string(kPullSuffix) + "_reply";
  out.payload = json::dump(root.get());
  return out;
}

}  // namespace

bool AliyunDialect::claims(std::string_view topic) const {
  return topic.starts_with(kInformPrefix) ||
         topic.starts_with(kProgressPrefix) ||
         topic.starts_with(kRequestPrefix) ||
         (topic.starts_with(kSysPrefix) && topic.ends_with(kPullSuffix));
}

namespace {

// Every message the flat reader does not take: jansson decides and explains.
ParseOutcome parse_full(TopicKind kind, DeviceKey device, std::string_view payload) {
  std::string error;
  std::string id;
  json::JsonPtr root = json::parse(payload, &error);
  if (root == nullptr) error = "payload: " + error;
  if (root != nullptr && !fields::read_message_id(root.get(), &id, &error)) root.reset();
  if (kind == TopicKind::kPull) {
    ParseOutcome out = root ? parse_pull(device, root.get()) : ParseOutcome::malformed(error);
    if (out.kind == ParseOutcome::Kind::kMalformed) {
      // Alink answers a bad request on its reply topic (460: bad params).
      out.replies.push_back(pull_error_reply(device, id, out.error));
    }
    out.message_id = id;
    return out;
  }
  if (root == nullptr) return ParseOutcome::malformed(error);
  const json_t* params = nullptr;
  if (!json::get_object(root.get(), "params", &params, /*optional=*/false, &error)) {
    return ParseOutcome::malformed(error);
  }
  ParseOutcome out;
  switch (kind) {
    case TopicKind::kInform:
      out = parse_inform(std::move(device), params);
      break;
    case TopicKind::kProgress:
      out = parse_progress(std::move(device), params);
      break;
    default:
      out = parse_request(std::move(device), params);
      break;
  }
  out.message_id = std::move(id);
  return out;
}

}  // namespace

ParseOutcome AliyunDialect::parse(std::string_view topic,
                                  std::string_view payload,
                                  const DeviceConnection&) const {
  // One return object, so that the fast path builds it in place (a second
  // returned object would make the compiler move it on every report).
  ParseOutcome out;
  std::optional<DeviceTopic> t = match_topic(topic);
  if (!t) {
    out = ParseOutcome::not_mine();
  } else if (!fields::name_fits(t->product) || !fields::name_fits(t->device)) {
    out = ParseOutcome::malformed("product key and device name must be at most " +
                                  std::to_string(kMaxDeviceNameBytes) + " bytes each");
  } else {
    const bool fast = fast_reports_ && (t->kind == TopicKind::kInform || t->kind == TopicKind::kProgress);
    if (!fast || !parse_flat(flat_, *t, payload, out)) {
      out = parse_full(t->kind, DeviceKey{std::string(t->product), std::string(t->device)}, payload);
    }
  }
  return out;
}

const std::string& AliyunDialect::notification_head(const Package& package,
                                                   const ProductConfig& product) const {
  return last_head_.get({package, product}, [&] {
    // A code that is not UTF-8 is left out, as json::set_string() would.
    json::JsonPtr code(json_stringn(product.aliyun_code.data(), product.aliyun_code.size()));
    json::JsonPtr data = upgrade_data(package, product);
    return "{" + (code ? "\"code\":" + json::dump(code.get()) + "," : std::string()) +
           "\"data\":" + json::dump(data.get()) + ",\"id\":";
  });
}

OutboundMessage AliyunDialect::encode_notification(
    const Notification& n, const EncodeContext& ctx) const {
  // {"code":..,"data":{..},"id":..,"message":"success"}: all before the id
  // depends on the package and product only, and is encoded once for both.
  // SagooIOT's example has a number, Alibaba's document a string.
  const std::string id = std::to_string(n.at);
  OutboundMessage out;
  out.topic = std::string(kUpgradePrefix) + device_path(n.device);
  out.payload = notification_head(n.package, ctx.product) +
                (is_alibaba(ctx.product) ? "\"" + id + "\"" : id) + ",\"message\":\"success\"}";
  return out;
}

OutboundMessage AliyunDialect::encode_query_reply(
    const UpgradeQuery& query, const std::string& message_id,
    const Notification* pending, const EncodeContext& ctx) const {
  if (query.module.empty()) {
    // SDK v3 takes its answer on the upgrade topic, where any message is a
    // push: with nothing pending, silence (as Alibaba's cloud does) rather
    // than an empty push the SDK would fail to parse.
    if (pending == nullptr) return {};
    return encode_notification(*pending, ctx);
  }
  json::JsonPtr root(json_object());
  // Alink replies echo the request's id as a string; none sent, none echoed.
  if (!message_id.empty()) json::set_string(root.get(), "id", message_id);
  json_object_set_new(root.get(), "code", json_integer(200));
  json_object_set_new(root.get(), "data",
                      pending != nullptr
                          ? upgrade_data(pending->package, ctx.product).release()
                          : json_object());
  OutboundMessage out;
  out.topic = std::string(kSysPrefix) + device_path(query.device) +
              std::string(kPullSuffix) + "_reply";
  out.payload = json::dump(root.get());
  return out;
}

std::optional<DeviceKey> AliyunDialect::subscriber_device(std::string_view topic,
                                                         const DeviceConnection& from) const {
  std::array<std::string_view, 2> levels;  // {pk}, {dn}: names or '+'
  if (!topic.starts_with(kUpgradePrefix) ||
      !split_levels(topic.substr(kUpgradePrefix.size()), levels)) {
    return std::nullopt;
  }
  const auto is_name = [](std::string_view level) {
    return level.find_first_of("+#") == std::string_view::npos;
  };
  if (is_name(levels[0]) && is_name(levels[1])) {
    return DeviceKey{std::string(levels[0]), std::string(levels[1])};
  }
  // Alibaba's device SDK 4.x subscribes to /ota/device/upgrade/+/+ and
  // connects with the username "{dn}&{pk}": the connection names the
  // device. Other wildcard subscribers (loggers) name none.
  const size_t amp = from.username.find('&');
  if (amp == std::string_view::npos) return std::nullopt;
  const std::string_view dn = from.username.substr(0, amp);
  const std::string_view pk = from.username.substr(amp + 1);
  const auto valid_name = [&](std::string_view name) {
    return !name.empty() && is_name(name) && fields::name_fits(name) &&
           name.find_first_of("/&") == std::string_view::npos;
  };
  // Each level is '+' or exactly the connection's own name.
  const auto matches = [](std::string_view level, std::string_view name) {
    return level == "+" || level == name;
  };
  if (!valid_name(dn) || !valid_name(pk) || !matches(levels[0], pk) || !matches(levels[1], dn)) {
    return std::nullopt;
  }
  return DeviceKey{std::string(pk), std::string(dn)};
}

}  // namespace ota

namespace ota {
namespace {

constexpr std::string_view kPullReplySuffix = "/thing/ota/firmware/get_reply";
constexpr std::string_view kDownloadReplySuffix = "/thing/file/download_reply";

}  // namespace

const IdentityRule& AliyunDialect::sdk_identity() const {
  static const IdentityRule rule =
      IdentityRule::of({"{dn}&{pk}"}, {"{pk}.{dn}|*", "{pk}.{dn}"});
  return rule;
}

std::optional<DownstreamTopic> AliyunDialect::downstream_topic(std::string_view topic) const {
  std::array<std::string_view, 2> levels;
  if (topic.starts_with(kUpgradePrefix) &&
      split_levels(topic.substr(kUpgradePrefix.size()), levels)) {
    return DownstreamTopic{{std::string(levels[0]), std::string(levels[1])}};
  }
  if (!topic.starts_with(kSysPrefix)) return std::nullopt;  // most topics: checked once
  for (std::string_view suffix : {kPullReplySuffix, kDownloadReplySuffix}) {
    if (std::optional<DeviceKey> device = match_sys_topic(topic, suffix)) {
      return DownstreamTopic{std::move(*device)};
    }
  }
  return std::nullopt;
}

}  // namespace ota
