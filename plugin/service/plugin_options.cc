#include "service/plugin_options.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <functional>
#include <map>

#include "dialects/registry.h"

namespace ota {
namespace {

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t comma = s.find(',');
    std::string item = trim(s.substr(0, comma));
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<int64_t> parse_int(std::string_view s, int64_t min, int64_t max) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) {
    return std::nullopt;
  }
  return v;
}

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
  if (s == "false" || s == "no" || s == "off" || s == "0") return false;
  return std::nullopt;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

std::string PluginOptions::describe() const {
  return "db_path=" + db_path + " admins=" + (admins.empty() ? "(none)" : join(admins)) +
         " default_dialect=" + default_dialect + " dialects=" + (dialects.empty() ? default_dialect : join(dialects)) +
         " acl_default=" + (acl_allow_others ? "allow" : "defer") +
         " device_identity=" + device_identity.describe() + " aliyun_code=" + aliyun_code +
         " thingspanel_product=" + dialect.thingspanel_product +
         " ctwing_product=" + dialect.ctwing_product + " ctwing_identity=" +
         (dialect.ctwing_identity == IdentitySource::kUsername ? "username" : "clientid") +
         " sys_interval=" + std::to_string(sys_interval_s) +
         " max_payload_bytes=" + std::to_string(max_payload_bytes) +
         " auto_register=" + (auto_register ? "true" : "false") +
         " default_timeout=" + std::to_string(default_timeout_s) +
         " db_map_size_mb=" + std::to_string(db_map_size_mb) +
         " cache_devices=" + std::to_string(cache_devices) +
         " commit_interval_ms=" + std::to_string(commit_interval_ms) +
         " sync_interval_ms=" + std::to_string(sync_interval_ms) +
         " consume_device_messages=" + (consume_device_messages ? "true" : "false") +
         " living_app=" + (living_app ? "true" : "false") + " living_app_identity=" +
         (living_app_identity == IdentitySource::kClientId ? "clientid" : "username") +
         " firmware_dir=" + (firmware_dir.empty() ? "(none)" : firmware_dir) +
         " http_listen=" + (http_listen.empty() ? "(off)" : http_listen) +
         " http_public_url=" + (http_public_url.empty() ? "(none)" : http_public_url) +
         " http_tls=" + (http_tls_cert.empty() ? "off" : "on") +
         " url_expiry=" + std::to_string(url_expiry_s) +
         " mqtt_block_max_bytes=" + std::to_string(mqtt_block_max_bytes) +
         " upload_expiry_s=" + std::to_string(upload_expiry_s) +
         " metrics_listen=" + (metrics_listen.empty() ? "(off)" : metrics_listen) +
         " metrics_refresh_ms=" + std::to_string(metrics_refresh_ms);
}

