#include "assembly/service_assembly.h"

#include "assembly/metrics_endpoint.h"
#include "delivery/firmware_resolver.h"
#include "delivery/firmware_store.h"
#include "delivery/http_loader.h"
#include "delivery/signed_url.h"
#include "storage/lmdb_store.h"

namespace ota {

Result<std::unique_ptr<OtaService>> open_ota_service(const PluginOptions& options,
                                                     Logger logger) {
  ServiceParts parts;
  try {
    LmdbStoreOptions store_options;
    store_options.map_size = options.db_map_size_mb * 1024 * 1024;
    store_options.device_cache_entries = options.cache_devices;
    std::unique_ptr<LmdbStore> store = LmdbStore::open(options.db_path, store_options);
    for (const std::string& step : store->migrations()) {
      logger(LogLevel::kNotice, "mosquitto-ota: " + options.db_path + ": migrated " + step);
    }
    parts.store = std::move(store);
  } catch (const StoreError& e) {
    return Error{std::string("cannot open the OTA database: ") + e.what()};
  }
  if (!options.firmware_dir.empty()) {
    Result<std::unique_ptr<FirmwareStore>> firmware = FirmwareStore::open(options.firmware_dir);
    if (!firmware) return Error{"cannot open the firmware store: " + firmware.error()};
    parts.firmware = std::move(firmware.value());
  }
  if (!options.http_public_url.empty()) {
    Result<UrlSigner> signer = UrlSigner::load_or_create(options.url_secret_file);
    if (!signer) return Error{"cannot load the URL secret: " + signer.error()};
    if (!signer.value().warning().empty()) {
      logger(LogLevel::kWarning, "mosquitto-ota: " + signer.value().warning());
    }
    parts.signer = std::make_unique<UrlSigner>(std::move(signer.value()));
  }
  // The helper library of both HTTP listeners, loaded once when either is on.
  std::shared_ptr<const HttpLibrary> http_library;
  if (!options.http_listen.empty() || !options.metrics_listen.empty()) {
    const std::string path =
        options.http_library.empty() ? default_http_library_path() : options.http_library;
    Result<std::shared_ptr<const HttpLibrary>> library = HttpLibrary::load(path);
    if (!library) return Error{"cannot load the HTTP server library: " + library.error()};
    http_library = library.value();
  }
  if (!options.http_listen.empty()) {
    HttpServerConfig config;
    config.listen = options.http_listen;
    config.tls_cert_file = options.http_tls_cert;
    config.tls_key_file = options.http_tls_key;
    config.max_connections = static_cast<uint32_t>(options.http_max_connections);
    config.idle_timeout_s = static_cast<uint32_t>(options.http_idle_timeout_s);
    config.max_connections_per_address =
        static_cast<uint32_t>(options.http_max_connections_per_address);
    config.header_timeout_s = static_cast<uint32_t>(options.http_header_timeout_s);
    // The signer and the firmware store are heap objects the service keeps
    // until after it stopped the server.
    config.resolve = firmware_resolver(*parts.signer, *parts.firmware);
    Result<std::unique_ptr<HttpServer>> server = HttpServer::start(http_library, std::move(config));
    if (!server) return Error{"cannot start the download server: " + server.error()};
    parts.http = std::move(server.value());
    logger(LogLevel::kNotice, "mosquitto-ota: firmware download server on " + options.http_listen +
           " (port " + std::to_string(parts.http->port()) + "), public URL " +
           options.http_public_url + ", libwebsockets " + http_library->lws_version() +
           " from " + http_library->lws_origin());
  }
  if (!options.metrics_listen.empty()) {
    parts.metrics = std::make_shared<MetricsSnapshot>();
    HttpServerConfig config;
    config.listen = options.metrics_listen;
    config.name = "metrics listener";
    // Prometheus and a few dashboards: a handful of connections.
    config.max_connections = 16;
    config.max_connections_per_address = 8;
    config.respond = metrics_responder(parts.metrics);
    Result<std::unique_ptr<HttpServer>> server = HttpServer::start(http_library, std::move(config));
    if (!server) return Error{"cannot start the metrics listener: " + server.error()};
    parts.metrics_http = std::move(server.value());
    logger(LogLevel::kNotice, "mosquitto-ota: Prometheus metrics on " + options.metrics_listen +
           " (port " + std::to_string(parts.metrics_http->port()) + "), GET /metrics");
  }
  return std::make_unique<OtaService>(options, std::move(logger), std::move(parts));
}

}  // namespace ota
