#include "service/ota_service.h"

#include "app/living_app.h"
#include "control/control_api.h"
#include "delivery/firmware_store.h"
#include "delivery/http_loader.h"
#include "delivery/signed_url.h"

namespace ota {
namespace {

EngineOptions engine_options(const PluginOptions& options, const DialectSet& dialects) {
  EngineOptions e;
  e.auto_register = options.auto_register;
  e.default_timeout_s = options.default_timeout_s;
  e.max_resends = static_cast<uint32_t>(options.max_resends);
  // Products that belong to one dialect by construction get that dialect's
  // rules until configured otherwise (ThingsPanel: success on progress 100).
  e.product_defaults = [&dialects](const std::string& product) {
    return dialects.product_defaults(product);
  };
  return e;
}

AccessOptions access_options(const PluginOptions& o) {
  return {o.admins, o.device_identity, o.living_app_identity, o.living_app, o.acl_allow_others};
}

std::vector<const Dialect*> dialect_pointers(const DialectSet& dialects) {
  std::vector<const Dialect*> out;
  for (const auto& d : dialects.all()) out.push_back(d.get());
  return out;
}

}  // namespace

ServiceParts::ServiceParts() = default;
ServiceParts::ServiceParts(ServiceParts&&) noexcept = default;
ServiceParts& ServiceParts::operator=(ServiceParts&&) noexcept = default;
ServiceParts::~ServiceParts() = default;

OtaService::OtaService(const PluginOptions& options, Logger logger, ServiceParts parts)
    : options_(options),
      log_(std::move(logger)),
      store_(std::move(parts.store)),
      firmware_(std::move(parts.firmware)),
      signer_(std::move(parts.signer)),
      http_(std::move(parts.http)),
      metrics_http_(std::move(parts.metrics_http)),
      dialects_(options.default_dialect, options.dialects, options.dialect, options.aliyun_code),
      engine_(*store_, engine_options(options, dialects_), &presence_),
      access_(access_options(options), dialect_pointers(dialects_)),
      rejections_(log_, counters_.messages_rejected),
      refusals_(log_, counters_.access_refused, "access"),
      batch_(*store_, options.commit_interval_ms, options.sync_interval_ms, counters_, log_,
             [this] { engine_.invalidate_caches(); }),
      links_(signer_.get(), options.http_public_url, options.url_expiry_s, log_),
      outbox_(batch_, presence_, dialects_, links_, engine_, log_),
      downloads_(engine_, *store_, http_.get(), counters_, log_),
      living_(options.living_app ? std::make_unique<LivingApp>(engine_, *store_) : nullptr),
      blocks_(dialects_.block_download_dialect()
                  ? std::make_unique<BlockDownloadServer>(
                        BlockDownloadOptions{options.max_payload_bytes,
                                             options.mqtt_block_max_bytes,
                                             options.consume_device_messages},
                        *dialects_.block_download_dialect(), engine_, firmware_.get(), access_,
                        dialects_, outbox_, batch_, downloads_, counters_, log_, rejections_)
                  : nullptr),
      router_(RoutingOptions{options.max_payload_bytes, options.consume_device_messages},
              RouterUnits{engine_, *store_, presence_, dialects_, access_, batch_, outbox_,
                          rejections_, counters_, log_, living_.get(), blocks_.get(),
                          firmware_.get()}),
      sys_(options.sys_interval_s),
      metrics_(parts.metrics
                   ? std::make_unique<MetricsExporter>(options.metrics_refresh_ms, parts.metrics)
                   : nullptr),
      upload_expiry_(firmware_.get(), options.upload_expiry_s, log_) {
  if (metrics_) batch_.measure_with(parts.clock, metrics_->timings());
  // A control reply of a lost batch becomes an error that says what to
  // change (a full database), instead of silence.
  batch_.set_lost_answerer(
      [](const OutboundMessage& m, const std::string& why) -> std::optional<OutboundMessage> {
        if (m.topic != kControlResponseTopic) return std::nullopt;
        std::optional<std::string> failed = failed_response(m.payload, why);
        if (!failed) return std::nullopt;
        OutboundMessage answer = m;
        answer.payload = std::move(*failed);
        return answer;
      });
}

OtaService::~OtaService() { close(); }

MessageVerdict OtaService::on_message(std::string_view topic, std::string_view payload,
                                      const ClientInfo& client, TimeMs now) {
  batch_.at(now);
  const BatchCommitter::DeviceMessageScope timed(batch_);  // what it causes is timed from here
  return router_.on_message(topic, payload, client, now);
}

void OtaService::on_control(std::string_view payload, const ClientInfo& client, TimeMs now) {
  batch_.at(now);
  router_.on_control(payload, client, now);
}

AclVerdict OtaService::on_acl_check(std::string_view topic, AclAccess access,
                                     const ClientInfo& client, TimeMs now) {
  if (std::optional<AclVerdict> v = acl_by_topic(topic, access)) return *v;
  batch_.at(now);
  if (std::optional<AclVerdict> v = access_.control_verdict(topic, access, client)) {
    if (*v == AclVerdict::kDeny) {
      counters_.control_refused++;
      log_(LogLevel::kWarning, "mosquitto-ota: refused " +
           std::string(access == AclAccess::kWrite ? "publish to '" : "access to '") +
           std::string(topic) + "' by client '" + std::string(client.client_id) +
           "' (username '" + std::string(client.username) + "'): not an OTA admin");
    }
    return *v;
  }
  const TopicVerdict device = access_.device_verdict(topic, access, client);
  if (device.refused()) {
    refusals_.reject(topic, client, device.reason, now);
    return AclVerdict::kDeny;
  }
  if (device.listening) {
    // A device that subscribes while notified is told again: timed too.
    const BatchCommitter::DeviceMessageScope timed(batch_);
    router_.on_subscription(*device.listening, access == AclAccess::kSubscribe, client, now);
  }
  // Allowed OTA topics as any other: never more than other ACLs allow.
  return access_.other_topics_verdict();
}

void OtaService::on_disconnect(const void* handle) { presence_.disconnected(handle); }

int OtaService::http_port() const { return http_ ? http_->port() : 0; }

int OtaService::metrics_port() const { return metrics_http_ ? metrics_http_->port() : 0; }

std::vector<OutboundMessage> OtaService::flush(TimeMs now) {
  batch_.at(now);
  try {
    downloads_.drain_http_events();
    // mosquitto ticks after every packet it reads, many times a millisecond
    // under load: a second pass in one millisecond, with nothing caused or
    // scheduled since the first, finds nothing to do (everything below is
    // timed in milliseconds).
    if (now == last_flush_at_ && batch_.idle() && !engine_.has_work_at(now)) return {};
    last_flush_at_ = now;
    Outbox out;
    engine_.run_due(now, out);
    outbox_.send_notifications(out);
    batch_.commit(now);
  } catch (const StoreError& e) {
    batch_.lose(e);
  }
  std::vector<OutboundMessage> out = batch_.take();
  report_figures(now, out);
  if (metrics_http_) log_metrics_listener_events();
  upload_expiry_.run_due(now);
  return out;
}

void OtaService::log_metrics_listener_events() {
  for (const HttpEvent& e : metrics_http_->drain_events()) {
    if (e.kind == HttpEvent::Kind::kLog) {
      log_(e.error ? LogLevel::kError : LogLevel::kWarning, "mosquitto-ota: " + e.message);
    }
  }
}

void OtaService::report_figures(TimeMs now, std::vector<OutboundMessage>& out) {
  const bool sys_due = sys_.take_due(now);
  const bool metrics_due = metrics_ && metrics_->take_due(now);
  if (!sys_due && !metrics_due) return;
  const MonitoringFigures figures = read_figures();
  if (sys_due) {
    for (OutboundMessage& m : sys_.messages(figures)) out.push_back(std::move(m));
  }
  if (metrics_due) metrics_->render(figures);
}

MonitoringFigures OtaService::read_figures() {
  MonitoringFigures figures;
  try {
    const bool batch_open = store_->in_transaction();
    figures.store = read_store_figures(*store_, presence_.online_count());
    // Reads that opened a transaction end it (nothing to write); an open
    // batch stays open for the committer.
    if (!batch_open) store_->commit(false);
  } catch (const StoreError& e) {
    figures.store.reset();
    batch_.lose(e);
  }
  figures.counters = counters_;
  figures.downloads = http_ || firmware_;  // the HTTP server or MQTT blocks serve the store
  return figures;
}

void OtaService::close() {
  if (metrics_http_) metrics_http_->stop();
  if (http_) http_->stop();
  if (!store_) return;
  try {
    store_->commit(true);
  } catch (const StoreError& e) {
    log_(LogLevel::kError, std::string("mosquitto-ota: final commit failed: ") + e.what());
  }
}

}  // namespace ota
