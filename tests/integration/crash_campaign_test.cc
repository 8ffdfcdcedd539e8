// kill -9 of the broker at random moments of a 500-device campaign, several
// times, then restart (DESIGN.md §8 "Reliability"): no task lost, none
// duplicated, no device notified after its success, and every count equal
// to a recount of the devices' tasks.
//
// The devices are libmosquitto clients driven by one thread
// (bench/client_set.h) in a child process: 500 connections need about 1,500
// descriptors, and libmosquitto's own loop (the admin client's) cannot
// select() on descriptors past 1,024. A
// device subscribes to its upgrade topic and reports its version whenever
// it (re)connects; told to upgrade, it reports progress and, after a random
// delay, its new version. The kill points come from a seeded generator
// (OTA_CRASH_SEED=<n> repeats a run; the seed is printed).
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "client_set.h"
#include "json.h"
#include "ota_fixture.h"
#include "sys_monitor.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

constexpr size_t kDevices = 500;
constexpr int kKills = 4;
constexpr const char* kProduct = "crashpk";

// What the device process and the test share (an anonymous shared mapping).
struct DeviceState {
  std::atomic<bool> reported{false};   // a version report was acknowledged
  std::atomic<bool> connected{false};
  // Notifications that arrived after the broker acknowledged this device's
  // success report on the same connection: sent after it knew.
  std::atomic<int> late{0};
  std::atomic<int> notifications{0};
};
struct SharedState {
  std::atomic<bool> stop{false};
  std::atomic<bool> broker_up{true};
  DeviceState devices[kDevices];
};

class CrashDevice final : public bench::Client {
 public:
  CrashDevice(bench::ConnectSpec spec, std::string name, uint64_t seed, DeviceState* state)
      : bench::Client(std::move(spec)), name_(std::move(name)), rng_(seed), state_(state) {}

  bool lost() const { return lost_; }
  void clear_lost() { lost_ = false; }

  // The delayed success report is due.
  void tick(int64_t now) {
    if (success_due_ != 0 && now >= success_due_ && connected()) {
      success_due_ = 0;
      report("2.0.0");
    }
  }

 protected:
  void on_connect(int rc) override {
    if (rc != 0) return;
    state_->connected = true;
    success_acked_ = false;
    success_mid_ = -1;
    subscribe(std::string("/ota/device/upgrade/") + kProduct + "/" + name_, 1);
    report(upgraded_ ? "2.0.0" : "1.0.0");
  }
  void on_disconnect(int) override {
    state_->connected = false;
    lost_ = true;
    success_due_ = 0;
  }
  void on_message(const struct mosquitto_message& m) override {
    if (std::string_view(m.topic).find("/ota/device/upgrade/") != 0) return;
    state_->notifications++;
    if (success_acked_) state_->late++;
    if (upgraded_) {
      // Told again before the broker saw the success: say it again.
      if (success_due_ == 0) report("2.0.0");
      return;
    }
    publish(std::string("/ota/device/progress/") + kProduct + "/" + name_,
            R"({"id":"2","params":{"step":"50","desc":"downloading"}})", 1);
    upgraded_ = true;  // flashing from here on: the new version after a pause
    success_due_ = bench::now_ns() + static_cast<int64_t>(rng_() % 600) * 1'000'000;
  }
  void on_publish(int mid) override {
    if (mid == inform_mid_) state_->reported = true;
    if (mid == success_mid_) success_acked_ = true;
  }

 private:
  void report(const std::string& version) {
    int mid = 0;
    publish(std::string("/ota/device/inform/") + kProduct + "/" + name_,
            R"({"id":"1","params":{"version":")" + version + R"("}})", 1, &mid);
    inform_mid_ = mid;
    if (version == "2.0.0") success_mid_ = mid;
  }

  std::string name_;
  std::mt19937_64 rng_;
  DeviceState* state_;
  bool lost_ = false;
  bool upgraded_ = false;
  bool success_acked_ = false;
  int inform_mid_ = -1;
  int success_mid_ = -1;
  int64_t success_due_ = 0;
};

std::string device_name(size_t i) {
  char name[16];
  std::snprintf(name, sizeof name, "d%04zu", i);
  return name;
}

