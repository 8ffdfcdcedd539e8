// DESIGN.md §9's isolation claim, proven in one broker process: Debian's
// mosquitto (with its static copy of libwebsockets) runs its own websockets
// listener with http_dir, while a plugin (the test-only http_probe_plugin)
// serves firmware through mosquitto_ota_http.so loaded with RTLD_DEEPBIND.
// Both must answer correctly, the helper's lws symbols must come from
// libwebsockets.so, the server's events must reach the broker thread via
// TICK, and the broker must shut down cleanly.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "broker_process.h"
#include "delivery/firmware_store.h"
#include "delivery/signed_url.h"
#include "http_test_client.h"
#include "mqtt_client.h"

#ifndef OTA_HTTP_LIBRARY_PATH
#define OTA_HTTP_LIBRARY_PATH "mosquitto_ota_http.so"
#endif
#ifndef OTA_HTTP_PROBE_PLUGIN_PATH
#define OTA_HTTP_PROBE_PLUGIN_PATH "http_probe_plugin.so"
#endif

namespace ota::test {
namespace {

using namespace std::chrono_literals;

// The report file's "key=value" lines.
std::map<std::string, std::string> read_report(const std::string& path) {
  std::map<std::string, std::string> out;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos && line.rfind("download ", 0) != 0) {
      out[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  return out;
}

// A masked (client-to-server) binary websocket frame.
std::string ws_frame(const std::string& payload) {
  std::string f;
  f += static_cast<char>(0x82);
  f += static_cast<char>(0x80 | payload.size());  // < 126 bytes here
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  f.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  return f;
}

// The payload of the next (unmasked, server-to-client) frame.
std::string ws_read(HttpConnection& c) {
  const std::string head = c.read_bytes(2);
  if (head.size() < 2) return "";
  size_t len = static_cast<unsigned char>(head[1]) & 0x7f;
  if (len == 126) {
    const std::string ext = c.read_bytes(2);
    len = (static_cast<unsigned char>(ext[0]) << 8) | static_cast<unsigned char>(ext[1]);
  }
  return c.read_bytes(len);
}

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s += static_cast<char>(v);
  return s;
}

class HttpIsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two more ports picked in advance may be taken by other processes'
    // sockets before the broker binds them (parallel suites): retry then.
    std::string error;
    for (int attempt = 0; attempt < 5; ++attempt) {
      error = try_start();
      if (error.empty()) break;
      if (error.find("Unable to create websockets listener") == std::string::npos &&
          error.find("cannot listen on") == std::string::npos) {
        break;
      }
    }
    ASSERT_EQ(error, "");
    report_ = read_report(broker_->dir() + "/report");
    ASSERT_EQ(report_["error"], "");
    ASSERT_EQ(report_["port"], std::to_string(fw_port_)) << read_file(broker_->dir() + "/report");
  }

