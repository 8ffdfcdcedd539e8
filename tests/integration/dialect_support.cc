#include "dialect_support.h"

#include <regex>
#include <thread>

#include "http_test_client.h"
#include "json/base64.h"

namespace ota::test::dialect_test {

using namespace std::chrono_literals;

namespace {

// Milliseconds since the epoch between 2020 and 2100.
bool plausible_ms(long long v) { return v > 1'577'836'800'000LL && v < 4'102'444'800'000LL; }

}  // namespace

testing::AssertionResult exact_payload(const std::string& raw, const std::string& want) {
  std::string error;
  JsonPtr received = json_parse(raw, &error);
  if (!received) {
    return testing::AssertionFailure() << "payload is not JSON (" << error << "): " << raw;
  }
  static const std::regex placeholder("@(MSSTR|MSINT):([^@]+)@");
  std::string expected;
  std::string problems;
  auto begin = std::sregex_iterator(want.begin(), want.end(), placeholder);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    expected += want.substr(last, m.position(0) - last);
    last = m.position(0) + m.length(0);
    const std::string kind = m[1];
    const std::string path = m[2];
    json_t* value = json_at(received.get(), path);
    if (value == nullptr) {
      problems += "\n  '" + path + "' is missing";
      expected += "<" + path + ">";
      continue;
    }
    if (kind == "MSSTR") {
      const std::string text =
          json_is_string(value) ? std::string(json_string_value(value)) : std::string();
      auto n = parse_number(text);
      if (!json_is_string(value) || !n || text[0] == '-' || !plausible_ms(*n)) {
        problems += "\n  '" + path +
                    "' must be a string of decimal digits (milliseconds since the epoch), got " +
                    json_text(value);
      }
    } else {
      if (!json_is_integer(value) || !plausible_ms(json_integer_value(value))) {
        problems += "\n  '" + path +
                    "' must be an integer (milliseconds since the epoch), got " +
                    json_text(value);
      }
    }
    expected += json_text(value);
  }
  expected += want.substr(last);
  if (raw != expected || !problems.empty()) {
    return testing::AssertionFailure() << "payload differs from the documented one" << problems
                                       << "\n  got:  " << raw << "\n  want: " << expected;
  }
  return testing::AssertionSuccess();
}

std::string quoted(const std::string& s) {
  JsonPtr str(json_stringn(s.data(), s.size()));
  return json_text(str.get());
}

std::string stored_view(const json_t* device) {
  JsonPtr copy(json_deep_copy(device));
  json_object_del(copy.get(), "online");
  return json_text(copy.get());
}

std::vector<std::string> history_states(const json_t* task) {
  std::vector<std::string> states;
  size_t i;
  json_t* entry;
  json_array_foreach(json_at(task, "history"), i, entry) {
    states.push_back(json_string_at(entry, "state").value_or("<no state>"));
  }
  return states;
}

bool history_has_detail(const json_t* task, const std::string& detail) {
  size_t i;
  json_t* entry;
  json_array_foreach(json_at(task, "history"), i, entry) {
    if (json_string_at(entry, "detail") == detail) return true;
  }
  return false;
}

std::function<bool(const json_t*)> in_progress_at(long long step) {
  return [step](const json_t* task) {
    return json_string_at(task, "state") == "IN_PROGRESS" && json_int_at(task, "step") == step;
  };
}

std::string repeat(const std::string& unit, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += unit;
  return s;
}

BrokerOptions DialectTest::with_opts(const std::map<std::string, std::string>& opts) {
  BrokerOptions o;
  for (const auto& [k, v] : opts) o.plugin_opts[k] = v;
  return o;
}

std::string DialectTest::upload_firmware(const std::string& bytes) {
  const std::string sha = sha256_of(bytes);
  JsonPtr up = api().run("beginUpload", R"({"size":)" + std::to_string(bytes.size()) +
                                            R"(,"sha256":")" + sha + "\"}", "upload");
  const std::string id = up ? json_string_at(up.get(), "id").value_or("") : "";
  if (id.empty()) {
    ADD_FAILURE() << "beginUpload failed";
    return "";
  }
  constexpr size_t kChunk = 256 * 1024;
  for (size_t off = 0; off < bytes.size(); off += kChunk) {
    if (!api().run("uploadChunk", R"({"uploadId":")" + id + R"(","offset":)" +
                                      std::to_string(off) + R"(,"data":")" +
                                      base64::encode(std::string_view(bytes).substr(off, kChunk)) +
                                      "\"}", "upload")) {
      ADD_FAILURE() << "uploadChunk at " << off << " failed";
      return "";
    }
  }
  if (!api().run("finishUpload", R"({"uploadId":")" + id + "\"}", "file")) {
    ADD_FAILURE() << "finishUpload failed";
    return "";
  }
  return sha;
}

