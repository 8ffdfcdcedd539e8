// Hex encoding, random identifiers and incremental MD5 + SHA-256 (OpenSSL
// EVP), shared by the firmware store and the URL signer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/result.h"

struct evp_md_ctx_st;

namespace ota {

// Lowercase hex of `len` bytes.
std::string to_hex(const void* data, size_t len);

// Whether `s` is exactly 64 lowercase hex digits (the canonical file name).
bool is_sha256_hex(std::string_view s);

// `s` as canonical lowercase SHA-256 hex; upper case is accepted, anything
// else (wrong length, non-hex) gives nullopt.
std::optional<std::string> normalize_sha256_hex(std::string_view s);

// `bytes` random bytes from OpenSSL's CSPRNG, hex-encoded.
Result<std::string> random_hex(size_t bytes);

// SHA-256 and MD5 of a byte stream, fed piece by piece.
class Digest {
 public:
  Digest();
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void update(const void* data, size_t len);
  uint64_t bytes() const { return bytes_; }
  // Finishes both digests; call once.
  void finish(std::string* sha256_hex, std::string* md5_hex);

 private:
  evp_md_ctx_st* sha256_;
  evp_md_ctx_st* md5_;
  uint64_t bytes_ = 0;
};

// Feeds the first `len` bytes of the open file `fd` into `digest`.
Result<bool> digest_fd(int fd, uint64_t len, Digest& digest);

}  // namespace ota
