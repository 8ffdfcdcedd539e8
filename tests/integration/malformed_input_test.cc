// (g) Malformed device input: rejected and counted, no state change, no
// crash, and the message still reaches ordinary subscribers.
#include <gtest/gtest.h>

#include "ota_fixture.h"
#include "sys_monitor.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

const char* const kInform = "/ota/device/inform/pk1/d1";
const char* const kProgress = "/ota/device/progress/pk1/d1";

struct BadInput {
  const char* name;
  std::string topic;
  std::string payload;
};

std::string oversize_report() {
  // Valid JSON that would change the version if the size limit were ignored.
  std::string head = R"({"id":"1","params":{"version":"9.9.9"},"pad":")";
  std::string tail = "\"}";
  return head + std::string(20000 - head.size() - tail.size(), 'x') + tail;
}

std::vector<BadInput> bad_inputs() {
  const std::string valid_report = R"({"id":"1","params":{"version":"9.9.9"}})";
  return {
      {"BadJson", kInform, R"({"id":"1","params":{"version":"9.9.9")"},
      {"JsonArray", kInform, R"([{"id":"1","params":{"version":"9.9.9"}}])"},
      {"JsonString", kInform, R"("9.9.9")"},
      {"EmptyPayload", kInform, ""},
      {"MissingParams", kInform, R"({"id":"1","version":"9.9.9"})"},
      {"ParamsNotObject", kInform, R"({"id":"1","params":"9.9.9"})"},
      {"VersionNumber", kInform, R"({"id":"1","params":{"version":9}})"},
      {"VersionEmpty", kInform, R"({"id":"1","params":{"version":""}})"},
      {"InvalidUtf8", kInform, "{\"id\":\"1\",\"params\":{\"version\":\"9.9\xff\xfe\"}}"},
      {"DeepNesting", kInform, std::string(16000, '[')},
      {"StepAbc", kProgress, R"({"id":"2","params":{"step":"abc","desc":"x"}})"},
      {"Step101", kProgress, R"({"id":"2","params":{"step":"101","desc":"x"}})"},
      {"StepMinus5", kProgress, R"({"id":"2","params":{"step":"-5","desc":"x"}})"},
      {"StepFraction", kProgress, R"({"id":"2","params":{"step":"50.5","desc":"x"}})"},
      {"StepMissing", kProgress, R"({"id":"2","params":{"desc":"x"}})"},
      {"Desc129", kProgress,
       R"({"id":"2","params":{"step":"60","desc":")" + std::string(129, 'a') + R"("}})"},
      {"ProgressBadJson", kProgress, R"({"id":"2","params":{"step":"60")"},
      {"Oversize", kInform, oversize_report()},
      {"InformOneLevel", "/ota/device/inform/only-one-level", valid_report},
      {"InformExtraLevel", "/ota/device/inform/pk1/d1/extra", valid_report},
      {"InformEmptyDevice", "/ota/device/inform/pk1/", valid_report},
      {"ProgressOneLevel", "/ota/device/progress/only-one-level",
       R"({"id":"2","params":{"step":"60","desc":"x"}})"},
  };
}

// getDevice's device without "online".
std::string stored_view(const json_t* device) {
  JsonPtr copy(json_deep_copy(device));
  json_object_del(copy.get(), "online");
  return json_text(copy.get());
}

// A device in the middle of an upgrade (IN_PROGRESS, step 10), a plain
// subscriber to the OTA topics, and the $SYS counters.
class MalformedInputTest : public OtaBrokerTest {
 protected:
  void SetUp() override {
    OtaBrokerTest::SetUp();
    if (HasFatalFailure()) return;
    d1_ = device("pk1", "d1", "1.0.0");
    job_id_ = start_job(PackageSpec{}, {"d1"});
    ASSERT_GT(job_id_, 0);
    ASSERT_TRUE(d1_->wait_upgrade());
    ASSERT_TRUE(d1_->report_progress("\"10\"", "downloading"));
    ASSERT_TRUE(api().wait_task("pk1", "d1", job_id_,
                                [](const json_t* t) { return json_int_at(t, "step") == 10; },
                                "step 10"));
    ASSERT_TRUE(spy_.connect(broker().port(), "spy"));
    ASSERT_TRUE(spy_.subscribe("/ota/#", 1));
    ASSERT_TRUE(sys_.connect(broker().port()));
    auto rejected = sys_.value("messages/rejected");
    ASSERT_TRUE(rejected.has_value()) << "no $SYS/broker/ota/messages/rejected";
    rejected0_ = *rejected;
    JsonPtr dev = api().get_device("pk1", "d1");
    ASSERT_TRUE(dev);
    before_ = stored_view(dev.get());
  }

