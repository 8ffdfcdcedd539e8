#include "delivery/digest.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <vector>

namespace ota {

std::string to_hex(const void* data, size_t len) {
  static const char kDigits[] = "0123456789abcdef";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out(len * 2, '0');
  for (size_t i = 0; i < len; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 0xf];
  }
  return out;
}

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<std::string> normalize_sha256_hex(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!is_sha256_hex(out)) return std::nullopt;
  return out;
}

Result<std::string> random_hex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    return Error{"the random number generator failed"};
  }
  return to_hex(buf.data(), buf.size());
}

Digest::Digest() : sha256_(EVP_MD_CTX_new()), md5_(EVP_MD_CTX_new()) {
  if (!sha256_ || !md5_ || EVP_DigestInit_ex(sha256_, EVP_sha256(), nullptr) != 1 ||
      EVP_DigestInit_ex(md5_, EVP_md5(), nullptr) != 1) {
    EVP_MD_CTX_free(sha256_);
    EVP_MD_CTX_free(md5_);
    throw std::bad_alloc();
  }
}

Digest::~Digest() {
  EVP_MD_CTX_free(sha256_);
  EVP_MD_CTX_free(md5_);
}

void Digest::update(const void* data, size_t len) {
  EVP_DigestUpdate(sha256_, data, len);
  EVP_DigestUpdate(md5_, data, len);
  bytes_ += len;
}

void Digest::finish(std::string* sha256_hex, std::string* md5_hex) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(sha256_, out, &n);
  if (sha256_hex) *sha256_hex = to_hex(out, n);
  EVP_DigestFinal_ex(md5_, out, &n);
  if (md5_hex) *md5_hex = to_hex(out, n);
}

Result<bool> digest_fd(int fd, uint64_t len, Digest& digest) {
  std::vector<char> buf(1 << 16);
  uint64_t done = 0;
  while (done < len) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), len - done));
    const ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{std::string("read failed: ") + std::strerror(errno)};
    if (n == 0) return Error{"file is shorter than expected"};
    digest.update(buf.data(), static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace ota
