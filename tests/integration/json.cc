#include "json.h"

#include <cstdlib>

namespace ota::test {

JsonPtr json_parse(const std::string& text, std::string* error) {
  json_error_t err;
  json_t* value = json_loadb(text.data(), text.size(), JSON_DECODE_ANY, &err);
  if (value == nullptr && error != nullptr) {
    *error = std::string(err.text) + " at line " + std::to_string(err.line) + " column " +
             std::to_string(err.column);
  }
  return JsonPtr(value);
}

std::string json_text(const json_t* value) {
  if (value == nullptr) return "<null>";
  char* text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
  if (text == nullptr) return "<unencodable>";
  std::string out = text;
  std::free(text);
  return out;
}

JsonPtr json_ref(json_t* value) { return JsonPtr(json_incref(value)); }

json_t* json_at(const json_t* root, const std::string& path) {
  json_t* cur = const_cast<json_t*>(root);
  size_t start = 0;
  while (cur != nullptr && start <= path.size()) {
    size_t end = path.find('/', start);
    std::string part = path.substr(start, end == std::string::npos ? std::string::npos
                                                                   : end - start);
    if (!part.empty()) {
      if (json_is_object(cur)) {
        cur = json_object_get(cur, part.c_str());
      } else if (json_is_array(cur)) {
        char* stop = nullptr;
        unsigned long index = std::strtoul(part.c_str(), &stop, 10);
        cur = (stop != nullptr && *stop == '\0') ? json_array_get(cur, index) : nullptr;
      } else {
        cur = nullptr;
      }
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return cur;
}

std::optional<std::string> json_string_at(const json_t* root, const std::string& path) {
  json_t* v = json_at(root, path);
  if (!json_is_string(v)) return std::nullopt;
  return std::string(json_string_value(v), json_string_length(v));
}

std::optional<long long> json_int_at(const json_t* root, const std::string& path) {
  json_t* v = json_at(root, path);
  if (!json_is_integer(v)) return std::nullopt;
  return static_cast<long long>(json_integer_value(v));
}

}  // namespace ota::test
