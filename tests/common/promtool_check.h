// Runs Debian's `promtool check metrics` (package prometheus) on an
// exposition text: the format's own validator and linter. Shared by the
// unit and integration tests.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace ota::test {

inline constexpr const char* kPromtool = "/usr/bin/promtool";

// Whether the tool is installed. Without it the tests skip, unless
// OTA_REQUIRE_PROMTOOL is set (packaging/run-tests.sh, CI), where a missing
// tool must fail rather than silently skip.
inline bool promtool_available() { return ::access(kPromtool, X_OK) == 0; }
inline bool promtool_required() { return std::getenv("OTA_REQUIRE_PROMTOOL") != nullptr; }

struct PromtoolResult {
  int exit_code = -1;
  std::string output;  // its problems, one per line; empty when clean
};

// `promtool check metrics < file`: exit code 0 and no output when the text
// parses and passes the lint rules.
inline PromtoolResult promtool_check(const std::string& text, const std::string& dir) {
  const std::string file = dir + "/exposition.prom";
  { std::ofstream(file, std::ios::binary) << text; }
  PromtoolResult r;
  const std::string cmd = std::string(kPromtool) + " check metrics < '" + file + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace ota::test

// In a test: skips (or fails, when required) without promtool.
#define OTA_REQUIRE_PROMTOOL_OR_SKIP()                                                  \
  do {                                                                                 \
    if (!::ota::test::promtool_available()) {                                          \
      if (::ota::test::promtool_required()) FAIL() << "promtool is not installed";      \
      GTEST_SKIP() << "promtool not installed (Debian package prometheus)";            \
    }                                                                                  \
  } while (0)
