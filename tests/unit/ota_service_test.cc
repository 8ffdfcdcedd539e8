// The service the broker glue drives: envelope, authorisation, batching,
// durability, rejection and counters, without a broker.
#include "service/ota_service.h"

#include "assembly/service_assembly.h"

#include <gtest/gtest.h>

#include "json/json_util.h"
#include "temp_dir.h"

namespace ota {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;
const char* kInform = R"({"id":"1","params":{"version":"1.0.0"}})";
const char* kCreatePackage =
    R"({"command":"createPackage","correlationData":"p1","product":"pk","version":"2.0.0",)"
    R"("url":"https://fw.example/2.bin","size":100,"sign":"93230c3bde425a9d93230c3bde425a9d","signMethod":"MD5"})";

class OtaServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open(PluginOptions o = {}) {
    service_.reset();
    o.db_path = tmp_.sub("db");
    o.admins = {"admin"};
    o.sys_interval_s = sys_interval_;
    Result<std::unique_ptr<OtaService>> s = open_ota_service(o, [this](LogLevel, const std::string& l) {
      log_.push_back(l);
    });
    ASSERT_TRUE(s.ok()) << s.error();
    service_ = std::move(s.value());
  }

  // A device message from the connection of the device the topic names,
  // with the client id Alibaba's SDK uses ({pk}.{dn}).
  MessageVerdict device(const std::string& topic, const std::string& payload,
                        const void* handle = nullptr) {
    client_id_ = sdk_client_id(topic);
    return service_->on_message(topic, payload, {handle ? handle : &conn_a_, client_id_, ""},
                                now_);
  }
  static std::string sdk_client_id(const std::string& topic) {
    std::vector<std::string> levels;
    for (size_t b = 0, e; b <= topic.size(); b = e + 1) {
      e = topic.find('/', b);
      if (e == std::string::npos) e = topic.size();
      levels.push_back(topic.substr(b, e - b));
    }
    if (levels.size() == 6 && levels[1] == "ota") return levels[4] + "." + levels[5];
    if (levels.size() > 4 && levels[1] == "sys") return levels[2] + "." + levels[3];
    return "dev";
  }
  std::string client_id_;

  // Sends one control payload as `user`, flushes, and returns the parsed reply.
  json::JsonPtr control(const std::string& payload, const char* user = "admin") {
    service_->on_control(payload, {&conn_admin_, "ops-cli", user}, now_);
    flushed_ = service_->flush(now_);
    for (const OutboundMessage& m : flushed_) {
      if (m.topic == "$CONTROL/ota/v1/response") {
        EXPECT_EQ(m.client_id, "ops-cli");
        std::string error;
        return json::parse(m.payload, &error);
      }
    }
    ADD_FAILURE() << "no control reply";
    return nullptr;
  }
  json::JsonPtr command(const std::string& cmd, const char* user = "admin") {
    return control(R"({"commands":[)" + cmd + "]}", user);
  }
  static const json_t* response(const json::JsonPtr& reply, size_t i = 0) {
    return json_array_get(json_object_get(reply.get(), "responses"), i);
  }
  static std::string error_of(const json::JsonPtr& reply, size_t i = 0) {
    const json_t* e = json_object_get(response(reply, i), "error");
    return e ? json_string_value(e) : "";
  }

  test::TempDir tmp_;
  int64_t sys_interval_ = 0;
  std::unique_ptr<OtaService> service_;
  std::vector<std::string> log_;
  std::vector<OutboundMessage> flushed_;
  TimeMs now_ = kT0;
  int conn_a_ = 0, conn_b_ = 0, conn_admin_ = 0;
};

TEST_F(OtaServiceTest, ControlReplyLeavesOnlyAtFlush) {
  service_->on_control(R"({"commands":[{"command":"listPackages"}]})",
                       {&conn_admin_, "ops-cli", "admin"}, now_);
  std::vector<OutboundMessage> out = service_->flush(now_);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, "$CONTROL/ota/v1/response");
  EXPECT_EQ(out[0].payload, R"({"responses":[{"command":"listPackages","data":{"packages":[],"offset":0,"count":0,"more":false}}]})");
  EXPECT_TRUE(service_->flush(now_).empty());
}

