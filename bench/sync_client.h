// One blocking MQTT connection driven by mosquitto_loop() in the caller's
// thread (shared by the probes that time single round trips).
#pragma once

#include <mosquitto.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client_set.h"

namespace bench {

// Received messages are queued for wait().
class SyncClient {
 public:
  SyncClient(const std::string& id, const std::string& username) {
    m_ = mosquitto_new(id.c_str(), true, this);
    mosquitto_int_option(m_, MOSQ_OPT_TCP_NODELAY, 1);
    if (!username.empty()) mosquitto_username_pw_set(m_, username.c_str(), nullptr);
    mosquitto_connect_callback_set(m_, [](mosquitto*, void* self, int rc) {
      static_cast<SyncClient*>(self)->connack_ = rc;
    });
    mosquitto_subscribe_callback_set(m_, [](mosquitto*, void* self, int, int, const int*) {
      static_cast<SyncClient*>(self)->subacks_++;
    });
    mosquitto_message_callback_set(m_, [](mosquitto*, void* self, const mosquitto_message* msg) {
      static_cast<SyncClient*>(self)->inbox_.push_back(
          {msg->topic, std::string(static_cast<const char*>(msg->payload), msg->payloadlen)});
    });
  }
  ~SyncClient() {
    mosquitto_disconnect(m_);
    mosquitto_destroy(m_);
  }
  bool connect(const std::string& host, int port) {
    if (mosquitto_connect(m_, host.c_str(), port, 60) != MOSQ_ERR_SUCCESS) return false;
    return loop_until([&] { return connack_ >= 0; }, 5.0) && connack_ == 0;
  }
  bool subscribe(const std::string& topic, int qos) {
    const int before = subacks_;
    mosquitto_subscribe(m_, nullptr, topic.c_str(), qos);
    return loop_until([&] { return subacks_ > before; }, 5.0);
  }
  void publish(const std::string& topic, const std::string& payload, int qos) {
    mosquitto_publish(m_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                      payload.data(), qos, false);
  }
  // The next message on `topic`, waiting up to `seconds`.
  std::optional<std::string> wait(const std::string& topic, double seconds) {
    std::optional<std::string> found;
    loop_until([&] {
      for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
        if (it->first == topic) {
          found = std::move(it->second);
          inbox_.erase(it);
          return true;
        }
      }
      return false;
    }, seconds);
    return found;
  }
  // Reads for `seconds` and forgets every message received.
  void drain(double seconds) {
    loop_until([] { return false; }, seconds);
    inbox_.clear();
  }

 private:
  template <typename Done>
  bool loop_until(Done done, double seconds) {
    const int64_t deadline = bench::now_ns() + static_cast<int64_t>(seconds * 1e9);
    while (!done()) {
      if (bench::now_ns() > deadline) return false;
      if (mosquitto_loop(m_, 1, 1) != MOSQ_ERR_SUCCESS) return false;
    }
    return true;
  }
  mosquitto* m_;
  int connack_ = -1;
  int subacks_ = 0;
  std::deque<std::pair<std::string, std::string>> inbox_;
};

// Round trips to our own subscription on `topic`, one at a time, `gap_ms`
// apart, until `max_samples` were taken or `seconds` passed; in ns. A
// message lost (QoS 0) counts as a 1 s round trip, not as nothing.
inline std::vector<int64_t> round_trips(SyncClient& c, const std::string& topic, int qos,
                                        int gap_ms, size_t max_samples, double seconds) {
  std::vector<int64_t> samples;
  const int64_t end = now_ns() + static_cast<int64_t>(seconds * 1e9);
  uint64_t seq = 0;
  while (samples.size() < max_samples && now_ns() < end) {
    const std::string payload = std::to_string(++seq);
    const int64_t t0 = now_ns();
    c.publish(topic, payload, qos);
    std::optional<std::string> echo = c.wait(topic, 1.0);
    samples.push_back(echo ? now_ns() - t0 : 1000000000LL);
    if (gap_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
  }
  return samples;
}

// A device's report on `report_topic` (`next_report()`, a new one each
// time), timed until a message on `notify_topic` answers it, one at a time;
// in ns. An unanswered report (none within `answer_s`) counts as `answer_s`.
inline std::vector<int64_t> report_round_trips(SyncClient& c, const std::string& report_topic,
                                               const std::function<std::string()>& next_report,
                                               const std::string& notify_topic, int qos,
                                               size_t max_samples, double answer_s, double seconds) {
  std::vector<int64_t> samples;
  const int64_t end = now_ns() + static_cast<int64_t>(seconds * 1e9);
  while (samples.size() < max_samples && now_ns() < end) {
    const std::string payload = next_report();
    const int64_t t0 = now_ns();
    c.publish(report_topic, payload, qos);
    std::optional<std::string> answer = c.wait(notify_topic, answer_s);
    samples.push_back(answer ? now_ns() - t0 : static_cast<int64_t>(answer_s * 1e9));
  }
  return samples;
}

}  // namespace bench
