// Alibaba's firmware download over MQTT (docs/dialects.md "MQTT block
// download"): a product configured with downloadProtocol "mqtt" gets
// notifications with dProtocol, streamId and streamFileId; the device asks
// for blocks on /sys/{pk}/{dn}/thing/file/download and takes binary replies
// on .../download_reply. The device side here decodes the replies on its
// own, the way Alibaba's device SDK 4.x does (aiot_mqtt_download_api.c).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>

#include "dialect_support.h"

namespace ota::test::dialect_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPk = "a1Mqtt";
constexpr size_t kFileSize = 1u << 20;
constexpr long long kBlockCap = 32768;  // plugin_opt_mqtt_block_max_bytes

std::string request_topic(const std::string& dn) {
  return std::string("/sys/") + kPk + "/" + dn + "/thing/file/download";
}
std::string reply_topic(const std::string& dn) { return request_topic(dn) + "_reply"; }
std::string upgrade_topic(const std::string& dn) {
  return std::string("/ota/device/upgrade/") + kPk + "/" + dn;
}

// A request as the SDK's _md_send_request formats it, trailing comma and all.
std::string sdk_request(long long id, long long stream, long long file, long long size,
                        long long offset) {
  return R"({"id":")" + std::to_string(id) +
         R"(","version":"1.0","params":{"fileToken":"default","fileInfo":{"streamId":)" +
         std::to_string(stream) + R"(,"fileId":)" + std::to_string(file) +
         R"(,},"fileBlock":{"size":)" + std::to_string(size) + R"(,"offset":)" +
         std::to_string(offset) + "}}}";
}

// CRC-16/IBM as the SDK computes it (reflected 0x8005, init 0), bit by bit.
uint16_t device_crc16(const std::string& bytes) {
  uint16_t crc = 0;
  for (unsigned char b : bytes) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
  }
  return crc;
}

std::string hex_digest(const EVP_MD* md, const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &n, md, nullptr);
  std::string hex;
  char b[3];
  for (unsigned i = 0; i < n; ++i) {
    snprintf(b, sizeof b, "%02x", digest[i]);
    hex += b;
  }
  return hex;
}


// A download_reply split the way the SDK reads it.
struct Reply {
  JsonPtr header;
  std::string block;
  bool has_trailer = false;
  uint16_t trailer = 0;
  std::string header_text;
};

// Header length (big-endian), header, then for code 200 data.bSize block
// bytes and the CRC (low byte first); an error reply ends after its header.
testing::AssertionResult decode(const std::string& payload, Reply* out) {
  if (payload.size() < 2) return testing::AssertionFailure() << "reply shorter than 2 bytes";
  const size_t hl = (static_cast<unsigned char>(payload[0]) << 8) |
                    static_cast<unsigned char>(payload[1]);
  if (payload.size() < 2 + hl) return testing::AssertionFailure() << "header cut";
  out->header_text = payload.substr(2, hl);
  out->header = json_parse(out->header_text);
  if (!out->header) return testing::AssertionFailure() << "header not JSON: " << out->header_text;
  const long long code = json_int_at(out->header.get(), "code").value_or(-1);
  const std::string rest = payload.substr(2 + hl);
  if (code != 200) {
    if (!rest.empty()) return testing::AssertionFailure() << "bytes after an error header";
    return testing::AssertionSuccess();
  }
  const long long size = json_int_at(out->header.get(), "data/bSize").value_or(-1);
  if (size < 0 || rest.size() != static_cast<size_t>(size) + 2) {
    return testing::AssertionFailure() << "payload length " << payload.size()
                                       << " does not match bSize " << size;
  }
  out->block = rest.substr(0, static_cast<size_t>(size));
  out->has_trailer = true;
  out->trailer = static_cast<uint16_t>(static_cast<unsigned char>(rest[size]) |
                                       (static_cast<unsigned char>(rest[size + 1]) << 8));
  return testing::AssertionSuccess();
}

class MqttBlockDownloadTest : public DialectTest {
 protected:
  BrokerOptions broker_options() override {
    return with_opts({{"firmware_dir", std::string(kDirPlaceholder) + "/firmware"},
                      {"mqtt_block_max_bytes", std::to_string(kBlockCap)}});
  }

