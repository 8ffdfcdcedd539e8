// The `aliyun` dialect: the /ota/device/... protocol shared by SagooIOT,
// Alibaba IoT Platform and Alibaba Living (seeds 000 and 001, DESIGN §3).
//
//   up    /ota/device/inform/{pk}/{dn}    {"id","params":{"version","module"}}
//   up    /ota/device/progress/{pk}/{dn}  {"id","params":{"step","desc","module"}}
//   up    /sys/{pk}/{dn}/thing/ota/firmware/get
//                                         {"id","version":"1.0","params":{"module"}}
//   up    /ota/device/request/{pk}/{dn}   {"id","params":{"version"}} (SDK v3)
//   down  /ota/device/upgrade/{pk}/{dn}   {"code","data":{...},"id","message"}
//   down  /sys/{pk}/{dn}/thing/ota/firmware/get_reply
//                                         {"id","code":200,"data":{...} or {}}
//   up    /sys/{pk}/{dn}/thing/file/download, down .../download_reply:
//         firmware in blocks over MQTT (aliyun_download.h); products with
//         downloadProtocol "mqtt" get dProtocol, streamId and streamFileId
//         in place of url.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dialects/dialect.h"
#include "dialects/last_encoded.h"
#include "json/flat_json.h"

namespace ota {

class AliyunDialect final : public Dialect {
 public:
  // `fast_reports`: read well-formed inform and progress reports with
  // flat_json (no jansson DOM); off only to compare the two paths (fuzz).
  explicit AliyunDialect(bool fast_reports = true) : fast_reports_(fast_reports) {}
  std::string_view name() const override { return "aliyun"; }
  bool claims(std::string_view topic) const override;
  ParseOutcome parse(std::string_view topic, std::string_view payload,
                     const DeviceConnection& from) const override;
  // The notification's "code" is the product's aliyun_code: "200" on
  // SagooIOT, "1000" on Alibaba. Alibaba products also get Alibaba's
  // spellings: "id" as a string, signMethod "Md5", and isDiff for
  // differential packages.
  OutboundMessage encode_notification(const Notification& n,
                                      const EncodeContext& ctx) const override;
  // /ota/device/upgrade/{pk}/{dn}
  std::optional<DeviceKey> subscriber_device(std::string_view topic,
                                             const DeviceConnection& from) const override;
  // Alibaba's SDKs (3.x, LinkSDK 4.x): username "{dn}&{pk}"; without a
  // username, client id "{pk}.{dn}|...|" or "{pk}.{dn}".
  const IdentityRule& sdk_identity() const override;
  std::optional<DownstreamTopic> downstream_topic(std::string_view topic) const override;
  // A firmware/get query (its module is never empty) is answered on
  // get_reply, with "data":{} when nothing is pending. An SDK v3 request
  // (module empty: it names no module) is answered with the ordinary
  // notification, and not at all when nothing is pending.
  OutboundMessage encode_query_reply(const UpgradeQuery& query,
                                     const std::string& message_id,
                                     const Notification* pending,
                                     const EncodeContext& ctx) const override;
  // /sys/{pk}/{dn}/thing/file/download, and Alibaba's Living app.
  bool offers_block_download() const override { return true; }
  bool serves_living_app() const override { return true; }

 private:
  bool fast_reports_;
  // Scratch buffers of the fast path, reused between messages (the broker
  // calls parse() on one thread).
  mutable flat_json::Reader flat_;
  // The last notification encoded, as JSON text up to its id (code and
  // data object): the notifications of a job all share it, and building and
  // encoding the data object is most of a notified report's cost. On the
  // broker's thread, as parse().
  mutable LastEncoded<Package, ProductConfig> last_head_;
  const std::string& notification_head(const Package& package, const ProductConfig& product) const;
};

}  // namespace ota
