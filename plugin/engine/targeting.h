// Which devices a job selects, and how they split into rollout groups.
// Pure functions, so the selection is the same whenever it is recomputed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/model.h"

namespace ota {

// A number in [0, 10000) fixed for (package, device): a grey release of p
// basis points takes the devices below p, so raising p only adds devices.
uint32_t grey_release_bucket(PackageId package, const DeviceKey& device);

// Does the device match the filter's source versions, tags and percentage
// (the package's own source versions are checked by the caller)?
bool matches_filter(const TargetFilter& filter, PackageId package,
                    const Device& device, const std::string& module);

// Splits `total` targets into group sizes: a count, or a percentage of the
// total (rounded, at least one), in order; the last group takes what is
// left. No groups: one group of everything.
struct GroupSpec {
  uint32_t count = 0;
  uint32_t percent = 0;
};
std::vector<uint32_t> split_groups(uint32_t total, const std::vector<GroupSpec>& groups);

// Microseconds between two pushes of a job limited to `rate_per_minute`
// (0: unlimited).
int64_t push_interval_us(uint32_t rate_per_minute);

}  // namespace ota
