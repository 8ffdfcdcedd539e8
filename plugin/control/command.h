// The shape every $CONTROL/ota/v1 command handler shares (as in mosquitto's
// dynamic-security plugin): it reads one command object and returns either
// the reply's `data` object or a human-readable error. Adding a command is
// one handler and one line in control_api.cc's table.
#pragma once

#include <functional>

#include "engine/engine.h"
#include "json/json_util.h"

namespace ota {

struct CommandContext {
  Engine& engine;
  Store& store;
  TimeMs now;
  std::function<bool(const DeviceKey&)> is_online;
};

using CommandReply = Result<json::JsonPtr>;
using CommandHandler = CommandReply (*)(CommandContext& ctx, const json_t* command);

// Handlers, one file per domain.
CommandReply create_package_command(CommandContext& ctx, const json_t* command);
CommandReply get_package_command(CommandContext& ctx, const json_t* command);
CommandReply list_packages_command(CommandContext& ctx, const json_t* command);
CommandReply create_job_command(CommandContext& ctx, const json_t* command);
CommandReply get_job_command(CommandContext& ctx, const json_t* command);
CommandReply get_device_command(CommandContext& ctx, const json_t* command);

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

}  // namespace ota
