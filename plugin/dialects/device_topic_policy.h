// What a client may do on device OTA topics, across the enabled dialects
// (docs/security.md "The rules"): who speaks for a device, which access
// checks of downstream topics to refuse, and which subscriptions show a
// device listening. Pure: the service asks it and keeps presence, counters
// and logs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dialects/dialect.h"
#include "dialects/identity_rule.h"

namespace ota {

enum class TopicAccess { kRead, kWrite, kSubscribe, kUnsubscribe };

struct TopicVerdict {
  enum class Kind {
    kNotOta,  // no dialect's device topic: the service's answer for others
    kPass,    // an OTA topic the client may use (defer to other ACLs, or allow)
    kRefuse,  // refused: `reason` says why (log it, count it)
  };
  Kind kind = Kind::kNotOta;
  std::string reason;
  // A subscription that shows this device listening on the connection.
  std::optional<DeviceKey> listening;

  bool refused() const { return kind == Kind::kRefuse; }
};

class DeviceTopicPolicy {
 public:
  // `dialects` are borrowed and outlive the policy.
  DeviceTopicPolicy(std::vector<const Dialect*> dialects, IdentityChoice choice);

  // Whether `topic` is a downstream topic of an enabled dialect (only the
  // plugin publishes there, and only its device reads it).
  bool is_downstream(std::string_view topic) const;
  // Whether the connection `from` speaks for `device` in `dialect`.
  bool speaks_for(const Dialect& dialect, const DeviceConnection& from,
                  const DeviceKey& device) const;
  // One line for a rejection: why `from` may not speak for `device`.
  std::string not_the_device(const Dialect& dialect, const DeviceConnection& from,
                             const DeviceKey& device) const;

  // An access check of `topic` (a filter for (un)subscribe, with
  // "$share/<group>/" allowed) by `from`.
  TopicVerdict check(std::string_view topic, TopicAccess access,
                     const DeviceConnection& from) const;

  const IdentityChoice& choice() const { return choice_; }

 private:
  struct Entry {
    const Dialect* dialect;
    IdentityRule rule;
  };
  const Entry* entry_of(const Dialect& dialect) const;

  std::vector<Entry> entries_;
  IdentityChoice choice_;
};

// "$share/<group>/<filter>" -> "<filter>"; anything else unchanged.
std::string_view strip_shared_prefix(std::string_view filter);

}  // namespace ota
