// Alibaba's firmware download over MQTT, in blocks (the `aliyun` dialect's
// file protocol; DESIGN §3, docs/dialects.md "MQTT block download"). A pure
// codec: the service finds the package and reads the block.
//
//   up    /sys/{pk}/{dn}/thing/file/download
//         {"id","version":"1.0","params":{"fileToken",
//          "fileInfo":{"streamId","fileId"},"fileBlock":{"size","offset"}}}
//   down  /sys/{pk}/{dn}/thing/file/download_reply   (binary)
//         [2-byte big-endian header length][JSON header][block][CRC-16]
//
// The layout, the CRC and the field types follow Alibaba's device SDK 4.x
// (aiot_mqtt_download_api.c), which is what devices run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/model.h"

namespace ota {

// One block request, as the device sent it.
struct BlockRequest {
  DeviceKey device;
  std::string message_id;  // echoed in the reply ("" when absent)
  std::string file_token;  // echoed in the reply; the SDK sends "default"
  uint64_t stream_id = 0;  // the notification's streamId
  uint64_t file_id = 0;    // the notification's streamFileId
  uint64_t size = 0;       // bytes asked for, at least 1
  uint64_t offset = 0;
};

// A stream holds one file: the package. Its streamFileId is always 1, as in
// Alibaba's single-file pushes.
inline constexpr int kStreamFileId = 1;

// Error codes of a refused request (any code but 200 is an error to the SDK).
inline constexpr int kBlockBadRequest = 460;     // malformed (Alink's code)
inline constexpr int kBlockNotYourStream = 403;  // not the device's active package
inline constexpr int kBlockNoSuchFile = 404;     // the file is not in the store
inline constexpr int kBlockTooLarge = 413;       // size above the configured cap
inline constexpr int kBlockOutOfRange = 416;     // offset at or past the end

inline constexpr std::string_view kSysTopicPrefix = "/sys/";
inline constexpr std::string_view kBlockRequestSuffix = "/thing/file/download";

// The device of a topic shaped exactly /sys/{pk}/{dn}{suffix} (Alink's
// per-device topics), if it is one.
std::optional<DeviceKey> match_sys_topic(std::string_view topic, std::string_view suffix);
// Whether `topic` is /sys/{pk}/{dn}/thing/file/download; the device if so.
// Inline: every device message is asked, and most are not under /sys/.
inline std::optional<DeviceKey> match_block_request_topic(std::string_view topic) {
  if (!topic.starts_with(kSysTopicPrefix)) return std::nullopt;
  return match_sys_topic(topic, kBlockRequestSuffix);
}

// Parses a request on that topic. On failure returns false with *error set;
// `out->device` and whatever id and token could be read stay filled in, so
// the error reply can still echo them.
bool parse_block_request(const DeviceKey& device, std::string_view payload,
                         BlockRequest* out, std::string* error);

// /sys/{pk}/{dn}/thing/file/download_reply
std::string block_reply_topic(const DeviceKey& device);

// The reply carrying `block`, which starts at `offset` of a file of
// `file_length` bytes.
std::string encode_block_reply(const BlockRequest& request, uint64_t offset,
                               std::string_view block, uint64_t file_length);

// A refusal: the same 2-byte length and JSON header ({"id","code","message",
// "data":{"fileToken"}}), no block and no trailer.
std::string encode_block_error(const BlockRequest& request, int code,
                               std::string_view message);

// CRC-16/IBM (also known as CRC-16/ARC): polynomial 0x8005 reflected
// (0xA001), initial value 0, no final XOR. "123456789" gives 0xBB3D.
uint16_t crc16_ibm(std::string_view bytes);

// A reply split back into its parts, as a device does it (tests, tools):
// a code-200 header's data.bSize says how many block bytes follow, then the
// CRC. Nullopt when the framing does not add up.
struct DecodedBlockReply {
  std::string header_json;
  int code = 0;
  std::string block;
  std::optional<uint16_t> crc;  // absent in an error reply
};
std::optional<DecodedBlockReply> decode_block_reply(std::string_view payload);

}  // namespace ota
