#include "control/command.h"

#include <cstring>

namespace ota {

json::JsonPtr wrap(const char* key, json_t* value) {
  json::JsonPtr data(json_object());
  json_object_set_new(data.get(), key, value);
  return data;
}

bool check_fields(const json_t* command, std::initializer_list<const char*> allowed,
                  std::string* error) {
  const char* key;
  json_t* value;
  json_object_foreach(const_cast<json_t*>(command), key, value) {
    if (!strcmp(key, "command") || !strcmp(key, "correlationData")) continue;
    bool known = false;
    for (const char* a : allowed) known = known || !strcmp(key, a);
    if (!known) {
      *error = std::string("unknown field '") + key + "'";
      return false;
    }
  }
  return true;
}

bool get_name(const json_t* command, const char* field, std::string* out,
              size_t max_bytes, std::string* error) {
  if (!json::get_string(command, field, out, false, error)) return false;
  if (out->empty() || out->size() > max_bytes) {
    *error = std::string("field '") + field + "' must be 1 to " +
             std::to_string(max_bytes) + " bytes long";
    return false;
  }
  if (out->find('/') != std::string::npos || out->find_first_of("+#") != std::string::npos) {
    *error = std::string("field '") + field + "' must not contain '/', '+' or '#'";
    return false;
  }
  return true;
}

bool get_id(const json_t* command, const char* field, uint64_t* out,
            std::string* error) {
  int64_t v = 0;
  if (!json::get_int64(command, field, &v, false, error)) return false;
  if (v <= 0) {
    *error = std::string("field '") + field + "' must be a positive integer";
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

}  // namespace ota