TEST_F(OtaServiceTest, EnvelopeAnswersEveryCommandInOrder) {
  json::JsonPtr reply = control(std::string(R"({"commands":[)") + kCreatePackage +
      R"(,{"command":"nope","correlationData":"x"},"not an object",)"
      R"({"command":"getPackage","packageId":1,"correlationData":"p2"},)"
      R"({"command":"getPackage","packageId":1,"extra":true}]})");
  ASSERT_TRUE(reply);
  ASSERT_EQ(json_array_size(json_object_get(reply.get(), "responses")), 5u);
  EXPECT_EQ(json::dump(json_object_get(response(reply, 0), "correlationData")), "\"p1\"");
  EXPECT_EQ(json_integer_value(json_object_get(json_object_get(
                json_object_get(response(reply, 0), "data"), "package"), "id")), 1);
  EXPECT_EQ(error_of(reply, 1), "unknown command 'nope'");
  EXPECT_EQ(json::dump(json_object_get(response(reply, 1), "correlationData")), "\"x\"");
  EXPECT_EQ(error_of(reply, 2), "each command must be a JSON object");
  EXPECT_EQ(error_of(reply, 3), "");
  EXPECT_EQ(error_of(reply, 4), "unknown field 'extra'");
  EXPECT_EQ(service_->counters().control_commands, 5u);
  EXPECT_EQ(service_->counters().control_errors, 3u);
}

TEST_F(OtaServiceTest, MalformedEnvelopeGetsOneError) {
  for (const char* payload : {"not json", "[]", R"({"commands":{}})", R"({"cmds":[]})"}) {
    json::JsonPtr reply = control(payload);
    ASSERT_TRUE(reply) << payload;
    EXPECT_EQ(error_of(reply).rfind("payload must be {\"commands\":[...]}", 0), 0u) << payload;
  }
}

TEST_F(OtaServiceTest, NonAdminChangesNothing) {
  json::JsonPtr reply = command(kCreatePackage, "mallory");
  EXPECT_EQ(error_of(reply), "not authorised: this client is not an OTA admin");
  reply = command(R"({"command":"listPackages"})");
  EXPECT_EQ(json::dump(json_object_get(response(reply), "data")),
            R"({"packages":[],"offset":0,"count":0,"more":false})");
  ASSERT_FALSE(log_.empty());
  EXPECT_NE(log_.back().find("refused control command from client 'ops-cli' (username 'mallory')"),
            std::string::npos);
}

