// Pieces of the security tests: password files and TLS certificates made at
// test time with the broker's and OpenSSL's own command-line tools (no keys
// are committed), a fixture whose broker authenticates every client with a
// password file and runs the plugin with its default options, and counters
// read from $SYS.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ota_fixture.h"
#include "sys_monitor.h"

namespace ota::test {

// Writes a mosquitto password file with `mosquitto_passwd -b`.
testing::AssertionResult write_password_file(const std::string& path,
                                             const std::map<std::string, std::string>& users);

// A CA and a server certificate for 127.0.0.1 and localhost, made with the
// openssl command: <dir>/ca.crt, <dir>/server.crt, <dir>/server.key.
testing::AssertionResult make_test_certificates(const std::string& dir);

// Everyone's password in the security tests: "pw-" + username.
std::string password_of(const std::string& username);

// Connect options for an authenticated user.
ConnectOptions as_user(const std::string& username, bool clean_session = true);

// The fixture: the plugin with its default options (plus the dialects and
// products named by extra_plugin_opts()), a password file holding users(),
// anonymous clients refused.
class SecureBrokerTest : public OtaBrokerTest {
 protected:
  virtual std::vector<std::string> users() const = 0;
  virtual std::map<std::string, std::string> extra_plugin_opts() const { return {}; }

  BrokerOptions broker_options() override;
  void before_start(BrokerProcess& broker) override;
  ConnectOptions admin_connect_options() override { return as_user("admin"); }

  // A connected client for `username` with `client_id`; fails the test when
  // the connection is refused.
  std::unique_ptr<MqttClient> client(const std::string& client_id, const std::string& username,
                                     bool clean_session = true);
  // createPackage (the default spec, for `product`) and createJob for
  // `devices`, `extra` JSON members appended (e.g. ,"offlinePolicy":"fail");
  // the job id, or -1 after a failure.
  long long job_for(const std::string& product, const std::vector<std::string>& devices,
                    const std::string& extra = "");
  // A $SYS counter's current value (waits for its next publication, so it
  // includes everything acknowledged before the call).
  long long sys_value(const std::string& suffix);
  // Waits until the counter reaches `want`; returns the last value seen.
  long long wait_sys_value(const std::string& suffix, long long want,
                           std::chrono::milliseconds timeout = std::chrono::seconds(4));
  // How many lines of the broker log contain `text`.
  size_t log_lines_with(const std::string& text);

 private:
  std::unique_ptr<SysMonitor> sys_;
};

}  // namespace ota::test
