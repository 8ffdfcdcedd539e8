// The only file that speaks mosquitto's plugin API (v5, mosquitto 2.0.11):
// the three exported entry points, and callbacks that translate broker
// events into OtaService calls and OtaService output into publishes.
//
// The broker is single-threaded; every callback runs on its main loop. TICK
// fires once per loop iteration, after the iteration's messages were
// handled: that is where the batch's messages are published (mosquitto only
// queues them; they leave at the next iteration) and, when due, the batch is
// committed.
#include <dlfcn.h>
#include <time.h>

// This order is required in C++ (DESIGN.md §9).
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "brokerconf/broker_config.h"
#include "control/control_api.h"
#include "assembly/service_assembly.h"

#define OTA_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

struct PluginState {
  mosquitto_plugin_id_t* id = nullptr;
  std::unique_ptr<ota::OtaService> service;
};

PluginState* g_state = nullptr;

ota::TimeMs now_ms() {
  // 2.0.11 leaves the TICK event's time fields zero: keep our own clock.
  // Wall time, because deadlines are stored and must survive a restart.
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<ota::TimeMs>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int mosquitto_level(ota::LogLevel level) {
  switch (level) {
    case ota::LogLevel::kDebug: return MOSQ_LOG_DEBUG;
    case ota::LogLevel::kInfo: return MOSQ_LOG_INFO;
    case ota::LogLevel::kNotice: return MOSQ_LOG_NOTICE;
    case ota::LogLevel::kWarning: return MOSQ_LOG_WARNING;
    case ota::LogLevel::kError: return MOSQ_LOG_ERR;
  }
  return MOSQ_LOG_INFO;
}

void log_line(ota::LogLevel level, const std::string& line) {
  mosquitto_log_printf(mosquitto_level(level), "%s", line.c_str());
}

ota::ClientInfo client_info(struct mosquitto* client) {
  const char* id = mosquitto_client_id(client);
  const char* username = mosquitto_client_username(client);
  return {client, id ? id : "", username ? username : ""};
}

void publish(const ota::OutboundMessage& m) {
  mosquitto_broker_publish_copy(m.client_id.empty() ? nullptr : m.client_id.c_str(),
                                m.topic.c_str(), static_cast<int>(m.payload.size()),
                                m.payload.data(), m.qos, m.retain, nullptr);
}

int on_message(int, void* event_data, void* userdata) {
  auto* ed = static_cast<struct mosquitto_evt_message*>(event_data);
  auto* state = static_cast<PluginState*>(userdata);
  const ota::MessageVerdict verdict = state->service->on_message(
      ed->topic, {static_cast<const char*>(ed->payload), ed->payloadlen},
      client_info(ed->client), now_ms());
  // Any error but ACL_DENIED would disconnect the client (DESIGN.md §9).
  return verdict == ota::MessageVerdict::kDrop ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_SUCCESS;
}

int on_control(int, void* event_data, void* userdata) {
  auto* ed = static_cast<struct mosquitto_evt_control*>(event_data);
  auto* state = static_cast<PluginState*>(userdata);
  state->service->on_control({static_cast<const char*>(ed->payload), ed->payloadlen},
                             client_info(ed->client), now_ms());
  return MOSQ_ERR_SUCCESS;  // errors travel in the JSON reply
}

int on_acl_check(int, void* event_data, void* userdata) {
  auto* ed = static_cast<struct mosquitto_evt_acl_check*>(event_data);
  auto* state = static_cast<PluginState*>(userdata);
  ota::AclAccess access;
  switch (ed->access) {
    case MOSQ_ACL_WRITE: access = ota::AclAccess::kWrite; break;
    case MOSQ_ACL_SUBSCRIBE: access = ota::AclAccess::kSubscribe; break;
    case MOSQ_ACL_UNSUBSCRIBE: access = ota::AclAccess::kUnsubscribe; break;
    default: access = ota::AclAccess::kRead; break;
  }
  // Every publish and every delivery is checked: most need no client.
  std::optional<ota::AclVerdict> verdict = state->service->acl_by_topic(ed->topic, access);
  if (!verdict) {
    verdict = state->service->on_acl_check(ed->topic, access, client_info(ed->client), now_ms());
  }
  switch (*verdict) {
    case ota::AclVerdict::kAllow: return MOSQ_ERR_SUCCESS;
    case ota::AclVerdict::kDeny: return MOSQ_ERR_ACL_DENIED;
    case ota::AclVerdict::kDefer: break;
  }
  return MOSQ_ERR_PLUGIN_DEFER;
}

int on_disconnect(int, void* event_data, void* userdata) {
  auto* ed = static_cast<struct mosquitto_evt_disconnect*>(event_data);
  static_cast<PluginState*>(userdata)->service->on_disconnect(ed->client);
  return MOSQ_ERR_SUCCESS;
}

int on_tick(int, void*, void* userdata) {
  auto* state = static_cast<PluginState*>(userdata);
  for (const ota::OutboundMessage& m : state->service->flush(now_ms())) publish(m);
  return MOSQ_ERR_SUCCESS;
}

const std::string kControlTopic(ota::kControlTopic);

// This plugin's own file, to tell its `plugin` line in the configuration.
std::string own_path() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&own_path), &info) == 0 || !info.dli_fname) return "";
  return info.dli_fname;
}