TEST_F(OtaServiceTest, CommandFieldErrorsAreSpecific) {
  struct Case { std::string cmd, error; };
  const std::vector<Case> cases = {
      {R"({"command":"createPackage","product":"pk","version":"2","url":"ftp://x","size":1,"sign":"a","signMethod":"MD5"})",
       "field 'url' must be an http:// or https:// URL of at most 2048 bytes"},
      {R"({"command":"createPackage","product":"pk","version":"2","url":"https://x","size":"1","sign":"a","signMethod":"MD5"})",
       "field 'size' must be an integer, got a string"},
      {R"({"command":"createPackage","product":"pk","version":"2","url":"https://x","size":1,"sign":"a","signMethod":"CRC"})",
       "field 'signMethod' must be \"MD5\" or \"SHA256\""},
      {R"({"command":"createPackage","product":"p/k","version":"2","url":"https://x","size":1,"sign":"a","signMethod":"MD5"})",
       "field 'product' must not contain '/', '+' or '#'"},
      {R"({"command":"createJob","packageId":0,"devices":["d"]})",
       "field 'packageId' must be a positive integer"},
      {R"({"command":"createJob","packageId":7,"devices":["d"]})", "package 7 does not exist"},
      {R"({"command":"createJob","packageId":7,"devices":[1]})",
       "field 'devices' must be an array of strings (1 to 128 bytes)"},
      {R"({"command":"getJob","jobId":3})", "job 3 does not exist"},
      {R"({"command":"getDevice","product":"pk","device":"x"})", "device x of product pk does not exist"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(error_of(command(c.cmd)), c.error) << c.cmd;
  }
}

TEST_F(OtaServiceTest, UpgradeThroughTheService) {
  EXPECT_EQ(device("/ota/device/inform/pk/d1", kInform), MessageVerdict::kPass);
  EXPECT_EQ(error_of(command(kCreatePackage)), "");
  json::JsonPtr job = command(R"({"command":"createJob","packageId":1,"devices":["d1"]})");
  ASSERT_EQ(error_of(job), "");
  // The job's push ran in the same flush as its reply.
  ASSERT_EQ(flushed_.size(), 2u);
  EXPECT_EQ(flushed_[1].topic, "/ota/device/upgrade/pk/d1");
  // Addressed to the device's connection, not to subscribers.
  EXPECT_EQ(flushed_[1].client_id, "pk.d1");
  EXPECT_EQ(flushed_[1].qos, 1);
  EXPECT_NE(flushed_[1].payload.find(R"("version":"2.0.0")"), std::string::npos);
  EXPECT_EQ(service_->counters().notifications_sent, 1u);

  device("/ota/device/progress/pk/d1", R"({"id":"2","params":{"step":"50"}})");
  device("/ota/device/inform/pk/d1", R"({"id":"3","params":{"version":"2.0.0"}})");
  json::JsonPtr status = command(R"({"command":"getJob","jobId":1})");
  const json_t* j = json_object_get(json_object_get(response(status), "data"), "job");
  EXPECT_EQ(json::dump(json_object_get(j, "state")), "\"completed\"");
  EXPECT_EQ(json_integer_value(json_object_get(json_object_get(j, "counts"), "SUCCEEDED")), 1);
}

TEST_F(OtaServiceTest, RejectedMessagesChangeNothingAndAreCounted) {
  device("/ota/device/inform/pk/d1", kInform);
  const std::string before = json::dump(json_object_get(
      response(command(R"({"command":"getDevice","product":"pk","device":"d1"})")), "data"));
  for (const std::string& bad : {std::string("{"), std::string("[1]"),
                                 std::string(R"({"params":{"version":2}})"),
                                 std::string(20000, 'x')}) {
    EXPECT_EQ(device("/ota/device/inform/pk/d1", bad), MessageVerdict::kPass);
  }
  EXPECT_EQ(service_->counters().messages_rejected, 4u);
  EXPECT_EQ(service_->counters().messages_received, 5u);
  EXPECT_NE(log_.back().find("payload of 20000 bytes exceeds plugin_opt_max_payload_bytes 16384"),
            std::string::npos);
  const std::string after = json::dump(json_object_get(
      response(command(R"({"command":"getDevice","product":"pk","device":"d1"})")), "data"));
  // Only the time of the last message may differ; the payloads above were
  // all rejected before reaching the engine.
  EXPECT_EQ(before, after);
}

TEST_F(OtaServiceTest, SteadyReportsAreSyncedOncePerInterval) {
  // Reports cause no message, so their batches are committed without a
  // sync, but a steady stream of them is synced every sync_interval_ms.
  device("/ota/device/inform/pk/d0", kInform);
  service_->flush(now_);
  now_ += 100;
  service_->flush(now_);  // its batch committed, and synced: the first
  const uint64_t first = service_->counters().store_syncs;
  for (int i = 1; i <= 25; ++i) {
    now_ += 100;
    device("/ota/device/inform/pk/d" + std::to_string(i), kInform);
    service_->flush(now_);
  }
  // 2.5 s of batches, one every 100 ms: two more syncs, not 25.
  EXPECT_EQ(service_->counters().store_syncs - first, 2u);
  // A batch that causes a message is synced at once.
  command(R"({"command":"listPackages"})");
  EXPECT_EQ(service_->counters().store_syncs - first, 3u);
}

TEST_F(OtaServiceTest, OtherTopicsPassUntouched) {
  EXPECT_EQ(device("sensors/t1", "{"), MessageVerdict::kPass);
  EXPECT_EQ(device("/ota/device/upgrade/pk/d1", "{"), MessageVerdict::kPass);
  EXPECT_EQ(service_->counters().messages_received, 0u);
}

TEST_F(OtaServiceTest, ConsumeOptionDropsDeviceMessages) {
  PluginOptions o;
  o.consume_device_messages = true;
  open(o);
  EXPECT_EQ(device("/ota/device/inform/pk/d1", kInform), MessageVerdict::kDrop);
  EXPECT_EQ(device("sensors/t1", "x"), MessageVerdict::kPass);
}

TEST_F(OtaServiceTest, UnknownDeviceRejectedWithoutAutoRegistration) {
  PluginOptions o;
  o.auto_register = false;
  open(o);
  device("/ota/device/inform/pk/ghost", kInform);
  EXPECT_EQ(service_->counters().messages_rejected, 1u);
  EXPECT_NE(log_.back().find("unknown device ghost of product pk"), std::string::npos);
}

TEST_F(OtaServiceTest, CommittedStateSurvivesReopen) {
  device("/ota/device/inform/pk/d1", kInform);
  command(kCreatePackage);
  open();
  json::JsonPtr reply = command(R"({"command":"getDevice","product":"pk","device":"d1"})");
  EXPECT_EQ(error_of(reply), "");
  EXPECT_EQ(error_of(command(R"({"command":"getPackage","packageId":1})")), "");
}

TEST_F(OtaServiceTest, OnlineFollowsTheConnectionNotTheClientId) {
  device("/ota/device/inform/pk/d1", kInform, &conn_a_);
  EXPECT_TRUE(service_->is_online({"pk", "d1"}));
  // The device reconnects (session takeover): the new connection speaks
  // before the old one's disconnect event arrives.
  device("/ota/device/inform/pk/d1", kInform, &conn_b_);
  service_->on_disconnect(&conn_a_);
  EXPECT_TRUE(service_->is_online({"pk", "d1"}));
  service_->on_disconnect(&conn_b_);
  EXPECT_FALSE(service_->is_online({"pk", "d1"}));
}

TEST_F(OtaServiceTest, StorageFailureLosesTheBatchNotTheDatabase) {
  PluginOptions o;
  o.db_map_size_mb = 1;
  open(o);
  command(kCreatePackage);  // committed
  // One batch: a control command whose reply is pending, then more devices
  // than the map holds (their records reach LMDB when the batch commits).
  service_->on_control(R"({"commands":[{"command":"listPackages"}]})",
                       {&conn_admin_, "ops-cli", "admin"}, now_);
  for (int i = 0; i < 20000 && service_->counters().store_errors == 0; ++i) {
    device("/ota/device/inform/pk/dev" + std::to_string(i), kInform);
  }
  std::vector<OutboundMessage> out = service_->flush(now_);
  ASSERT_EQ(service_->counters().store_errors, 1u);
  EXPECT_NE(log_.back().find("MDB_MAP_FULL"), std::string::npos) << log_.back();
  EXPECT_EQ(error_of(command(R"({"command":"getDevice","product":"pk","device":"dev0"})")),
            "device dev0 of product pk does not exist");
  // The listPackages reply belonged to the lost batch: it is answered with
  // an error that says what to change, not with its data.
  size_t replies = 0;
  for (const OutboundMessage& m : out) {
    if (m.topic != "$CONTROL/ota/v1/response") continue;
    replies++;
    EXPECT_EQ(m.client_id, "ops-cli");
    EXPECT_NE(m.payload.find("plugin_opt_db_map_size_mb"), std::string::npos) << m.payload;
    EXPECT_EQ(m.payload.find("\"data\""), std::string::npos) << m.payload;
  }
  EXPECT_EQ(replies, 1u);
  // The earlier commit is intact and the store works again.
  EXPECT_EQ(error_of(command(R"({"command":"getPackage","packageId":1})")), "");
}

TEST_F(OtaServiceTest, SysTopicsAreRetainedAndFinishedJobsAreCleared) {
  sys_interval_ = 1;
  open();
  device("/ota/device/inform/pk/d1", kInform);
  command(kCreatePackage);
  now_ += 1000;
  command(R"({"command":"createJob","packageId":1,"devices":["d1"]})");
  auto find = [&](const std::string& topic) -> const OutboundMessage* {
    for (const OutboundMessage& m : flushed_) if (m.topic == topic) return &m;
    return nullptr;
  };
  const OutboundMessage* notified = find("$SYS/broker/ota/jobs/1/NOTIFIED");
  ASSERT_TRUE(notified);
  EXPECT_EQ(notified->payload, "1");
  EXPECT_TRUE(notified->retain);
  ASSERT_TRUE(find("$SYS/broker/ota/devices/total"));
  EXPECT_EQ(find("$SYS/broker/ota/devices/total")->payload, "1");

  device("/ota/device/inform/pk/d1", R"({"params":{"version":"2.0.0"}})");
  now_ += 1000;
  flushed_ = service_->flush(now_);
  const OutboundMessage* cleared = find("$SYS/broker/ota/jobs/1/NOTIFIED");
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->payload, "");
  EXPECT_TRUE(cleared->retain);
  EXPECT_EQ(find("$SYS/broker/ota/tasks/SUCCEEDED")->payload, "1");
}

}  // namespace
}  // namespace ota

