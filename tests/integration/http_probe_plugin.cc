// A test-only mosquitto plugin (target http_probe_plugin) that runs the
// firmware HTTP server inside a real broker, exactly as the OTA plugin will:
// it loads mosquitto_ota_http.so through HttpLibrary (RTLD_DEEPBIND), serves
// a FirmwareStore through signed URLs, drains the server's events from TICK
// on the broker thread, and stops the server in cleanup. The integration
// test (http_isolation_test.cc) checks that the broker's own websockets
// listener and this server both work from the one process.
//
// Options: http_library, http_listen, firmware_dir, url_secret_file,
// report_file (lines "key=value" written for the test), and optionally
// plain_library: a copy of the helper loaded *without* DEEPBIND, only to
// report where its lws symbols bind (the broker's static copy).
//
// This file is also globbed into integration_tests; only the MODULE target
// defines OTA_HTTP_PROBE_PLUGIN.
#ifdef OTA_HTTP_PROBE_PLUGIN

// This order is required in C++ (DESIGN.md §9).
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <dlfcn.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "delivery/firmware_resolver.h"
#include "delivery/firmware_store.h"
#include "delivery/http_loader.h"
#include "delivery/signed_url.h"

#define PROBE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

struct Probe {
  mosquitto_plugin_id_t* id = nullptr;
  std::string report_file;
  std::unique_ptr<ota::FirmwareStore> store;
  std::unique_ptr<ota::UrlSigner> signer;
  std::unique_ptr<ota::HttpServer> server;
};

Probe* g_probe = nullptr;

void report(const std::string& line) {
  std::ofstream out(g_probe->report_file, std::ios::app);
  out << line << "\n";
}

// Broker thread: the only place the server's events become broker calls.
int on_tick(int, void*, void*) {
  if (!g_probe || !g_probe->server) return MOSQ_ERR_SUCCESS;
  for (const ota::HttpEvent& e : g_probe->server->drain_events()) {
    if (e.kind == ota::HttpEvent::Kind::kLog) {
      mosquitto_log_printf(MOSQ_LOG_WARNING, "http-probe: lws: %s", e.message.c_str());
      continue;
    }
    const std::string line = "download device=" + e.device + " package=" + e.package +
                             " status=" + std::to_string(e.status) +
                             " offset=" + std::to_string(e.offset) +
                             " bytes=" + std::to_string(e.bytes) +
                             " complete=" + (e.complete ? "1" : "0") +
                             " reached_end=" + (e.reached_end() ? "1" : "0");
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "http-probe: %s", line.c_str());
    report(line);
  }
  return MOSQ_ERR_SUCCESS;
}

// Where a helper copy loaded the ordinary way binds lws_create_context.
std::string plain_origin(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) return std::string("dlopen failed: ") + dlerror();
  auto factory = reinterpret_cast<ota_http_factory_fn>(dlsym(handle, OTA_HTTP_FACTORY_SYMBOL));
  return factory ? factory()->lws_origin() : "no factory";
}

}  // namespace

PROBE_EXPORT int mosquitto_plugin_version(int count, const int* versions) {
  for (int i = 0; i < count; ++i) {
    if (versions[i] == 5) return 5;
  }
  return -1;
}

PROBE_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* id, void** userdata,
                                       struct mosquitto_opt* options, int option_count) {
  std::map<std::string, std::string> opts;
  for (int i = 0; i < option_count; ++i) opts[options[i].key] = options[i].value;
  auto probe = std::make_unique<Probe>();
  probe->id = id;
  probe->report_file = opts["report_file"];
  g_probe = probe.get();
  auto fail = [](const std::string& what) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "http-probe: %s", what.c_str());
    report("error=" + what);
    g_probe = nullptr;
    return MOSQ_ERR_UNKNOWN;
  };

  auto store = ota::FirmwareStore::open(opts["firmware_dir"]);
  if (!store.ok()) return fail(store.error());
  probe->store = std::move(store.value());
  auto signer = ota::UrlSigner::load_or_create(opts["url_secret_file"]);
  if (!signer.ok()) return fail(signer.error());
  probe->signer = std::make_unique<ota::UrlSigner>(std::move(signer.value()));

  auto library = ota::HttpLibrary::load(opts["http_library"]);
  if (!library.ok()) return fail(library.error());
  ota::HttpServerConfig config;
  config.listen = opts["http_listen"];
  config.tls_cert_file = opts["tls_cert_file"];
  config.tls_key_file = opts["tls_key_file"];
  config.resolve = ota::firmware_resolver(*probe->signer, *probe->store);
  auto server = ota::HttpServer::start(library.value(), std::move(config));
  if (!server.ok()) return fail(server.error());
  probe->server = std::move(server.value());

  report("lws_origin=" + library.value()->lws_origin());
  report("lws_version=" + library.value()->lws_version());
  if (!opts["plain_library"].empty()) {
    report("plain_lws_origin=" + plain_origin(opts["plain_library"]));
  }
  report("port=" + std::to_string(probe->server->port()));

  const int rc = mosquitto_callback_register(id, MOSQ_EVT_TICK, on_tick, nullptr, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return fail("cannot register TICK");
  mosquitto_log_printf(MOSQ_LOG_NOTICE, "http-probe: serving firmware on port %d",
                       probe->server->port());
  *userdata = probe.release();
  return MOSQ_ERR_SUCCESS;
}

PROBE_EXPORT int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
  auto* probe = static_cast<Probe*>(userdata);
  if (!probe) return MOSQ_ERR_SUCCESS;
  mosquitto_callback_unregister(probe->id, MOSQ_EVT_TICK, on_tick, nullptr);
  if (probe->server) probe->server->stop();  // lws_cancel_service + join
  report("stopped=1");
  g_probe = nullptr;
  delete probe;
  return MOSQ_ERR_SUCCESS;
}

#endif  // OTA_HTTP_PROBE_PLUGIN
