#include "dialects/tencent.h"

#include <array>
#include <string>

#include "dialects/fields.h"
#include "dialects/topic_levels.h"
#include "json/json_util.h"

namespace ota {
namespace {

constexpr std::string_view kReportPrefix = "$ota/report/";
constexpr std::string_view kUpdatePrefix = "$ota/update/";
// Longer offending values are summarised in errors, not echoed into logs.
constexpr size_t kMaxEchoBytes = 32;

std::string shown(const json_t* value) {
  if (json_is_string(value) && json_string_length(value) > kMaxEchoBytes) {
    return "a string of " + std::to_string(json_string_length(value)) +
           " bytes";
  }
  return json::dump(value);
}

// Tencent's result codes (seed 003) onto the engine's failure steps.
int32_t fail_step(int64_t result_code) {
  switch (result_code) {
    case -1:     // 下载超时 download timed out
    case -2:     // 文件不存在 file does not exist
    case -3:     // 签名过期 the URL's signature expired
      return -2;  // download failed
    case -4:     // MD5不匹配 MD5 mismatch
      return -3;  // verification failed
    case -5:     // 更新固件失败 updating the firmware failed
      return -4;  // flashing failed
    default:
      return -1;  // upgrade failed
  }
}

// Not in the seed: the module as Tencent's FwType, for devices that upgrade
// more than the default module (mirrors the notification's fw_type).
bool read_fw_type(const json_t* report, std::string* module,
                  std::string* error) {
  return fields::read_module(report, "fw_type", module, error);
}

ParseOutcome parse_version(DeviceKey device, const json_t* report) {
  VersionReport v;
  v.device = std::move(device);
  std::string error;
  if (!fields::read_version(report, "version", /*optional=*/false,
                            &v.version, &error) ||
      !read_fw_type(report, &v.module, &error)) {
    return ParseOutcome::malformed("report: " + error);
  }
  // The platform acknowledges every well-formed version report.
  json::JsonPtr rsp(json_object());
  json::set_string(rsp.get(), "type", "report_version_rsp");
  json::set_string(rsp.get(), "version", v.version);
  json_object_set_new(rsp.get(), "result_code", json_integer(0));
  json::set_string(rsp.get(), "result_msg", "success");
  OutboundMessage reply;
  reply.topic = std::string(kUpdatePrefix) + v.device.product + "/" +
                v.device.device;
  reply.payload = json::dump(rsp.get());

  ParseOutcome out = ParseOutcome::of(std::move(v));
  out.replies.push_back(std::move(reply));
  return out;
}

ParseOutcome parse_progress(DeviceKey device, const json_t* report) {
  ProgressReport r;
  r.device = std::move(device);
  std::string error;
  const json_t* progress = nullptr;
  std::string version;
  int64_t task_id = -1;
  if (!json::get_object(report, "progress", &progress, /*optional=*/false,
                        &error) ||
      !fields::read_version(report, "version", /*optional=*/true, &version,
                            &error) ||
      !read_fw_type(report, &r.module, &error) ||
      !fields::read_integer(report, "task_id", fields::IntForm::kInteger, 0,
                            fields::kNoMax, /*optional=*/true, &task_id,
                            &error)) {
    return ParseOutcome::malformed("report: " + error);
  }
  if (task_id >= 0) r.job_id = static_cast<JobId>(task_id);

  std::string state;
  std::string result_msg;
  int64_t result_code = 0;
  // The SDKs send percent and result_code as strings ("10", "-1"); the
  // platform's own API has them as ints: both are accepted.
  if (!json::get_string(progress, "state", &state, /*optional=*/false,
                        &error) ||
      !json::get_string(progress, "result_msg", &result_msg,
                        /*optional=*/true, &error)) {
    return ParseOutcome::malformed("report.progress: " + error);
  }
  bool fail = state == "fail";
  if (!fields::read_integer(progress, "result_code",
                            fields::IntForm::kStringOrInteger, fields::kNoMin,
                            fields::kNoMax, /*optional=*/!fail, &result_code,
                            &error)) {
    return ParseOutcome::malformed("report.progress: " + error);
  }

  if (state == "downloading") {
    int64_t percent = 0;
    if (!fields::read_integer(progress, "percent",
                              fields::IntForm::kStringOrInteger, 0, 100,
                              /*optional=*/false, &percent, &error)) {
      return ParseOutcome::malformed("report.progress: " + error);
    }
    r.step = static_cast<int32_t>(percent);
    r.desc = state;
  } else if (state == "burning" || state == "updating") {
    // Downloaded and being written: not a success until "done".
    r.step = 100;
    r.desc = state;
  } else if (state == "done") {
    r.step = 100;
    r.desc = state;
    r.completed = true;
    r.version = std::move(version);
  } else if (fail) {
    r.step = fail_step(result_code);
    // After a cut download (-1 timed out, -5 "time_out" from the SDK's
    // download loop) or an expired URL the device reports its version and
    // waits for update_firmware to resume (seed 003). An MD5 mismatch is
    // final: the bytes it holds are wrong.
    r.resumable = result_code != -4;
    // The device's own code and message stay in the task's history.
    r.desc = fields::truncate_chars(
        "result_code " + std::to_string(result_code) + ": " + result_msg,
        kMaxDescLength);
  } else {
    return ParseOutcome::malformed(
        "report.progress: field 'state' must be one of downloading, "
        "burning, updating, done, fail, got " +
        shown(json_object_get(progress, "state")));
  }
  return ParseOutcome::of(std::move(r));
}

}  // namespace

std::optional<DeviceKey> TencentDialect::subscriber_device(
    std::string_view topic, const DeviceConnection&) const {
  std::array<std::string_view, 2> levels;
  if (has_wildcard(topic) || !topic.starts_with(kUpdatePrefix) ||
      !split_levels(topic.substr(kUpdatePrefix.size()), levels) ||
      !fields::name_fits(levels[0]) || !fields::name_fits(levels[1])) {
    return std::nullopt;
  }
  return DeviceKey{std::string(levels[0]), std::string(levels[1])};
}

bool TencentDialect::claims(std::string_view topic) const {
  return topic.starts_with(kReportPrefix);
}

ParseOutcome TencentDialect::parse(std::string_view topic,
                                   std::string_view payload,
                                   const DeviceConnection&) const {
  std::array<std::string_view, 2> levels;
  if (!topic.starts_with(kReportPrefix) ||
      !split_levels(topic.substr(kReportPrefix.size()), levels)) {
    return ParseOutcome::not_mine();
  }
  if (!fields::name_fits(levels[0]) || !fields::name_fits(levels[1])) {
    return ParseOutcome::malformed(
        "product id and device name must be at most " +
        std::to_string(kMaxDeviceNameBytes) + " bytes each");
  }
  DeviceKey device{std::string(levels[0]), std::string(levels[1])};

  std::string error;
  json::JsonPtr root = json::parse(payload, &error);
  if (root == nullptr) return ParseOutcome::malformed("payload: " + error);
  std::string type;
  const json_t* report = nullptr;
  if (!json::get_string(root.get(), "type", &type, /*optional=*/false,
                        &error)) {
    return ParseOutcome::malformed(error);
  }
  bool version = type == "report_version";
  if (!version && type != "report_progress") {
    return ParseOutcome::malformed(
        "field 'type' must be \"report_version\" or \"report_progress\", "
        "got " +
        shown(json_object_get(root.get(), "type")));
  }
  if (!json::get_object(root.get(), "report", &report, /*optional=*/false,
                        &error)) {
    return ParseOutcome::malformed(error);
  }
  return version ? parse_version(std::move(device), report)
                 : parse_progress(std::move(device), report);
}

namespace {

// The update_firmware message: everything in it is the package's and the
// job's, the same for every device of a job.
std::string update_firmware_payload(const Package& p, JobId job_id) {
  // Keys sorted, as the platform sends them (seed 003's example).
  json::JsonPtr root(json_object());
  json_object_set_new(root.get(), "file_size",
                      json_integer(static_cast<json_int_t>(p.size)));
  // Other modules: Tencent's module ("FwType") and the job the device may
  // name in its reports.
  bool module = !p.module.empty() && p.module != kDefaultModule;
  if (module) json::set_string(root.get(), "fw_type", p.module);
  json::set_string(root.get(), "md5sum",
                   !p.md5.empty() || p.sign_method != SignMethod::kMd5
                       ? p.md5
                       : p.sign);
  if (module) {
    json_object_set_new(root.get(), "task_id",
                        json_integer(static_cast<json_int_t>(job_id)));
  }
  json::set_string(root.get(), "type", "update_firmware");
  json::set_string(root.get(), "url", p.url);
  json::set_string(root.get(), "version", p.version);
  return json::dump(root.get());
}

}  // namespace

OutboundMessage TencentDialect::encode_notification(
    const Notification& n, const EncodeContext&) const {
  OutboundMessage out;
  out.topic = std::string(kUpdatePrefix) + n.device.product + "/" +
              n.device.device;
  out.payload = last_payload_.get({n.package, n.job_id}, [&] {
    return update_firmware_payload(n.package, n.job_id);
  });
  return out;
}

}  // namespace ota

namespace ota {

const IdentityRule& TencentDialect::sdk_identity() const {
  static const IdentityRule rule = IdentityRule::of({"{pk}{dn};*", "{pk}{dn}"}, {"{pk}{dn}"});
  return rule;
}

std::optional<DownstreamTopic> TencentDialect::downstream_topic(std::string_view topic) const {
  std::array<std::string_view, 2> levels;
  if (!topic.starts_with(kUpdatePrefix) ||
      !split_levels(topic.substr(kUpdatePrefix.size()), levels)) {
    return std::nullopt;
  }
  return DownstreamTopic{{std::string(levels[0]), std::string(levels[1])}};
}

}  // namespace ota
