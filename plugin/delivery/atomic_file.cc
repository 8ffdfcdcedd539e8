#include "delivery/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace ota {
namespace {

// Closes a descriptor on every path out of a function.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

// Writes `content` into a new temporary file next to `path` and syncs it.
Result<std::string> write_temp(const std::string& path, std::string_view content,
                               mode_t mode) {
  const std::string dir = parent_dir(path);
  std::string tmpl = dir + "/.tmp-XXXXXX";
  const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return errno_error("cannot create a temporary file in", dir);
  FdCloser closer{fd};
  Result<bool> written = pwrite_all(fd, content.data(), content.size(), 0);
  if (written.ok() && ::fchmod(fd, mode) != 0) written = errno_error("cannot chmod", tmpl);
  if (written.ok() && ::fsync(fd) != 0) written = errno_error("cannot sync", tmpl);
  if (!written.ok()) {
    ::unlink(tmpl.c_str());
    return Error{written.error()};
  }
  return tmpl;
}

}  // namespace

Error errno_error(const std::string& what, const std::string& path) {
  return Error{what + " " + path + ": " + std::strerror(errno)};
}

std::string parent_dir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<bool> make_dirs(const std::string& path, mode_t mode) {
  if (path.empty()) return Error{"empty directory name"};
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Error{path + " exists and is not a directory"};
    return true;
  }
  const std::string parent = parent_dir(path);
  if (parent != path && parent != "." && parent != "/") {
    Result<bool> up = make_dirs(parent, mode);
    if (!up.ok()) return up;
  }
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return errno_error("cannot create directory", path);
  }
  return true;
}

Result<bool> fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("cannot open directory", dir);
  FdCloser closer{fd};
  if (::fsync(fd) != 0) return errno_error("cannot sync directory", dir);
  return true;
}

Result<bool> write_file_atomic(const std::string& path, std::string_view content,
                               mode_t mode) {
  Result<std::string> tmp = write_temp(path, content, mode);
  if (!tmp.ok()) return Error{tmp.error()};
  if (::rename(tmp.value().c_str(), path.c_str()) != 0) {
    Error e = errno_error("cannot rename into", path);
    ::unlink(tmp.value().c_str());
    return e;
  }
  return fsync_dir(parent_dir(path));
}

Result<bool> create_file_exclusive(const std::string& path, std::string_view content,
                                   mode_t mode) {
  Result<std::string> tmp = write_temp(path, content, mode);
  if (!tmp.ok()) return Error{tmp.error()};
  const int rc = ::link(tmp.value().c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.value().c_str());
  if (rc != 0) {
    if (link_errno == EEXIST) return false;
    errno = link_errno;
    return errno_error("cannot create", path);
  }
  Result<bool> synced = fsync_dir(parent_dir(path));
  if (!synced.ok()) return synced;
  return true;
}

Result<std::string> read_small_file(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("cannot open", path);
  FdCloser closer{fd};
  std::string out;
  std::vector<char> buf(4096);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("cannot read", path);
    if (n == 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      return Error{path + " is larger than " + std::to_string(max_bytes) + " bytes"};
    }
  }
  return out;
}

Result<bool> pwrite_all(int fd, const void* data, size_t len, uint64_t offset) {
  const auto* p = static_cast<const char*>(data);
  while (len > 0) {
    const ssize_t n = ::pwrite(fd, p, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{std::string("write failed: ") + std::strerror(errno)};
    p += n;
    len -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace ota
