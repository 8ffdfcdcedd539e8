// How a notified device gets its bytes: an external package keeps its URL;
// an uploaded one gets a signed URL of the download server, renewed on
// every notification (docs/configuration.md "Firmware delivery").
#pragma once

#include <string>

#include "engine/events.h"
#include "engine/model.h"
#include "service/broker_types.h"

namespace ota {

class UrlSigner;

class DownloadLinks {
 public:
  // `signer` null: no plugin_opt_http_public_url, uploads cannot be told.
  DownloadLinks(const UrlSigner* signer, std::string public_url, int64_t expiry_s,
                const Logger& log)
      : signer_(signer), public_url_(std::move(public_url)), expiry_s_(expiry_s), log_(log) {}

  // Fills in n.package.url where the device needs one; false, logged, when
  // it cannot be told (an upload without a download server). MQTT delivery
  // needs no URL: the dialect names the stream instead.
  bool resolve(Notification& n, const ProductConfig& config) const;

 private:
  std::string signed_url(const Notification& n) const;

  const UrlSigner* signer_;
  std::string public_url_;
  int64_t expiry_s_;
  const Logger& log_;
};

}  // namespace ota
