// The `tencent` dialect (seed 003, Tencent IoT Explorer / IoT Hub).
//
//   up    $ota/report/{pid}/{dn}  {"type":"report_version",
//                                  "report":{"version"}}
//   down  $ota/update/{pid}/{dn}  {"type":"report_version_rsp","version",
//                                  "result_code":0,"result_msg":"success"}
//   up    $ota/report/{pid}/{dn}  {"type":"report_progress","report":{
//                                  "progress":{"state","percent",
//                                  "result_code","result_msg"},"version"}}
//   down  $ota/update/{pid}/{dn}  {"file_size","md5sum",
//                                  "type":"update_firmware","url","version"}
//
// Progress states map onto steps: downloading -> percent, burning and
// updating -> 100 (not yet success), done -> completed, fail -> a failure
// step from result_code (-1..-3 download, -4 verify, -5 flash, else
// upgrade failed).
#pragma once

#include <optional>
#include <string_view>

#include "dialects/dialect.h"
#include "dialects/last_encoded.h"

namespace ota {

class TencentDialect final : public Dialect {
 public:
  std::string_view name() const override { return "tencent"; }
  bool claims(std::string_view topic) const override;
  ParseOutcome parse(std::string_view topic, std::string_view payload,
                     const DeviceConnection& from) const override;
  OutboundMessage encode_notification(const Notification& n,
                                      const EncodeContext& ctx) const override;
  // $ota/update/{pid}/{dn}
  std::optional<DeviceKey> subscriber_device(
      std::string_view topic, const DeviceConnection& from) const override;
  // Tencent's SDK: client id "{pid}{dn}", username
  // "{pid}{dn};{sdkappid};{connid};{expiry}" (or "{pid}{dn}" as the
  // certificate's CN with use_identity_as_username).
  const IdentityRule& sdk_identity() const override;
  std::optional<DownstreamTopic> downstream_topic(std::string_view topic) const override;

 private:
  // The last notification's payload, by package and job (last_encoded.h).
  mutable LastEncoded<Package, JobId> last_payload_;
};

}  // namespace ota
