// RAII and small helpers around jansson for the integration tests.
#pragma once

#include <jansson.h>

#include <memory>
#include <optional>
#include <string>

namespace ota::test {

struct JsonDeleter {
  void operator()(json_t* j) const { json_decref(j); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

// Parses JSON text (any value); null on error.
JsonPtr json_parse(const std::string& text, std::string* error = nullptr);
// Compact text, keys in insertion order; "<null>" for nullptr.
std::string json_text(const json_t* value);
// A new reference to a borrowed value (or null).
JsonPtr json_ref(json_t* value);
// The value at a '/'-separated path of object keys and array indexes
// ("device/tasks/0/state"); borrowed, null when absent.
json_t* json_at(const json_t* root, const std::string& path);
// Typed lookups at a path: nullopt when absent or of another type.
std::optional<std::string> json_string_at(const json_t* root, const std::string& path);
std::optional<long long> json_int_at(const json_t* root, const std::string& path);

}  // namespace ota::test
