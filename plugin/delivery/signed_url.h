// Download URLs signed per device and expiring, so a firmware server on the
// open internet hands a file only to the device it was offered to:
//
//   /fw/<sha256>?d=<product/device>&p=<package id>&e=<expiry>&s=<signature>
//
// s = hex HMAC-SHA256(secret, "ota-fw-v1\n" <path> "\n" <len>:<device> "\n"
//     <len>:<package> "\n" <expiry>); the length prefixes keep the canonical
// string unambiguous whatever the names contain. The query values are
// percent-encoded. Only `/fw/<64 lowercase hex>` is ever accepted, so a file
// path is never built from request text other than a validated hash.
// No lws, no mosquitto; verify() is const and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "delivery/url_codec.h"
#include "engine/result.h"

namespace ota {

// What a signed URL grants: one device may fetch one file for one package
// until `expires`.
struct DownloadGrant {
  std::string sha256;   // 64 lowercase hex: the file in the firmware store
  std::string device;   // "product/device"
  std::string package;  // the package id, as text
  int64_t expires = 0;  // Unix seconds; valid while now <= expires
};

enum class VerifyStatus {
  kOk,
  kNotFound,      // not a /fw/<sha256> path: nothing is served there
  kMalformed,     // missing, repeated or badly encoded parameters
  kBadSignature,  // tampered, other device, other file, other secret
  kExpired,       // authentic but past its expiry
};

struct VerifyResult {
  VerifyStatus status = VerifyStatus::kMalformed;
  DownloadGrant grant;  // filled for kOk and kExpired
  std::string reason;   // one line for logs
  bool ok() const { return status == VerifyStatus::kOk; }
  // 200 for kOk, 404 for kNotFound, 403 otherwise.
  int http_status() const;
};

class UrlSigner {
 public:
  // Minimum secret length in bytes.
  static constexpr size_t kMinSecretBytes = 32;

  // Reads the secret from `secret_file` (whitespace at the end ignored), or,
  // when the file does not exist, creates it (mode 0600, atomically: of two
  // brokers starting at once, both end up with the same secret) holding 32
  // random bytes as 64 hex digits.
  static Result<UrlSigner> load_or_create(const std::string& secret_file);
  // A signer with a given secret (at least kMinSecretBytes bytes).
  static Result<UrlSigner> from_secret(std::string secret);

  // "/fw/<sha256>?d=...&p=...&e=...&s=..." for `grant`; append it to the
  // public base URL (join_url).
  std::string sign(const DownloadGrant& grant) const;

  // Checks a request's path and query (as sent, percent-encoded) at time
  // `now` (Unix seconds). Constant-time signature comparison.
  VerifyResult verify(std::string_view path_and_query, int64_t now) const;

  // Non-empty when the secret file is readable by group or others.
  const std::string& warning() const { return warning_; }
  // Whether load_or_create() generated the file.
  bool created() const { return created_; }

 private:
  explicit UrlSigner(std::string secret) : secret_(std::move(secret)) {}
  std::string signature(std::string_view path, std::string_view device,
                        std::string_view package, int64_t expires) const;

  std::string secret_;
  std::string warning_;
  bool created_ = false;
};

// `base` ("https://ota.example.com:8443", trailing slashes ignored) followed
// by `path_and_query`.
std::string join_url(std::string_view base, std::string_view path_and_query);

}  // namespace ota
