// Equality of short byte strings, for the per-message path: device and
// module names, JSON member names. A leaf header: the engine and the JSON
// reader both use it and depend on nothing else for it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace ota {

// The bytes of two strings of length `n`, a word at a time.
inline bool same_bytes_of_length(const char* x, const char* y, size_t n) {
  // Two loads of `bytes` each, the second ending at the last byte (they
  // overlap for lengths between one size and the next).
  const auto same_ends = [&](auto word) {
    constexpr size_t kBytes = sizeof word;
    decltype(word) x0, y0, x1, y1;
    std::memcpy(&x0, x, kBytes);
    std::memcpy(&y0, y, kBytes);
    std::memcpy(&x1, x + n - kBytes, kBytes);
    std::memcpy(&y1, y + n - kBytes, kBytes);
    return x0 == y0 && x1 == y1;
  };
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      uint64_t wx, wy;
      std::memcpy(&wx, x + i, 8);
      std::memcpy(&wy, y + i, 8);
      if (wx != wy) return false;
    }
    uint64_t lx, ly;  // the last (overlapping) word
    std::memcpy(&lx, x + n - 8, 8);
    std::memcpy(&ly, y + n - 8, 8);
    return lx == ly;
  }
  if (n >= 4) return same_ends(uint32_t{});
  if (n >= 2) return same_ends(uint16_t{});
  return n == 0 || *x == *y;
}

// Equal bytes, compared a word at a time: names on the per-message path
// are a few bytes long, where a call to memcmp costs more than the compare
// (every hash map keyed by device compares names on each lookup). The
// lengths are compared here, inline at each caller: most names compared
// with another differ in length.
inline bool same_bytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && same_bytes_of_length(a.data(), b.data(), a.size());
}

}  // namespace ota
