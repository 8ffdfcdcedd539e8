#include "service/ota_service.h"

#include <iterator>
#include <set>

#include "app/living_app.h"
#include "control/control_api.h"
#include "delivery/firmware_resolver.h"
#include "delivery/firmware_store.h"
#include "delivery/http_loader.h"
#include "delivery/signed_url.h"
#include "dialects/aliyun_download.h"
#include "dialects/registry.h"
#include "storage/lmdb_store.h"

namespace ota {
namespace {

constexpr uint32_t kMaxRejectLogsPerSecond = 20;
constexpr std::string_view kSysPrefix = "$SYS/broker/ota/";

OutboundMessage sys_message(const std::string& suffix, uint64_t value) {
  OutboundMessage m;
  m.topic = std::string(kSysPrefix) + suffix;
  m.payload = std::to_string(value);
  m.qos = 0;
  m.retain = true;
  return m;
}

std::string job_sys_suffix(JobId id, int state) {
  return "jobs/" + std::to_string(id) + "/" + std::string(to_string(static_cast<TaskState>(state)));
}

}  // namespace

Result<std::unique_ptr<OtaService>> OtaService::open(const PluginOptions& options,
                                                     Logger logger) {
  std::unique_ptr<LmdbStore> store;
  try {
    LmdbStoreOptions store_options;
    store_options.map_size = options.db_map_size_mb * 1024 * 1024;
    store = LmdbStore::open(options.db_path, store_options);
  } catch (const StoreError& e) {
    return Error{std::string("cannot open the OTA database: ") + e.what()};
  }
  std::unique_ptr<OtaService> service(new OtaService(options, logger, std::move(store)));
  if (!options.firmware_dir.empty()) {
    Result<std::unique_ptr<FirmwareStore>> firmware = FirmwareStore::open(options.firmware_dir);
    if (!firmware) return Error{"cannot open the firmware store: " + firmware.error()};
    service->firmware_ = std::move(firmware.value());
  }
  if (!options.http_public_url.empty()) {
    Result<UrlSigner> signer = UrlSigner::load_or_create(options.url_secret_file);
    if (!signer) return Error{"cannot load the URL secret: " + signer.error()};
    if (!signer.value().warning().empty()) logger(LogLevel::kWarning, "mosquitto-ota: " + signer.value().warning());
    service->signer_ = std::make_unique<UrlSigner>(std::move(signer.value()));
  }
  if (!options.http_listen.empty()) {
    const std::string path =
        options.http_library.empty() ? default_http_library_path() : options.http_library;
    Result<std::shared_ptr<const HttpLibrary>> library = HttpLibrary::load(path);
    if (!library) return Error{"cannot load the download server library: " + library.error()};
    HttpServerConfig config;
    config.listen = options.http_listen;
    config.tls_cert_file = options.http_tls_cert;
    config.tls_key_file = options.http_tls_key;
    config.max_connections = static_cast<uint32_t>(options.http_max_connections);
    config.idle_timeout_s = static_cast<uint32_t>(options.http_idle_timeout_s);
    config.max_connections_per_address =
        static_cast<uint32_t>(options.http_max_connections_per_address);
    config.header_timeout_s = static_cast<uint32_t>(options.http_header_timeout_s);
    config.resolve = firmware_resolver(*service->signer_, *service->firmware_);
    Result<std::unique_ptr<HttpServer>> server =
        HttpServer::start(library.value(), std::move(config));
    if (!server) return Error{"cannot start the download server: " + server.error()};
    service->http_ = std::move(server.value());
    logger(LogLevel::kNotice, "mosquitto-ota: firmware download server on " + options.http_listen +
           " (port " + std::to_string(service->http_->port()) + "), public URL " +
           options.http_public_url + ", libwebsockets " + library.value()->lws_version() +
           " from " + library.value()->lws_origin());
  }
  return service;
}

OtaService::OtaService(const PluginOptions& options, Logger logger,
                       std::unique_ptr<LmdbStore> store)
    : options_(options), log_(std::move(logger)), store_(std::move(store)) {
  EngineOptions engine_options;
  engine_options.auto_register = options.auto_register;
  engine_options.default_timeout_s = options.default_timeout_s;
  engine_options.max_resends = static_cast<uint32_t>(options.max_resends);
  // Products that belong to one dialect by construction get that dialect's
  // rules until configured otherwise: ThingsPanel decides success by
  // progress 100 and fails devices offline at push time (seed 004).
  engine_options.product_defaults = [options](const std::string& product) {
    ProductConfig c;
    c.product = product;
    if (product == options.dialect.thingspanel_product) {
      c.dialect = "thingspanel";
      c.success_rule = SuccessRule::kProgress100;
      c.offline_policy = OfflinePolicy::kFail;
    } else if (product == options.dialect.ctwing_product) {
      c.dialect = "ctwing";
      c.identity = options.dialect.ctwing_identity;
    }
    return c;
  };
  engine_ = std::make_unique<Engine>(*store_, engine_options, &presence_);
  if (options.living_app) living_ = std::make_unique<LivingApp>(*engine_, *store_);
  const DialectOptions& dialect_options = options.dialect;
  // The default dialect is always enabled, and offered each message first.
  dialects_.push_back(make_dialect(options.default_dialect, dialect_options));
  for (const std::string& name : options.dialects) {
    if (name != options.default_dialect) dialects_.push_back(make_dialect(name, dialect_options));
  }
}

OtaService::~OtaService() { close(); }

const Dialect* OtaService::dialect_named(std::string_view name) const {
  for (const auto& d : dialects_) {
    if (d->name() == name) return d.get();
  }
  return nullptr;
}

ProductConfig OtaService::product_config(const std::string& product) {
  ProductConfig config = engine_->product_config(product);
  if (config.dialect.empty()) config.dialect = options_.default_dialect;
  if (config.aliyun_code.empty()) config.aliyun_code = options_.aliyun_code;
  return config;
}

bool OtaService::is_admin(const ClientInfo& client) const {
  for (const std::string& admin : options_.admins) {
    if (!client.username.empty() && client.username == admin) return true;
  }
  for (const std::string& id : options_.admin_client_ids) {
    if (!client.client_id.empty() && client.client_id == id) return true;
  }
  return false;
}

std::string OtaService::identity_problem(const DeviceEvent& event,
                                         const ClientInfo& client) const {
  if (options_.device_identity == IdentitySource::kTopic) return "";
  const DeviceKey& key =
      std::visit([](const auto& e) -> const DeviceKey& { return e.device; }, event);
  const bool by_client_id = options_.device_identity == IdentitySource::kClientId;
  const std::string_view who = by_client_id ? client.client_id : client.username;
  // The device's own name, or Alibaba's "deviceName&productKey".
  if (who == key.device || who == key.device + "&" + key.product) return "";
  return std::string(by_client_id ? "client id '" : "username '") + std::string(who) +
         "' may not speak for device " + key.device + " of product " + key.product +
         " (plugin_opt_device_identity)";
}

MessageVerdict OtaService::on_message(std::string_view topic, std::string_view payload,
                                      const ClientInfo& client, TimeMs now) {
  if (living_ && topic.starts_with(living::kTopicPrefix)) {
    handle_app_request(topic, payload, client, now);
    return MessageVerdict::kDrop;  // a request to the plugin, private to its app
  }
  if (std::optional<DeviceKey> device = match_block_request_topic(topic);
      device && dialect_named("aliyun")) {
    return on_block_request(*device, topic, payload, client, now);
  }
  bool claimed = false;
  const Dialect* dialect = nullptr;
  ParseOutcome parsed;
  for (const auto& d : dialects_) {
    if (!d->claims(topic)) continue;
    if (!claimed && payload.size() > options_.max_payload_bytes) {
      counters_.messages_received++;
      reject(topic, client, "payload of " + std::to_string(payload.size()) +
             " bytes exceeds plugin_opt_max_payload_bytes " +
             std::to_string(options_.max_payload_bytes), now);
      return options_.consume_device_messages ? MessageVerdict::kDrop : MessageVerdict::kPass;
    }
    claimed = true;
    parsed = d->parse(topic, payload, {client.client_id, client.username});
    if (parsed.kind != ParseOutcome::Kind::kNotMine) {
      dialect = d.get();
      break;
    }
  }
  if (!claimed) return MessageVerdict::kPass;
  const MessageVerdict pass = options_.consume_device_messages
                                  ? MessageVerdict::kDrop : MessageVerdict::kPass;
  counters_.messages_received++;
  if (!dialect) {
    std::string names;
    for (const auto& d : dialects_) names += (names.empty() ? "" : ", ") + std::string(d->name());
    reject(topic, client, "the topic matches no device topic of the enabled dialects (" +
           names + ")", now);
    return pass;
  }
  for (OutboundMessage& reply : parsed.replies) pending_.push_back(std::move(reply));
  if (parsed.kind == ParseOutcome::Kind::kMalformed) {
    reject(topic, client, parsed.error, now);
    return pass;
  }
  const std::string spoofed = identity_problem(parsed.event, client);
  if (!spoofed.empty()) {
    reject(topic, client, spoofed, now);
    return MessageVerdict::kDrop;  // never deliver a spoofed device message
  }
  try {
    handle_event(*dialect, parsed, topic, client, now);
  } catch (const StoreError& e) {
    lose_batch(e);
  }
  return pass;
}

void OtaService::handle_event(const Dialect& dialect, ParseOutcome& parsed,
                              std::string_view topic, const ClientInfo& client, TimeMs now) {
  const DeviceKey& key =
      std::visit([](const auto& e) -> const DeviceKey& { return e.device; }, parsed.event);
  // By reference: this runs for every device message.
  const std::string& configured = engine_->product_config(key.product).dialect;
  const std::string_view product_dialect =
      configured.empty() ? std::string_view(options_.default_dialect) : configured;
  if (product_dialect != dialect.name()) {
    reject(topic, client, "product " + key.product + " speaks dialect " +
           std::string(product_dialect) + ", not " + std::string(dialect.name()), now);
    return;
  }
  // The device speaks: it is reachable on this connection (before the
  // engine runs, so that a notification it causes can be addressed to it).
  // One lookup: seen() says whether the device was offline before.
  const bool was_online = !presence_.seen(key, client.handle, client.client_id);
  Outbox out;
  const ReportOutcome outcome = engine_->on_event(parsed.event, now, out);
  queue_notifications(out);
  if (outcome == ReportOutcome::kUnknownDevice) {
    if (!was_online) presence_.unsubscribed(key, client.handle);
    reject(topic, client, "unknown device " + key.device + " of product " + key.product, now);
    return;
  }
  if (outcome == ReportOutcome::kNoActiveTask) {
    log_(LogLevel::kDebug, "mosquitto-ota: progress from " + key.product + "/" + key.device +
         " without an active task for that module; ignored");
  }
  if (const auto* query = std::get_if<UpgradeQuery>(&parsed.event)) {
    std::optional<Notification> pending = engine_->pending_notification(*query, now);
    const ProductConfig config = product_config(key.product);
    // An uploaded package is answered with a fresh signed URL, as pushed
    // notifications are; without one the device is told "nothing pending".
    if (pending && !resolve_delivery(*pending, config)) pending.reset();
    OutboundMessage reply = dialect.encode_query_reply(
        *query, parsed.message_id, pending ? &*pending : nullptr,
        {config, presence_.client_id(key)});
    if (!reply.topic.empty()) pending_.push_back(std::move(reply));
  }
}

bool OtaService::resolve_delivery(Notification& n, const ProductConfig& config) {
  // MQTT delivery needs no URL: the dialect names the stream instead.
  if (!n.package.url.empty() || config.download_protocol == DownloadProtocol::kMqtt) return true;
  n.package.url = download_url(n, n.at);
  if (!n.package.url.empty()) return true;
  log_(LogLevel::kError, "mosquitto-ota: package " + std::to_string(n.package.id) +
       " is an uploaded file, but no download server is configured "
       "(plugin_opt_http_public_url): cannot notify " + n.device.device);
  return false;
}

void OtaService::handle_app_request(std::string_view topic, std::string_view payload,
                                    const ClientInfo& client, TimeMs now) {
  if (payload.size() > options_.max_payload_bytes) {
    reject(topic, client, "payload of " + std::to_string(payload.size()) +
           " bytes exceeds plugin_opt_max_payload_bytes", now);
    return;
  }
  const bool by_client_id = options_.living_app_identity == IdentitySource::kClientId;
  try {
    AppOutcome outcome = living_->handle(
        topic, payload, {by_client_id ? client.client_id : client.username, client.client_id}, now);
    if (!outcome.reply.topic.empty()) pending_.push_back(std::move(outcome.reply));
    if (!outcome.problem.empty()) reject(topic, client, outcome.problem, now);
  } catch (const StoreError& e) {
    lose_batch(e);
  }
}

AclVerdict OtaService::on_acl_check(std::string_view topic, AclAccess access,
                                     const ClientInfo& client, TimeMs now) {
  if (living_ && topic.starts_with(living::kTopicPrefix)) {
    // Apps publish requests and subscribe to replies; nobody publishes a
    // reply or reads another app's request.
    const bool allowed = access == AclAccess::kUnsubscribe ||
        (access == AclAccess::kWrite ? living::op_of_topic(topic).has_value()
                                     : living::is_reply_topic(topic));
    return allowed ? AclVerdict::kAllow : AclVerdict::kDeny;
  }
  if (topic.rfind("$CONTROL/ota/", 0) == 0) {
    // Only admins may command the plugin or read its replies, whatever
    // other ACLs say: the plugin answers before acl_file is consulted.
    if (access == AclAccess::kUnsubscribe || is_admin(client)) return AclVerdict::kAllow;
    counters_.control_refused++;
    log_(LogLevel::kWarning, "mosquitto-ota: refused " +
         std::string(access == AclAccess::kWrite ? "publish to '" : "access to '") +
         std::string(topic) + "' by client '" + std::string(client.client_id) +
         "' (username '" + std::string(client.username) + "'): not an OTA admin");
    return AclVerdict::kDeny;
  }
  if (access == AclAccess::kSubscribe || access == AclAccess::kUnsubscribe) {
    for (const auto& d : dialects_) {
      std::optional<DeviceKey> device =
          d->subscriber_device(topic, {client.client_id, client.username});
      if (!device) continue;
      if (access == AclAccess::kUnsubscribe) {
        presence_.unsubscribed(*device, client.handle);
      } else if (presence_.seen(*device, client.handle, client.client_id)) {
        try {
          Outbox out;
          engine_->on_device_online(*device, now, out);
          queue_notifications(out);
        } catch (const StoreError& e) {
          lose_batch(e);
        }
      }
      break;
    }
  }
  return options_.acl_allow_others ? AclVerdict::kAllow : AclVerdict::kDefer;
}

void OtaService::on_control(std::string_view payload, const ClientInfo& client, TimeMs now) {
  const bool authorised = is_admin(client);
  std::vector<std::string> dialect_list;
  for (const auto& d : dialects_) dialect_list.emplace_back(d->name());
  CommandContext ctx{*engine_, *store_, now,
                     [this](const DeviceKey& k) { return presence_.is_online(k); },
                     std::move(dialect_list), firmware_.get()};
  try {
    ControlOutcome outcome = handle_control_payload(payload, ctx, authorised);
    counters_.control_commands += outcome.commands;
    counters_.control_errors += outcome.failed;
    if (!authorised) {
      log_(LogLevel::kWarning, "mosquitto-ota: refused control command from client '" +
           std::string(client.client_id) + "' (username '" + std::string(client.username) +
           "'): not in plugin_opt_admins");
    }
    OutboundMessage reply;
    reply.topic = std::string(kControlResponseTopic);
    reply.payload = std::move(outcome.response);
    reply.qos = 1;
    reply.client_id = std::string(client.client_id);
    pending_.push_back(std::move(reply));
  } catch (const StoreError& e) {
    lose_batch(e);
  }
}

void OtaService::on_disconnect(const void* handle) { presence_.disconnected(handle); }

std::string OtaService::download_url(const Notification& n, TimeMs now) const {
  if (!signer_ || options_.http_public_url.empty()) return "";
  DownloadGrant grant;
  grant.sha256 = n.package.sha256;
  grant.device = n.device.product + "/" + n.device.device;
  grant.package = std::to_string(n.package.id);
  // Renewed on every notification, so a re-notified device gets a fresh URL.
  grant.expires = now / 1000 + options_.url_expiry_s;
  return join_url(options_.http_public_url, signer_->sign(grant));
}

int OtaService::http_port() const { return http_ ? http_->port() : 0; }

void OtaService::drain_http_events() {
  if (!http_) return;
  for (const HttpEvent& e : http_->drain_events()) {
    if (e.kind == HttpEvent::Kind::kLog) {
      log_(e.error ? LogLevel::kError : LogLevel::kWarning,
           "mosquitto-ota: download server: " + e.message);
      continue;
    }
    const size_t slash = e.device.find('/');
    const DeviceKey device = slash == std::string::npos
                                 ? DeviceKey{}
                                 : DeviceKey{e.device.substr(0, slash), e.device.substr(slash + 1)};
    count_download(device, e.package, e.bytes, e.reached_end());
  }
}

void OtaService::count_download(const DeviceKey& device, std::string_view package,
                                uint64_t bytes, bool reached_end) {
  counters_.download_bytes += bytes;
  if (reached_end) counters_.downloads_completed++;
  // Per job: the device's active task's job, if it is for this package.
  if (device.device.empty()) return;
  std::optional<JobId> job_id = store_->active_job(device);
  std::optional<Job> job = job_id ? store_->get_job(*job_id) : std::nullopt;
  if (!job || std::to_string(job->package_id) != package) return;
  job->download_bytes += bytes;
  if (reached_end) job->downloads_completed++;
  store_->put_job(*job);
}

void OtaService::queue_notifications(Outbox& out) {
  for (Notification& n : out) {
    const ProductConfig config = product_config(n.device.product);
    if (!resolve_delivery(n, config)) continue;
    // A device that subscribes and then reports its old version in the same
    // loop iteration would otherwise be told twice.
    if (!notified_in_batch_.insert({n.device, n.job_id}).second) continue;
    const Dialect* dialect = dialect_named(config.dialect);
    if (!dialect) dialect = dialects_.front().get();
    OutboundMessage m = dialect->encode_notification(n, {config, presence_.client_id(n.device)});
    // A shared-topic dialect (CTWing) cannot address a device whose
    // connection it does not know: sending would reach other devices.
    if (m.topic.empty()) {
      log_(LogLevel::kWarning, "mosquitto-ota: cannot address the notification for " +
           n.device.product + "/" + n.device.device + ": its connection is unknown");
      continue;
    }
    pending_.push_back(std::move(m));
    counters_.notifications_sent++;
  }
}

void OtaService::reject(std::string_view topic, const ClientInfo& client,
                        const std::string& reason, TimeMs now) {
  counters_.messages_rejected++;
  if (now - log_window_ >= 1000) {
    if (log_suppressed_ > 0) {
      log_(LogLevel::kWarning, "mosquitto-ota: " + std::to_string(log_suppressed_) +
           " more rejected messages were not logged");
    }
    log_window_ = now;
    log_lines_ = 0;
    log_suppressed_ = 0;
  }
  if (++log_lines_ > kMaxRejectLogsPerSecond) {
    log_suppressed_++;
    return;
  }
  log_(LogLevel::kWarning, "mosquitto-ota: rejected message on '" + std::string(topic) +
       "' from client '" + std::string(client.client_id) + "': " + reason);
}

void OtaService::lose_batch(const std::exception& e) {
  // Nothing of this batch reaches the disk, so nothing it caused may leave.
  store_->abort();
  counters_.store_errors++;
  log_(LogLevel::kError, std::string("mosquitto-ota: storage failure, the last ") +
       std::to_string(pending_.size()) + " outgoing messages are dropped: " + e.what());
  pending_.clear();
  notified_in_batch_.clear();
  engine_->invalidate_caches();
}

std::vector<OutboundMessage> OtaService::flush(TimeMs now) {
  try {
    drain_http_events();
    Outbox out;
    engine_->run_due(now, out);
    queue_notifications(out);
    const bool causes_messages = !pending_.empty();
    const bool interval_passed = now - last_sync_ >= options_.sync_interval_ms;
    if (store_->in_transaction()) {
      // Synced when it causes a message, and at least once an interval
      // under a steady stream of batches that cause none.
      const bool durable = causes_messages || interval_passed;
      store_->commit(durable);
      if (durable) {
        last_sync_ = now;
        counters_.store_syncs++;
      }
      unsynced_ = !durable;
    } else if (unsynced_ && interval_passed) {
      store_->sync();
      counters_.store_syncs++;
      last_sync_ = now;
      unsynced_ = false;
    }
  } catch (const StoreError& e) {
    lose_batch(e);
  }
  std::vector<OutboundMessage> out;
  out.swap(pending_);
  std::move(pending_stateless_.begin(), pending_stateless_.end(), std::back_inserter(out));
  pending_stateless_.clear();
  notified_in_batch_.clear();
  append_sys_messages(now, out);
  return out;
}

void OtaService::append_sys_messages(TimeMs now, std::vector<OutboundMessage>& out) {
  if (options_.sys_interval_s <= 0 || now < next_sys_) return;
  next_sys_ = now + options_.sys_interval_s * 1000;
  try {
    out.push_back(sys_message("devices/total", store_->device_count()));
    out.push_back(sys_message("devices/online", presence_.online_count()));
    const TaskCounts counts = store_->task_counts();
    for (int s = 0; s < kTaskStateCount; ++s) {
      out.push_back(sys_message("tasks/" + std::string(to_string(static_cast<TaskState>(s))),
                                counts[s]));
    }
    std::set<JobId> running;
    store_->for_each_job([&](const Job& job) {
      if (job.state != JobState::kRunning) return true;
      running.insert(job.id);
      const TaskCounts jc = store_->job_task_counts(job.id);
      for (int s = 0; s < kTaskStateCount; ++s) {
        out.push_back(sys_message(job_sys_suffix(job.id, s), jc[s]));
      }
      return true;
    });
    // A job that stopped running leaves $SYS: an empty retained payload
    // deletes its retained counts, which would otherwise stay stale.
    for (JobId id : sys_jobs_) {
      if (running.count(id)) continue;
      for (int s = 0; s < kTaskStateCount; ++s) {
        OutboundMessage m = sys_message(job_sys_suffix(id, s), 0);
        m.payload.clear();
        out.push_back(std::move(m));
      }
    }
    sys_jobs_ = std::move(running);
    // The reads above opened a transaction with nothing to write.
    store_->commit(false);
  } catch (const StoreError& e) {
    lose_batch(e);
  }
  out.push_back(sys_message("messages/received", counters_.messages_received));
  out.push_back(sys_message("messages/rejected", counters_.messages_rejected));
  out.push_back(sys_message("notifications/sent", counters_.notifications_sent));
  out.push_back(sys_message("control/commands", counters_.control_commands));
  out.push_back(sys_message("control/errors", counters_.control_errors));
  out.push_back(sys_message("control/refused", counters_.control_refused));
  out.push_back(sys_message("store/errors", counters_.store_errors));
  out.push_back(sys_message("store/syncs", counters_.store_syncs));
  if (http_ || firmware_) {  // the HTTP server or MQTT blocks serve the store
    out.push_back(sys_message("downloads/completed", counters_.downloads_completed));
    out.push_back(sys_message("downloads/bytes", counters_.download_bytes));
  }
}

void OtaService::close() {
  if (http_) http_->stop();
  if (!store_) return;
  try {
    store_->commit(true);
  } catch (const StoreError& e) {
    log_(LogLevel::kError, std::string("mosquitto-ota: final commit failed: ") + e.what());
  }
}

}  // namespace ota
