// broker-config/production.conf works as shipped: with only its paths,
// certificates and passwords replaced (test certificates made with openssl,
// loopback ports), a device upgrades end to end over TLS from the plugin's
// HTTPS download server, while spoofed reports, foreign subscriptions,
// forged notifications and a client-id admin all fail.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "http_test_client.h"
#include "json.h"
#include "json/base64.h"
#include "ota_api.h"
#include "security_support.h"

#ifndef OTA_SOURCE_DIR
#define OTA_SOURCE_DIR "."
#endif

namespace ota::test {
namespace {

using namespace std::chrono_literals;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// production.conf with the values of `replace` (option -> new value) put
// in; fails when an option to replace is missing, so a changed shipped file
// is noticed here.
std::string adapt(const std::string& shipped, const std::map<std::string, std::string>& replace,
                  const std::vector<std::string>& append) {
  std::istringstream in(shipped);
  std::string out;
  std::set<std::string> seen;
  for (std::string line; std::getline(in, line);) {
    const std::string key = line.substr(0, line.find(' '));
    auto it = replace.find(key);
    if (!line.empty() && line[0] != '#' && it != replace.end()) {
      out += key + " " + it->second + "\n";
      seen.insert(key);
    } else {
      out += line + "\n";
    }
  }
  for (const auto& [key, value] : replace) {
    EXPECT_TRUE(seen.count(key)) << "production.conf has no '" << key << "' line";
  }
  for (const std::string& line : append) out += line + "\n";
  return out;
}

class ProductionConfigTest : public OtaBrokerTest {
 protected:
  BrokerOptions broker_options() override {
    http_port_ = pick_listen_port();
    BrokerOptions o;
    const std::string d = kDirPlaceholder;
    o.config_text = adapt(
        read_text(std::string(OTA_SOURCE_DIR) + "/broker-config/production.conf"),
        {{"listener", "{port} 127.0.0.1"},
         {"certfile", d + "/server.crt"},
         {"keyfile", d + "/server.key"},
         {"password_file", d + "/passwd"},
         {"acl_file", d + "/mosquitto-ota.acl"},
         {"user", "root"},
         {"persistence_location", d + "/"},
         {"plugin", OTA_PLUGIN_PATH},
         {"plugin_opt_db_path", d + "/db"},
         {"plugin_opt_firmware_dir", d + "/firmware"},
         {"plugin_opt_http_listen", "127.0.0.1:" + std::to_string(http_port_)},
         {"plugin_opt_http_public_url", "https://127.0.0.1:" + std::to_string(http_port_)},
         {"plugin_opt_http_tls_cert", d + "/server.crt"},
         {"plugin_opt_http_tls_key", d + "/server.key"},
         {"plugin_opt_sys_interval", "1"}},
        {"plugin_opt_http_library " + std::string(OTA_HTTP_LIBRARY_PATH),
         "log_dest file " + d + "/mosquitto.log", "log_type all"});
    return o;
  }
  void before_start(BrokerProcess& broker) override {
    ASSERT_TRUE(make_test_certificates(broker.dir()));
    std::ofstream(broker.dir() + "/mosquitto-ota.acl")
        << read_text(std::string(OTA_SOURCE_DIR) + "/broker-config/production.acl");
    std::map<std::string, std::string> users;
    for (const char* u : {"ota-admin", "A&pk", "B&pk", "mallory"}) users[u] = password_of(u);
    ASSERT_TRUE(write_password_file(broker.dir() + "/passwd", users));
  }
  ConnectOptions tls_user(const std::string& user, bool clean = true) {
    ConnectOptions o = as_user(user, clean);
    o.cafile = broker().dir() + "/ca.crt";
    return o;
  }
  ConnectOptions admin_connect_options() override { return tls_user("ota-admin"); }
  std::unique_ptr<MqttClient> client(const std::string& id, const std::string& user,
                                     bool clean = true) {
    auto c = std::make_unique<MqttClient>();
    EXPECT_TRUE(c->connect(broker().port(), id, tls_user(user, clean))) << id << " as " << user;
    return c;
  }
  int http_port_ = 0;
};

TEST_F(ProductionConfigTest, AnUpgradeSucceedsWhileEveryAttackFails) {
  // Plain TCP and anonymous clients are refused.
  MqttClient anonymous;
  ConnectOptions anon;
  anon.cafile = broker().dir() + "/ca.crt";
  EXPECT_FALSE(anonymous.connect(broker().port(), "anon", anon));

  // Firmware uploaded over $CONTROL/ota/v1 into the plugin's store.
  std::string firmware(64 * 1024, '\0');
  std::mt19937 rng(5);
  for (char& c : firmware) c = static_cast<char>(rng());
  const std::string sha = sha256_of(firmware);
  JsonPtr up = api().run("beginUpload", R"({"size":)" + std::to_string(firmware.size()) +
                                            R"(,"sha256":")" + sha + "\"}", "upload");
  ASSERT_TRUE(up);
  const std::string upload_id = json_string_at(up.get(), "id").value_or("");
  ASSERT_TRUE(api().run("uploadChunk", R"({"uploadId":")" + upload_id +
                                           R"(","offset":0,"data":")" +
                                           base64::encode(firmware) + "\"}", "upload"));
  ASSERT_TRUE(api().run("finishUpload", R"({"uploadId":")" + upload_id + "\"}", "file"));
  JsonPtr pkg = api().run("createPackage",
                          R"({"product":"pk","version":"2.0.0","fileSha256":")" + sha + "\"}",
                          "package");
  ASSERT_TRUE(pkg);

  // Device A as Alibaba's SDK 3.x connects; attackers alongside.
  auto a = client("pk.A|timestamp=2524608000000,securemode=2,signmethod=hmacsha256|", "A&pk",
                  /*clean=*/false);
  ASSERT_TRUE(a->subscribe("/ota/device/upgrade/pk/A", 1));
  auto b = client("pk.B|securemode=2|", "B&pk");
  auto mallory = client("mallory", "mallory");
  EXPECT_FALSE(mallory->subscribe("/ota/device/upgrade/pk/A", 1));
  for (const char* f : {"#", "/ota/#", "/ota/device/upgrade/+/+", "$share/g//ota/device/upgrade/+/+"}) {
    (void)mallory->subscribe(f, 1);
  }
  ASSERT_TRUE(a->publish("/ota/device/inform/pk/A", R"({"id":"1","params":{"version":"1.0.0"}})"));
  JsonPtr job = api().create_job(*json_int_at(pkg.get(), "id"), {"A"});
  ASSERT_TRUE(job);
  const long long job_id = *json_int_at(job.get(), "id");

  auto note = a->wait_message("/ota/device/upgrade/pk/A");
  ASSERT_TRUE(note) << "A was not notified\n" << log_tail(broker());
  JsonPtr parsed = json_parse(note->payload);
  const std::string url = json_string_at(parsed.get(), "data/url").value_or("");
  ASSERT_EQ(url.rfind("https://127.0.0.1:" + std::to_string(http_port_) + "/", 0), 0u) << url;

  // The attacks, while A is mid-upgrade.
  EXPECT_TRUE(b->publish("/ota/device/progress/pk/A", R"({"id":"9","params":{"step":"-1"}})"));
  EXPECT_TRUE(mallory->publish("/ota/device/upgrade/pk/A",
                               R"({"code":"200","data":{"size":1,"version":"6.6.6","url":"http://evil.example/x","sign":"00","signMethod":"MD5"},"id":1,"message":"success"})"));
  // mallory with the admin's client id (taking over its session).
  MqttClient fake_admin;
  ASSERT_TRUE(fake_admin.connect(broker().port(), admin().mqtt().client_id(), tls_user("mallory")));
  EXPECT_FALSE(fake_admin.subscribe("$CONTROL/ota/v1/response", 1));
  ASSERT_TRUE(fake_admin.publish("$CONTROL/ota/v1", R"({"commands":[{"command":"cancelJob","jobId":)" +
                                                        std::to_string(job_id) + "}]}"));
  EXPECT_TRUE(a->no_message("#", 500ms)) << "A received a forged message";
  EXPECT_TRUE(mallory->no_message("/ota/device/upgrade/#", 100ms)) << "mallory read A's notification";
  ASSERT_TRUE(connect_admin());

  // A downloads over HTTPS (the test CA), reports progress and its version.
  const std::string out = broker().dir() + "/fw.bin";
  CommandResult got = run_command({"curl", "-sS", "--cacert", broker().dir() + "/ca.crt", "-o",
                                   out, "-w", "%{http_code}", url});
  ASSERT_EQ(got.exit_code, 0);
  EXPECT_EQ(got.out, "200");
  EXPECT_EQ(sha256_of(read_text(out)), sha);
  ASSERT_TRUE(a->publish("/ota/device/progress/pk/A", R"({"id":"2","params":{"step":"100"}})"));
  ASSERT_TRUE(a->publish("/ota/device/inform/pk/A", R"({"id":"3","params":{"version":"2.0.0"}})"));
  EXPECT_TRUE(api().wait_task_state("pk", "A", job_id, "SUCCEEDED"));
}

}  // namespace
}  // namespace ota::test