// The device process: connects every device, reconnects the lost ones
// while the broker is up, until told to stop.
[[noreturn]] void run_devices(SharedState* shared, int port, uint64_t seed) {
  // The test's own client sockets stay the test's: a close there must reach
  // the broker.
  ::syscall(SYS_close_range, 3U, ~0U, 0U);
  bench::raise_nofile_limit();
  bench::ClientSet set;
  set.set_max_pending_connects(64);
  set.set_max_attempts(1000);
  std::vector<std::unique_ptr<CrashDevice>> devices;
  for (size_t i = 0; i < kDevices; ++i) {
    bench::ConnectSpec spec;
    spec.port = port;
    spec.client_id = std::string(kProduct) + "." + device_name(i);
    spec.keepalive = 30;
    devices.push_back(
        std::make_unique<CrashDevice>(spec, device_name(i), seed + i, &shared->devices[i]));
    set.add(devices.back().get());
  }
  while (!shared->stop) {
    set.run_once(10);
    const int64_t now = bench::now_ns();
    for (auto& d : devices) d->tick(now);
    if (!shared->broker_up) continue;
    for (auto& d : devices) {
      if (d->lost() && !d->connected()) {
        d->clear_lost();
        set.reconnect(d.get());
      }
    }
  }
  ::_exit(0);
}

class CrashCampaignTest : public OtaBrokerTest {
 protected:
  void SetUp() override {
    const char* env = std::getenv("OTA_CRASH_SEED");
    seed_ = env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
    std::cout << "[crash campaign] OTA_CRASH_SEED=" << seed_ << "\n";
    RecordProperty("seed", std::to_string(seed_));
    void* mem = ::mmap(nullptr, sizeof(SharedState), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(mem, MAP_FAILED);
    shared_ = new (mem) SharedState();
    OtaBrokerTest::SetUp();
  }
  void TearDown() override {
    if (shared_) shared_->stop = true;
    if (devices_pid_ > 0) ::waitpid(devices_pid_, nullptr, 0);
    OtaBrokerTest::TearDown();
    if (shared_) {
      shared_->~SharedState();
      ::munmap(shared_, sizeof(SharedState));
    }
  }

  void start_devices() {
    devices_pid_ = ::fork();
    ASSERT_GE(devices_pid_, 0);
    if (devices_pid_ == 0) run_devices(shared_, broker().port(), seed_);
  }
  DeviceState& device(size_t i) { return shared_->devices[i]; }

  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return done();
  }

  // The admin reconnects after a restart, while every device does too.
  testing::AssertionResult reconnect_admin() {
    testing::AssertionResult r = testing::AssertionFailure();
    for (int attempt = 0; attempt < 6 && !r; ++attempt) r = connect_admin();
    return r;
  }

  std::map<std::string, long long> job_counts(long long job) {
    std::map<std::string, long long> counts;
    JsonPtr j = api().get_job(job);
    if (!j) return counts;
    for (const char* s : {"CONFIRM", "QUEUED", "NOTIFIED", "IN_PROGRESS", "SUCCEEDED", "FAILED",
                          "CANCELED"}) {
      counts[s] = job_count(j.get(), s);
    }
    return counts;
  }

  uint64_t seed_ = 0;
  SharedState* shared_ = nullptr;
  pid_t devices_pid_ = -1;
};

