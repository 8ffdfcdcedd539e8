#include "delivery/http_loader.h"

#include <dlfcn.h>

#include <cstring>

namespace ota {
namespace {

#if defined(__SANITIZE_ADDRESS__)
#define OTA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OTA_ASAN 1
#endif
#endif

int dlopen_flags() {
#ifdef OTA_ASAN
  return RTLD_NOW | RTLD_LOCAL;  // ASan aborts on RTLD_DEEPBIND
#else
  return RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#endif
}

// Copies `value` into a fixed C buffer; false when it does not fit.
template <size_t N>
bool copy_field(char (&dest)[N], const std::string& value) {
  if (value.size() >= N) return false;
  std::memcpy(dest, value.c_str(), value.size() + 1);
  return true;
}

}  // namespace

Result<std::shared_ptr<const HttpLibrary>> HttpLibrary::load(const std::string& path) {
  dlerror();
  void* handle = ::dlopen(path.c_str(), dlopen_flags());
  if (!handle) {
    const char* err = dlerror();
    return Error{"cannot load the HTTP library " + path + ": " + (err ? err : "unknown error")};
  }
  auto factory = reinterpret_cast<ota_http_factory_fn>(::dlsym(handle, OTA_HTTP_FACTORY_SYMBOL));
  if (!factory) {
    return Error{path + " has no " OTA_HTTP_FACTORY_SYMBOL ": not the OTA HTTP library"};
  }
  const ota_http_api* api = factory();
  if (!api || api->abi_version != OTA_HTTP_ABI_VERSION ||
      api->struct_size < sizeof(ota_http_api)) {
    return Error{path + " speaks another interface version (" +
                 std::to_string(api ? api->abi_version : 0) + ", expected " +
                 std::to_string(OTA_HTTP_ABI_VERSION) + "): install matching versions"};
  }
  return std::shared_ptr<const HttpLibrary>(new HttpLibrary(path, api));
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(std::shared_ptr<const HttpLibrary> library,
                                                      HttpServerConfig config) {
  if (!library) return Error{"HTTP library not loaded"};
  if (!config.resolve) return Error{"HTTP server needs a resolver"};
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(library), std::move(config)));
  const HttpServerConfig& c = server->config_;
  ota_http_config raw;
  std::memset(&raw, 0, sizeof(raw));
  raw.struct_size = sizeof(raw);
  raw.listen = c.listen.c_str();
  raw.tls_cert_file = c.tls_cert_file.c_str();
  raw.tls_key_file = c.tls_key_file.c_str();
  raw.max_connections = c.max_connections;
  raw.idle_timeout_s = c.idle_timeout_s;
  raw.max_connections_per_address = c.max_connections_per_address;
  raw.header_timeout_s = c.header_timeout_s;
  raw.chunk_bytes = c.chunk_bytes;
  raw.max_queued_events = c.max_queued_events;
  raw.resolve = &HttpServer::resolve_trampoline;
  raw.resolve_user = server.get();
  char error[512] = "";
  server->server_ = server->library_->api().start(&raw, error, sizeof(error));
  if (!server->server_) return Error{std::string("HTTP server: ") + error};
  return server;
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() {
  if (!server_) return;
  library_->api().stop(server_);
  server_ = nullptr;
}

int HttpServer::port() const { return server_ ? library_->api().port(server_) : 0; }

std::vector<HttpEvent> HttpServer::drain_events() {
  std::vector<HttpEvent> out;
  if (!server_) return out;
  library_->api().drain_events(
      server_,
      [](void* user, const ota_http_event* e) {
        HttpEvent event;
        if (e->kind == OTA_HTTP_EVENT_LOG) {
          event.kind = HttpEvent::Kind::kLog;
          event.error = e->log_level == 0;
          event.message = e->message ? e->message : "";
        } else {
          event.kind = HttpEvent::Kind::kDownload;
          event.status = e->status;
          event.complete = e->complete != 0;
          event.device = e->device ? e->device : "";
          event.package = e->package ? e->package : "";
          event.sha256 = e->sha256 ? e->sha256 : "";
          event.offset = e->offset;
          event.bytes = e->bytes;
          event.file_size = e->file_size;
        }
        static_cast<std::vector<HttpEvent>*>(user)->push_back(std::move(event));
      },
      &out);
  return out;
}

HttpStats HttpServer::stats() const {
  HttpStats s;
  std::memset(&s, 0, sizeof(s));
  if (server_) library_->api().get_stats(server_, &s);
  return s;
}

// Runs on the server thread; exceptions must not cross into C.
void HttpServer::resolve_trampoline(void* user, const char* path_and_query, int64_t now,
                                    ota_http_resolution* out) {
  auto* self = static_cast<HttpServer*>(user);
  try {
    HttpResolution r = self->config_.resolve(path_and_query ? path_and_query : "", now);
    out->status = r.status;
    if (r.status == 200 &&
        (!copy_field(out->path, r.path) || !copy_field(out->sha256, r.sha256) ||
         !copy_field(out->device, r.device) || !copy_field(out->package, r.package))) {
      out->status = 500;
    }
  } catch (...) {
    out->status = 500;
  }
}

std::string default_http_library_path() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&default_http_library_path), &info) && info.dli_fname) {
    std::string self = info.dli_fname;
    const size_t slash = self.find_last_of('/');
    if (slash != std::string::npos) return self.substr(0, slash + 1) + "mosquitto_ota_http.so";
  }
  return "mosquitto_ota_http.so";
}

}  // namespace ota
