// The firmware store: content-addressed files under one directory, and the
// chunked, resumable uploads that fill it (the control API's upload
// command). No lws, no mosquitto: the broker thread writes, the HTTP thread
// only calls find().
//
// Layout under `dir`:
//   files/<sha256 hex>    the firmware, never modified once in place
//   meta/<sha256 hex>     "size <n>\nmd5 <hex>\n", written before the file
//   uploads/<id>.part     bytes received so far (its size is the progress)
//   uploads/<id>.meta     "size <n>\nsha256 <hex>\n", the declared file
// Every file reaches its final name by rename() after an fsync, and the
// directory is synced after: a crash leaves either no file or the whole,
// verified file in files/, never a partial one.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"

namespace ota {

class Digest;

// A firmware file in the store.
struct StoredFile {
  std::string sha256;  // lowercase hex, also the file name
  std::string md5;     // lowercase hex; empty if the file was put in by hand
  uint64_t size = 0;
  std::string path;    // absolute or relative as the store's dir was given
};

// An upload's handle: 32 lowercase hex digits, random.
using UploadId = std::string;

struct UploadStatus {
  UploadId id;
  uint64_t size = 0;      // declared file size
  uint64_t received = 0;  // bytes received so far: the next chunk's offset
  std::string sha256;     // declared SHA-256
  bool complete() const { return received == size; }
};

struct FirmwareStoreOptions {
  uint64_t max_file_size = 512ull << 20;  // larger uploads are refused
  size_t max_uploads = 32;                // uploads in progress at once
};

class FirmwareStore {
 public:
  // Opens (creating the directories when missing) the store under `dir`,
  // removes debris of interrupted writes and reloads unfinished uploads.
  static Result<std::unique_ptr<FirmwareStore>> open(const std::string& dir,
                                                     FirmwareStoreOptions options = {});
  ~FirmwareStore();
  FirmwareStore(const FirmwareStore&) = delete;
  FirmwareStore& operator=(const FirmwareStore&) = delete;

  // Starts an upload of a file of `size` bytes whose SHA-256 is
  // `sha256_hex` (upper or lower case). Callers that want to skip uploads
  // of content already stored check find() first.
  Result<UploadId> begin_upload(uint64_t size, std::string_view sha256_hex);

  // Appends `bytes` at `offset`, which must equal the bytes received so far.
  // A chunk that was already written (offset below the received count) is
  // accepted when its bytes equal the stored ones, and any part of it past
  // the received count is appended: re-sending after a lost reply is safe.
  Result<UploadStatus> write_chunk(const UploadId& id, uint64_t offset,
                                   std::string_view bytes);

  // How far an upload got (also after a restart): resume at `received`.
  Result<UploadStatus> upload_status(const UploadId& id) const;

  // Checks size and SHA-256, computes the MD5 and moves the file into
  // files/. A hash mismatch discards the upload (no resume can fix it).
  // Content already stored is not duplicated.
  Result<StoredFile> finish_upload(const UploadId& id);

  // Drops an upload and its partial data; unknown ids are ignored.
  void abort_upload(const UploadId& id);

  // Uploads in progress, in id order.
  std::vector<UploadStatus> list_uploads() const;

  // Aborts uploads that received nothing for `idle` (by the partial file's
  // modification time); returns how many.
  size_t expire_uploads(std::chrono::seconds idle);

  // Stores `bytes` in one step (atomically); for tools and tests.
  Result<StoredFile> put(std::string_view bytes);

  // Copies the file at `source_path` into the store (streamed, atomic).
  Result<StoredFile> import_file(const std::string& source_path);

  // The stored file with this SHA-256 (upper or lower case), if any.
  // Thread-safe: touches only the file system.
  std::optional<StoredFile> find(std::string_view sha256_hex) const;

  // Removes a stored file; false when there was none.
  bool remove(std::string_view sha256_hex);

  // Every stored file, in hash order.
  std::vector<StoredFile> list() const;

  const std::string& dir() const { return dir_; }
  const FirmwareStoreOptions& options() const { return options_; }

 private:
  struct Upload;

  FirmwareStore(std::string dir, FirmwareStoreOptions options);
  Result<bool> recover();
  std::string files_dir() const { return dir_ + "/files"; }
  std::string meta_dir() const { return dir_ + "/meta"; }
  std::string uploads_dir() const { return dir_ + "/uploads"; }
  std::string upload_path(const UploadId& id, const char* suffix) const;
  Upload* find_upload(const UploadId& id) const;
  Result<bool> ensure_digest(Upload& upload) const;
  void drop_upload(const UploadId& id);
  // Syncs the content in `temp_path` (already hashed), records its meta
  // and renames it to files/<sha256>.
  Result<StoredFile> commit(const std::string& temp_path, int fd, uint64_t size,
                            const std::string& sha256, const std::string& md5);
  Result<StoredFile> store_stream(const std::string& what, int source_fd,
                                  std::string_view bytes);

  const std::string dir_;
  const FirmwareStoreOptions options_;
  mutable std::mutex mu_;  // guards uploads_
  std::map<UploadId, std::unique_ptr<Upload>> uploads_;
};

// Whether `id` has the shape of an UploadId (so it is safe in a file name).
bool is_upload_id(std::string_view id);

}  // namespace ota