TEST_F(CrashCampaignTest, KillNineDuringACampaignLosesAndDuplicatesNothing) {
  expect_running_at_end_ = true;
  start_devices();
  ASSERT_TRUE(wait_until([&] {
    for (size_t i = 0; i < kDevices; ++i) if (!device(i).reported) return false;
    return true;
  }, 60s)) << "not every device connected and reported";

  PackageSpec spec;
  spec.product = kProduct;
  JsonPtr pkg = api().create_package(spec);
  ASSERT_TRUE(pkg);
  std::string list;
  for (size_t i = 0; i < kDevices; ++i) list += (list.empty() ? "\"" : ",\"") + device_name(i) + "\"";
  // 250 pushes a second: the campaign spans the kills.
  JsonPtr job_json = api().run(
      "createJob", R"({"packageId":)" + std::to_string(*json_int_at(pkg.get(), "id")) +
                       R"(,"devices":[)" + list + R"(],"ratePerMinute":15000})",
      "job");
  ASSERT_TRUE(job_json);
  const long long job = *json_int_at(job_json.get(), "id");

  std::mt19937_64 rng(seed_);
  long long succeeded_after_first_kill = -1;
  for (int k = 0; k < kKills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 900));
    shared_->broker_up = false;
    BrokerExit exit = broker().kill9();
    ASSERT_TRUE(exit.exited) << "kill " << k;
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 200));
    ASSERT_EQ(broker().start(), "") << "restart after kill " << k;
    shared_->broker_up = true;
    ASSERT_TRUE(reconnect_admin());
    std::map<std::string, long long> c = job_counts(job);
    std::cout << "[crash campaign] after kill " << k + 1 << ": QUEUED " << c["QUEUED"]
              << " NOTIFIED " << c["NOTIFIED"] << " IN_PROGRESS " << c["IN_PROGRESS"]
              << " SUCCEEDED " << c["SUCCEEDED"] << "\n";
    if (k == 0) succeeded_after_first_kill = c["SUCCEEDED"];
  }
  // The kills hit the campaign, not its aftermath.
  EXPECT_LT(succeeded_after_first_kill, (long long)kDevices);

  ASSERT_TRUE(wait_until([&] { return job_counts(job)["SUCCEEDED"] == (long long)kDevices; },
                         90s))
      << "not every task succeeded: " << [&] {
           std::string s;
           for (auto& [k, v] : job_counts(job)) s += k + "=" + std::to_string(v) + " ";
           return s;
         }();

  // One more kill after the end: the finished campaign stays finished, and
  // no device is told again when it reconnects and reports.
  shared_->broker_up = false;
  broker().kill9();
  ASSERT_EQ(broker().start(), "");
  shared_->broker_up = true;
  ASSERT_TRUE(reconnect_admin());
  ASSERT_TRUE(wait_until([&] {
    size_t n = 0;
    for (size_t i = 0; i < kDevices; ++i) n += device(i).connected ? 1 : 0;
    return n == kDevices;
  }, 60s)) << "devices did not reconnect";
  std::this_thread::sleep_for(1500ms);

  // Counts equal a recount of the devices' tasks.
  std::map<std::string, long long> recount;
  size_t tasks = 0;
  for (size_t i = 0; i < kDevices; ++i) {
    const std::string name = device_name(i);
    JsonPtr dev = api().get_device(kProduct, name);
    ASSERT_TRUE(dev) << name;
    size_t mine = 0;
    json_t* all = json_at(dev.get(), "tasks");
    for (size_t i = 0; i < json_array_size(all); ++i) {
      json_t* t = json_array_get(all, i);
      if (json_int_at(t, "jobId") != job) continue;
      mine++;
      recount[json_string_at(t, "state").value_or("?")]++;
      // Never notified again once it succeeded.
      bool succeeded = false;
      int successes = 0;
      json_t* history = json_at(t, "history");
      for (size_t h = 0; h < json_array_size(history); ++h) {
        const std::string state = json_string_at(json_array_get(history, h), "state").value_or("");
        if (state == "SUCCEEDED") {
          succeeded = true;
          successes++;
        } else if (succeeded) {
          ADD_FAILURE() << name << ": " << state << " after SUCCEEDED: " << json_text(t);
        }
      }
      EXPECT_EQ(successes, 1) << name << ": " << json_text(t);
    }
    EXPECT_EQ(mine, 1u) << name << " has " << mine << " tasks of job " << job;
    tasks += mine;
    EXPECT_EQ(device(i).late.load(), 0)
        << name << " was notified after the broker acknowledged its success";
    EXPECT_GE(device(i).notifications.load(), 1) << name;
  }
  EXPECT_EQ(tasks, kDevices) << "tasks lost or duplicated";
  EXPECT_EQ(recount["SUCCEEDED"], (long long)kDevices);
  std::map<std::string, long long> counts = job_counts(job);
  for (const auto& [state, n] : counts) {
    EXPECT_EQ(n, recount[state]) << "getJob count of " << state << " differs from the recount";
  }
  SysMonitor sys;
  ASSERT_TRUE(sys.connect(broker().port()));
  EXPECT_EQ(sys.wait_for("tasks/SUCCEEDED", [](long long v) { return v == (long long)kDevices; }),
            (long long)kDevices);
  EXPECT_EQ(sys.value("tasks/NOTIFIED"), 0);
  EXPECT_EQ(sys.value("tasks/QUEUED"), 0);
}

}  // namespace
}  // namespace ota::test
