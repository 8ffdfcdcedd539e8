#include "service/block_download_server.h"

#include <algorithm>

#include "delivery/file_range.h"
#include "delivery/firmware_store.h"
#include "dialects/aliyun_download.h"

namespace ota {

MessageVerdict BlockDownloadServer::handle(const DeviceKey& device, std::string_view topic,
                                           std::string_view payload, const ClientInfo& client,
                                           TimeMs now) {
  const MessageVerdict pass =
      options_.consume_device_messages ? MessageVerdict::kDrop : MessageVerdict::kPass;
  counters_.messages_received++;
  BlockRequest request;
  request.device = device;
  // Every refusal: one log line and a count, and an error reply the
  // device's SDK treats as a failed block. No state changes.
  auto refuse = [&](int code, const std::string& why) {
    rejections_.reject(topic, client, why, now);
    OutboundMessage reply;
    reply.topic = block_reply_topic(device);
    reply.payload = encode_block_error(request, code, why);
    outbox_.reply(client, std::move(reply), DeviceOutbox::Timing::kStateless);
    return pass;
  };
  // Only the device's own connection is answered at all: the reply topic
  // is the device's.
  const std::string spoofed = access_.identity_problem(dialect_, device, client);
  if (!spoofed.empty()) {
    rejections_.reject(topic, client, spoofed, now);
    return MessageVerdict::kDrop;  // no reply: the topic's device did not ask
  }
  if (payload.size() > options_.max_payload_bytes) {
    return refuse(kBlockBadRequest, "payload of " + std::to_string(payload.size()) +
                                        " bytes exceeds plugin_opt_max_payload_bytes " +
                                        std::to_string(options_.max_payload_bytes));
  }
  std::string error;
  if (!parse_block_request(device, payload, &request, &error)) {
    return refuse(kBlockBadRequest, error);
  }
  const std::string who = device.product + "/" + device.device;
  try {
    const ProductConfig config = dialects_.resolved_config(engine_, device.product);
    if (config.dialect != dialect_.name()) {
      return refuse(kBlockNotYourStream, "product " + device.product + " speaks dialect " +
                                             config.dialect + ", not " +
                                             std::string(dialect_.name()));
    }
    // A device reads only the package of its own active task, once told.
    std::optional<ActiveTask> active = engine_.active_task(device);
    if (!active || !is_notified(active->task.state) ||
        active->job.package_id != request.stream_id) {
      return refuse(kBlockNotYourStream, "stream " + std::to_string(request.stream_id) +
                                             " is not the package of an upgrade " + who +
                                             " was notified of");
    }
    const Package& package = active->package;
    std::optional<StoredFile> file =
        package.url.empty() && firmware_ ? firmware_->find(package.sha256) : std::nullopt;
    if (request.file_id != kStreamFileId || !file) {
      return refuse(kBlockNoSuchFile, "stream " + std::to_string(request.stream_id) +
                                          " has no file " + std::to_string(request.file_id) +
                                          " in the firmware store");
    }
    if (request.size > static_cast<uint64_t>(options_.max_block_bytes)) {
      return refuse(kBlockTooLarge, "block of " + std::to_string(request.size) +
                                        " bytes exceeds plugin_opt_mqtt_block_max_bytes " +
                                        std::to_string(options_.max_block_bytes));
    }
    if (request.offset >= file->size) {
      return refuse(kBlockOutOfRange, "offset " + std::to_string(request.offset) +
                                          " is past the end of the " +
                                          std::to_string(file->size) + "-byte file");
    }
    // A block running past the end is cut there, as HTTP ranges are (§10).
    const uint64_t size = std::min(request.size, file->size - request.offset);
    Result<std::string> block = read_file_range(file->path, request.offset, size);
    if (!block || block.value().size() != size) {
      log_(LogLevel::kError, "mosquitto-ota: MQTT download for " + who + ": " +
           (block ? "the stored file is shorter than its record" : block.error()));
      return refuse(kBlockNoSuchFile, "the stored file cannot be read");
    }
    OutboundMessage reply;
    reply.topic = block_reply_topic(device);
    reply.payload = encode_block_reply(request, request.offset, block.value(), file->size);
    // Only the download figures change: no reason to sync before it leaves.
    outbox_.reply(client, std::move(reply), DeviceOutbox::Timing::kStateless);
    downloads_.count(device, std::to_string(active->job.package_id), size,
                     request.offset + size == file->size);
  } catch (const StoreError& e) {
    batch_.lose(e);
  }
  return pass;
}

}  // namespace ota
