// Typed helpers over the control API for the scenario tests. Every helper
// reports a failed or missing reply with ADD_FAILURE (showing the request
// and the reply) and returns null, so tests can ASSERT on the result.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control_client.h"
#include "json.h"

namespace ota::test {

// A package as in the seed's example notification.
struct PackageSpec {
  std::string product = "pk1";
  std::string module = "default";  // empty: "module" left out of the request
  std::string version = "2.0.0";
  std::string url = "https://fw.example/fw.bin";
  long long size = 432945;
  std::string sign = "93230c3bde425a9d7c2b5e6f10a4d3c8";
  std::string sign_method = "MD5";
  std::string ext_data_json;  // a JSON object, or empty for none
  std::string description = "integration test package";
};

// The createPackage request fields for the spec.
std::string package_fields(const PackageSpec& spec);

class OtaApi {
 public:
  explicit OtaApi(ControlClient& ctl) : ctl_(&ctl) {}

  // data.package of createPackage.
  JsonPtr create_package(const PackageSpec& spec);
  // data.job of createJob for an explicit device list.
  JsonPtr create_job(long long package_id, const std::vector<std::string>& devices,
                     std::optional<int> timeout_seconds = std::nullopt);
  // data.job of getJob.
  JsonPtr get_job(long long job_id);
  // data.device of getDevice.
  JsonPtr get_device(const std::string& product, const std::string& device);

  // Sends a command that must fail; returns its error text (ADD_FAILURE and
  // nullopt when it succeeded or got no reply).
  std::optional<std::string> expect_error(const std::string& command, const std::string& fields);

  // Polls getDevice (every 50 ms) until the device's task for the job has
  // the state; returns that task, or null (with ADD_FAILURE showing the last
  // device) on timeout.
  JsonPtr wait_task_state(const std::string& product, const std::string& device,
                          long long job_id, const std::string& state,
                          std::chrono::milliseconds timeout = std::chrono::seconds(3));
  // Polls getDevice until the device's task for the job satisfies the
  // predicate (`what` describes it in the failure message).
  JsonPtr wait_task(const std::string& product, const std::string& device, long long job_id,
                    const std::function<bool(const json_t* task)>& predicate,
                    const std::string& what,
                    std::chrono::milliseconds timeout = std::chrono::seconds(3));
  // Polls getJob until its state is `state`; returns the job or null.
  JsonPtr wait_job_state(long long job_id, const std::string& state,
                         std::chrono::milliseconds timeout = std::chrono::seconds(3));

  // Any command that must succeed; returns data.<name> (an object).
  JsonPtr run(const std::string& command, const std::string& fields, const char* name) {
    return member(command, fields, name);
  }

  ControlClient& control() { return *ctl_; }
  void set_control(ControlClient& ctl) { ctl_ = &ctl; }

 private:
  JsonPtr member(const std::string& command, const std::string& fields, const char* name);

  ControlClient* ctl_;
};

// The task of `device` (a getDevice "device" object) for the job: a new
// reference, or null.
JsonPtr find_task(const json_t* device, long long job_id);

// The count for a task state in a getJob "job" object, or -1 when absent.
long long job_count(const json_t* job, const std::string& state);

// A getJob "job" object as text, less elapsedMs (which grows with the clock
// while the job runs): equal for the same stored job.
std::string stable_job_text(const json_t* job);

}  // namespace ota::test
