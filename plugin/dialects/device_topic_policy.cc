#include "dialects/device_topic_policy.h"

#include "dialects/topic_levels.h"

namespace ota {

std::string_view strip_shared_prefix(std::string_view filter) {
  constexpr std::string_view kShare = "$share/";
  if (!filter.starts_with(kShare)) return filter;
  const size_t slash = filter.find('/', kShare.size());
  return slash == std::string_view::npos ? filter : filter.substr(slash + 1);
}

DeviceTopicPolicy::DeviceTopicPolicy(std::vector<const Dialect*> dialects,
                                     IdentityChoice choice)
    : choice_(std::move(choice)) {
  for (const Dialect* d : dialects) entries_.push_back({d, choice_.rule_given(d->sdk_identity())});
}

const DeviceTopicPolicy::Entry* DeviceTopicPolicy::entry_of(const Dialect& dialect) const {
  for (const Entry& e : entries_) {
    if (e.dialect == &dialect) return &e;
  }
  return nullptr;
}

bool DeviceTopicPolicy::speaks_for(const Dialect& dialect, const DeviceConnection& from,
                                   const DeviceKey& device) const {
  const Entry* e = entry_of(dialect);
  return e && e->rule.speaks_for(from, device);
}

std::string DeviceTopicPolicy::not_the_device(const Dialect& dialect,
                                              const DeviceConnection& from,
                                              const DeviceKey& device) const {
  const Entry* e = entry_of(dialect);
  return "the connection (client id '" + std::string(from.client_id) + "', username '" +
         std::string(from.username) + "') does not speak for device " + device.device +
         " of product " + device.product + " (plugin_opt_device_identity " +
         choice_.describe() + (e && choice_.kind != IdentityChoice::Kind::kCustom
                                   ? ": " + e->rule.describe()
                                   : std::string()) +
         ")";
}

bool DeviceTopicPolicy::is_downstream(std::string_view topic) const {
  for (const Entry& e : entries_) {
    if (e.dialect->downstream_topic(topic)) return true;
  }
  return false;
}

TopicVerdict DeviceTopicPolicy::check(std::string_view topic, TopicAccess access,
                                      const DeviceConnection& from) const {
  TopicVerdict v;
  const bool subscription =
      access == TopicAccess::kSubscribe || access == TopicAccess::kUnsubscribe;
  const std::string_view name = subscription ? strip_shared_prefix(topic) : topic;
  for (const Entry& e : entries_) {
    const Dialect& d = *e.dialect;
    if (subscription && has_wildcard(name)) {
      // A wildcard filter names no one topic: the delivery (READ) of each
      // message is checked on its own, and downstream messages are never
      // routed anyway. Only the device's own shows it listening (Alibaba's
      // SDK 4.x subscribes to /ota/device/upgrade/+/+).
      std::optional<DeviceKey> device = d.subscriber_device(name, from);
      if (device && (access == TopicAccess::kUnsubscribe || e.rule.speaks_for(from, *device))) {
        v.kind = TopicVerdict::Kind::kPass;
        v.listening = std::move(device);
        return v;
      }
      continue;
    }
    std::optional<DownstreamTopic> down = d.downstream_topic(name);
    if (!down) continue;
    if (access == TopicAccess::kWrite) {
      v.kind = TopicVerdict::Kind::kRefuse;
      v.reason = "only the OTA plugin publishes on the downstream topic '" + std::string(topic) + "'";
      return v;
    }
    // A shared topic (CTWing) is the device the connection is.
    std::optional<DeviceKey> device =
        down->shared() ? d.subscriber_device(name, from) : std::optional<DeviceKey>(down->device);
    v.kind = TopicVerdict::Kind::kPass;
    if (access == TopicAccess::kUnsubscribe) {
      v.listening = std::move(device);
      return v;
    }
    const bool own = device && e.rule.speaks_for(from, *device);
    if (!own && !down->shared()) {
      v.kind = TopicVerdict::Kind::kRefuse;
      v.reason = std::string(access == TopicAccess::kRead ? "delivery of '" : "subscription to '") +
                 std::string(topic) + "': " + not_the_device(d, from, down->device);
      return v;
    }
    if (own && access == TopicAccess::kSubscribe) v.listening = std::move(device);
    return v;
  }
  return v;
}

}  // namespace ota
