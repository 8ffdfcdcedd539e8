// Small jansson helpers shared by the dialects and the $CONTROL command API,
// in the manner of mosquitto's dynamic-security plugin: parse untrusted
// bytes, read typed fields with one clear error naming the field, dump
// compactly. Every getter leaves *out untouched when it fails or when an
// optional field is absent, so callers preset defaults.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ota::json {

struct Decref {
  void operator()(json_t* j) const { json_decref(j); }
};
// Owns one reference.
using JsonPtr = std::unique_ptr<json_t, Decref>;

// Parses `text` (any bytes, not NUL-terminated). Duplicate keys and NUL
// characters inside strings are rejected; nesting is bounded by jansson's
// own depth limit. With `object_only`, any top level but an object is an
// error. Returns nullptr and sets *error on failure.
JsonPtr parse(std::string_view text, std::string* error,
              bool object_only = true);

// Typed field getters. A missing field (or JSON null) is an error unless
// `optional`; a field of the wrong type is always an error. The error reads
// like: field 'version' must be a string, got 5
bool get_string(const json_t* obj, const char* name, std::string* out,
                bool optional, std::string* error);
// Integers only: 5.0 is rejected.
bool get_int64(const json_t* obj, const char* name, int64_t* out,
               bool optional, std::string* error);
bool get_bool(const json_t* obj, const char* name, bool* out, bool optional,
              std::string* error);
// *out is borrowed from `obj`.
bool get_object(const json_t* obj, const char* name, const json_t** out,
                bool optional, std::string* error);
bool get_array(const json_t* obj, const char* name, const json_t** out,
               bool optional, std::string* error);
// For fields devices send either as "50" or as 50: *out is the text form.
bool get_string_or_int(const json_t* obj, const char* name, std::string* out,
                       bool optional, std::string* error);

// Sets obj[key] to a string; false (and nothing set) if `value` is not
// valid UTF-8, which jansson refuses to hold.
bool set_string(json_t* obj, const char* key, std::string_view value);

// Compact text, keys in insertion order. Any value, not just containers;
// "" for nullptr.
std::string dump(const json_t* value);

// Code points in `text`, which must already be valid UTF-8 (e.g. a string
// jansson parsed): counts the bytes that start a character.
size_t utf8_length(std::string_view text);

}  // namespace ota::json