// Identities are only as good as the broker's authentication.
void warn_about_identity(const ota::PluginOptions& options, const ota::BrokerConfig* config) {
  const ota::IdentityChoice& identity = options.device_identity;
  if (identity.kind == ota::IdentityChoice::Kind::kNone) {
    mosquitto_log_printf(MOSQ_LOG_WARNING,
                         "mosquitto-ota: plugin_opt_device_identity none: any client may speak "
                         "for any device (for demos only)");
  } else if (identity.trusts_client_ids()) {
    mosquitto_log_printf(MOSQ_LOG_WARNING,
                         "mosquitto-ota: plugin_opt_device_identity %s trusts client ids, which "
                         "mosquitto does not authenticate: any client may claim a device's",
                         identity.describe().c_str());
  }
  bool authenticated = config && (config->password_file || config->identity_from_certificates);
  for (size_t i = 0; config && i < config->plugins.size(); ++i) {
    if (i != config->self && ota::is_dynamic_security(config->plugins[i])) authenticated = true;
  }
  if (config && !authenticated) {
    mosquitto_log_printf(MOSQ_LOG_WARNING,
                         "mosquitto-ota: no password_file, dynamic security or certificate "
                         "identity (use_identity_as_username) in %s: device and admin usernames "
                         "are not authenticated (docs/security.md)",
                         config->path.c_str());
  }
}

struct Registration {
  int event;
  MOSQ_FUNC_generic_callback callback;
  const char* event_data;
};

const Registration kRegistrations[] = {
    {MOSQ_EVT_MESSAGE, on_message, nullptr},
    {MOSQ_EVT_CONTROL, on_control, kControlTopic.c_str()},
    {MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr},
    {MOSQ_EVT_DISCONNECT, on_disconnect, nullptr},
    {MOSQ_EVT_TICK, on_tick, nullptr},
};

}  // namespace

OTA_EXPORT int mosquitto_plugin_version(int supported_version_count,
                                        const int* supported_versions) {
  for (int i = 0; i < supported_version_count; ++i) {
    if (supported_versions[i] == 5) return 5;
  }
  return -1;
}

OTA_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                     struct mosquitto_opt* options, int option_count) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < option_count; ++i) {
    pairs.emplace_back(options[i].key ? options[i].key : "",
                       options[i].value ? options[i].value : "");
  }
  ota::Result<ota::PluginOptions> parsed = ota::parse_plugin_options(pairs);
  if (!parsed) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "mosquitto-ota: cannot start: %s",
                         parsed.error().c_str());
    return MOSQ_ERR_INVAL;
  }
  // The answer for topics that are not the plugin's depends on what else
  // the broker is configured with (docs/security.md "Beside other ACLs").
  const ota::Result<ota::BrokerConfig> broker_config =
      ota::read_running_broker_config(own_path());
  const ota::Result<ota::AclDecision> acl = ota::decide_acl_default(
      parsed.value().acl_default, broker_config ? &broker_config.value() : nullptr,
      broker_config ? "" : broker_config.error());
  if (!acl) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "mosquitto-ota: cannot start: %s", acl.error().c_str());
    return MOSQ_ERR_INVAL;
  }
  parsed.value().acl_allow_others = acl.value().allow_others;
  ota::Result<std::unique_ptr<ota::OtaService>> service =
      ota::open_ota_service(parsed.value(), log_line);
  if (!service) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "mosquitto-ota: cannot start: %s",
                         service.error().c_str());
    return MOSQ_ERR_INVAL;
  }
  auto state = std::make_unique<PluginState>();
  state->id = identifier;
  state->service = std::move(service.value());
  for (const Registration& r : kRegistrations) {
    const int rc = mosquitto_callback_register(identifier, r.event, r.callback,
                                               r.event_data, state.get());
    if (rc != MOSQ_ERR_SUCCESS) {
      mosquitto_log_printf(MOSQ_LOG_ERR,
                           "mosquitto-ota: cannot start: registering for event %d failed (%d)",
                           r.event, rc);
      for (const Registration& u : kRegistrations) {
        mosquitto_callback_unregister(identifier, u.event, u.callback, u.event_data);
      }
      return rc;
    }
  }
  mosquitto_log_printf(MOSQ_LOG_NOTICE, "mosquitto-ota %s started: %s", OTA_VERSION,
                       parsed.value().describe().c_str());
  mosquitto_log_printf(MOSQ_LOG_NOTICE, "mosquitto-ota: topics other than the OTA ones: %s",
                       acl.value().reason.c_str());
  warn_about_identity(parsed.value(), broker_config ? &broker_config.value() : nullptr);
  if (parsed.value().admins.empty()) {
    mosquitto_log_printf(MOSQ_LOG_WARNING,
                         "mosquitto-ota: plugin_opt_admins is empty: every control command will be refused");
  }
  g_state = state.release();
  *userdata = g_state;
  return MOSQ_ERR_SUCCESS;
}

OTA_EXPORT int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
  auto* state = static_cast<PluginState*>(userdata);
  if (!state) return MOSQ_ERR_SUCCESS;
  for (const Registration& r : kRegistrations) {
    mosquitto_callback_unregister(state->id, r.event, r.callback, r.event_data);
  }
  state->service->close();
  delete state;
  g_state = nullptr;
  return MOSQ_ERR_SUCCESS;
}
