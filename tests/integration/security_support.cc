#include "security_support.h"

#include "http_test_client.h"
#include "json.h"
#include "ota_api.h"

#include <fstream>
#include <sstream>
#include <thread>

namespace ota::test {

testing::AssertionResult write_password_file(const std::string& path,
                                             const std::map<std::string, std::string>& users) {
  std::ofstream(path, std::ios::trunc).flush();  // mosquitto_passwd -b adds to a file
  for (const auto& [user, password] : users) {
    CommandResult r = run_command({"mosquitto_passwd", "-b", path, user, password});
    if (r.exit_code != 0) {
      return testing::AssertionFailure() << "mosquitto_passwd for " << user << ": " << r.out;
    }
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult make_test_certificates(const std::string& dir) {
  const std::string ca_key = dir + "/ca.key", ca = dir + "/ca.crt";
  const std::string key = dir + "/server.key", csr = dir + "/server.csr",
                    crt = dir + "/server.crt", ext = dir + "/server.ext";
  std::ofstream(ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
       "/CN=mosquitto-ota test CA", "-keyout", ca_key, "-out", ca},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout",
       key, "-out", csr},
      {"openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
       "-days", "2", "-extfile", ext, "-out", crt},
  };
  for (const auto& step : steps) {
    CommandResult r = run_command(step, /*quiet=*/true);
    if (r.exit_code != 0) {
      return testing::AssertionFailure() << step[0] << " " << step[1] << " failed (exit "
                                         << r.exit_code << ")";
    }
  }
  return testing::AssertionSuccess();
}

std::string password_of(const std::string& username) { return "pw-" + username; }

ConnectOptions as_user(const std::string& username, bool clean_session) {
  ConnectOptions o;
  o.username = username;
  o.password = password_of(username);
  o.clean_session = clean_session;
  return o;
}

BrokerOptions SecureBrokerTest::broker_options() {
  BrokerOptions o;
  // The plugin's defaults: no acl_default, no device_identity.
  o.plugin_opts = {{"db_path", std::string(kDirPlaceholder) + "/db"},
                   {"admins", "admin"},
                   {"sys_interval", "1"}};
  for (const auto& [k, v] : extra_plugin_opts()) o.plugin_opts[k] = v;
  o.extra_config = {"allow_anonymous false",
                    "password_file " + std::string(kDirPlaceholder) + "/passwd"};
  return o;
}

void SecureBrokerTest::before_start(BrokerProcess& broker) {
  std::map<std::string, std::string> entries;
  for (const std::string& u : users()) entries[u] = password_of(u);
  entries["admin"] = password_of("admin");
  entries["monitor"] = password_of("monitor");
  ASSERT_TRUE(write_password_file(broker.dir() + "/passwd", entries));
}

std::unique_ptr<MqttClient> SecureBrokerTest::client(const std::string& client_id,
                                                     const std::string& username,
                                                     bool clean_session) {
  auto c = std::make_unique<MqttClient>();
  EXPECT_TRUE(c->connect(broker().port(), client_id, as_user(username, clean_session)))
      << client_id << " as " << username;
  return c;
}

long long SecureBrokerTest::job_for(const std::string& product,
                                    const std::vector<std::string>& devices,
                                    const std::string& extra) {
  PackageSpec spec;
  spec.product = product;
  JsonPtr pkg = api().create_package(spec);
  if (!pkg) return -1;
  std::string list;
  for (const std::string& d : devices) list += (list.empty() ? "\"" : ",\"") + d + "\"";
  JsonPtr job = api().run("createJob",
                          R"({"packageId":)" + std::to_string(*json_int_at(pkg.get(), "id")) +
                              R"(,"devices":[)" + list + "]" + extra + "}",
                          "job");
  return job ? json_int_at(job.get(), "id").value_or(-1) : -1;
}

long long SecureBrokerTest::sys_value(const std::string& suffix) {
  return wait_sys_value(suffix, -1, std::chrono::seconds(4));
}

long long SecureBrokerTest::wait_sys_value(const std::string& suffix, long long want,
                                           std::chrono::milliseconds timeout) {
  MqttClient sys;
  if (!sys.connect(broker().port(), "", as_user("monitor"))) return -1;
  const std::string topic = std::string(kSysPrefix) + suffix;
  if (!sys.subscribe(topic, 0)) return -1;
  long long last = -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = sys.wait_message(topic, std::chrono::milliseconds(1500));
    if (!m) continue;
    // The current value: a live publication, not the retained copy of the
    // last interval (which may predate what the test just did).
    if (want < 0 && m->retain) continue;
    std::optional<long long> v = parse_number(m->payload);
    if (!v) continue;
    last = *v;
    if (want < 0 || last == want) return last;
  }
  return last;
}

size_t SecureBrokerTest::log_lines_with(const std::string& text) {
  std::istringstream in(broker().log());
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find(text) != std::string::npos) ++n;
  }
  return n;
}

}  // namespace ota::test