  std::string try_start() {
    BrokerOptions options;
    options.with_plugin = false;
    broker_ = std::make_unique<BrokerProcess>(options);
    const std::string dir = broker_->dir();
    std::filesystem::create_directories(dir + "/www");
    std::ofstream(dir + "/www/index.html") << "hello from http_dir\n";

    auto store = FirmwareStore::open(dir + "/fw");
    if (!store.ok()) return store.error();
    data_ = random_bytes(4 << 20, 9);
    auto file = store.value()->put(data_);
    if (!file.ok()) return file.error();
    sha_ = file.value().sha256;
    auto signer = UrlSigner::load_or_create(dir + "/url.secret");
    if (!signer.ok()) return signer.error();
    target_ = signer.value().sign(DownloadGrant{sha_, "prodA/dev1", "7", ::time(nullptr) + 600});

    // A second copy of the helper, loaded by the probe *without* DEEPBIND,
    // only to show where lws symbols bind otherwise.
    std::filesystem::copy_file(OTA_HTTP_LIBRARY_PATH, dir + "/plain_copy.so");

    ws_port_ = pick_listen_port();
    fw_port_ = pick_listen_port();
    broker_->options().extra_config = {
        "listener " + std::to_string(ws_port_) + " 127.0.0.1",
        "protocol websockets",
        "http_dir " + dir + "/www",
        std::string("plugin ") + OTA_HTTP_PROBE_PLUGIN_PATH,
        std::string("plugin_opt_http_library ") + OTA_HTTP_LIBRARY_PATH,
        "plugin_opt_http_listen 127.0.0.1:" + std::to_string(fw_port_),
        "plugin_opt_firmware_dir " + dir + "/fw",
        "plugin_opt_url_secret_file " + dir + "/url.secret",
        "plugin_opt_report_file " + dir + "/report",
        "plugin_opt_plain_library " + dir + "/plain_copy.so",
    };
    return broker_->start();
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::string data_, sha_, target_;
  int ws_port_ = 0, fw_port_ = 0;
  std::map<std::string, std::string> report_;
};

TEST_F(HttpIsolationTest, HelperBindsToLibwebsocketsNotToTheBrokersCopy) {
  EXPECT_NE(report_["lws_origin"].find("libwebsockets.so"), std::string::npos)
      << report_["lws_origin"];
  // The same library loaded the ordinary way binds to the broker's copy:
  // that is what RTLD_DEEPBIND avoids.
  EXPECT_NE(report_["plain_lws_origin"].find("mosquitto"), std::string::npos)
      << report_["plain_lws_origin"];
}

TEST_F(HttpIsolationTest, BrokerWebsocketsAndFirmwareServerBothWorkInOneProcess) {
  // The broker's own lws: http_dir over the websockets listener...
  HttpReply page = http_exchange(ws_port_, http_get("/index.html"));
  ASSERT_EQ(page.status, 200) << page.error;
  EXPECT_EQ(page.body, "hello from http_dir\n");

  // ... and MQTT over websockets, receiving a message published over TCP.
  HttpConnection ws;
  ASSERT_TRUE(ws.connect(ws_port_));
  ASSERT_TRUE(ws.send(
      "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"));
  HttpReply upgrade = ws.read_reply(/*head_request=*/true);
  ASSERT_EQ(upgrade.status, 101) << upgrade.error;
  EXPECT_EQ(upgrade.header("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  // CONNECT (3.1.1, clean session, client id "ws1") -> CONNACK accepted.
  ASSERT_TRUE(ws.send(ws_frame(bytes({0x10, 15, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 3,
                                      'w', 's', '1'}))));
  EXPECT_EQ(ws_read(ws), bytes({0x20, 2, 0, 0}));
  // SUBSCRIBE ota/x QoS 0 -> SUBACK.
  ASSERT_TRUE(ws.send(ws_frame(bytes({0x82, 10, 0, 1, 0, 5, 'o', 't', 'a', '/', 'x', 0}))));
  EXPECT_EQ(ws_read(ws), bytes({0x90, 3, 0, 1, 0}));

  // Meanwhile a firmware download is in progress on the plugin's server.
  HttpConnection slow;
  ASSERT_TRUE(slow.connect(fw_port_, 4096));
  ASSERT_TRUE(slow.send(http_get(target_)));
  HttpReply headers = slow.read_reply(/*head_request=*/true);  // headers only
  ASSERT_EQ(headers.status, 200) << headers.error;
  EXPECT_EQ(slow.read_bytes(65536).size(), 65536u);  // and keep it open

  MqttClient tcp;
  ASSERT_TRUE(tcp.connect(broker_->port(), "tcp1"));
  ASSERT_TRUE(tcp.publish("ota/x", "hi", 0));
  EXPECT_EQ(ws_read(ws), bytes({0x30, 9, 0, 5, 'o', 't', 'a', '/', 'x', 'h', 'i'}));

  // The firmware server answers in full, by range, and refuses bad URLs.
  HttpReply full = http_exchange(fw_port_, http_get(target_));
  ASSERT_EQ(full.status, 200) << full.error;
  EXPECT_EQ(sha256_of(full.body), sha_);
  EXPECT_EQ(full.header("etag"), "\"" + sha_ + "\"");
  HttpReply tail = http_exchange(fw_port_, http_get(target_, {"Range: bytes=4000000-99999999"}));
  ASSERT_EQ(tail.status, 206) << tail.error;
  EXPECT_EQ(tail.body, data_.substr(4000000));
  std::string tampered = target_;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_EQ(http_exchange(fw_port_, http_get(tampered)).status, 403);
  EXPECT_EQ(http_exchange(fw_port_, http_get("/index.html")).status, 404);
  // The broker's http_dir is not reachable through the firmware port, nor
  // firmware through the websockets port.
  EXPECT_NE(http_exchange(ws_port_, http_get(target_)).status, 200);

  // Download events reach the broker thread (TICK) and its log.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline &&
         broker_->log().find("http-probe: download device=prodA/dev1 package=7 status=206") ==
             std::string::npos) {
    std::this_thread::sleep_for(50ms);
  }
  const std::string log = broker_->log();
  EXPECT_NE(log.find("http-probe: download device=prodA/dev1 package=7 status=200 offset=0 "
                     "bytes=4194304 complete=1 reached_end=1"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("http-probe: download device=prodA/dev1 package=7 status=206 "
                     "offset=4000000 bytes=194304 complete=1 reached_end=1"),
            std::string::npos)
      << log;

  // The broker stops cleanly with a download still open (the probe stops
  // the server in cleanup: lws_cancel_service, then join).
  BrokerExit exit = broker_->stop();
  EXPECT_TRUE(exit.exited_normally()) << exit.describe() << "\n" << exit.output;
  EXPECT_EQ(exit.exit_code(), 0) << exit.output;
  EXPECT_EQ(read_report(broker_->dir() + "/report")["stopped"], "1");
  EXPECT_TRUE(slow.closed_by_peer(5s));
}

}  // namespace
}  // namespace ota::test
