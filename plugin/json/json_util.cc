#include "json/json_util.h"

#include <string>
#include <utility>

namespace ota::json {
namespace {

void set_error(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
}

// How a value reads in an error: scalars as themselves (so "got 7.5" shows
// what was sent), containers and strings by kind (they may be long).
std::string describe(const json_t* v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return dump(v);
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
  }
  return "an unknown value";
}

void wrong_type(std::string* error, const char* name, const char* want,
                const json_t* got) {
  set_error(error, std::string("field '") + name + "' must be " + want +
                       ", got " + describe(got));
}

enum class Lookup { kFound, kAbsent, kError };

// The shared part of every getter. Null is treated as absent so that an
// optional field sent as null is accepted, as dynsec does.
Lookup find(const json_t* obj, const char* name, bool optional,
            const char* want, const json_t** value, std::string* error) {
  const json_t* v = json_is_object(obj) ? json_object_get(obj, name) : nullptr;
  if (v != nullptr && !json_is_null(v)) {
    *value = v;
    return Lookup::kFound;
  }
  if (optional) return Lookup::kAbsent;
  if (v == nullptr) {
    set_error(error, std::string("field '") + name + "' is required");
  } else {
    wrong_type(error, name, want, v);
  }
  return Lookup::kError;
}

}  // namespace

JsonPtr parse(std::string_view text, std::string* error, bool object_only) {
  json_error_t err;
  // DECODE_ANY so that a bare number gets the "must be an object" message
  // below rather than jansson's "'[' or '{' expected".
  JsonPtr root(json_loadb(text.data(), text.size(),
                          JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err));
  if (root == nullptr) {
    set_error(error, "invalid JSON at byte " + std::to_string(err.position) +
                         ": " + err.text);
    return nullptr;
  }
  if (object_only && !json_is_object(root.get())) {
    set_error(error, "JSON must be an object, got " + describe(root.get()));
    return nullptr;
  }
  return root;
}

bool get_string(const json_t* obj, const char* name, std::string* out,
                bool optional, std::string* error) {
  const json_t* v = nullptr;
  switch (find(obj, name, optional, "a string", &v, error)) {
    case Lookup::kAbsent: return true;
    case Lookup::kError: return false;
    case Lookup::kFound: break;
  }
  if (!json_is_string(v)) {
    wrong_type(error, name, "a string", v);
    return false;
  }
  out->assign(json_string_value(v), json_string_length(v));
  return true;
}

bool get_int64(const json_t* obj, const char* name, int64_t* out,
               bool optional, std::string* error) {
  const json_t* v = nullptr;
  switch (find(obj, name, optional, "an integer", &v, error)) {
    case Lookup::kAbsent: return true;
    case Lookup::kError: return false;
    case Lookup::kFound: break;
  }
  if (!json_is_integer(v)) {
    wrong_type(error, name, "an integer", v);
    return false;
  }
  *out = json_integer_value(v);
  return true;
}

bool get_bool(const json_t* obj, const char* name, bool* out, bool optional,
              std::string* error) {
  const json_t* v = nullptr;
  switch (find(obj, name, optional, "true or false", &v, error)) {
    case Lookup::kAbsent: return true;
    case Lookup::kError: return false;
    case Lookup::kFound: break;
  }
  if (!json_is_boolean(v)) {
    wrong_type(error, name, "true or false", v);
    return false;
  }
  *out = json_is_true(v);
  return true;
}

bool get_object(const json_t* obj, const char* name, const json_t** out,
                bool optional, std::string* error) {
  const json_t* v = nullptr;
  switch (find(obj, name, optional, "an object", &v, error)) {
    case Lookup::kAbsent: return true;
    case Lookup::kError: return false;
    case Lookup::kFound: break;
  }
  if (!json_is_object(v)) {
    wrong_type(error, name, "an object", v);
    return false;
  }
  *out = v;
  return true;
}

bool get_array(const json_t* obj, const char* name, const json_t** out,
               bool optional, std::string* error) {
  const json_t* v = nullptr;
  switch (find(obj, name, optional, "an array", &v, error)) {
    case Lookup::kAbsent: return true;
    case Lookup::kError: return false;
    case Lookup::kFound: break;
  }
  if (!json_is_array(v)) {
    wrong_type(error, name, "an array", v);
    return false;
  }
  *out = v;
  return true;
}

bool get_string_or_int(const json_t* obj, const char* name, std::string* out,
                       bool optional, std::string* error) {
  const json_t* v = nullptr;
  const char* want = "a string or an integer";
  switch (find(obj, name, optional, want, &v, error)) {
    case Lookup::kAbsent: return true;
    case Lookup::kError: return false;
    case Lookup::kFound: break;
  }
  if (json_is_string(v)) {
    out->assign(json_string_value(v), json_string_length(v));
  } else if (json_is_integer(v)) {
    *out = std::to_string(json_integer_value(v));
  } else {
    wrong_type(error, name, want, v);
    return false;
  }
  return true;
}

bool set_string(json_t* obj, const char* key, std::string_view value) {
  json_t* s = json_stringn(value.data(), value.size());
  if (s == nullptr) return false;
  return json_object_set_new(obj, key, s) == 0;
}

std::string dump(const json_t* value) {
  if (value == nullptr) return {};
  // ENCODE_ANY: scalars too. One pass, appended into a std::string (so
  // jansson's allocator never meets free()); sizing first with
  // json_dumpb() would encode everything twice.
  const size_t flags = JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENCODE_ANY;
  std::string text;
  text.reserve(256);
  const int failed = json_dump_callback(
      value,
      [](const char* buffer, size_t size, void* data) {
        static_cast<std::string*>(data)->append(buffer, size);
        return 0;
      },
      &text, flags);
  if (failed != 0) text.clear();  // as json_dumpb(): nothing rather than a part
  return text;
}

size_t utf8_length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace ota::json
