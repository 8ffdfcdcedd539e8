// The `aliyun` dialect: the /ota/device/... protocol shared by SagooIOT,
// Alibaba IoT Platform and Alibaba Living (seeds 000 and 001, DESIGN §3).
//
//   up    /ota/device/inform/{pk}/{dn}    {"id","params":{"version","module"}}
//   up    /ota/device/progress/{pk}/{dn}  {"id","params":{"step","desc","module"}}
//   down  /ota/device/upgrade/{pk}/{dn}   {"code","data":{...},"id","message"}
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "dialects/dialect.h"

namespace ota {

class AliyunDialect final : public Dialect {
 public:
  std::string_view name() const override { return "aliyun"; }
  bool claims(std::string_view topic) const override;
  ParseOutcome parse(std::string_view topic, std::string_view payload,
                     const DeviceConnection& from) const override;
  // The notification's "code" is the product's aliyun_code: "200" on
  // SagooIOT, "1000" on Alibaba.
  OutboundMessage encode_notification(const Notification& n,
                                      const EncodeContext& ctx) const override;
};

}  // namespace ota
