// What the broker around the plugin was configured with, read from its own
// configuration file: mosquitto 2.0.11 tells a plugin nothing about other
// ACLs, password files or plugins, yet the plugin's ACL answer for topics
// that are not its own is right only if it knows (DESIGN.md §9: once a
// plugin checks ACLs, an access every check defers is denied). See
// docs/security.md "Beside other ACLs" and docs/decisions.md.
//
// Pure parsing plus one decision function; reading the files goes through a
// callback, so the rules are unit-tested without a broker.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"

namespace ota {

struct BrokerConfig {
  std::string path;                   // the main file read
  bool acl_file = false;              // an acl_file is configured
  bool password_file = false;         // a password_file is configured
  bool identity_from_certificates = false;  // use_identity_as_username / _subject_
  bool per_listener_settings = false;
  // `plugin` / `auth_plugin` paths in load order, and where ours is
  // (plugins.size() when it was not found).
  std::vector<std::string> plugins;
  size_t self = 0;
};

// Reads a file's text; nullopt when it cannot be read.
using ReadText = std::function<std::optional<std::string>(const std::string& path)>;
// The *.conf files of a directory, sorted as mosquitto sorts them.
using ListConfDir = std::function<std::optional<std::vector<std::string>>(const std::string&)>;

// Parses the broker's configuration starting at `path`, following
// include_dir (from the main file only, as mosquitto does). `is_self`
// tells the plugin's own `plugin` line. An Error when a file cannot be read.
Result<BrokerConfig> read_broker_config(const std::string& path, const ReadText& read,
                                        const ListConfDir& list,
                                        const std::function<bool(std::string_view)>& is_self);

// The -c / --config-file argument of the broker's command line (the NUL-
// separated bytes of /proc/self/cmdline); nullopt when there is none.
std::optional<std::string> config_path_from_cmdline(std::string_view cmdline);

// The running broker's configuration: the -c file of /proc/self/cmdline,
// read from the file system; `self_path` is the plugin's own file (a
// `plugin` line naming the same file is ours). An Error says why it could
// not be read (no -c: mosquitto runs on its defaults without a file).
Result<BrokerConfig> read_running_broker_config(const std::string& self_path);

// Whether a `plugin` line loads mosquitto's dynamic-security plugin.
bool is_dynamic_security(std::string_view plugin_path);

enum class AclDefault { kAuto, kAllow, kDefer };

// The plugin's answer for topics that are not its own: allow (no other ACL
// is configured) or defer (acl_file or an ACL plugin decides).
struct AclDecision {
  bool allow_others = false;
  std::string reason;  // one line for the start-up log
};

// Decides plugin_opt_acl_default from what the broker is configured with
// (`config` null: the configuration could not be read). An Error, to stop
// the broker with, when the answer would be wrong or cannot be known:
// "allow" beside an acl_file or ACL plugin (it would bypass them), "defer"
// with no other ACL (mosquitto would deny every topic), an unknown plugin
// with "auto", the plugin loaded after an ACL plugin, per_listener_settings
// true, or "auto" without a readable configuration.
Result<AclDecision> decide_acl_default(AclDefault stated, const BrokerConfig* config,
                                       const std::string& unreadable_why);

}  // namespace ota
