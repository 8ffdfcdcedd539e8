// The harness itself, against a plain mosquitto without the plugin.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "broker_process.h"
#include "control_client.h"
#include "mqtt_client.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

BrokerOptions plain() {
  BrokerOptions options;
  options.with_plugin = false;
  return options;
}

TEST(Harness, PlainBrokerPubSubRoundTrip) {
  BrokerProcess broker(plain());
  ASSERT_EQ(broker.start(), "");
  EXPECT_TRUE(broker.running());
  EXPECT_GT(broker.port(), 0);

  MqttClient sub, pub;
  ASSERT_TRUE(sub.connect(broker.port(), "sub"));
  ASSERT_TRUE(sub.subscribe("a/#", 1));
  ASSERT_TRUE(pub.connect(broker.port(), "pub", "someone"));
  ASSERT_TRUE(pub.publish("b/x", "ignored", 1));
  ASSERT_TRUE(pub.publish("a/b", "hello", 1));
  ASSERT_TRUE(pub.publish("a/c", std::string(20000, 'z'), 0));

  auto m = sub.wait_message("a/b", 2s);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->payload, "hello");
  EXPECT_EQ(m->qos, 1);
  auto big = sub.wait_message("a/+", 2s);
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->payload.size(), 20000u);
  EXPECT_TRUE(sub.no_message("#", 200ms));

  EXPECT_NE(broker.log().find("mosquitto version"), std::string::npos) << broker.log();
  EXPECT_NE(broker.log().find("sub"), std::string::npos);
}

TEST(Harness, WaitMessageLeavesOtherTopicsQueued) {
  BrokerProcess broker(plain());
  ASSERT_EQ(broker.start(), "");
  MqttClient c;
  ASSERT_TRUE(c.connect(broker.port(), "self"));
  ASSERT_TRUE(c.subscribe("t/#", 1));
  ASSERT_TRUE(c.publish("t/1", "one", 1));
  ASSERT_TRUE(c.publish("t/2", "two", 1));
  auto two = c.wait_message("t/2", 2s);
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->payload, "two");
  EXPECT_FALSE(c.no_message("t/1", 50ms));  // still queued
  auto one = c.wait_message("t/1", 0ms);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->payload, "one");
  EXPECT_FALSE(c.wait_message("t/#", 100ms).has_value());
}

TEST(Harness, RetainedAndSysTopics) {
  BrokerProcess broker(plain());
  broker.options().extra_config.push_back("sys_interval 1");
  ASSERT_EQ(broker.start(), "");
  MqttClient c;
  ASSERT_TRUE(c.connect(broker.port(), "sys"));
  ASSERT_TRUE(c.subscribe("$SYS/broker/version", 0));
  auto v = c.wait_message("$SYS/broker/version", 3s);
  ASSERT_TRUE(v.has_value());
  EXPECT_NE(v->payload.find("mosquitto version"), std::string::npos);
  EXPECT_TRUE(v->retain);
}

TEST(Harness, RestartKeepsDirAndPort) {
  BrokerProcess broker(plain());
  ASSERT_EQ(broker.start(), "");
  const int port = broker.port();
  const std::string dir = broker.dir();
  const pid_t first_pid = broker.pid();

  // Same port and directory, a new process, and a working broker afterwards.
  ASSERT_EQ(broker.restart(), "");
  EXPECT_EQ(broker.port(), port);
  EXPECT_EQ(broker.dir(), dir);
  EXPECT_NE(broker.pid(), first_pid);
  EXPECT_TRUE(broker.last_exit().exited_normally()) << broker.last_exit().describe();
  EXPECT_EQ(broker.last_exit().exit_code(), 0);

  MqttClient c;
  ASSERT_TRUE(c.connect(port, "after-restart"));
  ASSERT_TRUE(c.subscribe("x", 1));
  ASSERT_TRUE(c.publish("x", "y", 1));
  EXPECT_TRUE(c.wait_message("x", 2s).has_value());
  c.disconnect();

  BrokerExit killed = broker.kill9();
  EXPECT_TRUE(killed.exited);
  EXPECT_FALSE(killed.exited_normally());
  EXPECT_EQ(killed.describe(), "killed by signal 9");
  EXPECT_FALSE(broker.running());
  ASSERT_EQ(broker.start(), "");
  EXPECT_EQ(broker.port(), port);
  MqttClient again;
  EXPECT_TRUE(again.connect(port, "after-kill"));
}

