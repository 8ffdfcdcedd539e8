// The $CONTROL/ota/v1 command API in the dynamic-security envelope:
//   {"commands":[{"command":"getJob","correlationData":"7","jobId":1}]}
// -> {"responses":[{"command":"getJob","correlationData":"7","data":{...}}]}
// Commands are answered in order; a failing command gets an "error" member
// and does not stop the others.
#pragma once

#include <optional>

#include <string>
#include <string_view>
#include <vector>

#include "control/command.h"

namespace ota {

inline constexpr std::string_view kControlTopic = "$CONTROL/ota/v1";
inline constexpr std::string_view kControlResponseTopic = "$CONTROL/ota/v1/response";

struct ControlOutcome {
  std::string response;   // the reply payload
  size_t commands = 0;    // commands seen
  size_t failed = 0;      // commands answered with an error
  // One line per command that changes state (not reads, not uploadChunk),
  // saying what and which object, and how it ended, e.g.
  // "createJob packageId=1: ok, job 3"; the caller logs them with who.
  std::vector<std::string> actions;
};

// A reply payload with every response's "data" replaced by "error": `error`
// (the batch that made the reply was lost, so nothing it says happened).
// nullopt when `response` is not a reply payload.
std::optional<std::string> failed_response(std::string_view response, const std::string& error);

// The reply to a request payload whose every command failed with `error`
// (a storage failure while handling it).
std::string failed_request_response(std::string_view request, const std::string& error);

// `authorised` false answers every command with "not authorised".
ControlOutcome handle_control_payload(std::string_view payload,
                                      CommandContext& ctx, bool authorised);

}  // namespace ota