  void SetUp() override {
    DialectTest::SetUp();
    if (HasFatalFailure()) return;
    // Alibaba's code, so that signMethod is the SDK's "Md5".
    JsonPtr product = api().run(
        "setProductConfig",
        std::string(R"({"product":")") + kPk + R"(","aliyunCode":"1000","downloadProtocol":"mqtt"})",
        "product");
    ASSERT_TRUE(product);
    EXPECT_EQ(json_string_at(product.get(), "downloadProtocol"), "mqtt");
    std::mt19937_64 rng(11);
    firmware_.resize(kFileSize);
    for (char& c : firmware_) c = static_cast<char>(rng());
  }

  long long create_uploaded_package(const std::string& version, const std::string& bytes) {
    return create_package(std::string(R"({"product":")") + kPk + R"(","version":")" + version +
                          R"(","fileSha256":")" + upload_firmware(bytes) + "\"}");
  }

  // A device with the SDK's subscriptions: upgrade and download_reply.
  std::unique_ptr<MqttClient> connect_device(const std::string& dn) {
    auto c = std::make_unique<MqttClient>();
    // As Alibaba's SDK connects: client id {pk}.{dn}|...|, username {dn}&{pk}.
    EXPECT_TRUE(c->connect(broker().port(), std::string(kPk) + "." + dn + "|securemode=2|",
                           dn + "&" + kPk));
    EXPECT_TRUE(c->subscribe(upgrade_topic(dn), 1));
    EXPECT_TRUE(c->subscribe(reply_topic(dn), 1));
    EXPECT_TRUE(c->publish(std::string("/ota/device/inform/") + kPk + "/" + dn,
                           R"({"id":"1","params":{"version":"1.0.0"}})"));
    return c;
  }

  // Sends one request and decodes its reply.
  testing::AssertionResult ask(MqttClient& c, const std::string& dn, const std::string& request,
                               Reply* reply) {
    c.clear_messages();
    if (!c.publish(request_topic(dn), request)) return testing::AssertionFailure() << "publish";
    auto m = c.wait_message(reply_topic(dn));
    if (!m) return testing::AssertionFailure() << "no reply to " << request;
    return decode(m->payload, reply);
  }

  std::string firmware_;
};

// A 1 MiB package, notified with dProtocol mqtt, downloaded in blocks as
// the SDK does it, each block's CRC checked, the whole file's MD5 and
// SHA-256 checked, and the download accounted to the job and under $SYS.
TEST_F(MqttBlockDownloadTest, DeviceDownloadsTheWholePackageInBlocks) {
  const std::string dn = "dev-1";
  auto dev = connect_device(dn);
  const long long pkg = create_uploaded_package("2.0.0", firmware_);
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {dn});
  ASSERT_GT(job, 0);

  auto push = dev->wait_message(upgrade_topic(dn));
  ASSERT_TRUE(push.has_value()) << log_tail(broker());
  std::cout << "notification: " << push->topic << " " << push->payload << "\n";
  JsonPtr note = json_parse(push->payload);
  ASSERT_TRUE(note);
  const std::string md5 = hex_digest(EVP_md5(), firmware_);
  EXPECT_EQ(json_string_at(note.get(), "code"), "1000");
  EXPECT_EQ(json_string_at(note.get(), "data/dProtocol"), "mqtt");
  EXPECT_EQ(json_int_at(note.get(), "data/streamId"), pkg);
  EXPECT_EQ(json_int_at(note.get(), "data/streamFileId"), 1);
  EXPECT_EQ(json_at(note.get(), "data/url"), nullptr);
  EXPECT_EQ(json_int_at(note.get(), "data/size"), static_cast<long long>(kFileSize));
  EXPECT_EQ(json_string_at(note.get(), "data/signMethod"), "Md5");
  EXPECT_EQ(json_string_at(note.get(), "data/sign"), md5);
  EXPECT_EQ(json_string_at(note.get(), "data/md5"), md5);
  EXPECT_EQ(json_string_at(note.get(), "data/version"), "2.0.0");
  ASSERT_TRUE(api().wait_task_state(kPk, dn, job, "NOTIFIED"));

