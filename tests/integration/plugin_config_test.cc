// (h) Plugin configuration: required options, bad values, the start-up line.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "ota_fixture.h"
#include "sys_monitor.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& line : lines_of(text)) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

TEST(PluginConfig, MissingDbPathStopsTheBroker) {
  BrokerOptions options;
  options.plugin_opts.erase("db_path");
  BrokerProcess broker(options);
  BrokerExit exit = broker.start_expect_failure();
  ASSERT_TRUE(exit.exited) << "mosquitto kept running without plugin_opt_db_path\n"
                           << exit.output;
  EXPECT_NE(exit.exit_code(), 0) << exit.describe() << "\n" << exit.output;
  EXPECT_FALSE(lines_with(exit.output, "db_path").empty())
      << "no line mentions db_path:\n" << exit.output;
}

TEST(PluginConfig, UnusableDbPathStopsTheBroker) {
  BrokerOptions options;
  options.plugin_opts["db_path"] = "{dir}/regular-file/db";
  BrokerProcess broker(options);
  {
    std::ofstream file(broker.dir() + "/regular-file");
    file << "not a directory\n";
  }
  BrokerExit exit = broker.start_expect_failure();
  ASSERT_TRUE(exit.exited) << "mosquitto kept running with an unusable db_path\n"
                           << exit.output;
  EXPECT_NE(exit.exit_code(), 0) << exit.describe() << "\n" << exit.output;
  const auto mentions = lines_with(exit.output, "db_path");
  const auto path_lines = lines_with(exit.output, broker.dir() + "/regular-file");
  EXPECT_FALSE(mentions.empty() && path_lines.empty())
      << "no line mentions db_path or the path:\n" << exit.output;
}

TEST(PluginConfig, BadNumberOptionStopsTheBroker) {
  BrokerOptions options;
  options.plugin_opts["sys_interval"] = "soon";
  BrokerProcess broker(options);
  BrokerExit exit = broker.start_expect_failure();
  ASSERT_TRUE(exit.exited) << "mosquitto accepted plugin_opt_sys_interval soon\n" << exit.output;
  EXPECT_NE(exit.exit_code(), 0);
  EXPECT_FALSE(lines_with(exit.output, "sys_interval").empty()) << exit.output;
}

TEST(PluginConfig, GoodConfigLogsOneStartupLine) {
  BrokerProcess broker;
  ASSERT_EQ(broker.start(), "");
  const std::string log = broker.log();
  const std::regex version(R"(\b[0-9]+\.[0-9]+\.[0-9]+\b)");
  std::vector<std::string> startup;
  for (const auto& line : lines_with(log, "mosquitto-ota")) {
    if (std::regex_search(line, version) && line.find(broker.db_path()) != std::string::npos) {
      startup.push_back(line);
    }
  }
  ASSERT_EQ(startup.size(), 1u)
      << "want one line with \"mosquitto-ota\", its version and the options; log:\n"
      << log;
  EXPECT_NE(startup[0].find("admin"), std::string::npos) << startup[0];
  EXPECT_NE(startup[0].find("sys_interval"), std::string::npos) << startup[0];
  EXPECT_TRUE(broker.running());
}

TEST(PluginConfig, OptionValuesKeepInnerSpaces) {
  BrokerOptions options;
  options.plugin_opts["db_path"] = "{dir}/db with spaces";
  BrokerProcess broker(options);
  std::filesystem::create_directories(broker.dir() + "/db with spaces");
  ASSERT_EQ(broker.start(), "");
  AliyunDevice d1("pk1", "d1");
  ASSERT_TRUE(d1.connect(broker.port()));
  ASSERT_TRUE(d1.report_version("1.0.0"));
  ControlClient admin;
  ASSERT_TRUE(admin.connect(broker.port()));
  OtaApi api(admin);
  ASSERT_TRUE(api.get_device("pk1", "d1"));
  bool any_file = false;
  for (const auto& entry :
       std::filesystem::directory_iterator(broker.dir() + "/db with spaces")) {
    any_file = any_file || entry.is_regular_file();
  }
  EXPECT_TRUE(any_file) << "nothing stored under the db_path with spaces";
}

class MaxPayloadTest : public OtaBrokerTest {
 protected:
  BrokerOptions broker_options() override {
    BrokerOptions options;
    options.plugin_opts["max_payload_bytes"] = "256";
    return options;
  }
};

std::string padded_report(const std::string& version, size_t total) {
  std::string head = R"({"id":"1","params":{"version":")" + version + R"("},"pad":")";
  std::string tail = "\"}";
  return head + std::string(total - head.size() - tail.size(), 'x') + tail;
}

TEST_F(MaxPayloadTest, LimitIsConfigurable) {
  SysMonitor sys;
  ASSERT_TRUE(sys.connect(broker().port()));
  auto rejected0 = sys.value("messages/rejected");
  ASSERT_TRUE(rejected0.has_value());
  auto d1 = device("pk1", "d1", "");
  ASSERT_TRUE(d1->publish(d1->inform_topic(), padded_report("1.0.0", 200)));
  JsonPtr dev = api().get_device("pk1", "d1");
  ASSERT_TRUE(dev) << "a 200-byte report under a 256-byte limit was not accepted";
  EXPECT_EQ(json_string_at(dev.get(), "modules/default/version"), "1.0.0");

  ASSERT_TRUE(d1->publish(d1->inform_topic(), padded_report("9.9.9", 300)));
  auto rejected = sys.wait_for("messages/rejected",
                               [&](long long v) { return v > *rejected0; }, 4s);
  EXPECT_TRUE(rejected.has_value());
  dev = api().get_device("pk1", "d1");
  ASSERT_TRUE(dev);
  EXPECT_EQ(json_string_at(dev.get(), "modules/default/version"), "1.0.0")
      << "a 300-byte report over a 256-byte limit was applied";
}

using ReloadTest = OtaBrokerTest;

// SIGHUP reloads the broker config; plugins are not reloaded (2.0.11) and
// must keep working.
TEST_F(ReloadTest, SighupKeepsThePluginWorking) {
  auto d1 = device("pk1", "d1", "1.0.0");
  ASSERT_EQ(::kill(broker().pid(), SIGHUP), 0);
  // The reload happens in the broker's loop; a round trip through the
  // broker after it proves the loop went on.
  for (int i = 0; i < 100 && broker().log().find("Reloading config") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(d1->report_version("1.0.1"));
  JsonPtr dev = api().get_device("pk1", "d1");
  ASSERT_TRUE(dev);
  EXPECT_EQ(json_string_at(dev.get(), "modules/default/version"), "1.0.1");
  long long job_id = start_job(PackageSpec{}, {"d1"});
  ASSERT_GT(job_id, 0);
  EXPECT_TRUE(d1->wait_upgrade());
  EXPECT_TRUE(broker().running());
}

}  // namespace
}  // namespace ota::test