namespace ota {
namespace {

// A device that pulls (Alink firmware/get) the upgrade of an uploaded
// package gets a signed URL, as a pushed notification carries.
TEST_F(OtaServiceTest, PullOfAnUploadedPackageCarriesASignedUrl) {
  PluginOptions o;
  o.firmware_dir = tmp_.sub("firmware");
  o.http_public_url = "https://fw.example:8880";
  o.url_secret_file = tmp_.sub("url-secret");
  open(o);
  // "hello" and its SHA-256.
  const std::string sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  json::JsonPtr begin = command(R"({"command":"beginUpload","size":5,"sha256":")" + sha + "\"}");
  const json_t* upload = json_object_get(json_object_get(response(begin), "data"), "upload");
  ASSERT_NE(upload, nullptr) << error_of(begin);
  const std::string id = json_string_value(json_object_get(upload, "id"));
  ASSERT_EQ(error_of(command(R"({"command":"uploadChunk","uploadId":")" + id +
                             R"(","offset":0,"data":"aGVsbG8="})")), "");
  ASSERT_EQ(error_of(command(R"({"command":"finishUpload","uploadId":")" + id + "\"}")), "");
  ASSERT_EQ(error_of(command(R"({"command":"createPackage","product":"pk","version":"2.0.0","fileSha256":")" +
                             sha + R"(","signMethod":"SHA256"})")), "");
  device("/ota/device/inform/pk/d1", kInform);
  ASSERT_EQ(error_of(command(R"({"command":"createJob","packageId":1,"devices":["d1"]})")), "");
  for (int i = 0; i < 3; ++i) flushed_ = service_->flush(now_);

