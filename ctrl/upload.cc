#include "upload.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>
#include <memory>

#include "context.h"
#include "errors.h"
#include "output.h"
#include "parse.h"
#include "json/base64.h"

namespace ota::ctrl {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

struct EvpCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~EvpCtx() { EVP_MD_CTX_free(ctx); }
};

std::string to_hex(const unsigned char* bytes, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Reads exactly `n` bytes at `offset`.
std::string read_at(int fd, uint64_t offset, size_t n, const std::string& path) {
  std::string buf(n, '\0');
  size_t done = 0;
  while (done < n) {
    const ssize_t r = pread(fd, buf.data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      throw UsageError("cannot read '" + path + "': " +
                       (r == 0 ? std::string("the file shrank during the upload") : strerror(errno)));
    }
    done += static_cast<size_t>(r);
  }
  return buf;
}

// The progress bar (a terminal) or the final line (otherwise), on stderr.
class Progress {
 public:
  Progress(std::string name, uint64_t total, uint64_t start)
      : name_(std::move(name)), total_(total), start_bytes_(start),
        tty_(isatty(STDERR_FILENO) == 1), began_(Clock::now()) {}

  void update(uint64_t done) {
    if (!tty_) return;
    const auto now = Clock::now();
    if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr int kWidth = 30;
    const double fraction = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1;
    const int filled = static_cast<int>(fraction * kWidth);
    char line[256];
    snprintf(line, sizeof line, "\r%s [%s%s] %3d%%  %s / %s  %s/s  ", name_.c_str(),
             std::string(static_cast<size_t>(filled), '#').c_str(),
             std::string(static_cast<size_t>(kWidth - filled), '.').c_str(),
             static_cast<int>(fraction * 100), format_bytes(done).c_str(),
             format_bytes(total_).c_str(), format_bytes(rate(done)).c_str());
    std::cerr << line << std::flush;
  }

  void finish(uint64_t done) {
    const double seconds =
        std::chrono::duration<double>(Clock::now() - began_).count();
    char line[512];
    snprintf(line, sizeof line, "uploaded %s: %s in %.1f s (%s/s)%s", name_.c_str(),
             format_bytes(done).c_str(), seconds, format_bytes(rate(done)).c_str(),
             start_bytes_ == 0
                 ? ""
                 : (", resumed at byte " + std::to_string(start_bytes_)).c_str());
    if (tty_) std::cerr << "\r\033[K";
    std::cerr << line << "\n";
  }

 private:
  uint64_t rate(uint64_t done) const {
    const double seconds = std::chrono::duration<double>(Clock::now() - began_).count();
    if (seconds <= 0) return 0;
    return static_cast<uint64_t>(static_cast<double>(done - start_bytes_) / seconds);
  }

  std::string name_;
  uint64_t total_;
  uint64_t start_bytes_;
  bool tty_;
  Clock::time_point began_;
  Clock::time_point last_{};
};

// The "upload" object of a reply, checked.
const json_t* upload_object(const json_t* data, const char* command) {
  const json_t* u = json_object_get(data, "upload");
  if (!json_is_object(u) || !json_is_string(json_object_get(u, "id")) ||
      !json_is_integer(json_object_get(u, "received"))) {
    throw CommandError(std::string(command) + ": unexpected reply " + json::dump(data));
  }
  return u;
}

[[noreturn]] void upload_failed(const std::string& command, const std::string& error) {
  std::string message = command + ": " + error;
  if (error.rfind("unknown command", 0) == 0) {
    message += " (this broker's mosquitto-ota plugin cannot take uploads: upgrade it, or give "
               "--url, --size and --md5 instead of --file)";
  }
  throw CommandError(message);
}

Reply call_reply(ControlClient& client, JsonPtr command) {
  return client.wait(client.send(std::move(command)));
}

}  // namespace

