// The OTA service as the broker sees it: device messages, subscriptions and
// control commands in, messages to publish out. A thin composition of units,
// each in its own file (docs/decisions.md "service structure"):
//
//   access_policy        who may do what (admins, device identity, ACL)
//   message_router       what clients publish and subscribe to, routed
//   device_outbox        the one path of every message to a device
//   batch_committer      one transaction per loop iteration; sync before publish
//   block_download_server  MQTT firmware blocks
//   download_accounting  download figures (HTTP events, MQTT blocks)
//   download_links       signed URLs of uploaded packages
//   monitoring           counters and $SYS figures
//   metrics_exporter     the same figures and timings for Prometheus
//   dialect_set          the enabled dialects, product configs resolved
//   device_presence      which devices are reachable now
//   log_throttle         rate-limited rejection log lines
//   upload_expiry        abandoned uploads aborted on a timer
//
// Durability rule (batch_committer.h): everything that happens during one
// broker loop iteration is one store transaction; flush() (the broker's
// TICK) runs due work, commits, and only then hands back what to publish.
//
// No mosquitto headers here: plugin/broker/ adapts this to the plugin API,
// and tests drive it directly. The concrete store and delivery parts come
// in through ServiceParts (assembly/service_assembly.h opens them).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "dialects/dialect.h"
#include "engine/engine.h"
#include "engine/transaction.h"
#include "service/access_policy.h"
#include "service/batch_committer.h"
#include "service/block_download_server.h"
#include "service/broker_types.h"
#include "service/device_outbox.h"
#include "service/device_presence.h"
#include "service/dialect_set.h"
#include "service/download_accounting.h"
#include "service/download_links.h"
#include "service/log_throttle.h"
#include "service/message_router.h"
#include "service/metrics_exporter.h"
#include "service/monitoring.h"
#include "service/plugin_options.h"
#include "service/upload_expiry.h"

namespace ota {

class LivingApp;
class FirmwareStore;
class HttpServer;
class UrlSigner;

// What the service is built from; assembly/service_assembly.h opens them
// from the options (the one composition root), tests hand in their own.
struct ServiceParts {
  // Out of line: the delivery types are incomplete here.
  ServiceParts();
  ServiceParts(ServiceParts&&) noexcept;
  ServiceParts& operator=(ServiceParts&&) noexcept;
  ~ServiceParts();

  std::unique_ptr<TransactionalStore> store;  // required
  std::unique_ptr<FirmwareStore> firmware;    // null: no plugin_opt_firmware_dir
  std::unique_ptr<UrlSigner> signer;          // null: no plugin_opt_http_public_url
  std::unique_ptr<HttpServer> http;           // null: no plugin_opt_http_listen
  // Prometheus metrics: the snapshot the metrics listener serves (null:
  // no plugin_opt_metrics_listen), the listener, and the clock timings use.
  std::shared_ptr<MetricsSnapshot> metrics;
  std::unique_ptr<HttpServer> metrics_http;
  MonotonicClock clock = monotonic_ns;
};

class OtaService {
 public:
  OtaService(const PluginOptions& options, Logger logger, ServiceParts parts);
  ~OtaService();

  MessageVerdict on_message(std::string_view topic, std::string_view payload,
                            const ClientInfo& client, TimeMs now);
  void on_control(std::string_view payload, const ClientInfo& client, TimeMs now);
  // Every access check of the broker: guards $CONTROL/ota, learns presence
  // from subscriptions, and answers for other topics per acl_default.
  AclVerdict on_acl_check(std::string_view topic, AclAccess access,
                          const ClientInfo& client, TimeMs now);
  // The answer of on_acl_check when the topic alone decides (most publishes
  // and deliveries): the broker glue then reads no client.
  std::optional<AclVerdict> acl_by_topic(std::string_view topic, AclAccess access) const {
    return access_.topic_verdict(topic, access);
  }
  void on_disconnect(const void* handle);

  // Once per broker loop iteration: runs due work, commits the batch and
  // returns what to publish now (notifications, replies, $SYS).
  std::vector<OutboundMessage> flush(TimeMs now);
  // Commits and syncs whatever is pending, stops the download server
  // (broker shutdown).
  void close();
  // The download server's port (0 when it is off), for logs and tests.
  int http_port() const;
  // The metrics listener's port (0 when it is off).
  int metrics_port() const;

  const ServiceCounters& counters() const { return counters_; }
  bool is_online(const DeviceKey& key) const { return presence_.is_online(key); }

 private:
  // $SYS messages and the metrics snapshot, when due: one read of the
  // figures for both.
  void report_figures(TimeMs now, std::vector<OutboundMessage>& out);
  MonitoringFigures read_figures();
  // The metrics listener's warnings, into the broker log.
  void log_metrics_listener_events();

  // Declaration order is construction order: parts first, then the units
  // that refer to them.
  PluginOptions options_;
  Logger log_;
  ServiceCounters counters_;
  std::unique_ptr<TransactionalStore> store_;
  std::unique_ptr<FirmwareStore> firmware_;
  std::unique_ptr<UrlSigner> signer_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<HttpServer> metrics_http_;
  DevicePresence presence_;
  DialectSet dialects_;
  Engine engine_;
  AccessPolicy access_;
  RejectionLog rejections_;
  RejectionLog refusals_;  // device OTA topic accesses
  BatchCommitter batch_;
  TimeMs last_flush_at_ = -1;  // the millisecond of the last full flush()
  DownloadLinks links_;
  DeviceOutbox outbox_;
  DownloadAccounting downloads_;
  std::unique_ptr<LivingApp> living_;               // null: plugin_opt_living_app false
  std::unique_ptr<BlockDownloadServer> blocks_;     // null: no dialect offers it
  MessageRouter router_;
  SysPublisher sys_;
  std::unique_ptr<MetricsExporter> metrics_;  // null: metrics off
  UploadExpiry upload_expiry_;
};

}  // namespace ota
