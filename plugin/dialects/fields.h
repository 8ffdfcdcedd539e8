// Readers for the payload fields several dialects share (message id,
// version, module, progress step, desc), so that every dialect applies the
// same limits and reports errors in the same words. Built on json_util.h:
// each reader leaves *out untouched when it fails or the field is absent.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace ota::fields {

// Bounds on what we store per device: version and module names are opaque
// but must not grow the store without limit.
inline constexpr size_t kMaxVersionBytes = 128;
inline constexpr size_t kMaxModuleBytes = 128;
// -1..-4 are failure codes, 1..100 percent, 0 "entering download" (§10).
inline constexpr int64_t kMinStep = -4;
inline constexpr int64_t kMaxStep = 100;
// Bounds meaning "no bound" for read_integer.
inline constexpr int64_t kNoMin = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();

// Optional "id": a string (the documents) or a non-negative integer (real
// SDKs send 0, §10). *id is its text form.
bool read_message_id(const json_t* obj, std::string* id, std::string* error);

// obj[name]: a string of 1..kMaxVersionBytes bytes.
bool read_version(const json_t* obj, const char* name, bool optional,
                  std::string* version, std::string* error);

// Optional obj[name]: absent or "" keeps *module (the caller's default).
bool read_module(const json_t* obj, const char* name, std::string* module,
                 std::string* error);

// How an integer field may be written.
enum class IntForm {
  kInteger,          // 50 only: the platform documents an int
  kStringOrInteger,  // "50" or 50: documents say string, SDKs differ
};

// obj[name] as an integer within [min, max] (kNoMin/kNoMax: unbounded).
bool read_integer(const json_t* obj, const char* name, IntForm form,
                  int64_t min, int64_t max, bool optional, int64_t* out,
                  std::string* error);

// Optional "desc": at most kMaxDescLength characters (code points).
bool read_desc(const json_t* obj, std::string* desc, std::string* error);

// The first `max_chars` characters of valid UTF-8 `text`.
std::string truncate_chars(std::string_view text, size_t max_chars);

// Product keys, device names and tokens taken from topics or connections.
bool name_fits(std::string_view name);

}  // namespace ota::fields
