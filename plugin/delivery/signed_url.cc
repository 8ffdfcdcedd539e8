#include "delivery/signed_url.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "delivery/atomic_file.h"
#include "delivery/digest.h"

namespace ota {
namespace {

constexpr std::string_view kPathPrefix = "/fw/";
constexpr size_t kMaxDeviceBytes = 512;
constexpr size_t kMaxPackageBytes = 128;
constexpr size_t kMaxSecretFileBytes = 4096;

VerifyResult fail(VerifyStatus status, std::string reason) {
  VerifyResult r;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

}  // namespace

int VerifyResult::http_status() const {
  switch (status) {
    case VerifyStatus::kOk: return 200;
    case VerifyStatus::kNotFound: return 404;
    default: return 403;
  }
}

std::string join_url(std::string_view base, std::string_view path_and_query) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + std::string(path_and_query);
}

Result<UrlSigner> UrlSigner::from_secret(std::string secret) {
  if (secret.size() < kMinSecretBytes) {
    return Error{"URL secret is too short (" + std::to_string(secret.size()) +
                 " bytes; at least " + std::to_string(kMinSecretBytes) + " needed)"};
  }
  return UrlSigner(std::move(secret));
}

Result<UrlSigner> UrlSigner::load_or_create(const std::string& secret_file) {
  if (secret_file.empty()) return Error{"URL secret file is not set"};
  bool created = false;
  struct stat st {};
  if (::stat(secret_file.c_str(), &st) != 0) {
    if (errno != ENOENT) return errno_error("cannot read URL secret file", secret_file);
    Result<std::string> secret = random_hex(32);
    if (!secret.ok()) return Error{secret.error()};
    Result<bool> made = create_file_exclusive(secret_file, secret.value() + "\n", 0600);
    if (!made.ok()) return Error{"cannot create URL secret file: " + made.error()};
    created = made.value();  // false: another process created it first
    if (::stat(secret_file.c_str(), &st) != 0) {
      return errno_error("cannot read URL secret file", secret_file);
    }
  }
  if (!S_ISREG(st.st_mode)) return Error{"URL secret file " + secret_file + " is not a file"};
  Result<std::string> text = read_small_file(secret_file, kMaxSecretFileBytes);
  if (!text.ok()) return Error{"URL secret file: " + text.error()};
  std::string secret = text.value();
  while (!secret.empty() && std::strchr(" \t\r\n", secret.back())) secret.pop_back();
  Result<UrlSigner> signer = from_secret(std::move(secret));
  if (!signer.ok()) return Error{signer.error() + " in " + secret_file};
  signer.value().created_ = created;
  if (st.st_mode & 077) {
    signer.value().warning_ = "URL secret file " + secret_file +
                              " is readable by other users; chmod 600 it";
  }
  return signer;
}

std::string UrlSigner::signature(std::string_view path, std::string_view device,
                                 std::string_view package, int64_t expires) const {
  std::string canonical = "ota-fw-v1\n";
  canonical += path;
  canonical += "\n" + std::to_string(device.size()) + ":";
  canonical += device;
  canonical += "\n" + std::to_string(package.size()) + ":";
  canonical += package;
  canonical += "\n" + std::to_string(expires);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), mac, &len);
  return to_hex(mac, len);
}

std::string UrlSigner::sign(const DownloadGrant& grant) const {
  const std::string path = std::string(kPathPrefix) + grant.sha256;
  return path + "?d=" + url_encode(grant.device) + "&p=" + url_encode(grant.package) +
         "&e=" + std::to_string(grant.expires) + "&s=" +
         signature(path, grant.device, grant.package, grant.expires);
}

VerifyResult UrlSigner::verify(std::string_view path_and_query, int64_t now) const {
  const size_t q = path_and_query.find('?');
  const std::string_view path = path_and_query.substr(0, q);
  // Exactly /fw/<64 lowercase hex>: no escapes, dots, extra slashes or case
  // variants, so the hash is the only thing taken from the request.
  if (path.size() != kPathPrefix.size() + 64 || path.substr(0, kPathPrefix.size()) != kPathPrefix ||
      !is_sha256_hex(path.substr(kPathPrefix.size()))) {
    return fail(VerifyStatus::kNotFound, "not a firmware path");
  }
  if (q == std::string_view::npos) return fail(VerifyStatus::kMalformed, "unsigned URL");
  std::string_view query = path_and_query.substr(q + 1);
  std::optional<std::string> d, p, e, s;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::optional<std::string> name = url_decode(pair.substr(0, eq));
    std::optional<std::string> value =
        url_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) return fail(VerifyStatus::kMalformed, "bad percent-encoding");
    std::optional<std::string>* slot = *name == "d"   ? &d
                                       : *name == "p" ? &p
                                       : *name == "e" ? &e
                                       : *name == "s" ? &s
                                                      : nullptr;
    if (!slot) continue;  // unknown parameters are not signed, and harmless
    if (slot->has_value()) return fail(VerifyStatus::kMalformed, "repeated parameter " + *name);
    *slot = std::move(*value);
  }
  if (!d || !p || !e || !s) return fail(VerifyStatus::kMalformed, "missing d, p, e or s");
  if (d->empty() || d->size() > kMaxDeviceBytes || p->size() > kMaxPackageBytes) {
    return fail(VerifyStatus::kMalformed, "device or package out of bounds");
  }
  int64_t expires = 0;
  auto [end, ec] = std::from_chars(e->data(), e->data() + e->size(), expires);
  if (ec != std::errc() || end != e->data() + e->size() || e->empty() || (*e)[0] == '-' ||
      (*e)[0] == '+') {
    return fail(VerifyStatus::kMalformed, "bad expiry");
  }
  const std::string expected = signature(path, *d, *p, expires);
  if (s->size() != expected.size() ||
      CRYPTO_memcmp(s->data(), expected.data(), expected.size()) != 0) {
    return fail(VerifyStatus::kBadSignature, "bad signature");
  }
  VerifyResult r;
  r.grant = DownloadGrant{std::string(path.substr(kPathPrefix.size())), std::move(*d),
                          std::move(*p), expires};
  if (now > expires) {
    r.status = VerifyStatus::kExpired;
    r.reason = "expired at " + std::to_string(expires);
    return r;
  }
  r.status = VerifyStatus::kOk;
  return r;
}

}  // namespace ota