  device("/sys/pk/d1/thing/ota/firmware/get", R"({"id":"7","version":"1.0","params":{}})");
  std::vector<OutboundMessage> out = service_->flush(now_);
  const OutboundMessage* reply = nullptr;
  for (const OutboundMessage& m : out) {
    if (m.topic == "/sys/pk/d1/thing/ota/firmware/get_reply") reply = &m;
  }
  ASSERT_NE(reply, nullptr);
  std::string error;
  json::JsonPtr r = json::parse(reply->payload, &error);
  ASSERT_TRUE(r) << error;
  const json_t* url = json_object_get(json_object_get(r.get(), "data"), "url");
  ASSERT_TRUE(json_is_string(url)) << reply->payload;
  EXPECT_EQ(std::string(json_string_value(url)).rfind("https://fw.example:8880/", 0), 0u)
      << reply->payload;
}


// mosquitto ticks after every packet: a flush in the millisecond of the
// last one skips its work only when nothing was caused or scheduled since.
TEST_F(OtaServiceTest, ASecondFlushInOneMillisecondStillSendsWhatAReportCaused) {
  device("/ota/device/inform/pk/d1", kInform);
  ASSERT_EQ(error_of(command(kCreatePackage)), "");
  ASSERT_EQ(error_of(command(R"({"command":"createJob","packageId":1,"dynamic":true,"sourceVersions":["1.0.0"]})")), "");
  service_->flush(now_);
  EXPECT_TRUE(service_->flush(now_).empty());  // the same millisecond, nothing new
  // A device of the product reports its version in that millisecond: the
  // dynamic job takes it, and the next flush, still in it, tells it.
  device("/ota/device/inform/pk/d2", kInform);
  std::vector<OutboundMessage> out = service_->flush(now_);
  bool told = false;
  for (const OutboundMessage& m : out) told = told || m.topic == "/ota/device/upgrade/pk/d2";
  EXPECT_TRUE(told);
}

}  // namespace
}  // namespace ota
