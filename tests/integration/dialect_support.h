// Shared pieces of the per-dialect integration tests (dialect_*_test.cc):
// exact comparison of broker output with the documented payloads, the
// stored view of a device, and the bookkeeping of malformed-input checks.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ota_fixture.h"
#include "sys_monitor.h"

namespace ota::test::dialect_test {

// Compares a payload sent by the broker with the documented one, byte for
// byte: same keys, same order, same types, same values, compact JSON.
//
// Values that legitimately differ from run to run are written in `want` as
// placeholders naming the path of the value in the received payload:
//   @MSSTR:id@  a JSON string holding milliseconds since the epoch ("1718...")
//   @MSINT:id@  a JSON integer holding milliseconds since the epoch
// The placeholder is replaced by the received value (after its type is
// checked) and the whole text is then compared.
testing::AssertionResult exact_payload(const std::string& raw, const std::string& want);

// JSON string literal of `s` (quoted and escaped).
std::string quoted(const std::string& s);

// getDevice's "device" object as text, without the connection-dependent
// "online" flag: what the plugin has stored for the device.
std::string stored_view(const json_t* device);

// The states in a task's history, in order.
std::vector<std::string> history_states(const json_t* task);
// Whether some history entry of the task has exactly this detail.
bool history_has_detail(const json_t* task, const std::string& detail);

// A task predicate: IN_PROGRESS at `step`.
std::function<bool(const json_t*)> in_progress_at(long long step);

// A UTF-8 string of `n` copies of `unit`.
std::string repeat(const std::string& unit, size_t n);

// The fixture of the dialect tests: a broker with the dialects enabled by
// broker_options(), plus helpers for malformed input.
class DialectTest : public OtaBrokerTest {
 protected:
  // plugin_opt_<key> lines on top of the harness defaults.
  static BrokerOptions with_opts(const std::map<std::string, std::string>& opts);

  // setProductConfig with the given JSON object fields; fails the test on
  // an error reply.
  testing::AssertionResult configure_product(const std::string& fields);

  // createPackage from raw fields; returns the package id (-1 on failure).
  long long create_package(const std::string& fields);
  // createJob from raw fields; returns the job id (-1 on failure).
  long long create_job(const std::string& fields);
  // createJob {"packageId":p,"devices":[...]}.
  long long create_job(long long package_id, const std::vector<std::string>& devices);
  // Uploads `bytes` to the firmware store over $CONTROL/ota/v1 in 256 KiB
  // chunks (needs plugin_opt_firmware_dir); returns the SHA-256, "" after a
  // failure.
  std::string upload_firmware(const std::string& bytes);

  // The stored view of the device (getDevice without "online"); "" and a
  // failure when getDevice fails.
  std::string stored(const std::string& product, const std::string& device);

  // Polls getDevice until "online" is `online` (presence follows the
  // broker's connection events, which may trail a client's DISCONNECT).
  testing::AssertionResult wait_online(const std::string& product, const std::string& device,
                                       bool online,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(3));

  // Malformed input bookkeeping. begin_rejections() connects a $SYS monitor
  // and records the current messages/rejected; each bad() publishes one
  // malformed message from `client` and checks at once that the broker runs,
  // that the device's stored state did not change, and that nothing arrived
  // on `quiet_filter` (the device's downlink) within a short window;
  // end_rejections() waits until messages/rejected grew by exactly the
  // number of bad() calls.
  void begin_rejections(const std::string& product, const std::string& device);
  void bad(MqttClient& client, const std::string& name, const std::string& topic,
           const std::string& payload, const std::string& quiet_filter);
  void end_rejections();
  int rejections_sent() const { return rejections_sent_; }

  SysMonitor& sys() { return sys_; }

 private:
  SysMonitor sys_;
  bool sys_connected_ = false;
  std::string watch_product_, watch_device_, watch_before_;
  long long rejected0_ = 0;
  int rejections_sent_ = 0;
};

}  // namespace ota::test::dialect_test
