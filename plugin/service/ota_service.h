// The OTA service as the broker sees it: device messages, subscriptions and
// control commands in, messages to publish out. It composes the store, the
// engine, the dialects and the control API, and owns the durability rule:
//
//   Everything that happens during one broker loop iteration is one LMDB
//   write transaction. flush() (called from the broker's TICK) runs due
//   work, commits, and only then hands back the messages to publish. A
//   batch that causes messages is synced to disk before they leave; a batch
//   that causes none (plain version reports) is synced within
//   sync_interval_ms. See docs/decisions.md.
//
// No mosquitto headers here: plugin/broker/ adapts this to the plugin API,
// and tests drive it directly.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dialects/dialect.h"
#include "engine/engine.h"
#include "service/device_presence.h"
#include "service/plugin_options.h"

namespace ota {

class LivingApp;
class LmdbStore;
class FirmwareStore;
class HttpServer;
class UrlSigner;

// Who sent a message. `handle` identifies the connection (mosquitto's
// struct mosquitto*), which outlives a client id taken over by a reconnect.
struct ClientInfo {
  const void* handle = nullptr;
  std::string_view client_id;
  std::string_view username;
};

enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError };
using Logger = std::function<void(LogLevel, const std::string&)>;

// What the broker should do with a client's PUBLISH after the plugin read it.
enum class MessageVerdict { kPass, kDrop };

enum class AclAccess { kRead, kWrite, kSubscribe, kUnsubscribe };
enum class AclVerdict { kAllow, kDeny, kDefer };

struct ServiceCounters {
  uint64_t messages_received = 0;   // OTA device messages seen
  uint64_t messages_rejected = 0;   // malformed, oversized, unknown device, spoofed
  uint64_t notifications_sent = 0;
  uint64_t control_commands = 0;
  uint64_t control_errors = 0;
  uint64_t control_refused = 0;     // $CONTROL/ota access denied to non-admins
  uint64_t store_errors = 0;        // batches lost to a storage failure
  uint64_t store_syncs = 0;         // durable commits (fsync) of batches
  uint64_t downloads_completed = 0; // HTTP responses or MQTT blocks that reached the file's end
  uint64_t download_bytes = 0;      // bytes served over HTTP and MQTT
};

class OtaService {
 public:
  // Opens the database; an Error says why the plugin cannot start.
  static Result<std::unique_ptr<OtaService>> open(const PluginOptions& options,
                                                  Logger logger);
  ~OtaService();

  MessageVerdict on_message(std::string_view topic, std::string_view payload,
                            const ClientInfo& client, TimeMs now);
  void on_control(std::string_view payload, const ClientInfo& client, TimeMs now);
  // Every access check of the broker: guards $CONTROL/ota, learns presence
  // from subscriptions, and answers for other topics per acl_default.
  AclVerdict on_acl_check(std::string_view topic, AclAccess access,
                          const ClientInfo& client, TimeMs now);
  void on_disconnect(const void* handle);

  // Once per broker loop iteration: runs due work, commits the batch and
  // returns what to publish now (notifications, replies, $SYS).
  std::vector<OutboundMessage> flush(TimeMs now);
  // Commits and syncs whatever is pending, stops the download server
  // (broker shutdown).
  void close();
  // The download server's port (0 when it is off), for logs and tests.
  int http_port() const;

  const ServiceCounters& counters() const { return counters_; }
  bool is_online(const DeviceKey& key) const { return presence_.is_online(key); }

 private:
  OtaService(const PluginOptions& options, Logger logger,
             std::unique_ptr<LmdbStore> store);
  std::string download_url(const Notification& n, TimeMs now) const;
  // Fills in how the device gets the bytes (a signed URL for an uploaded
  // package over HTTPS); false, logged, when it cannot be told.
  bool resolve_delivery(Notification& n, const ProductConfig& config);
  void drain_http_events();
  // Bytes served to `device` of `package`, into the service's counters and
  // the device's active job's (when it is for that package).
  void count_download(const DeviceKey& device, std::string_view package, uint64_t bytes,
                      bool reached_end);
  // Alibaba's MQTT block download (block_download.cc): reads and answers one
  // /sys/{pk}/{dn}/thing/file/download request.
  MessageVerdict on_block_request(const DeviceKey& device, std::string_view topic,
                                  std::string_view payload, const ClientInfo& client,
                                  TimeMs now);
  bool is_admin(const ClientInfo& client) const;
  std::string identity_problem(const DeviceEvent& event, const ClientInfo& client) const;
  void handle_event(const Dialect& dialect, ParseOutcome& parsed, std::string_view topic,
                    const ClientInfo& client, TimeMs now);
  // A request on a Living app topic (plugin/app/), answered to its client.
  void handle_app_request(std::string_view topic, std::string_view payload,
                          const ClientInfo& client, TimeMs now);
  void reject(std::string_view topic, const ClientInfo& client,
              const std::string& reason, TimeMs now);
  void queue_notifications(Outbox& out);
  void lose_batch(const std::exception& e);
  void append_sys_messages(TimeMs now, std::vector<OutboundMessage>& out);
  const Dialect* dialect_named(std::string_view name) const;
  // The product's configuration with its defaults resolved.
  ProductConfig product_config(const std::string& product);

  PluginOptions options_;
  Logger log_;
  std::unique_ptr<LmdbStore> store_;
  std::unique_ptr<FirmwareStore> firmware_;
  std::unique_ptr<UrlSigner> signer_;
  std::unique_ptr<HttpServer> http_;
  DevicePresence presence_;
  std::unique_ptr<Engine> engine_;
  std::vector<std::unique_ptr<Dialect>> dialects_;  // enabled; [0] is the default
  std::unique_ptr<LivingApp> living_;  // null: plugin_opt_living_app false
  std::vector<OutboundMessage> pending_;  // leaves after the next commit
  // Replies that record no state (MQTT firmware blocks): they leave with
  // the next flush without making its commit a synced one.
  std::vector<OutboundMessage> pending_stateless_;
  std::set<std::pair<DeviceKey, JobId>> notified_in_batch_;
  ServiceCounters counters_;
  TimeMs last_sync_ = 0;
  bool unsynced_ = false;
  TimeMs next_sys_ = 0;
  std::set<JobId> sys_jobs_;   // jobs whose counts are retained under $SYS
  TimeMs log_window_ = 0;      // rejection log lines are rate-limited
  uint32_t log_lines_ = 0;
  uint64_t log_suppressed_ = 0;
};

}  // namespace ota
