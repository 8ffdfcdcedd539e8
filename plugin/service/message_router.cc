#include "service/message_router.h"

#include "app/living_app.h"
#include "control/control_api.h"

namespace ota {
namespace {

const DeviceKey& device_of(const DeviceEvent& event) {
  return std::visit([](const auto& e) -> const DeviceKey& { return e.device; }, event);
}

}  // namespace

MessageVerdict MessageRouter::on_message(std::string_view topic, std::string_view payload,
                                         const ClientInfo& client, TimeMs now) {
  if (u_.living && topic.starts_with(living::kTopicPrefix)) {
    handle_app_request(topic, payload, client, now);
    return MessageVerdict::kDrop;  // a request to the plugin, private to its app
  }
  if (u_.blocks) {
    if (std::optional<DeviceKey> device = BlockDownloadServer::request_device(topic)) {
      return u_.blocks->handle(*device, topic, payload, client, now);
    }
  }
  return on_device_message(topic, payload, client, now);
}

MessageVerdict MessageRouter::on_device_message(std::string_view topic, std::string_view payload,
                                                const ClientInfo& client, TimeMs now) {
  const auto& dialects = u_.dialects.all();
  auto claimer = [&](size_t from) {
    while (from < dialects.size() && !dialects[from]->claims(topic)) ++from;
    return from;
  };
  size_t i = claimer(0);
  if (i == dialects.size()) return MessageVerdict::kPass;
  u_.counters.messages_received++;
  if (payload.size() > options_.max_payload_bytes) {
    u_.rejections.reject(topic, client, "payload of " + std::to_string(payload.size()) +
                         " bytes exceeds plugin_opt_max_payload_bytes " +
                         std::to_string(options_.max_payload_bytes), now);
    return passed();
  }
  // The first dialect that takes the topic's message parses it (one
  // outcome, built in place: this runs for every report).
  for (; i < dialects.size(); i = claimer(i + 1)) {
    ParseOutcome parsed =
        dialects[i]->parse(topic, payload, {client.client_id, client.username});
    if (parsed.kind != ParseOutcome::Kind::kNotMine) {
      return on_parsed(*dialects[i], parsed, topic, client, now);
    }
  }
  u_.rejections.reject(topic, client,
                       "the topic matches no device topic of the enabled dialects (" +
                       u_.dialects.names_joined() + ")", now);
  return passed();
}

MessageVerdict MessageRouter::on_parsed(const Dialect& dialect, ParseOutcome& parsed,
                                        std::string_view topic, const ClientInfo& client,
                                        TimeMs now) {
  if (parsed.kind == ParseOutcome::Kind::kMalformed) {
    // Alibaba answers a bad request on the device's reply topic: only to a
    // connection that may read it.
    for (OutboundMessage& reply : parsed.replies) {
      if (u_.access.device_verdict(reply.topic, AclAccess::kRead, client).refused()) continue;
      u_.outbox.reply(client, std::move(reply));
    }
    u_.rejections.reject(topic, client, parsed.error, now);
    return passed();
  }
  const std::string spoofed = u_.access.identity_problem(dialect, device_of(parsed.event), client);
  if (!spoofed.empty()) {
    u_.rejections.reject(topic, client, spoofed, now);
    return MessageVerdict::kDrop;  // never deliver a spoofed device message
  }
  // The platform's own answers (Tencent's report_version_rsp) leave
  // whatever the engine decides, to the connection that spoke.
  for (OutboundMessage& reply : parsed.replies) u_.outbox.reply(client, std::move(reply));
  try {
    handle_event(dialect, parsed, topic, client, now);
  } catch (const StoreError& e) {
    u_.batch.lose(e);
  }
  return passed();
}

void MessageRouter::handle_event(const Dialect& dialect, ParseOutcome& parsed,
                                 std::string_view topic, const ClientInfo& client, TimeMs now) {
  const DeviceKey& key = device_of(parsed.event);
  // By reference: this runs for every device message.
  const std::string_view product_dialect =
      u_.dialects.dialect_of(u_.engine.product_config(key.product));
  if (product_dialect != dialect.name()) {
    u_.rejections.reject(topic, client, "product " + key.product + " speaks dialect " +
                         std::string(product_dialect) + ", not " + std::string(dialect.name()),
                         now);
    return;
  }
  // The device speaks: it is reachable on this connection (before the
  // engine runs, so that a notification it causes can be addressed to it).
  const DevicePresence::Arrival arrival =
      u_.presence.record_connection(key, client.handle, client.client_id);
  if (auto* report = std::get_if<VersionReport>(&parsed.event)) {
    report->came_online = arrival == DevicePresence::Arrival::kCameOnline;
  }
  Outbox out;
  const ReportOutcome outcome = u_.engine.on_event(parsed.event, now, out);
  u_.outbox.send_notifications(out);
  if (outcome == ReportOutcome::kUnknownDevice) {
    // Not a device after all: it was never online.
    if (arrival == DevicePresence::Arrival::kCameOnline) u_.presence.unsubscribed(key, client.handle);
    u_.rejections.reject(topic, client,
                         "unknown device " + key.device + " of product " + key.product, now);
    return;
  }
  if (outcome == ReportOutcome::kNoActiveTask) {
    u_.log(LogLevel::kDebug, "mosquitto-ota: progress from " + key.product + "/" + key.device +
           " without an active task for that module; ignored");
  }
  if (const auto* query = std::get_if<UpgradeQuery>(&parsed.event)) {
    std::optional<Notification> pending = u_.engine.pending_notification(*query, now);
    const ProductConfig config = u_.dialects.resolved_config(u_.engine, key.product);
    // An uploaded package is answered with a fresh signed URL, as pushed
    // notifications are; without one the device is told "nothing pending".
    if (pending && !u_.outbox.links().resolve(*pending, config)) pending.reset();
    OutboundMessage reply = dialect.encode_query_reply(
        *query, parsed.message_id, pending ? &*pending : nullptr, u_.outbox.context(key, config));
    u_.outbox.reply(client, std::move(reply));  // dialects without pull give no topic
  }
}

void MessageRouter::handle_app_request(std::string_view topic, std::string_view payload,
                                       const ClientInfo& client, TimeMs now) {
  if (payload.size() > options_.max_payload_bytes) {
    u_.rejections.reject(topic, client, "payload of " + std::to_string(payload.size()) +
                         " bytes exceeds plugin_opt_max_payload_bytes", now);
    return;
  }
  try {
    AppOutcome outcome =
        u_.living->handle(topic, payload, {u_.access.app_user(client), client.client_id}, now);
    // To the asking app's client, not to a device.
    if (!outcome.reply.topic.empty()) u_.batch.answer(std::move(outcome.reply));
    if (!outcome.problem.empty()) u_.rejections.reject(topic, client, outcome.problem, now);
  } catch (const StoreError& e) {
    u_.batch.lose(e);
  }
}

void MessageRouter::on_subscription(const DeviceKey& device, bool subscribe,
                                    const ClientInfo& client, TimeMs now) {
  if (!subscribe) {
    u_.presence.unsubscribed(device, client.handle);
    return;
  }
  if (u_.presence.record_connection(device, client.handle, client.client_id) !=
      DevicePresence::Arrival::kCameOnline) {
    return;
  }
  try {
    Outbox out;
    u_.engine.on_device_online(device, now, out);
    u_.outbox.send_notifications(out);
  } catch (const StoreError& e) {
    u_.batch.lose(e);
  }
}

void MessageRouter::on_control(std::string_view payload, const ClientInfo& client, TimeMs now) {
  const bool authorised = u_.access.is_admin(client);
  CommandContext ctx{u_.engine, u_.store, now,
                     [this](const DeviceKey& k) { return u_.presence.is_online(k); },
                     u_.dialects.names(), u_.firmware};
  try {
    ControlOutcome outcome = handle_control_payload(payload, ctx, authorised);
    u_.counters.control_commands += outcome.commands;
    u_.counters.control_errors += outcome.failed;
    // One line per admin action, as the dynamic-security plugin logs them.
    for (const std::string& action : outcome.actions) {
      u_.log(LogLevel::kNotice, "mosquitto-ota: admin '" + std::string(client.username) +
             "' (client '" + std::string(client.client_id) + "'): " + action);
    }
    if (!authorised) {
      u_.log(LogLevel::kWarning, "mosquitto-ota: refused control command from client '" +
             std::string(client.client_id) + "' (username '" + std::string(client.username) +
             "'): not in plugin_opt_admins");
    }
    OutboundMessage reply;
    reply.topic = std::string(kControlResponseTopic);
    reply.payload = std::move(outcome.response);
    reply.qos = 1;
    reply.client_id = std::string(client.client_id);
    u_.batch.answer(std::move(reply));
  } catch (const StoreError& e) {
    u_.batch.lose(e);
    // Answered all the same: an error that says what to change. It records
    // nothing, so it need not wait for a commit.
    OutboundMessage reply;
    reply.topic = std::string(kControlResponseTopic);
    reply.payload = failed_request_response(payload, storage_advice(e.what()));
    reply.qos = 1;
    reply.client_id = std::string(client.client_id);
    u_.batch.stateless(std::move(reply));
  }
}

}  // namespace ota
