// beginUpload, uploadChunk, finishUpload, abortUpload: firmware files sent
// over MQTT in chunks into the content-addressed firmware store. An upload
// survives a broker restart; beginUpload of a file with an unfinished
// upload returns that upload, so a client resumes from `received`.
#include "control/command.h"
#include "delivery/firmware_store.h"
#include "json/base64.h"

namespace ota {
namespace {

constexpr size_t kMaxChunkBytes = 4 << 20;

json_t* upload_json(const UploadStatus& s) {
  json_t* j = json_object();
  json::set_string(j, "id", s.id);
  json_object_set_new(j, "received", json_integer(static_cast<json_int_t>(s.received)));
  json_object_set_new(j, "size", json_integer(static_cast<json_int_t>(s.size)));
  json::set_string(j, "sha256", s.sha256);
  return j;
}

Result<FirmwareStore*> firmware(CommandContext& ctx) {
  if (!ctx.firmware) {
    return Error{"firmware uploads need a firmware store: set plugin_opt_firmware_dir"};
  }
  return ctx.firmware;
}

}  // namespace

CommandReply begin_upload_command(CommandContext& ctx, const json_t* cmd) {
  std::string error, sha256;
  int64_t size = 0;
  if (!check_fields(cmd, {"size", "sha256"}, &error) ||
      !json::get_int64(cmd, "size", &size, false, &error) ||
      !json::get_string(cmd, "sha256", &sha256, false, &error)) {
    return Error{error};
  }
  Result<FirmwareStore*> store = firmware(ctx);
  if (!store) return Error{store.error()};
  if (size <= 0) return Error{"field 'size' must be a positive integer (bytes)"};
  for (const UploadStatus& u : store.value()->list_uploads()) {
    if (u.sha256 == sha256 && u.size == static_cast<uint64_t>(size)) {
      return wrap("upload", upload_json(u));  // resume
    }
  }
  Result<UploadId> id = store.value()->begin_upload(static_cast<uint64_t>(size), sha256);
  if (!id) return Error{id.error()};
  Result<UploadStatus> status = store.value()->upload_status(id.value());
  if (!status) return Error{status.error()};
  return wrap("upload", upload_json(status.value()));
}

CommandReply upload_chunk_command(CommandContext& ctx, const json_t* cmd) {
  std::string error, id, data;
  int64_t offset = -1;
  if (!check_fields(cmd, {"uploadId", "offset", "data"}, &error) ||
      !json::get_string(cmd, "uploadId", &id, false, &error) ||
      !json::get_int64(cmd, "offset", &offset, false, &error) ||
      !json::get_string(cmd, "data", &data, false, &error)) {
    return Error{error};
  }
  Result<FirmwareStore*> store = firmware(ctx);
  if (!store) return Error{store.error()};
  if (offset < 0) return Error{"field 'offset' must not be negative"};
  std::optional<std::string> bytes = base64::decode(data);
  if (!bytes) return Error{"field 'data' must be standard base64"};
  if (bytes->size() > kMaxChunkBytes) return Error{"a chunk must be at most 4 MiB"};
  Result<UploadStatus> status =
      store.value()->write_chunk(id, static_cast<uint64_t>(offset), *bytes);
  if (!status) return Error{status.error()};
  return wrap("upload", upload_json(status.value()));
}

CommandReply finish_upload_command(CommandContext& ctx, const json_t* cmd) {
  std::string error, id;
  if (!check_fields(cmd, {"uploadId"}, &error) ||
      !json::get_string(cmd, "uploadId", &id, false, &error)) {
    return Error{error};
  }
  Result<FirmwareStore*> store = firmware(ctx);
  if (!store) return Error{store.error()};
  Result<StoredFile> file = store.value()->finish_upload(id);
  if (!file) return Error{file.error()};
  json_t* j = json_object();
  json::set_string(j, "sha256", file.value().sha256);
  json::set_string(j, "md5", file.value().md5);
  json_object_set_new(j, "size", json_integer(static_cast<json_int_t>(file.value().size)));
  return wrap("file", j);
}

CommandReply abort_upload_command(CommandContext& ctx, const json_t* cmd) {
  std::string error, id;
  if (!check_fields(cmd, {"uploadId"}, &error) ||
      !json::get_string(cmd, "uploadId", &id, false, &error)) {
    return Error{error};
  }
  Result<FirmwareStore*> store = firmware(ctx);
  if (!store) return Error{store.error()};
  if (!store.value()->upload_status(id)) return Error{"upload " + id + " does not exist"};
  store.value()->abort_upload(id);
  json_t* j = json_object();
  json::set_string(j, "id", id);
  return wrap("upload", j);
}

}  // namespace ota