TEST(Harness, ClientSeesBrokerGoAway) {
  BrokerProcess broker(plain());
  ASSERT_EQ(broker.start(), "");
  MqttClient c;
  ASSERT_TRUE(c.connect(broker.port(), "watcher"));
  EXPECT_TRUE(c.connected());
  broker.stop();
  for (int i = 0; i < 200 && c.connected(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(c.connected());
  EXPECT_FALSE(c.publish("x", "y", 1, false, 300ms));
  c.disconnect();  // must not hang while libmosquitto waits to reconnect
}

TEST(Harness, FirstStartMovesOffATakenPort) {
  BrokerProcess broker(plain());
  const int taken = broker.port();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(taken));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  EXPECT_EQ(broker.start(), "");
  EXPECT_NE(broker.port(), taken);
  ::close(fd);
  MqttClient c;
  EXPECT_TRUE(c.connect(broker.port(), "moved"));
}

TEST(Harness, StartExpectFailureReportsExitAndOutput) {
  BrokerProcess broker(plain());
  broker.options().extra_config.push_back("no_such_option 1");
  BrokerExit exit = broker.start_expect_failure();
  EXPECT_TRUE(exit.exited);
  EXPECT_TRUE(exit.exited_normally()) << exit.describe();
  EXPECT_NE(exit.exit_code(), 0);
  EXPECT_NE(exit.output.find("no_such_option"), std::string::npos) << exit.output;

  // start() on the same config describes the failure.
  std::string error = broker.start();
  EXPECT_NE(error.find("exited during start-up"), std::string::npos) << error;
  EXPECT_NE(error.find("no_such_option"), std::string::npos) << error;
}

TEST(Harness, StartExpectFailureWhenBrokerRuns) {
  BrokerProcess broker(plain());
  BrokerExit exit = broker.start_expect_failure(300ms);
  EXPECT_FALSE(exit.exited);
  EXPECT_FALSE(broker.running());
}

TEST(Harness, ConfigFileWithPluginOptions) {
  BrokerOptions options;
  options.plugin_opts["extra"] = "a value with spaces {dir}/x";
  options.extra_config.push_back("# comment {dir}");
  BrokerProcess broker(options);
  broker.write_config();
  const std::string d = broker.dir();
  const std::string conf = read_file(broker.config_path());
  EXPECT_NE(conf.find(std::string("plugin ") + OTA_PLUGIN_PATH + "\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("plugin_opt_db_path " + d + "/db\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("plugin_opt_admins admin\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("plugin_opt_sys_interval 1\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("plugin_opt_extra a value with spaces " + d + "/x\n"), std::string::npos)
      << conf;
  EXPECT_NE(conf.find("# comment " + d + "\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("log_dest file " + d + "/mosquitto.log\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("log_type all\n"), std::string::npos) << conf;
  EXPECT_TRUE(std::filesystem::is_directory(broker.db_path()));
  EXPECT_EQ(d.rfind("/tmp/", 0), 0u);
}

TEST(Harness, TempDirRemovedUnlessKept) {
  std::string dir;
  {
    BrokerProcess broker(plain());
    dir = broker.dir();
    ASSERT_EQ(broker.start(), "");
    EXPECT_TRUE(std::filesystem::exists(broker.config_path()));
    EXPECT_TRUE(std::filesystem::exists(broker.log_path()));
    const std::string conf = read_file(broker.config_path());
    EXPECT_NE(conf.find("per_listener_settings false\n"), std::string::npos);
    EXPECT_NE(conf.find("listener " + std::to_string(broker.port()) + " 127.0.0.1\n"),
              std::string::npos);
    EXPECT_NE(conf.find("user root\n"), std::string::npos);
    EXPECT_NE(conf.find("set_tcp_nodelay true\n"), std::string::npos);
    EXPECT_EQ(conf.find("plugin"), std::string::npos) << conf;
  }
  EXPECT_EQ(std::filesystem::exists(dir), std::getenv("OTA_KEEP_TEST_DIRS") != nullptr);
}

TEST(Harness, ControlClientTimesOutWithoutPlugin) {
  BrokerProcess broker(plain());
  ASSERT_EQ(broker.start(), "");
  ControlClient ctl;
  ASSERT_TRUE(ctl.connect(broker.port()));
  auto t0 = std::chrono::steady_clock::now();
  JsonPtr reply = ctl.send("getJob", R"({"jobId":1})", 300ms);
  EXPECT_EQ(reply, nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(json_string_at(json_parse(ctl.last_request()).get(), "commands/0/command"),
            "getJob");
  EXPECT_EQ(json_int_at(json_parse(ctl.last_request()).get(), "commands/0/jobId"), 1);
}

}  // namespace
}  // namespace ota::test
