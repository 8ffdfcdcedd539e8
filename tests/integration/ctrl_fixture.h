// The fixture of the mosquitto_ota_ctrl scenario tests: a broker with the
// plugin (OtaBrokerTest), and helpers that run the real binary against it.
#pragma once

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "ctrl_runner.h"
#include "ota_fixture.h"

namespace ota::test {

inline constexpr const char* kMd5 = "93230c3bde425a9d93230c3bde425a9d";
inline constexpr const char* kSha256 = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

inline bool matches(const std::string& text, const std::string& pattern) {
  return std::regex_search(text, std::regex(pattern));
}

class CtrlTest : public OtaBrokerTest {
 protected:
  // mosquitto_ota_ctrl -h 127.0.0.1 -p <port> -u <user> args...
  CtrlRun ctrl(std::vector<std::string> args, const std::string& user = "admin") {
    std::vector<std::string> full{"-h", "127.0.0.1", "-p", std::to_string(broker().port())};
    if (!user.empty()) {
      full.push_back("-u");
      full.push_back(user);
    }
    full.insert(full.end(), args.begin(), args.end());
    return run_ctrl(full);
  }

  // Runs a command that must succeed (exit 0).
  CtrlRun ok(std::vector<std::string> args) {
    CtrlRun r = ctrl(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    return r;
  }

  // Runs a --json command that must succeed; returns its parsed stdout.
  JsonPtr ok_json(std::vector<std::string> args) {
    args.push_back("--json");
    CtrlRun r = ok(std::move(args));
    JsonPtr j = ctrl_json(r);
    EXPECT_TRUE(j) << "stdout is not JSON\n" << r.describe();
    return j;
  }

  // package add --url ...; returns the package id.
  long long add_package(const std::string& version, const std::string& product = "pk1") {
    JsonPtr p = ok_json({"package", "add", "--product", product, "--version", version, "--url",
                         "https://fw.example/" + version + ".bin", "--size", "432945", "--md5",
                         kMd5});
    return json_int_at(p.get(), "package/id").value_or(-1);
  }

  // job create --package P args...; returns the job id.
  long long create_job(long long package, std::vector<std::string> args) {
    std::vector<std::string> full{"job", "create", "--package", std::to_string(package)};
    full.insert(full.end(), args.begin(), args.end());
    JsonPtr j = ok_json(full);
    return json_int_at(j.get(), "job/id").value_or(-1);
  }
};

}  // namespace ota::test