Result<PluginOptions> parse_plugin_options(
    const std::vector<std::pair<std::string, std::string>>& pairs) {
  PluginOptions o;
  std::optional<bool> living_app;  // unset: on when a dialect serves the app
  // Each setter returns an error text, empty when the value was accepted.
  auto integer = [](int64_t min, int64_t max, auto store) {
    return [=](const std::string& v) -> std::string {
      std::optional<int64_t> n = parse_int(v, min, max);
      if (!n) {
        return "must be an integer from " + std::to_string(min) + " to " +
               std::to_string(max);
      }
      store(*n);
      return "";
    };
  };
  auto boolean = [](auto store) {
    return [=](const std::string& v) -> std::string {
      std::optional<bool> b = parse_bool(v);
      if (!b) return "must be true or false";
      store(*b);
      return "";
    };
  };
  const std::map<std::string, std::function<std::string(const std::string&)>> setters = {
      {"db_path", [&](const std::string& v) { o.db_path = v; return std::string(); }},
      {"admins", [&](const std::string& v) { o.admins = split_list(v); return std::string(); }},
      {"admin_client_ids",
       [&](const std::string&) -> std::string {
         return "was removed: mosquitto does not authenticate client ids, so anyone could "
                "claim an admin's; name admins by username in plugin_opt_admins (a password "
                "file, dynamic security or use_identity_as_username authenticates them)";
       }},
      {"dialects",
       [&](const std::string& v) -> std::string {
         o.dialects = split_list(v);
         for (const std::string& d : o.dialects) {
           if (!make_dialect(d, DialectOptions{})) return "names an unknown dialect '" + d + "'";
         }
         return "";
       }},
      {"acl_default",
       [&](const std::string& v) -> std::string {
         if (v == "auto") o.acl_default = AclDefault::kAuto;
         else if (v == "allow") o.acl_default = AclDefault::kAllow;
         else if (v == "defer") o.acl_default = AclDefault::kDefer;
         else return "must be auto, allow or defer";
         // As stated until the broker's configuration is checked at start.
         o.acl_allow_others = o.acl_default == AclDefault::kAllow;
         return "";
       }},
      {"device_identity",
       [&](const std::string& v) -> std::string {
         Result<IdentityChoice> choice = IdentityChoice::parse(v);
         if (!choice) return choice.error();
         o.device_identity = std::move(choice.value());
         return "";
       }},
      {"default_dialect",
       [&](const std::string& v) -> std::string {
         if (!make_dialect(v, DialectOptions{})) {
           std::string known;
           for (std::string_view n : dialect_names()) known += (known.empty() ? "" : ", ") + std::string(n);
           return "must be one of: " + known;
         }
         o.default_dialect = v;
         return "";
       }},
      {"aliyun_code",
       [&](const std::string& v) -> std::string {
         if (v.empty()) return "must not be empty";
         o.aliyun_code = v;
         return "";
       }},
      {"thingspanel_product",
       [&](const std::string& v) -> std::string {
         if (v.empty() || v.find_first_of("/+#") != std::string::npos) return "must be a product name";
         o.dialect.thingspanel_product = v;
         return "";
       }},
      {"ctwing_product",
       [&](const std::string& v) -> std::string {
         if (v.empty() || v.find_first_of("/+#") != std::string::npos) return "must be a product name";
         o.dialect.ctwing_product = v;
         return "";
       }},
      {"ctwing_identity",
       [&](const std::string& v) -> std::string {
         if (v == "clientid") o.dialect.ctwing_identity = IdentitySource::kClientId;
         else if (v == "username") o.dialect.ctwing_identity = IdentitySource::kUsername;
         else return "must be clientid or username";
         return "";
       }},
      {"firmware_dir", [&](const std::string& v) { o.firmware_dir = v; return std::string(); }},
      {"http_listen", [&](const std::string& v) { o.http_listen = v; return std::string(); }},
      {"http_public_url",
       [&](const std::string& v) -> std::string {
         if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
           return "must start with http:// or https://";
         }
         o.http_public_url = v;
         return "";
       }},
      {"url_secret_file", [&](const std::string& v) { o.url_secret_file = v; return std::string(); }},
      {"http_tls_cert", [&](const std::string& v) { o.http_tls_cert = v; return std::string(); }},
      {"http_tls_key", [&](const std::string& v) { o.http_tls_key = v; return std::string(); }},
      {"http_library", [&](const std::string& v) { o.http_library = v; return std::string(); }},
      {"url_expiry", integer(60, 30LL * 86400, [&](int64_t n) { o.url_expiry_s = n; })},
      {"http_max_connections", integer(1, 100000, [&](int64_t n) { o.http_max_connections = n; })},
      {"http_idle_timeout", integer(1, 3600, [&](int64_t n) { o.http_idle_timeout_s = n; })},
      {"http_max_connections_per_address",
       integer(1, 100000, [&](int64_t n) { o.http_max_connections_per_address = n; })},
      {"http_header_timeout", integer(1, 3600, [&](int64_t n) { o.http_header_timeout_s = n; })},
      {"max_resends", integer(0, 1000, [&](int64_t n) { o.max_resends = n; })},
      {"mqtt_block_max_bytes",
       integer(64, 4 << 20, [&](int64_t n) { o.mqtt_block_max_bytes = n; })},
      {"upload_expiry",
       integer(0, 365LL * 86400, [&](int64_t n) { o.upload_expiry_s = n; })},
      {"sys_interval", integer(0, 86400, [&](int64_t n) { o.sys_interval_s = n; })},
      {"max_payload_bytes", integer(256, 1 << 24, [&](int64_t n) { o.max_payload_bytes = n; })},
      {"auto_register", boolean([&](bool b) { o.auto_register = b; })},
      {"default_timeout", integer(1, 30LL * 86400, [&](int64_t n) { o.default_timeout_s = n; })},
      {"db_map_size_mb", integer(1, 1 << 22, [&](int64_t n) { o.db_map_size_mb = n; })},
      {"cache_devices", integer(0, 100'000'000, [&](int64_t n) { o.cache_devices = n; })},
      {"commit_interval_ms", integer(0, 10000, [&](int64_t n) { o.commit_interval_ms = n; })},
      {"sync_interval_ms", integer(0, 60000, [&](int64_t n) { o.sync_interval_ms = n; })},
      {"consume_device_messages", boolean([&](bool b) { o.consume_device_messages = b; })},
      {"living_app", boolean([&](bool b) { living_app = b; })},
      {"metrics_listen", [&](const std::string& v) { o.metrics_listen = v; return std::string(); }},
      {"metrics_refresh_ms",
       integer(100, 3'600'000, [&](int64_t n) { o.metrics_refresh_ms = n; })},
      {"living_app_identity",
       [&](const std::string& v) -> std::string {
         if (v == "username") o.living_app_identity = IdentitySource::kUsername;
         else if (v == "clientid") o.living_app_identity = IdentitySource::kClientId;
         else return "must be username or clientid";
         return "";
       }},
  };

  for (const auto& [raw_key, raw_value] : pairs) {
    const std::string value = trim(raw_value);
    auto setter = setters.find(raw_key);
    if (setter == setters.end()) {
      return Error{"unknown option plugin_opt_" + raw_key +
                   " (see docs/configuration.md)"};
    }
    std::string problem = setter->second(value);
    if (!problem.empty()) {
      return Error{"plugin_opt_" + raw_key + " '" + value + "' " + problem};
    }
  }
  if (o.db_path.empty()) {
    return Error{"plugin_opt_db_path is required: the directory of the OTA database"};
  }
  if (!o.http_listen.empty() && (o.firmware_dir.empty() || o.http_public_url.empty())) {
    return Error{"plugin_opt_http_listen needs plugin_opt_firmware_dir (what to serve) and "
                 "plugin_opt_http_public_url (the base URL devices are given)"};
  }
  if (!o.metrics_listen.empty() && o.metrics_listen == o.http_listen) {
    return Error{"plugin_opt_metrics_listen must differ from plugin_opt_http_listen: metrics "
                 "have their own listener, kept off the devices' download port"};
  }
  if (o.http_tls_cert.empty() != o.http_tls_key.empty()) {
    return Error{"plugin_opt_http_tls_cert and plugin_opt_http_tls_key go together"};
  }
  if (o.url_secret_file.empty()) o.url_secret_file = o.db_path + "/url-secret";
  // The app topics belong to a platform (Alibaba's Living) whose dialect
  // says so.
  bool app_platform_enabled = false;
  for (const std::string& name : o.dialects) {
    std::unique_ptr<Dialect> d = make_dialect(name, o.dialect);
    if (d && d->serves_living_app()) app_platform_enabled = true;
  }
  if (std::unique_ptr<Dialect> d = make_dialect(o.default_dialect, o.dialect)) {
    if (d->serves_living_app()) app_platform_enabled = true;
  }
  o.living_app = living_app.value_or(app_platform_enabled);
  return o;
}

}  // namespace ota