  // Sends the input from the device and checks the immediate promises; the
  // rejected counter is checked for all inputs at once (it is published only
  // every sys_interval).
  void check_rejected(const BadInput& input) {
    SCOPED_TRACE(input.name);
    ASSERT_TRUE(d1_->publish(input.topic, input.payload)) << input.name;

    auto seen = spy_.wait_message(input.topic, 3s);
    ASSERT_TRUE(seen.has_value()) << "the plugin swallowed the message on " << input.topic;
    EXPECT_EQ(seen->payload.size(), input.payload.size());
    EXPECT_TRUE(seen->payload == input.payload) << "payload changed on the way";

    ASSERT_TRUE(broker().running()) << log_tail(broker());
    JsonPtr dev = api().get_device("pk1", "d1");
    ASSERT_TRUE(dev);
    EXPECT_EQ(stored_view(dev.get()), before_) << "stored state changed";
    EXPECT_TRUE(d1_->no_upgrade(20ms)) << "notification caused by bad input: "
                                       << d1_->last_raw();
  }

  // Waits until messages/rejected has grown by `n`; checks it is exactly n.
  void expect_rejected(long long n) {
    auto rejected = sys_.wait_for("messages/rejected",
                                  [&](long long v) { return v >= rejected0_ + n; }, 4s);
    EXPECT_TRUE(rejected.has_value())
        << "messages/rejected did not grow by " << n << " from " << rejected0_ << " (now "
        << sys_.raw("messages/rejected").value_or("<none>") << ")";
    if (rejected) {
      EXPECT_EQ(*rejected, rejected0_ + n);
    }
  }

  std::unique_ptr<AliyunDevice> d1_;
  long long job_id_ = -1;
  MqttClient spy_;
  SysMonitor sys_;
  long long rejected0_ = 0;
  std::string before_;
};

TEST_F(MalformedInputTest, EachBadInputIsRejected) {
  const auto inputs = bad_inputs();
  for (const BadInput& input : inputs) {
    check_rejected(input);
    if (HasFatalFailure()) return;
  }
  expect_rejected(static_cast<long long>(inputs.size()));
  // Afterwards the device still upgrades normally.
  ASSERT_TRUE(d1_->report_version("2.0.0"));
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", job_id_, "SUCCEEDED"));
}

TEST_F(MalformedInputTest, BadInputFromAnotherDeviceChangesNothing) {
  // Garbage from a device the plugin has never seen does not register it.
  auto stranger = std::make_unique<AliyunDevice>("pk1", "stranger");
  ASSERT_TRUE(stranger->connect(broker().port()));
  ASSERT_TRUE(stranger->publish(stranger->inform_topic(), R"({"id":"1","params":{}})"));
  ASSERT_TRUE(stranger->publish(stranger->progress_topic(),
                                R"({"id":"1","params":{"step":"x"}})"));
  expect_rejected(2);
  EXPECT_TRUE(api().expect_error("getDevice", R"({"product":"pk1","device":"stranger"})"))
      << "a device was registered by malformed reports";
}

// Real devices are looser than the documents (DESIGN §10): none of these is
// rejected.
TEST_F(MalformedInputTest, LooseButValidInputIsAccepted) {
  const std::string cjk128 = [] {
    std::string s;
    for (int i = 0; i < 128; ++i) s += "升";
    return s;
  }();
  ASSERT_TRUE(d1_->publish(kProgress, R"({"id":0,"params":{"step":"0","desc":"enter"}})"));
  ASSERT_TRUE(d1_->publish(kProgress, R"({"id":"7","params":{"step":"20","desc":")" +
                                          std::string(128, 'a') + R"("}})"));
  ASSERT_TRUE(d1_->publish(kProgress, R"({"id":"8","params":{"step":"20","desc":")" +
                                          std::string(128, 'a') + R"("}})"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", job_id_,
                              [](const json_t* t) { return json_int_at(t, "step") == 20; },
                              "step 20"));
  ASSERT_TRUE(d1_->publish(kProgress, R"({"id":9,"params":{"step":30,"desc":")" + cjk128 +
                                          R"("}})"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", job_id_,
                              [](const json_t* t) { return json_int_at(t, "step") == 30; },
                              "step 30 (desc of 128 CJK characters accepted)"));
  ASSERT_TRUE(d1_->publish(kProgress, R"({"id":"10","params":{"step":"40"}})"));  // no desc
  ASSERT_TRUE(api().wait_task("pk1", "d1", job_id_,
                              [](const json_t* t) { return json_int_at(t, "step") == 40; },
                              "step 40 without desc"));
  // One known-bad message: the first rejected count seen after it must be
  // exactly one more, so none of the loose messages above was rejected.
  ASSERT_TRUE(d1_->publish(kProgress, R"({"id":"11","params":{"step":"abc"}})"));
  expect_rejected(1);

  ASSERT_TRUE(d1_->publish(kInform, R"({"id":12,"params":{"version":"2.0.0"}})"));
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", job_id_, "SUCCEEDED"));
}

}  // namespace
}  // namespace ota::test
