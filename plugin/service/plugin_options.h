// The plugin's configuration: `plugin_opt_<key> <value>` lines of
// mosquitto.conf, validated once at start. Every key is documented in
// docs/configuration.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "brokerconf/broker_config.h"
#include "dialects/identity_rule.h"
#include "dialects/registry.h"
#include "engine/model.h"
#include "engine/result.h"

namespace ota {

struct PluginOptions {
  std::string db_path;                  // required: the LMDB directory
  std::vector<std::string> admins;      // usernames allowed on $CONTROL/ota/#
  std::string default_dialect = std::string(kDefaultDialectName);
  std::vector<std::string> dialects;    // enabled besides default_dialect
  // ACL answer for topics that are not the plugin's, as stated ("auto":
  // decided from the broker's configuration at start, brokerconf/).
  AclDefault acl_default = AclDefault::kAuto;
  // The decided answer: allow (no other ACL configured) or defer.
  bool acl_allow_others = false;
  // Which connections speak for a device (plugin_opt_device_identity).
  IdentityChoice device_identity;
  std::string aliyun_code = "200";      // "200" SagooIOT, "1000" Alibaba
  DialectOptions dialect;               // thingspanel/ctwing product, identity
  int64_t sys_interval_s = 10;          // 0 disables $SYS/broker/ota/#
  size_t max_payload_bytes = 16384;     // larger device messages are rejected
  bool auto_register = true;            // version reports register devices
  int64_t default_timeout_s = 3600;     // per-device task timeout
  size_t db_map_size_mb = 1024;         // LMDB map size (upper bound on disk)
  size_t cache_devices = 65536;         // devices (and tasks) kept decoded in memory
  int64_t commit_interval_ms = 100;     // see docs/decisions.md "durability"
  int64_t sync_interval_ms = 1000;
  bool consume_device_messages = false; // stop OTA messages at the plugin
  // The Living app topics (/living/ota/...); default: on when an enabled
  // dialect serves the Living app (Dialect::serves_living_app). Apps are known by their username or client id.
  bool living_app = true;
  IdentitySource living_app_identity = IdentitySource::kUsername;

  // Firmware delivery (docs/configuration.md "Firmware delivery").
  std::string firmware_dir;        // the firmware store; empty: no uploads
  std::string http_listen;         // host:port of the download server
  std::string http_public_url;     // base URL devices are given
  std::string url_secret_file;     // HMAC secret; default <db_path>/url-secret
  std::string http_tls_cert;       // both set: HTTPS
  std::string http_tls_key;
  std::string http_library;        // default: beside the plugin
  int64_t url_expiry_s = 86400;    // signed URLs stay valid this long
  int64_t http_max_connections = 256;
  int64_t http_idle_timeout_s = 60;
  int64_t http_max_connections_per_address = 32;
  int64_t http_header_timeout_s = 10;
  int64_t max_resends = 20;  // re-sent notifications per attempt (engine)
  // Largest block a device may ask for over MQTT (Alibaba's file/download).
  int64_t mqtt_block_max_bytes = 65536;
  // An upload that received nothing this long is aborted (its partial file
  // removed), checked once a minute; 0 keeps abandoned uploads.
  int64_t upload_expiry_s = 86400;

  // Prometheus metrics (docs/metrics.md): host:port of the /metrics
  // listener, empty: off; the exposition is re-rendered this often.
  std::string metrics_listen;
  int64_t metrics_refresh_ms = 1000;

  // One line for the start-up log.
  std::string describe() const;
};

// Parses key/value pairs (keys without the `plugin_opt_` prefix). Unknown
// keys and bad values are errors, so a typo stops the broker at start
// instead of running half-configured.
Result<PluginOptions> parse_plugin_options(
    const std::vector<std::pair<std::string, std::string>>& pairs);

}  // namespace ota
