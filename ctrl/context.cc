#include "context.h"

#include <ostream>

#include "errors.h"
#include "parse.h"

namespace ota::ctrl {

ControlClient& Context::client() {
  if (!client_) client_ = std::make_unique<ControlClient>(options);
  return *client_;
}

void Paging::add_to(CLI::App* sub) {
  sub->add_option("--offset", offset, "skip this many matches (default 0)");
  sub->add_option("--count", count, "at most this many (default 100, at most 1000)");
  sub->add_flag("--all-pages", all_pages, "fetch every page");
}

void set_str(json_t* obj, const char* key, const std::string& value) {
  json_t* s = json_stringn(value.data(), value.size());
  if (!s) throw UsageError("the value of " + std::string(key) + " is not valid UTF-8");
  json_object_set_new(obj, key, s);
}

void set_int(json_t* obj, const char* key, int64_t value) {
  json_object_set_new(obj, key, json_integer(static_cast<json_int_t>(value)));
}

void set_bool(json_t* obj, const char* key, bool value) {
  json_object_set_new(obj, key, json_boolean(value));
}

json_t* string_array(const std::vector<std::string>& items) {
  json_t* a = json_array();
  for (const std::string& s : items) {
    json_t* j = json_stringn(s.data(), s.size());
    if (!j) throw UsageError("'" + s + "' is not valid UTF-8");
    json_array_append_new(a, j);
  }
  return a;
}

JsonPtr run_list(Context& ctx, const char* command, JsonPtr fields, const char* key,
                 const Paging& paging) {
  int64_t offset = paging.offset.empty() ? 0 : parse_count(paging.offset, "--offset");
  std::optional<int64_t> count;
  if (!paging.count.empty()) {
    count = parse_count(paging.count, "--count");
    if (*count < 1 || *count > 1000) throw UsageError("--count must be from 1 to 1000");
  }
  auto request = [&](int64_t off, std::optional<int64_t> n) {
    JsonPtr c = make_command(command);
    json_object_update(c.get(), fields.get());
    if (off > 0) set_int(c.get(), "offset", off);
    if (n) set_int(c.get(), "count", *n);
    return ctx.client().call(std::move(c));
  };
  if (!paging.all_pages) return request(offset, count);
  // Every page from --offset on, merged.
  JsonPtr merged(json_object());
  JsonPtr items(json_array());
  const int64_t first = offset;
  while (true) {
    JsonPtr page = request(offset, count ? count : 1000);
    const json_t* list = json_object_get(page.get(), key);
    const size_t n = json_array_size(list);
    json_array_extend(items.get(), const_cast<json_t*>(list));
    offset += static_cast<int64_t>(n);
    if (!json_is_true(json_object_get(page.get(), "more")) || n == 0) break;
  }
  json_object_set(merged.get(), key, items.get());
  set_int(merged.get(), "offset", first);
  set_int(merged.get(), "count", static_cast<int64_t>(json_array_size(items.get())));
  set_bool(merged.get(), "more", false);
  return merged;
}

void print_more(std::ostream& out, const json_t* data, const char* key) {
  if (!json_is_true(json_object_get(data, "more"))) return;
  const json_t* offset = json_object_get(data, "offset");
  const int64_t next = (json_is_integer(offset) ? json_integer_value(offset) : 0) +
                       static_cast<int64_t>(json_array_size(json_object_get(data, key)));
  out << "(more " << key << ": --offset " << next << " for the next page, or --all-pages)\n";
}

}  // namespace ota::ctrl
