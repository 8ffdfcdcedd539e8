#include "sys_monitor.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace ota::test {

namespace {
std::atomic<unsigned> g_counter{0};
}  // namespace

std::optional<long long> parse_number(const std::string& text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return std::nullopt;
  for (size_t j = i; j < text.size(); ++j) {
    if (text[j] < '0' || text[j] > '9') return std::nullopt;
  }
  return std::strtoll(text.c_str(), nullptr, 10);
}

testing::AssertionResult SysMonitor::connect(int port, const std::string& client_id) {
  std::string id = client_id.empty() ? "sys-" + std::to_string(::getpid()) + "-" +
                                           std::to_string(++g_counter)
                                     : client_id;
  auto r = mqtt_.connect(port, id);
  if (!r) return r;
  return mqtt_.subscribe(std::string(kSysPrefix) + "#", 0);
}

std::string SysMonitor::full(const std::string& topic) {
  return topic.rfind("$SYS/", 0) == 0 ? topic : std::string(kSysPrefix) + topic;
}

void SysMonitor::absorb(std::chrono::milliseconds timeout) {
  // Take everything queued; wait at most `timeout` for the first message.
  auto msg = mqtt_.wait_message(std::string(kSysPrefix) + "#", timeout);
  while (msg) {
    latest_[msg->topic] = msg->payload;
    msg = mqtt_.wait_message(std::string(kSysPrefix) + "#", std::chrono::milliseconds(0));
  }
}

std::optional<long long> SysMonitor::wait_for(const std::string& topic,
                                              const std::function<bool(long long)>& predicate,
                                              std::chrono::milliseconds timeout) {
  const std::string name = full(topic);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  absorb(std::chrono::milliseconds(0));
  for (;;) {
    if (auto it = latest_.find(name); it != latest_.end()) {
      auto v = parse_number(it->second);
      if (v && predicate(*v)) return v;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    absorb(left);
  }
}

std::optional<long long> SysMonitor::value(const std::string& topic,
                                           std::chrono::milliseconds timeout) {
  return wait_for(topic, [](long long) { return true; }, timeout);
}

std::optional<std::string> SysMonitor::raw(const std::string& topic) const {
  auto it = latest_.find(full(topic));
  if (it == latest_.end()) return std::nullopt;
  return it->second;
}

}  // namespace ota::test