  // As the SDK: fixed-size requests, the last one cut to what is left.
  const long long stream = *json_int_at(note.get(), "data/streamId");
  const long long file_id = *json_int_at(note.get(), "data/streamFileId");
  constexpr long long kRequest = 20000;  // not a divisor: the last block is short
  std::string assembled;
  long long id = 0;
  while (assembled.size() < kFileSize) {
    const long long offset = static_cast<long long>(assembled.size());
    const long long size = std::min<long long>(kRequest, kFileSize - offset);
    const std::string request = sdk_request(++id, stream, file_id, size, offset);
    Reply reply;
    ASSERT_TRUE(ask(*dev, dn, request, &reply)) << "offset " << offset;
    if (id == 1) {
      std::cout << "request: " << request << "\nreply header: " << reply.header_text
                << " + " << reply.block.size() << " bytes + CRC 0x" << std::hex
                << reply.trailer << std::dec << "\n";
    }
    ASSERT_EQ(json_int_at(reply.header.get(), "code"), 200) << reply.header_text;
    EXPECT_EQ(json_string_at(reply.header.get(), "id"), std::to_string(id));
    EXPECT_EQ(json_int_at(reply.header.get(), "data/bOffset"), offset);
    EXPECT_EQ(json_int_at(reply.header.get(), "data/bSize"), size);
    EXPECT_EQ(json_int_at(reply.header.get(), "data/fileLength"),
              static_cast<long long>(kFileSize));
    EXPECT_EQ(json_string_at(reply.header.get(), "data/fileToken"), "default");
    ASSERT_TRUE(reply.has_trailer);
    ASSERT_EQ(reply.trailer, device_crc16(reply.block)) << "CRC of the block at " << offset;
    assembled += reply.block;
  }
  EXPECT_EQ(id, (static_cast<long long>(kFileSize) + kRequest - 1) / kRequest);
  ASSERT_EQ(assembled.size(), kFileSize);
  EXPECT_EQ(hex_digest(EVP_md5(), assembled), md5);
  EXPECT_EQ(hex_digest(EVP_sha256(), assembled), hex_digest(EVP_sha256(), firmware_));

  // Accounted as HTTP downloads are: the job's bytes and completed count,
  // and $SYS downloads/*.
  JsonPtr j = api().get_job(job);
  ASSERT_TRUE(j);
  EXPECT_EQ(json_int_at(j.get(), "downloadBytes"), static_cast<long long>(kFileSize));
  EXPECT_EQ(json_int_at(j.get(), "downloadsCompleted"), 1);
  ASSERT_TRUE(sys().connect(broker().port()));
  EXPECT_EQ(sys().wait_for("downloads/bytes",
                           [](long long v) { return v == static_cast<long long>(kFileSize); }),
            static_cast<long long>(kFileSize));
  EXPECT_EQ(sys().wait_for("downloads/completed", [](long long v) { return v == 1; }), 1);

  // The device installs and reports its new version: the task succeeds.
  ASSERT_TRUE(dev->publish(std::string("/ota/device/inform/") + kPk + "/" + dn,
                           R"({"id":"2","params":{"version":"2.0.0"}})"));
  EXPECT_TRUE(api().wait_task_state(kPk, dn, job, "SUCCEEDED"));
}

// Every refusal gets an error reply with no block (code as documented),
// one rejection count, and changes nothing: not the device, not the task,
// not the job's download figures.
TEST_F(MqttBlockDownloadTest, RefusalsGetErrorRepliesAndChangeNothing) {
  const std::string dn = "dev-a";
  const std::string other = "dev-b";
  auto dev = connect_device(dn);
  auto intruder = connect_device(other);
  const long long pkg = create_uploaded_package("2.0.0", firmware_);
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {dn});
  ASSERT_GT(job, 0);
  ASSERT_TRUE(dev->wait_message(upgrade_topic(dn)).has_value());
  ASSERT_TRUE(api().wait_task_state(kPk, dn, job, "NOTIFIED"));
  // Another uploaded package the device has no task for.
  const long long unrelated = create_uploaded_package("3.0.0", firmware_.substr(0, 1000));
  ASSERT_GT(unrelated, 0);

  begin_rejections(kPk, dn);
  if (HasFatalFailure()) return;
  const std::string other_before = stored(kPk, other);
  struct Case {
    const char* name;
    MqttClient* client;
    std::string device;
    std::string payload;
    long long code;
  };
  const long long size = static_cast<long long>(kFileSize);
  const std::vector<Case> cases = {
      {"offset at the end", dev.get(), dn, sdk_request(1, pkg, 1, 100, size), 416},
      {"offset past the end", dev.get(), dn, sdk_request(2, pkg, 1, 100, size + 5000), 416},
      {"block above the cap", dev.get(), dn, sdk_request(3, pkg, 1, kBlockCap + 1, 0), 413},
      {"a package that is not its task's", dev.get(), dn, sdk_request(4, unrelated, 1, 100, 0),
       403},
      {"another device's stream", intruder.get(), other, sdk_request(5, pkg, 1, 100, 0), 403},
      {"an unknown file of the stream", dev.get(), dn, sdk_request(6, pkg, 2, 100, 0), 404},
      {"size zero", dev.get(), dn, sdk_request(7, pkg, 1, 0, 0), 460},
      {"not JSON", dev.get(), dn, "\x01\x02garbage", 460},
      {"no fileBlock", dev.get(), dn,
       R"({"id":"8","params":{"fileInfo":{"streamId":1,"fileId":1}}})", 460},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    bad(*c.client, c.name, request_topic(c.device), c.payload, "");
    if (HasFatalFailure()) return;
    auto m = c.client->wait_message(reply_topic(c.device));
    ASSERT_TRUE(m.has_value()) << "no error reply";
    Reply reply;
    ASSERT_TRUE(decode(m->payload, &reply)) << m->payload;
    EXPECT_EQ(json_int_at(reply.header.get(), "code"), c.code) << reply.header_text;
    EXPECT_NE(json_string_at(reply.header.get(), "message").value_or(""), "");
    EXPECT_FALSE(reply.has_trailer);
    EXPECT_TRUE(reply.block.empty());
  }
  end_rejections();
  EXPECT_EQ(stored(kPk, other), other_before);
  EXPECT_TRUE(api().wait_task_state(kPk, dn, job, "NOTIFIED"));
  JsonPtr j = api().get_job(job);
  ASSERT_TRUE(j);
  EXPECT_EQ(json_int_at(j.get(), "downloadBytes"), 0);
  EXPECT_EQ(json_int_at(j.get(), "downloadsCompleted"), 0);

  // Still served afterwards, and a block asked past the end is cut there.
  Reply reply;
  ASSERT_TRUE(ask(*dev, dn, sdk_request(9, pkg, 1, 1000, size - 10), &reply));
  ASSERT_EQ(json_int_at(reply.header.get(), "code"), 200) << reply.header_text;
  EXPECT_EQ(reply.block, firmware_.substr(kFileSize - 10));
  EXPECT_EQ(reply.trailer, device_crc16(reply.block));
}

