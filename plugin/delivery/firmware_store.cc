// The content-addressed firmware store and its resumable uploads (just over
// the project's ~450 lines: the upload state machine and its checks belong
// with the files they write).
#include "delivery/firmware_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

#include "delivery/atomic_file.h"
#include "delivery/digest.h"

namespace ota {
namespace {

constexpr mode_t kDirMode = 0750;
constexpr mode_t kFileMode = 0640;
constexpr size_t kMetaMaxBytes = 256;

// Names in a directory (without "." and "..").
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "key value" lines, as written by format_meta; strict, so a damaged file
// is noticed rather than half-read.
std::optional<std::map<std::string, std::string>> parse_meta(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) return std::nullopt;
    const std::string line = text.substr(pos, nl - pos);
    const size_t sp = line.find(' ');
    if (sp == std::string::npos || sp == 0) return std::nullopt;
    out[line.substr(0, sp)] = line.substr(sp + 1);
    pos = nl + 1;
  }
  return out;
}

std::optional<uint64_t> parse_u64(const std::string& s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

Result<bool> pread_all(int fd, char* out, size_t len, uint64_t offset) {
  while (len > 0) {
    const ssize_t n = ::pread(fd, out, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{std::string("read failed: ") + std::strerror(errno)};
    if (n == 0) return Error{"partial upload file is shorter than expected"};
    out += n;
    len -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

std::string too_large(uint64_t size, uint64_t limit) {
  return "file size " + std::to_string(size) + " exceeds the firmware size limit of " +
         std::to_string(limit) + " bytes";
}

}  // namespace

struct FirmwareStore::Upload {
  UploadId id;
  uint64_t size = 0;
  std::string sha256;
  int fd = -1;  // the .part file, read-write
  uint64_t received = 0;
  // Hash of [0, received); rebuilt from the .part file after a restart.
  std::unique_ptr<Digest> digest;

  ~Upload() {
    if (fd >= 0) ::close(fd);
  }
  UploadStatus status() const { return UploadStatus{id, size, received, sha256}; }
};

bool is_upload_id(std::string_view id) {
  if (id.size() != 32) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

FirmwareStore::FirmwareStore(std::string dir, FirmwareStoreOptions options)
    : dir_(std::move(dir)), options_(options) {}

FirmwareStore::~FirmwareStore() = default;

Result<std::unique_ptr<FirmwareStore>> FirmwareStore::open(const std::string& dir,
                                                           FirmwareStoreOptions options) {
  if (dir.empty()) return Error{"firmware directory is not set"};
  std::string clean = dir;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  std::unique_ptr<FirmwareStore> store(new FirmwareStore(clean, options));
  for (const std::string& sub : {store->files_dir(), store->meta_dir(), store->uploads_dir()}) {
    Result<bool> made = make_dirs(sub, kDirMode);
    if (!made.ok()) return Error{"firmware store: " + made.error()};
    if (::access(sub.c_str(), W_OK | X_OK) != 0) {
      return Error{"firmware store: " + errno_error("cannot write to", sub).message};
    }
  }
  Result<bool> recovered = store->recover();
  if (!recovered.ok()) return Error{"firmware store: " + recovered.error()};
  return store;
}

std::string FirmwareStore::upload_path(const UploadId& id, const char* suffix) const {
  return uploads_dir() + "/" + id + suffix;
}

// Removes what an interrupted write left behind and reloads the uploads
// that were in progress.
Result<bool> FirmwareStore::recover() {
  for (const std::string& d : {files_dir(), meta_dir(), uploads_dir()}) {
    for (const std::string& name : list_dir(d)) {
      if (name.rfind(".tmp-", 0) == 0) ::unlink((d + "/" + name).c_str());
    }
  }
  // meta/<sha> without files/<sha>: a crash between the two renames.
  for (const std::string& name : list_dir(meta_dir())) {
    struct stat st {};
    if (is_sha256_hex(name) && ::stat((files_dir() + "/" + name).c_str(), &st) != 0) {
      ::unlink((meta_dir() + "/" + name).c_str());
    }
  }
  // An upload exists when both its .part (created first) and .meta exist.
  const std::vector<std::string> names = list_dir(uploads_dir());
  auto has = [&names](const std::string& name) {
    return std::binary_search(names.begin(), names.end(), name);
  };
  for (const std::string& name : names) {
    const bool part = ends_with(name, ".part");
    const bool meta = ends_with(name, ".meta");
    const std::string id = name.substr(0, name.size() - (part || meta ? 5 : 0));
    if (!(part || meta) || !is_upload_id(id)) continue;
    if (part && !has(id + ".meta")) {
      ::unlink(upload_path(id, ".part").c_str());
      continue;
    }
    if (!meta) continue;
    if (!has(id + ".part")) {  // finished (renamed away) or aborted
      ::unlink(upload_path(id, ".meta").c_str());
      continue;
    }
    Result<std::string> text = read_small_file(upload_path(id, ".meta"), kMetaMaxBytes);
    std::optional<std::map<std::string, std::string>> fields;
    if (text.ok()) fields = parse_meta(text.value());
    std::optional<uint64_t> size;
    if (fields) size = parse_u64((*fields)["size"]);
    if (!size || !is_sha256_hex((*fields)["sha256"])) {
      drop_upload(id);  // unreadable: the client must start again
      continue;
    }
    auto upload = std::make_unique<Upload>();
    upload->id = id;
    upload->size = *size;
    upload->sha256 = (*fields)["sha256"];
    upload->fd = ::open(upload_path(id, ".part").c_str(), O_RDWR | O_CLOEXEC);
    struct stat st {};
    if (upload->fd < 0 || ::fstat(upload->fd, &st) != 0) {
      return errno_error("cannot open", upload_path(id, ".part"));
    }
    upload->received = static_cast<uint64_t>(st.st_size);
    if (upload->received > upload->size) {
      upload.reset();
      drop_upload(id);
      continue;
    }
    uploads_[id] = std::move(upload);
  }
  return true;
}

FirmwareStore::Upload* FirmwareStore::find_upload(const UploadId& id) const {
  auto it = uploads_.find(id);
  return it == uploads_.end() ? nullptr : it->second.get();
}

void FirmwareStore::drop_upload(const UploadId& id) {
  uploads_.erase(id);
  ::unlink(upload_path(id, ".part").c_str());
  ::unlink(upload_path(id, ".meta").c_str());
}

Result<bool> FirmwareStore::ensure_digest(Upload& upload) const {
  if (upload.digest) return true;
  auto digest = std::make_unique<Digest>();
  Result<bool> read = digest_fd(upload.fd, upload.received, *digest);
  if (!read.ok()) return Error{"upload " + upload.id + ": " + read.error()};
  upload.digest = std::move(digest);
  return true;
}

Result<UploadId> FirmwareStore::begin_upload(uint64_t size, std::string_view sha256_hex) {
  std::optional<std::string> sha = normalize_sha256_hex(sha256_hex);
  if (!sha) return Error{"sha256 must be 64 hex digits"};
  if (size == 0) return Error{"file size must be at least 1 byte"};
  if (size > options_.max_file_size) return Error{too_large(size, options_.max_file_size)};
  struct statvfs fs {};
  if (::statvfs(uploads_dir().c_str(), &fs) == 0 &&
      static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < size) {
    return Error{"not enough free disk space for " + std::to_string(size) + " bytes in " +
                 dir_};
  }
  std::lock_guard lock(mu_);
  if (uploads_.size() >= options_.max_uploads) {
    return Error{"too many uploads in progress (" + std::to_string(uploads_.size()) +
                 "); finish or abort one first"};
  }
  Result<std::string> id = random_hex(16);
  if (!id.ok()) return Error{id.error()};
  auto upload = std::make_unique<Upload>();
  upload->id = id.value();
  upload->size = size;
  upload->sha256 = *sha;
  upload->digest = std::make_unique<Digest>();
  // The .part first, then the .meta that makes the upload exist (recover()).
  const std::string part = upload_path(upload->id, ".part");
  upload->fd = ::open(part.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
  if (upload->fd < 0) return errno_error("cannot create", part);
  const std::string meta = "size " + std::to_string(size) + "\nsha256 " + *sha + "\n";
  Result<bool> written = write_file_atomic(upload_path(upload->id, ".meta"), meta, kFileMode);
  if (!written.ok()) {
    ::unlink(part.c_str());
    return Error{written.error()};
  }
  uploads_[upload->id] = std::move(upload);
  return id.value();
}

Result<UploadStatus> FirmwareStore::write_chunk(const UploadId& id, uint64_t offset,
                                                std::string_view bytes) {
  std::lock_guard lock(mu_);
  Upload* u = find_upload(id);
  if (!u) return Error{"unknown upload " + (is_upload_id(id) ? id : std::string("id"))};
  if (offset > u->received) {
    return Error{"chunk offset " + std::to_string(offset) + " is past the " +
                 std::to_string(u->received) + " bytes received so far; resume at offset " +
                 std::to_string(u->received)};
  }
  if (bytes.size() > u->size - offset) {
    return Error{"chunk of " + std::to_string(bytes.size()) + " bytes at offset " +
                 std::to_string(offset) + " ends past the declared size of " +
                 std::to_string(u->size) + " bytes"};
  }
  const uint64_t end = offset + bytes.size();
  // A re-sent chunk: its already-received part must match what is stored.
  if (offset < u->received) {
    const size_t overlap = static_cast<size_t>(std::min(end, u->received) - offset);
    std::string stored(overlap, '\0');
    Result<bool> read = pread_all(u->fd, stored.data(), overlap, offset);
    if (!read.ok()) return Error{"upload " + id + ": " + read.error()};
    if (std::memcmp(stored.data(), bytes.data(), overlap) != 0) {
      return Error{"chunk at offset " + std::to_string(offset) +
                   " differs from the bytes already received; upload not changed"};
    }
    bytes.remove_prefix(overlap);
  }
  if (!bytes.empty()) {
    Result<bool> hashed = ensure_digest(*u);
    if (!hashed.ok()) return Error{hashed.error()};
    Result<bool> written = pwrite_all(u->fd, bytes.data(), bytes.size(), u->received);
    if (!written.ok()) {
      // Keep the file size equal to the bytes accounted for.
      if (::ftruncate(u->fd, static_cast<off_t>(u->received)) != 0) u->digest.reset();
      return Error{"upload " + id + ": " + written.error()};
    }
    u->digest->update(bytes.data(), bytes.size());
    u->received += bytes.size();
  }
  return u->status();
}

Result<UploadStatus> FirmwareStore::upload_status(const UploadId& id) const {
  std::lock_guard lock(mu_);
  const Upload* u = find_upload(id);
  if (!u) return Error{"unknown upload " + (is_upload_id(id) ? id : std::string("id"))};
  return u->status();
}

Result<StoredFile> FirmwareStore::finish_upload(const UploadId& id) {
  std::lock_guard lock(mu_);
  Upload* u = find_upload(id);
  if (!u) return Error{"unknown upload " + (is_upload_id(id) ? id : std::string("id"))};
  if (u->received != u->size) {
    return Error{"upload " + id + " is incomplete: " + std::to_string(u->received) + " of " +
                 std::to_string(u->size) + " bytes received"};
  }
  Result<bool> hashed = ensure_digest(*u);
  if (!hashed.ok()) return Error{hashed.error()};
  std::string sha256, md5;
  u->digest->finish(&sha256, &md5);
  u->digest.reset();
  if (sha256 != u->sha256) {
    const std::string declared = u->sha256;
    drop_upload(id);
    return Error{"SHA-256 mismatch: declared " + declared + ", received data has " + sha256 +
                 "; the upload was discarded"};
  }
  Result<StoredFile> stored = commit(upload_path(id, ".part"), u->fd, u->size, sha256, md5);
  if (!stored.ok()) {
    u->digest.reset();  // rebuilt from the file if the client retries
    return stored;
  }
  drop_upload(id);  // the .part is gone (renamed); removes the .meta
  return stored;
}

Result<StoredFile> FirmwareStore::commit(const std::string& temp_path, int fd, uint64_t size,
                                         const std::string& sha256, const std::string& md5) {
  if (::fchmod(fd, kFileMode) != 0) return errno_error("cannot chmod", temp_path);
  if (::fsync(fd) != 0) return errno_error("cannot sync", temp_path);
  const std::string meta = "size " + std::to_string(size) + "\nmd5 " + md5 + "\n";
  Result<bool> written = write_file_atomic(meta_dir() + "/" + sha256, meta, kFileMode);
  if (!written.ok()) return Error{written.error()};
  const std::string path = files_dir() + "/" + sha256;
  // Same content under the same name: replacing an existing copy is harmless
  // (readers holding it open keep the old inode).
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    return errno_error("cannot move the firmware to", path);
  }
  Result<bool> synced = fsync_dir(files_dir());
  if (!synced.ok()) return Error{synced.error()};
  return StoredFile{sha256, md5, size, path};
}

void FirmwareStore::abort_upload(const UploadId& id) {
  if (!is_upload_id(id)) return;
  std::lock_guard lock(mu_);
  if (find_upload(id)) drop_upload(id);
}

std::vector<UploadStatus> FirmwareStore::list_uploads() const {
  std::lock_guard lock(mu_);
  std::vector<UploadStatus> out;
  for (const auto& [id, u] : uploads_) out.push_back(u->status());
  return out;
}

size_t FirmwareStore::expire_uploads(std::chrono::seconds idle) {
  std::lock_guard lock(mu_);
  const time_t cutoff = ::time(nullptr) - static_cast<time_t>(idle.count());
  std::vector<UploadId> stale;
  for (const auto& [id, u] : uploads_) {
    struct stat st {};
    if (::fstat(u->fd, &st) == 0 && st.st_mtime < cutoff) stale.push_back(id);
  }
  for (const UploadId& id : stale) drop_upload(id);
  return stale.size();
}

Result<StoredFile> FirmwareStore::put(std::string_view bytes) {
  return store_stream("data", -1, bytes);
}

Result<StoredFile> FirmwareStore::import_file(const std::string& source_path) {
  const int fd = ::open(source_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("cannot open", source_path);
  Result<StoredFile> stored = store_stream(source_path, fd, {});
  ::close(fd);
  return stored;
}

// Copies `source_fd` (or `bytes` when it is -1) into a temporary file in
// files/, hashing on the way, then commits it under its SHA-256.
Result<StoredFile> FirmwareStore::store_stream(const std::string& what, int source_fd,
                                               std::string_view bytes) {
  std::string temp = files_dir() + "/.tmp-XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return errno_error("cannot create a temporary file in", files_dir());
  Digest digest;
  std::vector<char> buf(source_fd >= 0 ? (1 << 16) : 0);
  Result<StoredFile> result = Error{""};
  for (;;) {
    std::string_view piece = bytes;
    if (source_fd >= 0) {
      const ssize_t n = ::read(source_fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        result = errno_error("cannot read", what);
        break;
      }
      piece = std::string_view(buf.data(), static_cast<size_t>(n));
    }
    if (piece.empty()) {
      if (digest.bytes() == 0) {
        result = Error{what + " is empty"};
        break;
      }
      std::string sha256, md5;
      digest.finish(&sha256, &md5);
      result = commit(temp, fd, digest.bytes(), sha256, md5);
      break;
    }
    if (piece.size() > options_.max_file_size - digest.bytes()) {
      result = Error{too_large(digest.bytes() + piece.size(), options_.max_file_size)};
      break;
    }
    Result<bool> written = pwrite_all(fd, piece.data(), piece.size(), digest.bytes());
    if (!written.ok()) {
      result = Error{written.error()};
      break;
    }
    digest.update(piece.data(), piece.size());
    bytes = {};
  }
  ::close(fd);
  if (!result.ok()) ::unlink(temp.c_str());
  return result;
}

std::optional<StoredFile> FirmwareStore::find(std::string_view sha256_hex) const {
  std::optional<std::string> sha = normalize_sha256_hex(sha256_hex);
  if (!sha) return std::nullopt;
  StoredFile file;
  file.sha256 = *sha;
  file.path = files_dir() + "/" + *sha;
  struct stat st {};
  if (::stat(file.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  file.size = static_cast<uint64_t>(st.st_size);
  Result<std::string> text = read_small_file(meta_dir() + "/" + *sha, kMetaMaxBytes);
  if (text.ok()) {
    if (auto fields = parse_meta(text.value())) {
      const std::string& md5 = (*fields)["md5"];
      if (parse_u64((*fields)["size"]) == file.size && md5.size() == 32) file.md5 = md5;
    }
  }
  return file;
}

bool FirmwareStore::remove(std::string_view sha256_hex) {
  std::optional<std::string> sha = normalize_sha256_hex(sha256_hex);
  if (!sha) return false;
  const bool existed = ::unlink((files_dir() + "/" + *sha).c_str()) == 0;
  ::unlink((meta_dir() + "/" + *sha).c_str());
  if (existed) {
    fsync_dir(files_dir());
    fsync_dir(meta_dir());
  }
  return existed;
}

std::vector<StoredFile> FirmwareStore::list() const {
  std::vector<StoredFile> out;
  for (const std::string& name : list_dir(files_dir())) {
    if (!is_sha256_hex(name)) continue;
    if (std::optional<StoredFile> f = find(name)) out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace ota
