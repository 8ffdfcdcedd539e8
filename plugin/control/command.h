// The shape every $CONTROL/ota/v1 command handler shares (as in mosquitto's
// dynamic-security plugin): it reads one command object and returns either
// the reply's `data` object or a human-readable error. Adding a command is
// one handler and one line in control_api.cc's table.
#pragma once

#include <functional>

#include "engine/engine.h"
#include "json/json_util.h"

namespace ota {

class FirmwareStore;

struct CommandContext {
  Engine& engine;
  Store& store;
  TimeMs now;
  std::function<bool(const DeviceKey&)> is_online;
  std::vector<std::string> dialects;  // the enabled dialects, default first
  FirmwareStore* firmware = nullptr;  // null: no plugin_opt_firmware_dir
};

using CommandReply = Result<json::JsonPtr>;
using CommandHandler = CommandReply (*)(CommandContext& ctx, const json_t* command);

// Handlers, one file per domain.
CommandReply create_package_command(CommandContext& ctx, const json_t* command);
CommandReply get_package_command(CommandContext& ctx, const json_t* command);
CommandReply list_packages_command(CommandContext& ctx, const json_t* command);
CommandReply delete_package_command(CommandContext& ctx, const json_t* command);
CommandReply begin_upload_command(CommandContext& ctx, const json_t* command);
CommandReply upload_chunk_command(CommandContext& ctx, const json_t* command);
CommandReply finish_upload_command(CommandContext& ctx, const json_t* command);
CommandReply abort_upload_command(CommandContext& ctx, const json_t* command);
CommandReply create_job_command(CommandContext& ctx, const json_t* command);
CommandReply get_job_command(CommandContext& ctx, const json_t* command);
CommandReply list_jobs_command(CommandContext& ctx, const json_t* command);
CommandReply pause_job_command(CommandContext& ctx, const json_t* command);
CommandReply resume_job_command(CommandContext& ctx, const json_t* command);
CommandReply cancel_job_command(CommandContext& ctx, const json_t* command);
CommandReply cancel_task_command(CommandContext& ctx, const json_t* command);
CommandReply retry_task_command(CommandContext& ctx, const json_t* command);
CommandReply confirm_task_command(CommandContext& ctx, const json_t* command);
CommandReply list_tasks_command(CommandContext& ctx, const json_t* command);
CommandReply get_device_command(CommandContext& ctx, const json_t* command);
CommandReply list_devices_command(CommandContext& ctx, const json_t* command);
CommandReply set_product_config_command(CommandContext& ctx, const json_t* command);
CommandReply get_product_config_command(CommandContext& ctx, const json_t* command);
CommandReply get_statistics_command(CommandContext& ctx, const json_t* command);
CommandReply list_products_command(CommandContext& ctx, const json_t* command);
CommandReply bind_device_command(CommandContext& ctx, const json_t* command);
CommandReply unbind_device_command(CommandContext& ctx, const json_t* command);
CommandReply list_bindings_command(CommandContext& ctx, const json_t* command);

// Wraps a data object as {"<key>": value}.
json::JsonPtr wrap(const char* key, json_t* value);

}  // namespace ota

namespace ota {

// Fails with "unknown field 'x'" for any member of `command` not in
// `allowed` ("command" and "correlationData" are always allowed), so that a
// misspelt option is an error rather than silently ignored.
bool check_fields(const json_t* command, std::initializer_list<const char*> allowed,
                  std::string* error);

// A required non-empty string of at most `max_bytes`.
bool get_name(const json_t* command, const char* field, std::string* out,
              size_t max_bytes, std::string* error);

// An id field: a positive integer.
bool get_id(const json_t* command, const char* field, uint64_t* out,
            std::string* error);

// An optional percentage (integer or decimal, above 0, at most 100) as
// basis points; leaves *out alone when absent.
bool get_percent_bp(const json_t* command, const char* field, uint32_t* out,
                    std::string* error);

// An optional task state filter ("FAILED", ...); leaves *out empty when
// absent.
bool get_task_state(const json_t* command, const char* field, std::optional<TaskState>* out,
                    std::string* error);

// Paging of list commands: "offset" (default 0) and "count" (default 100,
// at most 1000).
struct Paging {
  size_t offset = 0;
  size_t count = 100;
};
bool get_paging(const json_t* command, Paging* out, std::string* error);

// One page of a listing, built while the store is visited: skips `offset`
// matches, keeps `count`, and notes whether more follow.
class PageBuilder {
 public:
  explicit PageBuilder(const Paging& paging) : paging_(paging), items_(json_array()) {}
  // Offers the next match; `make` (returning a new json_t*) runs only for
  // matches on the page. False once the page is full: stop the visit.
  template <typename Make>
  bool offer(Make make) {
    if (matched_++ < paging_.offset) return true;
    if (json_array_size(items_.get()) == paging_.count) {
      more_ = true;
      return false;
    }
    json_array_append_new(items_.get(), make());
    return true;
  }
  // {"<key>": items, "offset": n, "count": items, "more": bool}
  CommandReply reply(const char* key);

 private:
  Paging paging_;
  json::JsonPtr items_;
  size_t matched_ = 0;
  bool more_ = false;
};

}  // namespace ota
