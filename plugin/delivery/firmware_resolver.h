// The standard download decision: a signed, unexpired URL for a file that
// is in the firmware store. Bridges UrlSigner and FirmwareStore to the HTTP
// server's resolver; thread-safe (both are read-only here).
#pragma once

#include <cstdint>
#include <string_view>

#include "delivery/firmware_store.h"
#include "delivery/http_loader.h"
#include "delivery/signed_url.h"

namespace ota {

// 404 for paths other than /fw/<sha256> and for files not in the store,
// 403 for unsigned, tampered, other-device or expired URLs, else 200 with
// the file's path and the grant's device and package.
HttpResolution resolve_firmware(const UrlSigner& signer, const FirmwareStore& store,
                                std::string_view path_and_query, int64_t now);

// An HttpResolver over resolve_firmware(). `signer` and `store` must
// outlive the server (stop it first).
HttpResolver firmware_resolver(const UrlSigner& signer, const FirmwareStore& store);

}  // namespace ota
