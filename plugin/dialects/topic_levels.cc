#include "dialects/topic_levels.h"

namespace ota {

bool split_levels(std::string_view rest, std::span<std::string_view> out) {
  for (size_t i = 0; i < out.size(); ++i) {
    size_t slash = rest.find('/');
    bool last = i + 1 == out.size();
    // The last level runs to the end; the others end at a slash.
    if (last != (slash == std::string_view::npos)) return false;
    out[i] = rest.substr(0, slash);
    if (out[i].empty()) return false;
    if (!last) rest.remove_prefix(slash + 1);
  }
  return !out.empty();
}

bool has_wildcard(std::string_view filter) {
  return filter.find_first_of("+#") != std::string_view::npos;
}

}  // namespace ota
