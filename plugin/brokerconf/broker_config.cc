#include "brokerconf/broker_config.h"

namespace ota {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// mosquitto's own reading: '#' starts a comment line, the first word is
// the option, the rest of the line its value.
void scan_lines(std::string_view text, const std::function<void(std::string_view, std::string_view)>& on) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    line = trim(line);
    if (line.empty()) continue;
    const size_t space = line.find_first_of(" \t");
    const std::string_view key = line.substr(0, space);
    const std::string_view value =
        space == std::string_view::npos ? std::string_view() : trim(line.substr(space + 1));
    on(key, value);
  }
}

bool is_true(std::string_view v) { return v == "true"; }

}  // namespace

Result<BrokerConfig> read_broker_config(const std::string& path, const ReadText& read,
                                        const ListConfDir& list,
                                        const std::function<bool(std::string_view)>& is_self) {
  BrokerConfig config;
  config.path = path;
  bool self_found = false;
  std::string problem;
  std::function<void(const std::string&, int)> read_one = [&](const std::string& file, int level) {
    std::optional<std::string> text = read(file);
    if (!text) {
      if (problem.empty()) problem = "cannot read " + file;
      return;
    }
    scan_lines(*text, [&](std::string_view key, std::string_view value) {
      if (key == "acl_file" && !value.empty()) config.acl_file = true;
      else if (key == "password_file" && !value.empty()) config.password_file = true;
      else if ((key == "use_identity_as_username" || key == "use_subject_as_username") &&
               is_true(value)) {
        config.identity_from_certificates = true;
      } else if (key == "per_listener_settings") {
        config.per_listener_settings = is_true(value);
      } else if (key == "plugin" || key == "auth_plugin") {
        if (!self_found && is_self(value)) {
          self_found = true;
          config.self = config.plugins.size();
        }
        config.plugins.emplace_back(value);
      } else if (key == "include_dir" && level == 0) {
        std::optional<std::vector<std::string>> files = list(std::string(value));
        if (!files) {
          if (problem.empty()) problem = "cannot list include_dir " + std::string(value);
          return;
        }
        for (const std::string& f : *files) read_one(f, level + 1);
      }
    });
  };
  read_one(path, 0);
  if (!problem.empty()) return Error{problem};
  if (!self_found) config.self = config.plugins.size();
  return config;
}

std::optional<std::string> config_path_from_cmdline(std::string_view cmdline) {
  std::vector<std::string_view> args;
  while (!cmdline.empty()) {
    const size_t nul = cmdline.find('\0');
    args.push_back(cmdline.substr(0, nul));
    if (nul == std::string_view::npos) break;
    cmdline.remove_prefix(nul + 1);
  }
  std::optional<std::string> path;
  for (size_t i = 1; i + 1 < args.size(); ++i) {
    // mosquitto takes the last one given.
    if (args[i] == "-c" || args[i] == "--config-file") path = std::string(args[i + 1]);
  }
  return path;
}

bool is_dynamic_security(std::string_view plugin_path) {
  return plugin_path.find("mosquitto_dynamic_security") != std::string_view::npos;
}

Result<AclDecision> decide_acl_default(AclDefault stated, const BrokerConfig* config,
                                       const std::string& unreadable_why) {
  const char* choose =
      "set plugin_opt_acl_default allow (no acl_file and no other ACL plugin) or defer "
      "(acl_file or an ACL plugin decides topics other than the plugin's)";
  if (!config) {
    if (stated == AclDefault::kAuto) {
      return Error{"cannot tell whether the broker has other ACLs (" + unreadable_why + "): " +
                   choose};
    }
    return AclDecision{stated == AclDefault::kAllow,
                       std::string("plugin_opt_acl_default ") +
                           (stated == AclDefault::kAllow ? "allow" : "defer") +
                           " (the broker's configuration could not be read: " + unreadable_why + ")"};
  }
  if (config->per_listener_settings) {
    return Error{"per_listener_settings true: mosquitto 2.0.11 then never runs the plugin's "
                 "periodic work; set per_listener_settings false"};
  }
  std::vector<std::string> acl_plugins, unknown_plugins;
  for (size_t i = 0; i < config->plugins.size(); ++i) {
    if (i == config->self) continue;
    const std::string& p = config->plugins[i];
    if (is_dynamic_security(p)) {
      if (i < config->self) {
        return Error{"load the OTA plugin before " + p +
                     ": the first plugin to answer an access check decides it, so the OTA "
                     "plugin's own checks ($CONTROL/ota admins, device topics) would not run"};
      }
      acl_plugins.push_back(p);
    } else {
      unknown_plugins.push_back(p);
    }
  }
  const bool others = config->acl_file || !acl_plugins.empty();
  std::string what;
  if (config->acl_file) what = "acl_file";
  for (const std::string& p : acl_plugins) what += (what.empty() ? "" : ", ") + p;
  switch (stated) {
    case AclDefault::kAllow:
      if (others) {
        return Error{"plugin_opt_acl_default allow would bypass " + what +
                     " for every topic: remove it (the plugin then defers to " + what + ")"};
      }
      return AclDecision{true, "plugin_opt_acl_default allow: no acl_file and no ACL plugin in " +
                                   config->path};
    case AclDefault::kDefer:
      if (!others && unknown_plugins.empty()) {
        return Error{"plugin_opt_acl_default defer without acl_file or another ACL plugin in " +
                     config->path + ": mosquitto would deny every topic but the OTA ones; "
                     "remove the option (the plugin then allows other topics, as mosquitto "
                     "does without the plugin)"};
      }
      return AclDecision{false, "plugin_opt_acl_default defer: " +
                                    (others ? what : "the ACL plugins the operator named") +
                                    " decide other topics"};
    case AclDefault::kAuto:
      break;
  }
  if (others) return AclDecision{false, what + " decide topics other than the OTA ones"};
  if (!unknown_plugins.empty()) {
    std::string names;
    for (const std::string& p : unknown_plugins) names += (names.empty() ? "" : ", ") + p;
    return Error{"cannot tell whether " + names + " checks ACLs: " + choose};
  }
  return AclDecision{true, "no acl_file and no ACL plugin in " + config->path +
                               ": topics other than the OTA ones are allowed, as without the plugin"};
}

}  // namespace ota
