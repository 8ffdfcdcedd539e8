#include "delivery/firmware_resolver.h"

namespace ota {

HttpResolution resolve_firmware(const UrlSigner& signer, const FirmwareStore& store,
                                std::string_view path_and_query, int64_t now) {
  HttpResolution r;
  const VerifyResult v = signer.verify(path_and_query, now);
  r.status = v.http_status();
  if (!v.ok()) return r;
  const std::optional<StoredFile> file = store.find(v.grant.sha256);
  if (!file) {
    r.status = 404;
    return r;
  }
  r.path = file->path;
  r.sha256 = file->sha256;
  r.device = v.grant.device;
  r.package = v.grant.package;
  return r;
}

HttpResolver firmware_resolver(const UrlSigner& signer, const FirmwareStore& store) {
  return [&signer, &store](std::string_view path_and_query, int64_t now) {
    return resolve_firmware(signer, store, path_and_query, now);
  };
}

}  // namespace ota
