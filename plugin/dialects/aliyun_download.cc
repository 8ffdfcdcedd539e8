#include "dialects/aliyun_download.h"

#include <array>
#include <limits>

#include "dialects/dialect.h"
#include "dialects/fields.h"
#include "dialects/topic_levels.h"
#include "json/json_util.h"

namespace ota {
namespace {

// The SDK copies the token into a 128-byte buffer.
constexpr size_t kMaxFileTokenBytes = 127;
// Alink ids are decimal uint32 strings; a bound keeps the echoed header
// well inside its 16-bit length.
constexpr size_t kMaxMessageIdBytes = 64;
// Error replies quote at most this much of their reason.
constexpr size_t kMaxMessageBytes = 256;
// The SDK holds stream id, file id, size and offset in uint32_t.
constexpr int64_t kMaxUint32 = std::numeric_limits<uint32_t>::max();

// The SDK writes "fileInfo":{"streamId":1,"fileId":1,} (a trailing comma
// that strict JSON refuses). Drop a comma that closes an object or array,
// outside strings; everything else is left for the parser to judge.
std::string without_trailing_commas(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == ',') {
      size_t next = text.find_first_not_of(" \t\r\n", i + 1);
      if (next != std::string_view::npos && (text[next] == '}' || text[next] == ']')) continue;
    }
    out += c;
  }
  return out;
}

bool read_u32(const json_t* obj, const char* name, int64_t min, uint64_t* out,
              std::string* error) {
  int64_t v = 0;
  // Numbers per the SDK; "5" as well, as devices vary (§10).
  if (!fields::read_integer(obj, name, fields::IntForm::kStringOrInteger, min, kMaxUint32,
                            /*optional=*/false, &v, error)) {
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

void put_u16_be(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

// The header length is a 16-bit field: a header that could not fit is a
// bug in the caller, so the token (the only free-length part) is bounded.
std::string frame(const json_t* header, std::string_view block, bool with_crc) {
  const std::string text = json::dump(header);
  std::string out;
  out.reserve(2 + text.size() + block.size() + 2);
  put_u16_be(out, static_cast<uint16_t>(text.size()));
  out += text;
  out.append(block.data(), block.size());
  if (with_crc) {
    // The SDK reads the trailer as a native uint16_t: little-endian on the
    // MCUs it runs on, so the low byte comes first.
    const uint16_t crc = crc16_ibm(block);
    out += static_cast<char>(crc & 0xff);
    out += static_cast<char>(crc >> 8);
  }
  return out;
}

json::JsonPtr header(const BlockRequest& request, int code) {
  json::JsonPtr root(json_object());
  if (!request.message_id.empty()) json::set_string(root.get(), "id", request.message_id);
  json_object_set_new(root.get(), "code", json_integer(code));
  return root;
}

}  // namespace

std::optional<DeviceKey> match_sys_topic(std::string_view topic, std::string_view suffix) {
  if (!topic.starts_with(kSysTopicPrefix) || !topic.ends_with(suffix) ||
      topic.size() <= kSysTopicPrefix.size() + suffix.size()) {
    return std::nullopt;
  }
  std::array<std::string_view, 2> levels;
  if (!split_levels(topic.substr(kSysTopicPrefix.size(),
                                 topic.size() - kSysTopicPrefix.size() - suffix.size()),
                    levels)) {
    return std::nullopt;
  }
  return DeviceKey{std::string(levels[0]), std::string(levels[1])};
}

bool parse_block_request(const DeviceKey& device, std::string_view payload,
                         BlockRequest* out, std::string* error) {
  out->device = device;
  if (!fields::name_fits(device.product) || !fields::name_fits(device.device)) {
    *error = "product key and device name must be at most " +
             std::to_string(kMaxDeviceNameBytes) + " bytes each";
    return false;
  }
  json::JsonPtr root = json::parse(without_trailing_commas(payload), error);
  if (root == nullptr) {
    *error = "payload: " + *error;
    return false;
  }
  const json_t* params = nullptr;
  const json_t* info = nullptr;
  const json_t* block = nullptr;
  std::string token;
  if (!fields::read_message_id(root.get(), &out->message_id, error) ||
      !json::get_object(root.get(), "params", &params, false, error) ||
      !json::get_string(params, "fileToken", &token, true, error)) {
    return false;
  }
  if (out->message_id.size() > kMaxMessageIdBytes) {
    *error = "field 'id' must be at most " + std::to_string(kMaxMessageIdBytes) + " bytes";
    out->message_id.clear();
    return false;
  }
  if (token.size() > kMaxFileTokenBytes) {
    *error = "params: field 'fileToken' must be at most " +
             std::to_string(kMaxFileTokenBytes) + " bytes";
    return false;
  }
  out->file_token = std::move(token);
  if (!json::get_object(params, "fileInfo", &info, false, error) ||
      !json::get_object(params, "fileBlock", &block, false, error) ||
      !read_u32(info, "streamId", 0, &out->stream_id, error) ||
      !read_u32(info, "fileId", 0, &out->file_id, error) ||
      !read_u32(block, "size", 1, &out->size, error) ||
      !read_u32(block, "offset", 0, &out->offset, error)) {
    *error = "params: " + *error;
    return false;
  }
  return true;
}

std::string block_reply_topic(const DeviceKey& device) {
  return std::string(kSysTopicPrefix) + device.product + "/" + device.device +
         std::string(kBlockRequestSuffix) + "_reply";
}

std::string encode_block_reply(const BlockRequest& request, uint64_t offset,
                               std::string_view block, uint64_t file_length) {
  json::JsonPtr root = header(request, 200);
  json_t* data = json_object();
  json_object_set_new(data, "bSize", json_integer(static_cast<json_int_t>(block.size())));
  json_object_set_new(data, "bOffset", json_integer(static_cast<json_int_t>(offset)));
  json_object_set_new(data, "fileLength", json_integer(static_cast<json_int_t>(file_length)));
  json::set_string(data, "fileToken", request.file_token);
  json_object_set_new(root.get(), "data", data);
  return frame(root.get(), block, /*with_crc=*/true);
}

std::string encode_block_error(const BlockRequest& request, int code,
                               std::string_view message) {
  json::JsonPtr root = header(request, code);
  // Bounded (errors may quote the device's input) so the header length
  // fits its 16 bits; cut on a UTF-8 character boundary.
  if (message.size() > kMaxMessageBytes) {
    size_t cut = kMaxMessageBytes;
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
    message = message.substr(0, cut);
  }
  json::set_string(root.get(), "message", message);
  json_t* data = json_object();
  json::set_string(data, "fileToken", request.file_token);
  json_object_set_new(root.get(), "data", data);
  // No block and no trailer: the SDK, seeing a code other than 200, checks
  // the length against a block it never parsed; that can only fail, so it
  // asks again and, after three failures, reports the download failed.
  return frame(root.get(), {}, /*with_crc=*/false);
}

uint16_t crc16_ibm(std::string_view bytes) {
  uint16_t crc = 0;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? static_cast<uint16_t>((crc >> 1) ^ 0xA001) : static_cast<uint16_t>(crc >> 1);
    }
  }
  return crc;
}

