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

bool get_percent_bp(const json_t* command, const char* field, uint32_t* out,
                    std::string* error) {
  const json_t* v = json_object_get(command, field);
  if (!v || json_is_null(v)) return true;
  const double p = json_is_number(v) ? json_number_value(v) : -1;
  if (!(p > 0 && p <= 100)) {
    *error = std::string("field '") + field + "' must be a number above 0 and at most 100";
    return false;
  }
  *out = static_cast<uint32_t>(p * 100 + 0.5);
  if (*out == 0) *out = 1;
  return true;
}

bool get_task_state(const json_t* command, const char* field, std::optional<TaskState>* out,
                    std::string* error) {
  std::string name;
  if (!json::get_string(command, field, &name, true, error)) return false;
  if (name.empty()) return true;
  for (int i = 0; i < kTaskStateCount; ++i) {
    if (to_string(static_cast<TaskState>(i)) == name) {
      *out = static_cast<TaskState>(i);
      return true;
    }
  }
  *error = std::string("field '") + field +
           "' must be a task state: CONFIRM, QUEUED, NOTIFIED, IN_PROGRESS, SUCCEEDED, FAILED "
           "or CANCELED";
  return false;
}

bool get_paging(const json_t* command, Paging* out, std::string* error) {
  int64_t offset = 0, count = 100;
  if (!json::get_int64(command, "offset", &offset, true, error) ||
      !json::get_int64(command, "count", &count, true, error)) {
    return false;
  }
  if (offset < 0) {
    *error = "field 'offset' must not be negative";
    return false;
  }
  if (count < 1 || count > 1000) {
    *error = "field 'count' must be from 1 to 1000";
    return false;
  }
  out->offset = static_cast<size_t>(offset);
  out->count = static_cast<size_t>(count);
  return true;
}

CommandReply PageBuilder::reply(const char* key) {
  json::JsonPtr data(json_object());
  const size_t n = json_array_size(items_.get());
  json_object_set_new(data.get(), key, items_.release());
  json_object_set_new(data.get(), "offset", json_integer(static_cast<json_int_t>(paging_.offset)));
  json_object_set_new(data.get(), "count", json_integer(static_cast<json_int_t>(n)));
  json_object_set_new(data.get(), "more", json_boolean(more_));
  return data;
}

}  // namespace ota