testing::AssertionResult DialectTest::configure_product(const std::string& fields) {
  JsonPtr product = api().run("setProductConfig", fields, "product");
  if (!product) return testing::AssertionFailure() << "setProductConfig " << fields;
  return testing::AssertionSuccess();
}

long long DialectTest::create_package(const std::string& fields) {
  JsonPtr pkg = api().run("createPackage", fields, "package");
  if (!pkg) return -1;
  return json_int_at(pkg.get(), "id").value_or(-1);
}

long long DialectTest::create_job(const std::string& fields) {
  JsonPtr job = api().run("createJob", fields, "job");
  if (!job) return -1;
  return json_int_at(job.get(), "id").value_or(-1);
}

long long DialectTest::create_job(long long package_id, const std::vector<std::string>& devices) {
  std::string f = "{\"packageId\":" + std::to_string(package_id) + ",\"devices\":[";
  for (size_t i = 0; i < devices.size(); ++i) f += (i ? "," : "") + quoted(devices[i]);
  return create_job(f + "]}");
}

std::string DialectTest::stored(const std::string& product, const std::string& device) {
  JsonPtr dev = api().get_device(product, device);
  if (!dev) return "";
  return stored_view(dev.get());
}

testing::AssertionResult DialectTest::wait_online(const std::string& product,
                                                  const std::string& device, bool online,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  for (;;) {
    JsonPtr dev = api().get_device(product, device);
    if (!dev) return testing::AssertionFailure() << "getDevice " << product << "/" << device;
    last = json_text(dev.get());
    json_t* flag = json_at(dev.get(), "online");
    if (json_is_boolean(flag) && json_is_true(flag) == online) {
      return testing::AssertionSuccess();
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(20ms);
  }
  return testing::AssertionFailure() << product << "/" << device << " did not become "
                                     << (online ? "online" : "offline") << "; last: " << last;
}

void DialectTest::begin_rejections(const std::string& product, const std::string& device) {
  if (!sys_connected_) {
    ASSERT_TRUE(sys_.connect(broker().port()));
    sys_connected_ = true;
  }
  auto rejected = sys_.value("messages/rejected");
  ASSERT_TRUE(rejected.has_value()) << "no $SYS/broker/ota/messages/rejected";
  rejected0_ = *rejected;
  rejections_sent_ = 0;
  watch_product_ = product;
  watch_device_ = device;
  watch_before_ = stored(product, device);
  ASSERT_NE(watch_before_, "");
}

void DialectTest::bad(MqttClient& client, const std::string& name, const std::string& topic,
                      const std::string& payload, const std::string& quiet_filter) {
  SCOPED_TRACE("malformed input " + name + ": " + topic + " " + payload.substr(0, 200));
  client.clear_messages();
  ASSERT_TRUE(client.publish(topic, payload, 1)) << name;
  ++rejections_sent_;
  ASSERT_TRUE(broker().running()) << "the broker died on " << name << "\n" << log_tail(broker());
  EXPECT_EQ(stored(watch_product_, watch_device_), watch_before_)
      << name << " changed the device's stored state";
  if (!quiet_filter.empty()) {
    auto m = client.wait_message(quiet_filter, 30ms);
    EXPECT_FALSE(m.has_value()) << name << " caused a message on " << m->topic << ": "
                                << m->payload;
  }
}

void DialectTest::end_rejections() {
  const long long want = rejected0_ + rejections_sent_;
  auto rejected = sys_.wait_for("messages/rejected", [&](long long v) { return v >= want; }, 4s);
  ASSERT_TRUE(rejected.has_value())
      << "messages/rejected did not grow by " << rejections_sent_ << " from " << rejected0_
      << " (now " << sys_.raw("messages/rejected").value_or("<none>") << ")\n"
      << log_tail(broker());
  EXPECT_EQ(*rejected, want) << "messages/rejected grew by " << (*rejected - rejected0_)
                             << ", not by the " << rejections_sent_ << " malformed messages";
  EXPECT_TRUE(broker().running());
}

}  // namespace ota::test::dialect_test
