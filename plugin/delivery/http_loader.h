// Loads mosquitto_ota_http.so (the only code linked to libwebsockets) and
// drives its download server from C++.
//
// The library is opened with RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND: the
// broker exports its own static copy of lws, and loads plugins with
// RTLD_GLOBAL, so a plain dlopen would bind the helper's lws calls to the
// broker's copy (DESIGN.md §9). DEEPBIND makes them bind to
// libwebsockets.so.17. (AddressSanitizer refuses DEEPBIND: sanitizer
// builds load without it, which is fine outside the broker.)
//
// Threads: start(), drain_events(), stats() and stop() belong to the
// broker's thread; the resolver runs on the server's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/http_server.h"
#include "engine/result.h"

namespace ota {

// What the server does with one request.
struct HttpResolution {
  int status = 404;     // 200 serves `path`; anything else refuses with it
  std::string path;     // the file to stream
  std::string sha256;   // sent as the ETag
  std::string device;   // echoed in the download event
  std::string package;
};

// Decides a GET/HEAD request from its percent-encoded target and the time
// (Unix seconds). Called on the server thread: thread-safe, no broker calls.
using HttpResolver = std::function<HttpResolution(std::string_view path_and_query, int64_t now)>;

struct HttpServerConfig {
  std::string listen;         // "host:port", "[v6]:port", ":port"; port 0 = any free port
  std::string tls_cert_file;  // both set: HTTPS
  std::string tls_key_file;
  uint32_t max_connections = 256;
  uint32_t idle_timeout_s = 60;
  // One client address may hold this many connections (the rest are closed
  // at accept), so that one client cannot take every slot.
  uint32_t max_connections_per_address = 32;
  // A request head (request line and headers) must arrive within this many
  // seconds of the connection or of its first byte.
  uint32_t header_timeout_s = 10;
  uint32_t chunk_bytes = 16 * 1024;  // per write; keep small for slow links
  uint32_t max_queued_events = 10000;
  HttpResolver resolve;  // required
};

struct HttpEvent {
  enum class Kind { kDownload, kLog };
  Kind kind = Kind::kDownload;
  // kDownload: one response ended.
  int status = 0;          // 200 or 206
  bool complete = false;   // every byte written (false: connection cut)
  std::string device, package, sha256;
  uint64_t offset = 0, bytes = 0, file_size = 0;
  // kLog: a libwebsockets warning or error, for mosquitto_log_printf.
  bool error = false;
  std::string message;

  // The device now has the file's last byte (a whole file, or the end of a
  // resumed one).
  bool reached_end() const { return complete && offset + bytes == file_size; }
};

using HttpStats = ota_http_stats;

// The loaded helper library. Never dlclose()d: lws keeps process-wide
// state, and the broker never reloads plugins.
class HttpLibrary {
 public:
  static Result<std::shared_ptr<const HttpLibrary>> load(const std::string& path);

  const ota_http_api& api() const { return *api_; }
  const std::string& path() const { return path_; }
  // The file providing the helper's lws_create_context: libwebsockets.so.17
  // when isolation works, the broker's executable when it does not.
  std::string lws_origin() const { return api_->lws_origin(); }
  std::string lws_version() const { return api_->lws_version(); }

 private:
  HttpLibrary(std::string path, const ota_http_api* api) : path_(std::move(path)), api_(api) {}
  std::string path_;
  const ota_http_api* api_;
};

class HttpServer {
 public:
  // Binds the listener and starts serving; errors name the cause.
  static Result<std::unique_ptr<HttpServer>> start(std::shared_ptr<const HttpLibrary> library,
                                                   HttpServerConfig config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Events queued since the last call (broker thread, from TICK).
  std::vector<HttpEvent> drain_events();
  HttpStats stats() const;
  // Stops serving and joins the thread; idempotent (the destructor calls it).
  void stop();

 private:
  HttpServer(std::shared_ptr<const HttpLibrary> library, HttpServerConfig config)
      : library_(std::move(library)), config_(std::move(config)) {}
  static void resolve_trampoline(void* user, const char* path_and_query, int64_t now,
                                 ota_http_resolution* out);

  std::shared_ptr<const HttpLibrary> library_;
  HttpServerConfig config_;
  ota_http_server* server_ = nullptr;
};

// mosquitto_ota_http.so in the directory of the binary holding this code
// (the plugin), where the package installs both.
std::string default_http_library_path();

}  // namespace ota