// A device that asks (Alink firmware/get) gets the same stream fields.
TEST_F(MqttBlockDownloadTest, FirmwareGetAnswersWithTheStream) {
  const std::string dn = "dev-pull";
  auto dev = connect_device(dn);
  const std::string get = std::string("/sys/") + kPk + "/" + dn + "/thing/ota/firmware/get";
  ASSERT_TRUE(dev->subscribe(get + "_reply", 1));
  const long long pkg = create_uploaded_package("2.0.0", firmware_.substr(0, 4096));
  ASSERT_GT(pkg, 0);
  const long long job = create_job(pkg, {dn});
  ASSERT_GT(job, 0);
  ASSERT_TRUE(dev->wait_message(upgrade_topic(dn)).has_value());
  ASSERT_TRUE(dev->publish(get, R"({"id":"123","version":"1.0","params":{},"method":"thing.ota.firmware.get"})"));
  auto reply = dev->wait_message(get + "_reply");
  ASSERT_TRUE(reply.has_value());
  JsonPtr r = json_parse(reply->payload);
  ASSERT_TRUE(r) << reply->payload;
  EXPECT_EQ(json_int_at(r.get(), "code"), 200);
  EXPECT_EQ(json_string_at(r.get(), "data/dProtocol"), "mqtt") << reply->payload;
  EXPECT_EQ(json_int_at(r.get(), "data/streamId"), pkg);
  EXPECT_EQ(json_int_at(r.get(), "data/streamFileId"), 1);
  EXPECT_EQ(json_at(r.get(), "data/url"), nullptr);
  EXPECT_EQ(json_int_at(r.get(), "data/size"), 4096);
}

// downloadProtocol is a product setting: shown, kept by other changes,
// and refused when it is neither "https" nor "mqtt".
TEST_F(MqttBlockDownloadTest, DownloadProtocolIsAProductSetting) {
  const std::string product = std::string(R"({"product":")") + kPk + "\"";
  std::optional<std::string> error =
      api().expect_error("setProductConfig", product + R"(,"downloadProtocol":"ftp"})");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(*error, R"(field 'downloadProtocol' must be "https" or "mqtt")");
  JsonPtr kept = api().run("setProductConfig", product + R"(,"offlinePolicy":"fail"})", "product");
  ASSERT_TRUE(kept);
  EXPECT_EQ(json_string_at(kept.get(), "downloadProtocol"), "mqtt");
  JsonPtr other = api().run("getProductConfig", R"({"product":"untouched"})", "product");
  ASSERT_TRUE(other);
  EXPECT_EQ(json_string_at(other.get(), "downloadProtocol"), "https");
}

// A device with no task at all is refused any stream.
TEST_F(MqttBlockDownloadTest, DeviceWithoutTaskIsRefused) {
  const std::string dn = "dev-idle";
  auto dev = connect_device(dn);
  Reply reply;
  ASSERT_TRUE(ask(*dev, dn, sdk_request(1, 1, 1, 100, 0), &reply));
  EXPECT_EQ(json_int_at(reply.header.get(), "code"), 403) << reply.header_text;
}

}  // namespace
}  // namespace ota::test::dialect_test
