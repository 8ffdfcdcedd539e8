// Alibaba's MQTT block download (docs/dialects.md "MQTT block download"),
// served from the firmware store on the broker thread: decides what a device
// may read and answers one /sys/{pk}/{dn}/thing/file/download request. The
// codec is dialects/aliyun_download.h.
#pragma once

#include <string>
#include <string_view>

#include "dialects/aliyun_download.h"
#include "service/access_policy.h"
#include "service/batch_committer.h"
#include "service/device_outbox.h"
#include "service/dialect_set.h"
#include "service/download_accounting.h"
#include "service/log_throttle.h"

namespace ota {

class FirmwareStore;

struct BlockDownloadOptions {
  size_t max_payload_bytes = 16384;
  int64_t max_block_bytes = 65536;  // plugin_opt_mqtt_block_max_bytes
  bool consume_device_messages = false;
};

class BlockDownloadServer {
 public:
  BlockDownloadServer(BlockDownloadOptions options, const Dialect& dialect, Engine& engine,
                      FirmwareStore* firmware, const AccessPolicy& access,
                      const DialectSet& dialects, DeviceOutbox& outbox, BatchCommitter& batch,
                      DownloadAccounting& downloads, ServiceCounters& counters,
                      const Logger& log, RejectionLog& rejections)
      : options_(options), dialect_(dialect), engine_(engine), firmware_(firmware),
        access_(access), dialects_(dialects), outbox_(outbox), batch_(batch),
        downloads_(downloads), counters_(counters), log_(log), rejections_(rejections) {}

  // The device whose block request `topic` is, if it is one.
  static std::optional<DeviceKey> request_device(std::string_view topic) {
    return match_block_request_topic(topic);  // inline: every device message asks
  }
  // Answers one request of `device` (from request_device()). Every refusal
  // is counted, logged and answered with the SDK's error reply; a spoofed
  // request is dropped unanswered. No task state changes.
  MessageVerdict handle(const DeviceKey& device, std::string_view topic,
                        std::string_view payload, const ClientInfo& client, TimeMs now);

 private:
  BlockDownloadOptions options_;
  const Dialect& dialect_;  // the dialect whose devices use block download
  Engine& engine_;
  FirmwareStore* firmware_;
  const AccessPolicy& access_;
  const DialectSet& dialects_;
  DeviceOutbox& outbox_;
  BatchCommitter& batch_;
  DownloadAccounting& downloads_;
  ServiceCounters& counters_;
  const Logger& log_;
  RejectionLog& rejections_;
};

}  // namespace ota
