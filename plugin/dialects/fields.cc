#include "dialects/fields.h"

#include <charconv>

#include "dialects/dialect.h"
#include "json/json_util.h"

namespace ota::fields {
namespace {

// Longer offending values are summarised in errors, not echoed into logs.
constexpr size_t kMaxEchoBytes = 32;

std::string too_long(const char* name, size_t limit, size_t got,
                     const char* unit) {
  return std::string("field '") + name + "' is longer than " +
         std::to_string(limit) + " " + unit + " (" + std::to_string(got) + ")";
}

std::string range_text(int64_t min, int64_t max) {
  if (min == kNoMin && max == kNoMax) return "an integer";
  if (max == kNoMax) return "an integer of at least " + std::to_string(min);
  if (min == kNoMin) return "an integer of at most " + std::to_string(max);
  return "an integer from " + std::to_string(min) + " to " +
         std::to_string(max);
}

}  // namespace

bool read_message_id(const json_t* obj, std::string* id, std::string* error) {
  if (!json::get_string_or_int(obj, "id", id, /*optional=*/true, error)) {
    return false;
  }
  const json_t* v = json_object_get(obj, "id");
  if (json_is_integer(v) && json_integer_value(v) < 0) {
    *error = "field 'id' must not be negative, got " + *id;
    return false;
  }
  return true;
}

bool read_version(const json_t* obj, const char* name, bool optional,
                  std::string* version, std::string* error) {
  std::string v;
  if (!json::get_string(obj, name, &v, optional, error)) return false;
  const json_t* raw = json_object_get(obj, name);
  if (raw == nullptr || json_is_null(raw)) return true;  // optional, absent
  if (v.empty()) {
    *error = std::string("field '") + name + "' must not be empty";
    return false;
  }
  if (v.size() > kMaxVersionBytes) {
    *error = too_long(name, kMaxVersionBytes, v.size(), "bytes");
    return false;
  }
  *version = std::move(v);
  return true;
}

bool read_module(const json_t* obj, const char* name, std::string* module,
                 std::string* error) {
  std::string m;
  if (!json::get_string(obj, name, &m, /*optional=*/true, error)) {
    return false;
  }
  if (m.size() > kMaxModuleBytes) {
    *error = too_long(name, kMaxModuleBytes, m.size(), "bytes");
    return false;
  }
  if (!m.empty()) *module = std::move(m);
  return true;
}

bool read_integer(const json_t* obj, const char* name, IntForm form,
                  int64_t min, int64_t max, bool optional, int64_t* out,
                  std::string* error) {
  const json_t* raw = json_object_get(obj, name);
  if (optional && (raw == nullptr || json_is_null(raw))) return true;
  int64_t value = 0;
  bool valid = true;  // an integer (in text form, all of the text)
  if (form == IntForm::kInteger) {
    if (!json::get_int64(obj, name, &value, optional, error)) return false;
  } else {
    std::string text;
    if (!json::get_string_or_int(obj, name, &text, optional, error)) {
      return false;
    }
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    valid = ec == std::errc() && ptr == end;
  }
  if (valid && value >= min && value <= max) {
    *out = value;
    return true;
  }
  std::string shown;
  if (json_is_string(raw) && json_string_length(raw) > kMaxEchoBytes) {
    shown = "a string of " + std::to_string(json_string_length(raw)) +
            " bytes";
  } else {
    shown = json::dump(raw);
  }
  *error = std::string("field '") + name + "' must be " +
           range_text(min, max) + ", got " + shown;
  return false;
}

bool read_desc(const json_t* obj, std::string* desc, std::string* error) {
  std::string d;
  if (!json::get_string(obj, "desc", &d, /*optional=*/true, error)) {
    return false;
  }
  size_t chars = json::utf8_length(d);
  if (chars > kMaxDescLength) {
    *error = too_long("desc", kMaxDescLength, chars, "characters");
    return false;
  }
  *desc = std::move(d);
  return true;
}

std::string truncate_chars(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    // A byte that starts a character: stop before the one past the limit.
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 &&
        chars++ == max_chars) {
      return std::string(text.substr(0, i));
    }
  }
  return std::string(text);
}

bool name_fits(std::string_view name) {
  return name.size() <= kMaxDeviceNameBytes;
}

}  // namespace ota::fields
