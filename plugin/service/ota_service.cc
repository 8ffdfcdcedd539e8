#include "service/ota_service.h"

#include <set>

#include "control/control_api.h"
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
  return std::unique_ptr<OtaService>(
      new OtaService(options, std::move(logger), std::move(store)));
}

OtaService::OtaService(const PluginOptions& options, Logger logger,
                       std::unique_ptr<LmdbStore> store)
    : options_(options), log_(std::move(logger)), store_(std::move(store)) {
  EngineOptions engine_options;
  engine_options.auto_register = options.auto_register;
  engine_options.default_timeout_s = options.default_timeout_s;
  engine_ = std::make_unique<Engine>(*store_, engine_options);
  DialectOptions dialect_options;
  dialects_.push_back(make_dialect(options.default_dialect, dialect_options));
  for (std::string_view name : dialect_names()) {
    if (name != options.default_dialect) dialects_.push_back(make_dialect(name, dialect_options));
  }
}

OtaService::~OtaService() { close(); }

const Dialect& OtaService::dialect_for(const std::string&) const {
  // Per-product dialects come with setProductConfig; until then, the default.
  return *dialects_.front();
}

ProductConfig OtaService::product_config(const std::string& product) const {
  ProductConfig config;
  config.product = product;
  config.dialect = options_.default_dialect;
  config.aliyun_code = options_.aliyun_code;
  return config;
}

MessageVerdict OtaService::on_message(std::string_view topic, std::string_view payload,
                                      const ClientInfo& client, TimeMs now) {
  const Dialect* dialect = nullptr;
  for (const auto& d : dialects_) {
    if (d->claims(topic)) {
      dialect = d.get();
      break;
    }
  }
  if (!dialect) return MessageVerdict::kPass;
  const MessageVerdict pass = options_.consume_device_messages
                                  ? MessageVerdict::kDrop : MessageVerdict::kPass;
  if (payload.size() > options_.max_payload_bytes) {
    counters_.messages_received++;
    reject(topic, client, "payload of " + std::to_string(payload.size()) +
           " bytes exceeds plugin_opt_max_payload_bytes " +
           std::to_string(options_.max_payload_bytes), now);
    return pass;
  }
  ParseOutcome parsed = dialect->parse(topic, payload, {client.client_id, client.username});
  if (parsed.kind == ParseOutcome::Kind::kNotMine) return MessageVerdict::kPass;
  counters_.messages_received++;
  if (parsed.kind == ParseOutcome::Kind::kMalformed) {
    reject(topic, client, parsed.error, now);
    return pass;
  }
  try {
    Outbox out;
    const ReportOutcome outcome = engine_->on_event(parsed.event, now, out);
    queue_notifications(out);
    const DeviceKey& key = std::visit([](const auto& e) -> const DeviceKey& { return e.device; },
                                      parsed.event);
    switch (outcome) {
      case ReportOutcome::kApplied:
        online_[key] = client.handle;
        break;
      case ReportOutcome::kUnknownDevice:
        reject(topic, client, "unknown device " + key.device + " of product " + key.product, now);
        break;
      case ReportOutcome::kNoActiveTask:
        online_[key] = client.handle;
        log_(LogLevel::kDebug, "mosquitto-ota: progress from " + key.product + "/" +
             key.device + " without an active task for that module; ignored");
        break;
    }
  } catch (const StoreError& e) {
    lose_batch(e);
  }
  return pass;
}

void OtaService::on_control(std::string_view payload, const ClientInfo& client, TimeMs now) {
  bool authorised = false;
  for (const std::string& admin : options_.admins) {
    authorised = authorised || (!client.username.empty() && client.username == admin);
  }
  CommandContext ctx{*engine_, *store_, now,
                     [this](const DeviceKey& k) { return is_online(k); }};
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

void OtaService::on_disconnect(const void* handle) {
  for (auto it = online_.begin(); it != online_.end();) {
    it = it->second == handle ? online_.erase(it) : std::next(it);
  }
}

bool OtaService::is_online(const DeviceKey& key) const { return online_.count(key) > 0; }

void OtaService::queue_notifications(Outbox& out) {
  for (const Notification& n : out) {
    const ProductConfig config = product_config(n.device.product);
    pending_.push_back(dialect_for(n.device.product).encode_notification(n, {config, {}}));
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
}

std::vector<OutboundMessage> OtaService::flush(TimeMs now) {
  try {
    Outbox out;
    engine_->run_due(now, out);
    queue_notifications(out);
    const bool causes_messages = !pending_.empty();
    const bool sync_due = unsynced_ && now - last_sync_ >= options_.sync_interval_ms;
    if (store_->in_transaction()) {
      const bool durable = causes_messages || options_.sync_interval_ms == 0;
      store_->commit(durable);
      if (durable) last_sync_ = now;
      unsynced_ = !durable;
    } else if (sync_due) {
      store_->sync();
      last_sync_ = now;
      unsynced_ = false;
    }
  } catch (const StoreError& e) {
    lose_batch(e);
  }
  std::vector<OutboundMessage> out;
  out.swap(pending_);
  append_sys_messages(now, out);
  return out;
}

void OtaService::append_sys_messages(TimeMs now, std::vector<OutboundMessage>& out) {
  if (options_.sys_interval_s <= 0 || now < next_sys_) return;
  next_sys_ = now + options_.sys_interval_s * 1000;
  try {
    out.push_back(sys_message("devices/total", store_->device_count()));
    out.push_back(sys_message("devices/online", online_.size()));
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
  out.push_back(sys_message("store/errors", counters_.store_errors));
}

void OtaService::close() {
  if (!store_) return;
  try {
    store_->commit(true);
  } catch (const StoreError& e) {
    log_(LogLevel::kError, std::string("mosquitto-ota: final commit failed: ") + e.what());
  }
}

}  // namespace ota
