// The single byte range an HTTP Range header asks of a file (RFC 9110
// §14), decided without lws (Debian's lws 4.1.6 is built without range
// support, DESIGN §9). Pure functions, shared by the HTTP helper library and
// the unit tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ota {

struct RangeDecision {
  enum Kind {
    kFull,           // 200 with the whole file (no, multiple or invalid ranges)
    kPartial,        // 206 with [first, first + length)
    kUnsatisfiable,  // 416 with "Content-Range: bytes */<size>"
  };
  Kind kind = kFull;
  uint64_t first = 0;
  uint64_t length = 0;  // the file size for kFull, 0 for kUnsatisfiable
};

// Decides how to answer `range_header` (empty when absent) for a file of
// `size` bytes. An end past the last byte is clamped (devices ask
// `bytes=0-<size>`, DESIGN §10); a start past it is unsatisfiable.
// Multiple ranges and syntax errors are ignored (the whole file is sent),
// as RFC 9110 allows.
RangeDecision decide_range(std::string_view range_header, uint64_t size);

// The Content-Range value for a partial or unsatisfiable decision:
// "bytes 0-99/1000" or "bytes */1000".
std::string content_range(const RangeDecision& decision, uint64_t size);

}  // namespace ota
