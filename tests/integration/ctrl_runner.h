// Runs the real mosquitto_ota_ctrl binary (OTA_CTRL_PATH) as a subprocess
// and captures its exit status, stdout and stderr.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "json.h"

namespace ota::test {

struct CtrlRun {
  int exit_code = -1;  // -1: killed (timeout) or did not exit normally
  std::string out;
  std::string err;
  bool timed_out = false;
  // For failure messages: the command line, status and both streams.
  std::string describe() const;
  std::string command_line;
};

// Runs `mosquitto_ota_ctrl args...` with stdin from /dev/null and
// XDG_CONFIG_HOME pointing at an empty place (so no user options file is
// read, unless `env` sets it), killing it after `timeout`. `env` adds or
// replaces environment variables ("NAME=value").
CtrlRun run_ctrl(const std::vector<std::string>& args,
                 std::chrono::milliseconds timeout = std::chrono::seconds(60),
                 const std::vector<std::string>& env = {});

// Parses stdout as JSON (null when it is not).
JsonPtr ctrl_json(const CtrlRun& run);

}  // namespace ota::test
