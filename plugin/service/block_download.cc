// Alibaba's MQTT block download, served from the firmware store on the
// broker thread (docs/dialects.md "MQTT block download"). The codec is
// dialects/aliyun_download.h; this file decides what a device may read.
#include "delivery/file_range.h"
#include "delivery/firmware_store.h"
#include "dialects/aliyun_download.h"
#include "service/ota_service.h"
#include "storage/lmdb_store.h"

namespace ota {

MessageVerdict OtaService::on_block_request(const DeviceKey& device, std::string_view topic,
                                            std::string_view payload,
                                            const ClientInfo& client, TimeMs now) {
  const MessageVerdict pass =
      options_.consume_device_messages ? MessageVerdict::kDrop : MessageVerdict::kPass;
  counters_.messages_received++;
  BlockRequest request;
  request.device = device;
  // Every refusal: one log line and a count (reject()), and an error reply
  // the device's SDK treats as a failed block. No state changes.
  auto refuse = [&](int code, const std::string& why) {
    reject(topic, client, why, now);
    OutboundMessage reply;
    reply.topic = block_reply_topic(device);
    reply.payload = encode_block_error(request, code, why);
    pending_stateless_.push_back(std::move(reply));
    return pass;
  };
  if (payload.size() > options_.max_payload_bytes) {
    return refuse(kBlockBadRequest, "payload of " + std::to_string(payload.size()) +
                                        " bytes exceeds plugin_opt_max_payload_bytes " +
                                        std::to_string(options_.max_payload_bytes));
  }
  std::string error;
  if (!parse_block_request(device, payload, &request, &error)) {
    return refuse(kBlockBadRequest, error);
  }
  const std::string spoofed = identity_problem(UpgradeQuery{device, "", ""}, client);
  if (!spoofed.empty()) {
    reject(topic, client, spoofed, now);
    return MessageVerdict::kDrop;  // no reply: the topic's device did not ask
  }
  const std::string who = device.product + "/" + device.device;
  try {
    const ProductConfig config = product_config(device.product);
    if (config.dialect != "aliyun") {
      return refuse(kBlockNotYourStream, "product " + device.product + " speaks dialect " +
                                             config.dialect + ", not aliyun");
    }
    // A device reads only the package of its own active task, once told.
    std::optional<JobId> job_id = store_->active_job(device);
    std::optional<Job> job = job_id ? store_->get_job(*job_id) : std::nullopt;
    std::optional<Task> task = job ? store_->get_task(job->id, device) : std::nullopt;
    const bool told = task && (task->state == TaskState::kNotified ||
                               task->state == TaskState::kInProgress);
    if (!told || job->package_id != request.stream_id) {
      return refuse(kBlockNotYourStream, "stream " + std::to_string(request.stream_id) +
                                             " is not the package of an upgrade " + who +
                                             " was notified of");
    }
    std::optional<Package> package = store_->get_package(job->package_id);
    std::optional<StoredFile> file =
        package && package->url.empty() && firmware_ ? firmware_->find(package->sha256)
                                                     : std::nullopt;
    if (request.file_id != kStreamFileId || !file) {
      return refuse(kBlockNoSuchFile, "stream " + std::to_string(request.stream_id) +
                                          " has no file " + std::to_string(request.file_id) +
                                          " in the firmware store");
    }
    if (request.size > static_cast<uint64_t>(options_.mqtt_block_max_bytes)) {
      return refuse(kBlockTooLarge, "block of " + std::to_string(request.size) +
                                        " bytes exceeds plugin_opt_mqtt_block_max_bytes " +
                                        std::to_string(options_.mqtt_block_max_bytes));
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
    pending_stateless_.push_back(std::move(reply));
    count_download(device, std::to_string(job->package_id), size,
                   request.offset + size == file->size);
  } catch (const StoreError& e) {
    lose_batch(e);
  }
  return pass;
}

}  // namespace ota
