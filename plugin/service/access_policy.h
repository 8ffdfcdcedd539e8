// Who may do what (docs/security.md): the admin check for $CONTROL/ota, the
// identity check of device messages (plugin_opt_device_identity), the ACL
// answers for the plugin's own topics, and whose name a Living app request
// carries. Pure: no state beyond the options, no logging.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dialects/device_topic_policy.h"
#include "engine/model.h"
#include "service/broker_types.h"

namespace ota {

struct AccessOptions {
  std::vector<std::string> admins;  // usernames: mosquitto authenticates no client id
  IdentityChoice device_identity;   // who speaks for a device
  IdentitySource living_app_identity = IdentitySource::kUsername;
  bool living_app = false;       // the /living/ota/ topics are served
  bool acl_allow_others = false; // answer for other topics: allow, else defer
};

class AccessPolicy {
 public:
  // `dialects` (the enabled ones) are borrowed.
  AccessPolicy(AccessOptions options, std::vector<const Dialect*> dialects)
      : options_(std::move(options)),
        devices_(std::move(dialects), options_.device_identity) {}

  // An OTA admin: a listed username (never an empty one).
  bool is_admin(const ClientInfo& client) const;
  // Why `client` may not speak for `device` of `dialect` under
  // plugin_opt_device_identity (docs/security.md); empty when it may.
  std::string identity_problem(const Dialect& dialect, const DeviceKey& device,
                               const ClientInfo& client) const;
  // The access check of a device OTA topic (downstream topics are the
  // plugin's, and only the device's own connections read them); kNotOta
  // for other topics.
  TopicVerdict device_verdict(std::string_view topic, AclAccess access,
                              const ClientInfo& client) const;

  // The ACL answer for $CONTROL/ota/: admins only (unsubscribing is always
  // allowed); nullopt for other topics.
  std::optional<AclVerdict> control_verdict(std::string_view topic, AclAccess access,
                                            const ClientInfo& client) const;
  // The ACL answer for the Living app topics (when served): apps publish
  // requests and read replies, nothing else; nullopt for other topics.
  std::optional<AclVerdict> app_verdict(std::string_view topic, AclAccess access) const;
  // The answer when the topic alone decides, as for most publishes and
  // deliveries (app topics, and topics that are neither control nor
  // downstream device topics); nullopt when the client matters.
  std::optional<AclVerdict> topic_verdict(std::string_view topic, AclAccess access) const;
  // The answer for every topic that is not the plugin's.
  AclVerdict other_topics_verdict() const {
    return options_.acl_allow_others ? AclVerdict::kAllow : AclVerdict::kDefer;
  }

  // The user a Living app request speaks for (username or client id).
  std::string_view app_user(const ClientInfo& client) const {
    return options_.living_app_identity == IdentitySource::kClientId ? client.client_id
                                                                     : client.username;
  }

 private:
  AccessOptions options_;
  DeviceTopicPolicy devices_;
};

}  // namespace ota
