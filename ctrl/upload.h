// Firmware upload over the control API (package add --file):
//   beginUpload  {"size":N,"sha256":"<hex>"}        -> {"upload":{"id","received","size"}}
//   uploadChunk  {"uploadId","offset","data":<b64>} -> {"upload":{"id","received","size"}}
//   finishUpload {"uploadId"}                        -> {"file":{"sha256","md5","size"}}
// An unfinished upload of the same file is resumed from the bytes the
// broker already has. Chunks are pipelined (a small window), each one
// acknowledged.
#pragma once

#include <cstdint>
#include <string>

#include "request.h"

namespace ota::ctrl {

struct UploadOptions {
  std::string path;
  size_t chunk_size = 256 * 1024;  // raw bytes per uploadChunk
  int window = 8;                  // chunks in flight
};

struct UploadedFile {
  std::string sha256;
  std::string md5;
  uint64_t size = 0;
};

UploadedFile upload_file(ControlClient& client, const UploadOptions& options);

// The SHA-256 of a file, as lower-case hex (throws UsageError when it
// cannot be read); *size is set to its length.
std::string sha256_file(const std::string& path, uint64_t* size);

}  // namespace ota::ctrl
