#include "engine/targeting.h"

#include <algorithm>

namespace ota {

uint32_t grey_release_bucket(PackageId package, const DeviceKey& device) {
  // FNV-1a over "package/product/device": stable across runs and builds.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= '/';
    h *= 1099511628211ULL;
  };
  mix(std::to_string(package));
  mix(device.product);
  mix(device.device);
  return static_cast<uint32_t>(h % 10000);
}

bool matches_filter(const TargetFilter& filter, PackageId package,
                    const Device& device, const std::string& module) {
  if (!filter.source_versions.empty()) {
    auto m = device.modules.find(module);
    if (m == device.modules.end()) return false;
    if (std::find(filter.source_versions.begin(), filter.source_versions.end(),
                  m->second.version) == filter.source_versions.end()) {
      return false;
    }
  }
  for (const auto& [key, value] : filter.tags) {
    auto tag = device.tags.find(key);
    if (tag == device.tags.end() || tag->second != value) return false;
  }
  return filter.percent_bp >= 10000 ||
         grey_release_bucket(package, device.key) < filter.percent_bp;
}

std::vector<uint32_t> split_groups(uint32_t total, const std::vector<GroupSpec>& groups) {
  if (groups.empty()) return {total};
  std::vector<uint32_t> sizes;
  uint32_t left = total;
  for (const GroupSpec& g : groups) {
    uint64_t want = g.count;
    if (g.percent > 0) {
      want = (static_cast<uint64_t>(total) * g.percent + 50) / 100;
      if (want == 0 && total > 0) want = 1;
    }
    const uint32_t size = static_cast<uint32_t>(std::min<uint64_t>(want, left));
    sizes.push_back(size);
    left -= size;
  }
  sizes.back() += left;
  return sizes;
}

int64_t push_interval_us(uint32_t rate_per_minute) {
  return rate_per_minute == 0 ? 0 : 60'000'000LL / rate_per_minute;
}

}  // namespace ota
