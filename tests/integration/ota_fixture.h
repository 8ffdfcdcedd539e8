// The fixture of the scenario tests: a broker with the OTA plugin, an admin
// control client, and simulated aliyun devices.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "aliyun_device.h"
#include "broker_process.h"
#include "control_client.h"
#include "ota_api.h"

namespace ota::test {

class OtaBrokerTest : public ::testing::Test {
 protected:
  // Options for the broker; override to change them before SetUp starts it.
  virtual BrokerOptions broker_options() { return {}; }
  // Runs between creating the broker's directory and starting it (files
  // its configuration names: password files, certificates).
  virtual void before_start(BrokerProcess& broker) { (void)broker; }
  // How the admin control client connects.
  virtual ConnectOptions admin_connect_options() {
    ConnectOptions o;
    o.username = "admin";
    return o;
  }

  void SetUp() override;
  void TearDown() override;

  // (Re)connects the admin control client, e.g. after a broker restart.
  testing::AssertionResult connect_admin();
  // Connects a device; when `version` is not empty it reports it (for
  // `module`, empty = default) and the report is acknowledged.
  std::unique_ptr<AliyunDevice> device(const std::string& product, const std::string& name,
                                       const std::string& version = "1.0.0",
                                       const std::string& module = "");

  // createPackage + createJob; returns the job id, or -1 after ADD_FAILURE.
  long long start_job(const PackageSpec& spec, const std::vector<std::string>& devices,
                      std::optional<int> timeout_seconds = std::nullopt,
                      long long* package_id = nullptr);

  BrokerProcess& broker() { return *broker_; }
  OtaApi& api() { return *api_; }
  ControlClient& admin() { return *admin_; }

  // Set false in tests that stop the broker on purpose.
  bool expect_running_at_end_ = true;

 private:
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<ControlClient> admin_;
  std::unique_ptr<OtaApi> api_;
};

// The broker log's last `bytes` bytes, for failure messages.
std::string log_tail(const BrokerProcess& broker, size_t bytes = 3000);

}  // namespace ota::test
