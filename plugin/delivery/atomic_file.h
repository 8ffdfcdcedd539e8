// Small POSIX file helpers whose results survive a crash or power cut:
// content is written to a temporary file in the destination's directory,
// synced, then renamed (or linked) into place, and the directory is synced.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "engine/result.h"

namespace ota {

// The directory part of `path` ("." when there is none).
std::string parent_dir(const std::string& path);

// mkdir -p with `mode` for the directories it creates.
Result<bool> make_dirs(const std::string& path, mode_t mode);

// fsync() of a directory, so that entries created, renamed or removed in it
// are durable.
Result<bool> fsync_dir(const std::string& dir);

// Replaces `path` with `content` atomically: readers see the old or the new
// file, never a partial one.
Result<bool> write_file_atomic(const std::string& path, std::string_view content,
                               mode_t mode);

// Creates `path` with `content` only if it does not exist, atomically (the
// link() is the commit point, so a concurrent creator cannot be overwritten).
// Returns false when the file already existed (and leaves it untouched).
Result<bool> create_file_exclusive(const std::string& path, std::string_view content,
                                   mode_t mode);

// The whole file, refused when larger than `max_bytes`.
Result<std::string> read_small_file(const std::string& path, size_t max_bytes);

// Writes all of `data` at `offset` (pwrite, retried on short writes).
Result<bool> pwrite_all(int fd, const void* data, size_t len, uint64_t offset);

// "<what> <path>: <strerror(errno)>"
Error errno_error(const std::string& what, const std::string& path);

}  // namespace ota