std::optional<DecodedBlockReply> decode_block_reply(std::string_view payload) {
  if (payload.size() < 2) return std::nullopt;
  const size_t header_length = (static_cast<unsigned char>(payload[0]) << 8) |
                               static_cast<unsigned char>(payload[1]);
  if (payload.size() < 2 + header_length) return std::nullopt;
  DecodedBlockReply out;
  out.header_json = std::string(payload.substr(2, header_length));
  std::string error;
  json::JsonPtr root = json::parse(out.header_json, &error);
  int64_t code = 0;
  if (root == nullptr || !json::get_int64(root.get(), "code", &code, false, &error)) {
    return std::nullopt;
  }
  out.code = static_cast<int>(code);
  std::string_view rest = payload.substr(2 + header_length);
  if (code != 200) {
    if (!rest.empty()) return std::nullopt;
    return out;
  }
  const json_t* data = nullptr;
  int64_t size = 0;
  if (!json::get_object(root.get(), "data", &data, false, &error) ||
      !json::get_int64(data, "bSize", &size, false, &error) || size < 0 ||
      rest.size() != static_cast<uint64_t>(size) + 2) {
    return std::nullopt;
  }
  out.block = std::string(rest.substr(0, size));
  out.crc = static_cast<uint16_t>(static_cast<unsigned char>(rest[size]) |
                                  (static_cast<unsigned char>(rest[size + 1]) << 8));
  return out;
}

}  // namespace ota
