#include "service/download_links.h"

#include "delivery/signed_url.h"

namespace ota {

bool DownloadLinks::resolve(Notification& n, const ProductConfig& config) const {
  if (!n.package.url.empty() || config.download_protocol == DownloadProtocol::kMqtt) return true;
  n.package.url = signed_url(n);
  if (!n.package.url.empty()) return true;
  log_(LogLevel::kError, "mosquitto-ota: package " + std::to_string(n.package.id) +
       " is an uploaded file, but no download server is configured "
       "(plugin_opt_http_public_url): cannot notify " + n.device.device);
  return false;
}

std::string DownloadLinks::signed_url(const Notification& n) const {
  if (!signer_ || public_url_.empty()) return "";
  DownloadGrant grant;
  grant.sha256 = n.package.sha256;
  grant.device = n.device.product + "/" + n.device.device;
  grant.package = std::to_string(n.package.id);
  // From the time the engine decided: a re-notified device gets a fresh URL.
  grant.expires = n.at / 1000 + expiry_s_;
  return join_url(public_url_, signer_->sign(grant));
}

}  // namespace ota
