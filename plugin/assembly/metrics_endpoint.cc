#include "assembly/metrics_endpoint.h"

#include <string_view>

#include "service/metrics_exposition.h"

namespace ota {

HttpResponder metrics_responder(std::shared_ptr<const MetricsSnapshot> snapshot) {
  return [snapshot = std::move(snapshot)](std::string_view target) {
    HttpMemoryResponse r;
    // The path, whatever query a scraper adds.
    const std::string_view path = target.substr(0, target.find('?'));
    if (path != "/metrics") return r;  // 404
    std::shared_ptr<const std::string> text = snapshot->latest();
    if (!text) {
      r.status = 503;  // not rendered yet: the first broker tick is due
      return r;
    }
    r.status = 200;
    r.content_type = std::string(kMetricsContentType);
    r.body = *text;
    return r;
  };
}

}  // namespace ota
