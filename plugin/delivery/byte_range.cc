#include "delivery/byte_range.h"

#include <charconv>

namespace ota {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only (no sign, no spaces), within uint64_t.
bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool starts_with_bytes_unit(std::string_view s) {
  if (s.size() < 6) return false;
  static constexpr std::string_view kUnit = "bytes=";
  for (size_t i = 0; i < kUnit.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kUnit[i]) return false;
  }
  return true;
}

}  // namespace

RangeDecision decide_range(std::string_view range_header, uint64_t size) {
  const RangeDecision full{RangeDecision::kFull, 0, size};
  const RangeDecision unsatisfiable{RangeDecision::kUnsatisfiable, 0, 0};
  std::string_view spec = trim(range_header);
  if (!starts_with_bytes_unit(spec)) return full;
  spec = trim(spec.substr(6));
  if (spec.find(',') != std::string_view::npos) return full;  // one range only
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return full;
  const std::string_view first_text = trim(spec.substr(0, dash));
  const std::string_view last_text = trim(spec.substr(dash + 1));

  if (first_text.empty()) {  // "-N": the last N bytes
    uint64_t suffix = 0;
    if (!parse_u64(last_text, &suffix)) return full;
    if (suffix == 0 || size == 0) return unsatisfiable;
    const uint64_t length = suffix < size ? suffix : size;
    return RangeDecision{RangeDecision::kPartial, size - length, length};
  }
  uint64_t first = 0;
  if (!parse_u64(first_text, &first)) return full;
  uint64_t last = UINT64_MAX;
  if (!last_text.empty()) {
    if (!parse_u64(last_text, &last)) return full;
    if (last < first) return full;  // invalid range: ignored
  }
  if (first >= size) return unsatisfiable;
  if (last > size - 1) last = size - 1;  // clamp
  return RangeDecision{RangeDecision::kPartial, first, last - first + 1};
}

std::string content_range(const RangeDecision& decision, uint64_t size) {
  if (decision.kind == RangeDecision::kPartial) {
    return "bytes " + std::to_string(decision.first) + "-" +
           std::to_string(decision.first + decision.length - 1) + "/" + std::to_string(size);
  }
  return "bytes */" + std::to_string(size);
}

}  // namespace ota
