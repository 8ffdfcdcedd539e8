// mosquitto_ota_ctrl's connection failures: each exits 3 with a message
// that says what to fix. And the options file (-o).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "broker_process.h"
#include "ctrl_runner.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(CtrlConnectionTest, NothingListeningExitsThree) {
  const std::string port = std::to_string(pick_free_port());
  CtrlRun r = run_ctrl({"-h", "127.0.0.1", "-p", port, "-u", "admin", "package", "list"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_TRUE(contains(r.err, "cannot connect to 127.0.0.1:" + port + ": Connection refused"))
      << r.describe();
  EXPECT_EQ(r.out, "");
}

TEST(CtrlConnectionTest, UnknownHostExitsThree) {
  CtrlRun r = run_ctrl({"-h", "no-such-host.invalid", "package", "list"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_TRUE(contains(r.err, "cannot resolve host 'no-such-host.invalid'")) << r.describe();
}

// A server that accepts TCP (the kernel completes the handshake on a
// listening socket) but never answers the MQTT CONNECT.
TEST(CtrlConnectionTest, SilentServerTimesOut) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const auto started = std::chrono::steady_clock::now();
  CtrlRun r = run_ctrl({"-h", "127.0.0.1", "-p", port, "--timeout", "1", "job", "list"});
  close(fd);
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_TRUE(contains(r.err, "no CONNACK within 1s")) << r.describe();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

// A broker without the plugin: nobody answers $CONTROL/ota/v1.
TEST(CtrlConnectionTest, NoReplyExitsThreeWithTheHint) {
  BrokerOptions options;
  options.with_plugin = false;
  BrokerProcess broker(options);
  ASSERT_EQ(broker.start(), "");
  const auto started = std::chrono::steady_clock::now();
  CtrlRun r = run_ctrl({"-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-u", "admin",
                        "--timeout", "1", "package", "list"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_TRUE(contains(r.err, "no reply from the broker: is admin an OTA admin (plugin_opt_admins)?"))
      << r.describe();
  EXPECT_TRUE(contains(r.err, "within 1s")) << r.describe();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

// A broker with a password file: wrong or missing credentials are refused
// in the CONNACK; the right ones work, also from an options file.
class CtrlCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrokerOptions options;
    options.extra_config = {"allow_anonymous false",
                            "password_file " + std::string(kDirPlaceholder) + "/passwd"};
    broker_ = std::make_unique<BrokerProcess>(options);
    const std::string cmd = "mosquitto_passwd -b -c '" + broker_->dir() +
                            "/passwd' admin 's3cret pw' >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    ASSERT_EQ(broker_->start(), "");
    port_ = std::to_string(broker_->port());
  }

  std::string write_options(const std::string& name, const std::string& text) {
    const std::string path = broker_->dir() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::string port_;
};

TEST_F(CtrlCredentialsTest, WrongPasswordExitsThree) {
  CtrlRun r = run_ctrl({"-h", "127.0.0.1", "-p", port_, "-u", "admin", "-P", "wrong", "job", "list"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_TRUE(contains(r.err, "refused the connection")) << r.describe();
  EXPECT_TRUE(contains(r.err, "CONNACK code 0x")) << r.describe();
  EXPECT_TRUE(contains(r.err, "check the username and password (-u, -P)")) << r.describe();

  CtrlRun v311 = run_ctrl({"-h", "127.0.0.1", "-p", port_, "-V", "311", "-u", "admin", "-P", "x",
                           "job", "list"});
  EXPECT_EQ(v311.exit_code, 3) << v311.describe();
  EXPECT_TRUE(contains(v311.err, "refused the connection")) << v311.describe();

  CtrlRun anonymous = run_ctrl({"-h", "127.0.0.1", "-p", port_, "job", "list"});
  EXPECT_EQ(anonymous.exit_code, 3) << anonymous.describe();
  EXPECT_TRUE(contains(anonymous.err, "this broker needs a username and password"))
      << anonymous.describe();

  CtrlRun right = run_ctrl({"-h", "127.0.0.1", "-p", port_, "-u", "admin", "-P", "s3cret pw",
                            "job", "list"});
  EXPECT_EQ(right.exit_code, 0) << right.describe();
}

TEST_F(CtrlCredentialsTest, OptionsFile) {
  const std::string opts = write_options(
      "ctrl.conf", "# mosquitto_ota_ctrl options\n-h 127.0.0.1\n-p " + port_ +
                       "\n\n-u admin\n--pw s3cret pw\n--timeout 5s\n");
  CtrlRun r = run_ctrl({"-o", opts, "package", "list", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(ctrl_json(r)) << r.describe();

  // The command line overrides the file.
  CtrlRun overridden = run_ctrl({"-o", opts, "-P", "wrong", "package", "list"});
  EXPECT_EQ(overridden.exit_code, 3) << overridden.describe();
  EXPECT_TRUE(contains(overridden.err, "refused the connection")) << overridden.describe();
  // Also after the subcommand.
  CtrlRun after = run_ctrl({"package", "list", "-o", opts, "-P", "wrong"});
  EXPECT_EQ(after.exit_code, 3) << after.describe();

  // The default options file: $XDG_CONFIG_HOME/mosquitto_ota_ctrl.
  write_options("mosquitto_ota_ctrl", "-h 127.0.0.1\n-p " + port_ + "\n-u admin\n-P s3cret pw\n");
  CtrlRun by_default = run_ctrl({"job", "list"}, std::chrono::seconds(30),
                                {"XDG_CONFIG_HOME=" + broker_->dir()});
  EXPECT_EQ(by_default.exit_code, 0) << by_default.describe();

  const std::string bad = write_options("bad.conf", "-h 127.0.0.1\n--colour blue\n");
  CtrlRun unknown = run_ctrl({"-o", bad, "package", "list"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.describe();
  EXPECT_TRUE(contains(unknown.err, "bad.conf:2: unknown option '--colour'")) << unknown.describe();
}

// TLS: --cafile enables it; a wrong CA fails the handshake; a plain client
// on a TLS port is told to give --cafile.
TEST(CtrlConnectionTest, Tls) {
  BrokerOptions options;
  const int tls_port = pick_free_port();
  const std::string dir = std::string(kDirPlaceholder);
  options.extra_config = {"listener " + std::to_string(tls_port) + " 127.0.0.1",
                          "cafile " + dir + "/ca.pem", "certfile " + dir + "/server.pem",
                          "keyfile " + dir + "/server.key"};
  BrokerProcess broker(options);
  const std::string d = broker.dir();
  const std::string make_certs =
      "cd '" + d + "' && "
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
      "-subj /CN=ota-test-ca && "
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost && "
      "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem "
      "-days 2 -extfile ext.cnf && "
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 "
      "-subj /CN=other-ca";
  ASSERT_EQ(std::system((make_certs + " >/dev/null 2>&1").c_str()), 0) << make_certs;
  ASSERT_EQ(broker.start(), "");
  const std::string port = std::to_string(tls_port);

  CtrlRun r = run_ctrl({"-h", "127.0.0.1", "-p", port, "-u", "admin", "--cafile", d + "/ca.pem",
                        "--tls-version", "tlsv1.2", "package", "list"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "no packages")) << r.describe();

  CtrlRun wrong_ca = run_ctrl({"-h", "127.0.0.1", "-p", port, "-u", "admin", "--cafile",
                               d + "/other.pem", "package", "list"});
  EXPECT_EQ(wrong_ca.exit_code, 3) << wrong_ca.describe();
  EXPECT_TRUE(contains(wrong_ca.err, "TLS")) << wrong_ca.describe();

  CtrlRun plain = run_ctrl({"-h", "127.0.0.1", "-p", port, "-u", "admin", "--timeout", "3",
                            "package", "list"});
  EXPECT_EQ(plain.exit_code, 3) << plain.describe();
  EXPECT_TRUE(contains(plain.err, "if this port uses TLS, give --cafile")) << plain.describe();

  CtrlRun missing = run_ctrl({"-h", "127.0.0.1", "-p", port, "--cafile", d + "/nope.pem",
                              "package", "list"});
  EXPECT_EQ(missing.exit_code, 3) << missing.describe();
  EXPECT_TRUE(contains(missing.err, "cannot be read")) << missing.describe();
}

}  // namespace
}  // namespace ota::test
