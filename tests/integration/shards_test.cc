// Past one broker: three brokers, each with its own store, behind Debian's
// haproxy, which routes every device by its MQTT client id (DESIGN.md §11:
// set-var of the CONNECT's client identifier, then a consistent hash of it).
// 300 devices, one campaign made on every shard with mosquitto_ota_ctrl
// --shards; the aggregated counts equal the sum of the shards' own; a shard
// killed mid-campaign is reported as one line, and after its restart its
// devices finish; a job naming a package id that differs between shards is
// refused. Skipped when haproxy is not installed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "broker_process.h"
#include "control_client.h"
#include "ctrl_runner.h"
#include "mqtt_client.h"
#include "ota_api.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

constexpr int kShards = 3;
constexpr int kDevices = 300;

std::string device_name(int i) {
  char buf[16];
  snprintf(buf, sizeof buf, "sd%03d", i);
  return buf;
}

// haproxy in the foreground (-db) with the MQTT routing of DESIGN.md §11.
// Without health checks on purpose: a device must go to its own shard (its
// store) or nowhere, never to another shard while its own is down.
class Haproxy {
 public:
  Haproxy(const std::string& dir, const std::vector<int>& broker_ports) {
    port_ = pick_free_port();
    config_ = dir + "/haproxy.cfg";
    std::ofstream cfg(config_);
    cfg << "global\n  maxconn 4000\n"
        << "defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 5m\n"
        << "  timeout server 5m\n"
        << "frontend mqtt\n  bind 127.0.0.1:" << port_ << "\n"
        << "  tcp-request inspect-delay 5s\n"
        << "  tcp-request content reject unless { req.payload(0,0),mqtt_is_valid }\n"
        << "  tcp-request content set-var(sess.cid) "
           "req.payload(0,0),mqtt_field_value(connect,client_identifier)\n"
        << "  default_backend brokers\n"
        << "backend brokers\n  hash-type consistent\n  balance hash var(sess.cid)\n";
    for (size_t i = 0; i < broker_ports.size(); ++i) {
      cfg << "  server s" << i + 1 << " 127.0.0.1:" << broker_ports[i] << "\n";
    }
  }
  ~Haproxy() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  testing::AssertionResult start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execlp("haproxy", "haproxy", "-db", "-q", "-f", config_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      MqttClient probe;
      if (probe.connect(port_, "probe-" + std::to_string(i), ConnectOptions{.timeout = 200ms})) {
        return testing::AssertionSuccess();
      }
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return testing::AssertionFailure() << "haproxy exited (config " << config_ << ")";
      }
      std::this_thread::sleep_for(100ms);
    }
    return testing::AssertionFailure() << "haproxy does not forward MQTT on port " << port_;
  }
  int port() const { return port_; }

 private:
  std::string config_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// One device on its own connection, through the load balancer.
struct Device {
  std::string name;
  std::unique_ptr<MqttClient> mqtt;
  testing::AssertionResult connect(int port) {
    mqtt = std::make_unique<MqttClient>();
    auto r = mqtt->connect(port, "pk1." + name);
    if (!r) return r;
    r = mqtt->subscribe("/ota/device/upgrade/pk1/" + name);
    if (!r) return r;
    return report("1.0.0");
  }
  testing::AssertionResult report(const std::string& version) {
    return mqtt->publish("/ota/device/inform/pk1/" + name,
                         R"({"id":"1","params":{"version":")" + version + R"("}})");
  }
  testing::AssertionResult upgrade() {
    if (!mqtt->wait_message("/ota/device/upgrade/pk1/" + name, 15s)) {
      return testing::AssertionFailure() << name << " got no upgrade notification";
    }
    auto r = mqtt->publish("/ota/device/progress/pk1/" + name,
                           R"({"id":"2","params":{"step":"50","desc":"downloading"}})");
    return r ? report("2.0.0") : r;
  }
};

class ShardsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v haproxy >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "haproxy (Debian's haproxy 2.6) is not installed";
    }
    std::vector<int> ports;
    for (int i = 0; i < kShards; ++i) {
      brokers_.push_back(std::make_unique<BrokerProcess>());
      ASSERT_EQ(brokers_.back()->start(), "") << "shard " << i;
      ports.push_back(brokers_.back()->port());
      shards_ += (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(ports.back());
    }
    haproxy_ = std::make_unique<Haproxy>(brokers_[0]->dir(), ports);
    ASSERT_TRUE(haproxy_->start());
  }

  // A shard's own answer, asked directly (not through the load balancer).
  JsonPtr ask(int shard, const std::string& command, const std::string& fields, const char* name) {
    ControlClient admin;
    if (!admin.connect(brokers_[shard]->port())) return nullptr;
    OtaApi api(admin);
    return api.run(command, fields, name);
  }
  std::set<std::string> devices_of(int shard) {
    std::set<std::string> names;
    ControlClient admin;
    if (!admin.connect(brokers_[shard]->port())) return names;
    JsonPtr reply = admin.send("listDevices", R"({"product":"pk1","count":1000})");
    json_t* list = reply ? json_at(reply.get(), "data/devices") : nullptr;
    EXPECT_FALSE(json_is_true(json_at(reply.get(), "data/more"))) << "more than one page";
    size_t i;
    json_t* d;
    json_array_foreach(list, i, d) names.insert(json_string_value(json_object_get(d, "device")));
    return names;
  }
  long long succeeded_on(int shard) {
    JsonPtr job = ask(shard, "getJob", R"({"jobId":1})", "job");
    return job ? job_count(job.get(), "SUCCEEDED") : -1;
  }
  bool wait_completed(int shard, std::chrono::seconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      JsonPtr job = ask(shard, "getJob", R"({"jobId":1})", "job");
      if (job && json_string_at(job.get(), "state") == "completed") return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  CtrlRun ctrl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--shards", shards_, "-u", "admin", "--timeout", "5s"});
    return run_ctrl(args);
  }

  std::vector<std::unique_ptr<BrokerProcess>> brokers_;
  std::unique_ptr<Haproxy> haproxy_;
  std::string shards_;
};

