// Which device a broker connection speaks for (docs/security.md "Device
// identity"). A rule is a list of patterns over the connection's MQTT
// username and client id, such as Alibaba's SDK's username "{dn}&{pk}" or
// Tencent's client id "{pk}{dn}". A connection speaks for a device when a
// pattern, with the device's product and name put in, matches.
//
// Authenticated identity first: when the rule has username patterns and the
// connection has a username, only the username decides (a password file,
// dynamic security or use_identity_as_username vouch for it; nothing vouches
// for a client id). The client-id patterns decide for connections without a
// username, and for every connection when the rule has no username
// patterns.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/model.h"
#include "engine/result.h"

namespace ota {

// One pattern: "{pk}" (the product), "{dn}" (the device name), "*" (any
// run of characters, also none); every other character stands for itself.
class IdentityPattern {
 public:
  // An Error when the text names no "{dn}", or has an unknown "{...}".
  static Result<IdentityPattern> parse(std::string_view text);

  bool matches(std::string_view value, const DeviceKey& device) const;
  // Whether the pattern names the product ("{pk}"): a pattern without it
  // binds a name in every product, which suits single-product dialects only.
  bool names_product() const { return names_product_; }
  const std::string& text() const { return text_; }

 private:
  enum class Kind { kLiteral, kProduct, kDevice, kAny };
  struct Piece {
    Kind kind;
    std::string literal;  // kLiteral only
  };
  bool match_from(size_t piece, std::string_view rest, const DeviceKey& device) const;

  std::string text_;
  std::vector<Piece> pieces_;
  bool names_product_ = false;
  // What the value's length must be (at least, with a wildcard): most
  // patterns that do not match are told by the length alone.
  size_t literal_bytes_ = 0;
  size_t product_pieces_ = 0;
  size_t device_pieces_ = 0;
  bool has_wildcard_ = false;
};

// Who published or subscribed: the connection's MQTT identity, as the
// broker has it. Dialects whose topics do not name the device (CTWing) take
// its name from here.
struct DeviceConnection {
  std::string_view client_id;
  std::string_view username;
};

class IdentityRule {
 public:
  // No patterns: nobody speaks for any device (see `open` for demos).
  IdentityRule() = default;
  IdentityRule(std::vector<IdentityPattern> username, std::vector<IdentityPattern> client_id)
      : username_(std::move(username)), client_id_(std::move(client_id)) {}
  // Every connection speaks for every device: plugin_opt_device_identity
  // none, for demos with mosquitto_pub.
  static IdentityRule open();
  // A comma-separated list of "username:<pattern>" and "clientid:<pattern>",
  // e.g. "username:{dn}&{pk},clientid:{pk}.{dn}|*".
  static Result<IdentityRule> parse(std::string_view spec);
  // Built from pattern texts known to be valid (the dialects' own rules).
  static IdentityRule of(std::initializer_list<std::string_view> username,
                         std::initializer_list<std::string_view> client_id);

  bool speaks_for(const DeviceConnection& from, const DeviceKey& device) const;
  bool is_open() const { return open_; }
  // Only the username patterns, or only the client-id ones
  // (plugin_opt_device_identity username / clientid).
  IdentityRule usernames_only() const { return IdentityRule(username_, {}); }
  IdentityRule client_ids_only() const { return IdentityRule({}, client_id_); }
  bool trusts_client_ids() const { return !client_id_.empty(); }
  // Whether a username, when a connection has one, decides alone.
  bool decides_by_username() const { return !username_.empty(); }
  // "username:{dn}&{pk},clientid:{pk}.{dn}|*", "none" or "(nobody)".
  std::string describe() const;

 private:
  std::vector<IdentityPattern> username_;
  std::vector<IdentityPattern> client_id_;
  bool open_ = false;
};

// plugin_opt_device_identity: which rule each dialect applies.
struct IdentityChoice {
  enum class Kind {
    kSdk,       // each dialect's SDK convention (Dialect::sdk_identity)
    kUsername,  // ... its username patterns only
    kClientId,  // ... its client-id patterns only (unauthenticated)
    kCustom,    // `custom` for every dialect
    kNone,      // anyone speaks for any device (demos)
  };
  Kind kind = Kind::kSdk;
  IdentityRule custom;

  // "sdk", "username", "clientid", "none", or a pattern list.
  static Result<IdentityChoice> parse(std::string_view value);
  // The rule for a dialect whose SDK convention is `sdk`.
  IdentityRule rule_given(const IdentityRule& sdk) const;
  // Whether a client id can make an authenticated connection a device's.
  bool trusts_client_ids() const;
  std::string describe() const;
};

}  // namespace ota