std::string sha256_file(const std::string& path, uint64_t* size) {
  Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) throw UsageError("cannot open '" + path + "': " + strerror(errno));
  EvpCtx md;
  if (!md.ctx || EVP_DigestInit_ex(md.ctx, EVP_sha256(), nullptr) != 1) {
    throw UsageError("OpenSSL cannot compute SHA-256");
  }
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  uint64_t total = 0;
  while (true) {
    const ssize_t r = read(f.fd, buf.get(), 1 << 20);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw UsageError("cannot read '" + path + "': " + strerror(errno));
    if (r == 0) break;
    EVP_DigestUpdate(md.ctx, buf.get(), static_cast<size_t>(r));
    total += static_cast<uint64_t>(r);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(md.ctx, digest, &length);
  *size = total;
  return to_hex(digest, length);
}

UploadedFile upload_file(ControlClient& client, const UploadOptions& options) {
  const std::string& path = options.path;
  Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) throw UsageError("cannot open '" + path + "': " + strerror(errno));
  struct stat st {};
  if (fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw UsageError("'" + path + "' is not a regular file");
  }
  uint64_t size = 0;
  const std::string sha256 = sha256_file(path, &size);
  if (size == 0) throw UsageError("'" + path + "' is empty");

  JsonPtr begin = make_command("beginUpload");
  set_int(begin.get(), "size", static_cast<int64_t>(size));
  set_str(begin.get(), "sha256", sha256);
  Reply begun = call_reply(client, std::move(begin));
  if (begun.error) upload_failed("beginUpload", *begun.error);
  const json_t* u = upload_object(begun.data.get(), "beginUpload");
  const std::string id = jstr(u, "id");
  const int64_t received = jint(u, "received");
  if (received < 0 || static_cast<uint64_t>(received) > size) {
    throw CommandError("beginUpload: the broker says it has " + std::to_string(received) +
                       " bytes of a " + std::to_string(size) + "-byte file");
  }

  Progress progress(base_name(path), size, static_cast<uint64_t>(received));
  struct InFlight {
    std::string correlation;
    uint64_t end;  // offset after this chunk
  };
  std::deque<InFlight> in_flight;
  uint64_t next = static_cast<uint64_t>(received);
  uint64_t acknowledged = next;
  const size_t window = static_cast<size_t>(options.window < 1 ? 1 : options.window);
  progress.update(acknowledged);
  while (next < size || !in_flight.empty()) {
    while (next < size && in_flight.size() < window) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(options.chunk_size, size - next));
      JsonPtr chunk = make_command("uploadChunk");
      set_str(chunk.get(), "uploadId", id);
      set_int(chunk.get(), "offset", static_cast<int64_t>(next));
      set_str(chunk.get(), "data", base64::encode(read_at(f.fd, next, n, path)));
      in_flight.push_back({client.send(std::move(chunk)), next + n});
      next += n;
    }
    const InFlight head = in_flight.front();
    in_flight.pop_front();
    Reply ack = client.wait(head.correlation);
    if (ack.error) {
      upload_failed("uploadChunk", *ack.error + " (at byte " + std::to_string(head.end) +
                                       "; run the same command again to resume)");
    }
    const int64_t now_received = jint(upload_object(ack.data.get(), "uploadChunk"), "received");
    if (now_received < 0 || static_cast<uint64_t>(now_received) < head.end) {
      throw CommandError("uploadChunk: the broker has " + std::to_string(now_received) +
                         " bytes after a chunk ending at byte " + std::to_string(head.end));
    }
    acknowledged = head.end;
    progress.update(acknowledged);
  }

  JsonPtr finish = make_command("finishUpload");
  set_str(finish.get(), "uploadId", id);
  Reply finished = call_reply(client, std::move(finish));
  if (finished.error) upload_failed("finishUpload", *finished.error);
  const json_t* file = json_object_get(finished.data.get(), "file");
  UploadedFile out{lower(jstr(file, "sha256")), lower(jstr(file, "md5")),
                   static_cast<uint64_t>(jint(file, "size"))};
  if (out.sha256 != sha256 || out.size != size) {
    throw CommandError("finishUpload: the broker stored a different file (sha256 " + out.sha256 +
                       ", " + std::to_string(out.size) + " bytes) than '" + path + "' (sha256 " +
                       sha256 + ", " + std::to_string(size) + " bytes)");
  }
  progress.finish(acknowledged);
  return out;
}

}  // namespace ota::ctrl
