#include "service/access_policy.h"

#include "app/living_codec.h"

namespace ota {

bool AccessPolicy::is_admin(const ClientInfo& client) const {
  for (const std::string& admin : options_.admins) {
    if (!client.username.empty() && client.username == admin) return true;
  }
  for (const std::string& id : options_.admin_client_ids) {
    if (!client.client_id.empty() && client.client_id == id) return true;
  }
  return false;
}

std::string AccessPolicy::identity_problem(const DeviceKey& key,
                                           const ClientInfo& client) const {
  if (options_.device_identity == IdentitySource::kTopic) return "";
  const bool by_client_id = options_.device_identity == IdentitySource::kClientId;
  const std::string_view who = by_client_id ? client.client_id : client.username;
  if (who == key.device || who == key.device + "&" + key.product) return "";
  return std::string(by_client_id ? "client id '" : "username '") + std::string(who) +
         "' may not speak for device " + key.device + " of product " + key.product +
         " (plugin_opt_device_identity)";
}

std::optional<AclVerdict> AccessPolicy::control_verdict(std::string_view topic, AclAccess access,
                                                        const ClientInfo& client) const {
  if (!topic.starts_with("$CONTROL/ota/")) return std::nullopt;
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
