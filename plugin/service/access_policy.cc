#include "service/access_policy.h"

#include "app/living_codec.h"

namespace ota {
namespace {
constexpr std::string_view kControlPrefix = "$CONTROL/ota/";
}  // namespace

bool AccessPolicy::is_admin(const ClientInfo& client) const {
  for (const std::string& admin : options_.admins) {
    if (!client.username.empty() && client.username == admin) return true;
  }
  return false;
}

std::string AccessPolicy::identity_problem(const Dialect& dialect, const DeviceKey& key,
                                           const ClientInfo& client) const {
  const DeviceConnection from{client.client_id, client.username};
  if (devices_.speaks_for(dialect, from, key)) return "";
  return devices_.not_the_device(dialect, from, key);
}

TopicVerdict AccessPolicy::device_verdict(std::string_view topic, AclAccess access,
                                          const ClientInfo& client) const {
  TopicAccess a = TopicAccess::kRead;
  switch (access) {
    case AclAccess::kRead: a = TopicAccess::kRead; break;
    case AclAccess::kWrite: a = TopicAccess::kWrite; break;
    case AclAccess::kSubscribe: a = TopicAccess::kSubscribe; break;
    case AclAccess::kUnsubscribe: a = TopicAccess::kUnsubscribe; break;
  }
  return devices_.check(topic, a, {client.client_id, client.username});
}

std::optional<AclVerdict> AccessPolicy::topic_verdict(std::string_view topic,
                                                      AclAccess access) const {
  if (std::optional<AclVerdict> v = app_verdict(topic, access)) return v;
  if (topic.starts_with(kControlPrefix)) return std::nullopt;  // admins only
  // A subscription may show a device listening; a downstream topic is only
  // its device's.
  if (access == AclAccess::kSubscribe || access == AclAccess::kUnsubscribe) return std::nullopt;
  if (devices_.is_downstream(topic)) return std::nullopt;
  return other_topics_verdict();
}

std::optional<AclVerdict> AccessPolicy::control_verdict(std::string_view topic, AclAccess access,
                                                        const ClientInfo& client) const {
  if (!topic.starts_with(kControlPrefix)) return std::nullopt;
  // Whatever other ACLs say: the plugin answers before acl_file is read.
  if (access == AclAccess::kUnsubscribe || is_admin(client)) return AclVerdict::kAllow;
  return AclVerdict::kDeny;
}

std::optional<AclVerdict> AccessPolicy::app_verdict(std::string_view topic,
                                                    AclAccess access) const {
  if (!options_.living_app || !topic.starts_with(living::kTopicPrefix)) return std::nullopt;
  // Nobody publishes a reply or reads another app's request.
  const bool allowed = access == AclAccess::kUnsubscribe ||
      (access == AclAccess::kWrite ? living::op_of_topic(topic).has_value()
                                   : living::is_reply_topic(topic));
  return allowed ? AclVerdict::kAllow : AclVerdict::kDeny;
}

}  // namespace ota