TEST_F(ShardsTest, OneCampaignOverThreeShardsBehindHaproxy) {
  std::vector<Device> devices(kDevices);
  for (int i = 0; i < kDevices; ++i) {
    devices[i].name = device_name(i);
    ASSERT_TRUE(devices[i].connect(haproxy_->port()));
  }

  // Every device is on exactly one shard, and every shard has some.
  std::map<std::string, int> shard_of;
  for (int s = 0; s < kShards; ++s) {
    std::set<std::string> mine = devices_of(s);
    EXPECT_GT(mine.size(), 0u) << "shard " << s << " got no device";
    for (const std::string& name : mine) {
      EXPECT_TRUE(shard_of.emplace(name, s).second) << name << " is on two shards";
    }
  }
  ASSERT_EQ(shard_of.size(), static_cast<size_t>(kDevices));

  // The same package and job on every shard.
  CtrlRun package = ctrl({"package", "add", "--product", "pk1", "--version", "2.0.0", "--url",
                          "https://objects.example.com/pk1/2.0.0.bin", "--size", "432945",
                          "--md5", "93230c3bde425a9d93230c3bde425a9d"});
  ASSERT_EQ(package.exit_code, 0) << package.describe();
  CtrlRun job = ctrl({"--json", "job", "create", "--package", "1", "--all"});
  ASSERT_EQ(job.exit_code, 0) << job.describe();
  for (int s = 0; s < kShards; ++s) {
    JsonPtr created = ask(s, "getJob", R"({"jobId":1})", "job");
    ASSERT_TRUE(created) << "no job 1 on shard " << s;
    EXPECT_EQ(json_int_at(created.get(), "taskCount"), static_cast<long long>(devices_of(s).size()))
        << json_text(created.get());
  }

  // Shards 0 and 2 finish; shard 1's devices stop halfway.
  const int killed = 1;
  std::vector<int> unfinished;
  int halfway = 0;
  for (int i = 0; i < kDevices; ++i) {
    if (shard_of[devices[i].name] == killed && halfway++ % 2 == 0) {
      unfinished.push_back(i);
      continue;
    }
    ASSERT_TRUE(devices[i].upgrade());
  }
  ASSERT_TRUE(wait_completed(0));
  ASSERT_TRUE(wait_completed(2));

  // The aggregated counts equal the sum of the shards' own.
  long long sum = 0;
  for (int s = 0; s < kShards; ++s) sum += succeeded_on(s);
  CtrlRun shown = ctrl({"--json", "job", "show", "1"});
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  JsonPtr totals = ctrl_json(shown);
  ASSERT_TRUE(totals) << shown.describe();
  EXPECT_EQ(json_int_at(totals.get(), "total/counts/SUCCEEDED"), sum) << shown.out;
  EXPECT_EQ(json_int_at(totals.get(), "total/counts/NOTIFIED"),
            static_cast<long long>(unfinished.size()))
      << shown.out;

  // Shard 1 dies mid-campaign: one line for it, the others still counted.
  BrokerExit exit = brokers_[killed]->kill9();
  ASSERT_TRUE(exit.exited);
  for (int i : unfinished) devices[i].mqtt.reset();  // their connections are gone
  CtrlRun partial = ctrl({"job", "show", "1"});
  EXPECT_EQ(partial.exit_code, 3) << partial.describe();
  const std::string dead = "127.0.0.1:" + std::to_string(brokers_[killed]->port());
  EXPECT_NE(partial.err.find("shard " + dead + ": "), std::string::npos) << partial.describe();
  EXPECT_EQ(std::count(partial.err.begin(), partial.err.end(), '\n'), 1) << partial.describe();
  EXPECT_NE(partial.out.find("(totals of 2 of 3 shards"), std::string::npos) << partial.describe();

  // Restarted on its store, shard 1 resumes: its devices reconnect (through
  // haproxy, to the same shard), report their old version, are notified
  // again and finish.
  ASSERT_EQ(brokers_[killed]->start(), "");
  for (int i : unfinished) {
    ASSERT_TRUE(devices[i].connect(haproxy_->port()));
    ASSERT_TRUE(devices[i].upgrade());
  }
  ASSERT_TRUE(wait_completed(killed));

  CtrlRun final_job = ctrl({"--json", "job", "show", "1"});
  ASSERT_EQ(final_job.exit_code, 0) << final_job.describe();
  JsonPtr done = ctrl_json(final_job);
  ASSERT_TRUE(done);
  sum = 0;
  for (int s = 0; s < kShards; ++s) sum += succeeded_on(s);
  EXPECT_EQ(sum, kDevices);
  EXPECT_EQ(json_int_at(done.get(), "total/counts/SUCCEEDED"), sum) << final_job.out;
  EXPECT_EQ(json_int_at(done.get(), "total/counts/FAILED"), 0) << final_job.out;

  CtrlRun stats = ctrl({"--json", "stats", "--product", "pk1"});
  ASSERT_EQ(stats.exit_code, 0) << stats.describe();
  JsonPtr st = ctrl_json(stats);
  ASSERT_TRUE(st);
  EXPECT_EQ(json_int_at(st.get(), "total/devices"), kDevices) << stats.out;
  EXPECT_EQ(json_int_at(st.get(), "total/versions/2.0.0"), kDevices) << stats.out;

  // Ids are per shard: a package made on one shard only makes --package 2
  // mean different things, and job create refuses before changing any.
  ASSERT_TRUE(ask(2, "createPackage",
                  R"({"product":"pk1","version":"9.9.9","url":"https://objects.example.com/x.bin",)"
                  R"("size":1,"sign":"93230c3bde425a9d93230c3bde425a9d","signMethod":"MD5"})",
                  "package"));
  CtrlRun diverged = ctrl({"job", "create", "--package", "2", "--all"});
  EXPECT_EQ(diverged.exit_code, 1) << diverged.describe();
  EXPECT_NE(diverged.err.find("the shards disagree, nothing was changed"), std::string::npos)
      << diverged.describe();
  ControlClient admin;
  ASSERT_TRUE(admin.connect(brokers_[2]->port()));
  JsonPtr no_job = admin.send("getJob", R"({"jobId":2})");
  EXPECT_TRUE(no_job && json_at(no_job.get(), "error")) << "job 2 was created on shard 2";
}

}  // namespace
}  // namespace ota::test
