// The firmware download server of mosquitto_ota_http.so: the only code that
// includes libwebsockets.h (DESIGN.md §9). One lws context with one
// listener, serviced by its own thread; every request goes through our own
// HTTP callback because Debian's lws 4.1.6 has no Range support. Files are
// streamed from disk one chunk per LWS_CALLBACK_HTTP_WRITEABLE, never read
// whole. Nothing here calls the broker: results go to a queue that the
// plugin drains from the broker's TICK.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "delivery/byte_range.h"
#include "delivery/http_server.h"
#include "delivery/url_codec.h"

namespace ota {
namespace {

constexpr uint32_t kDefaultMaxConnections = 256;
constexpr uint32_t kDefaultIdleTimeout = 60;
// Small enough that a slow link drains one chunk well within the idle
// timeout (lws buffers what the kernel refuses, and only calls us writeable
// again once that is sent; the timeout is re-armed per chunk).
constexpr uint32_t kDefaultChunkBytes = 16 * 1024;
constexpr uint32_t kDefaultMaxEvents = 10000;
constexpr size_t kMaxQueryArgs = 32;
constexpr const char* kVhostName = "ota-firmware";

// An event with owned strings, queued for drain_events().
struct QueuedEvent {
  int kind = 0;
  int status = 0;
  int complete = 0;
  std::string device, package, sha256;
  uint64_t offset = 0, bytes = 0, file_size = 0;
  int log_level = 0;
  std::string message;
};

// One HTTP transaction (lws per-session data: zero-filled by lws, freed
// when the transaction ends or the connection closes).
struct Session {
  bool active;  // a file is open and its response not yet reported
  int fd;
  int status;
  uint64_t first, next, end, file_size;
  char sha256[65];
  char device[520];
  char package[136];
};

struct Counters {
  std::atomic<uint64_t> connections_open{0}, connections_refused{0}, requests{0},
      r200{0}, r206{0}, r403{0}, r404{0}, r416{0}, rother{0}, bytes_sent{0},
      downloads_completed{0}, events_dropped{0};
};

class Server;

// lws logs through one process-wide emit function: route lines to every
// running server's event queue.
std::mutex g_servers_mu;
std::set<Server*> g_servers;

void log_emit(int level, const char* line);

class Server {
 public:
  explicit Server(const ota_http_config& config);
  ~Server();
  bool start(std::string* error);
  void stop();
  int port() const { return port_; }
  size_t drain(ota_http_event_fn fn, void* user);
  void stats(ota_http_stats* out) const;
  void push(QueuedEvent event);

  static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                      size_t len);

 private:
  int on_request(lws* wsi, Session* s, const char* uri, size_t uri_len);
  int on_writeable(lws* wsi, Session* s);
  // Writes a complete short response (status line, headers, tiny body) and
  // ends the transaction; returns the callback's result.
  int respond(lws* wsi, int status, const std::string& extra_header_name = "",
              const std::string& extra_header_value = "", bool head = false);
  void finish(Session* s, bool complete);
  void count_status(int status);
  std::string request_target(lws* wsi, const char* uri, size_t uri_len);

  // Configuration, copied at construction.
  std::string listen_, cert_, key_;
  uint32_t max_connections_, idle_timeout_, chunk_bytes_, max_events_;
  ota_http_resolve_fn resolve_;
  void* resolve_user_;

  lws_protocols protocols_[2];
  lws_context* context_ = nullptr;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  // Service-thread state.
  std::vector<unsigned char> buffer_;  // LWS_PRE + chunk
  std::unordered_set<lws*> connections_;

  mutable std::mutex events_mu_;
  std::deque<QueuedEvent> events_;
  Counters counters_;
};

void log_emit(int level, const char* line) {
  QueuedEvent e;
  e.kind = OTA_HTTP_EVENT_LOG;
  e.log_level = (level & LLL_ERR) ? 0 : 1;
  e.message = line ? line : "";
  while (!e.message.empty() && (e.message.back() == '\n' || e.message.back() == '\r')) {
    e.message.pop_back();
  }
  std::lock_guard lock(g_servers_mu);
  for (Server* s : g_servers) s->push(e);
}

// "host:port" → iface for lws (NULL: every interface) and options.
bool parse_listen(const std::string& listen, std::string* iface, bool* any, bool* ipv4_only,
                  int* port, std::string* error) {
  std::string host, port_text;
  if (!listen.empty() && listen[0] == '[') {
    const size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      *error = "http_listen \"" + listen + "\": expected [address]:port";
      return false;
    }
    host = listen.substr(1, close - 1);
    port_text = listen.substr(close + 2);
  } else {
    const size_t colon = listen.rfind(':');
    if (colon == std::string::npos) {
      port_text = listen;
    } else {
      host = listen.substr(0, colon);
      port_text = listen.substr(colon + 1);
    }
  }
  char* end = nullptr;
  errno = 0;
  const long p = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || errno != 0 || p < 0 || p > 65535) {
    *error = "http_listen \"" + listen + "\": bad port \"" + port_text + "\"";
    return false;
  }
  *port = static_cast<int>(p);
  *any = false;
  *ipv4_only = false;
  in_addr v4{};
  in6_addr v6{};
  if (host.empty() || host == "*" || host == "::") {
    *any = true;
  } else if (host == "0.0.0.0") {
    *any = true;
    *ipv4_only = true;
  } else if (host == "localhost") {
    *iface = "127.0.0.1";
    *ipv4_only = true;
  } else if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    *iface = host;
    *ipv4_only = true;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    *iface = host;
  } else {
    *iface = host;  // an interface name such as eth0
  }
  return true;
}

Server::Server(const ota_http_config& c)
    : listen_(c.listen ? c.listen : ""),
      cert_(c.tls_cert_file ? c.tls_cert_file : ""),
      key_(c.tls_key_file ? c.tls_key_file : ""),
      max_connections_(c.max_connections ? c.max_connections : kDefaultMaxConnections),
      idle_timeout_(c.idle_timeout_s ? c.idle_timeout_s : kDefaultIdleTimeout),
      chunk_bytes_(c.chunk_bytes ? c.chunk_bytes : kDefaultChunkBytes),
      max_events_(c.max_queued_events ? c.max_queued_events : kDefaultMaxEvents),
      resolve_(c.resolve),
      resolve_user_(c.resolve_user) {
  std::memset(protocols_, 0, sizeof(protocols_));
  protocols_[0].name = "ota-firmware-http";
  protocols_[0].callback = &Server::callback;
  protocols_[0].per_session_data_size = sizeof(Session);
  buffer_.resize(LWS_PRE + chunk_bytes_);
}

Server::~Server() { stop(); }

bool Server::start(std::string* error) {
  if (!resolve_) {
    *error = "no resolve callback";
    return false;
  }
  std::string iface;
  bool any = false, ipv4_only = false;
  if (!parse_listen(listen_, &iface, &any, &ipv4_only, &port_, error)) return false;
  if (cert_.empty() != key_.empty()) {
    *error = "TLS needs both a certificate and a key file";
    return false;
  }
  for (const std::string& f : {cert_, key_}) {
    if (!f.empty() && ::access(f.c_str(), R_OK) != 0) {
      *error = "cannot read TLS file " + f + ": " + std::strerror(errno);
      return false;
    }
  }

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = port_;
  info.iface = any ? nullptr : iface.c_str();
  info.protocols = protocols_;
  info.user = this;
  info.vhost_name = kVhostName;
  info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
  if (ipv4_only) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  if (!cert_.empty()) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = cert_.c_str();
    info.ssl_private_key_filepath = key_.c_str();
  }
  info.alpn = "http/1.1";  // h1 only: our status lines and writes assume it
  info.max_http_header_data = 4096;  // signed URLs are longer than lws' 1 KiB default
  // One header table per connection, or concurrent downloads would queue
  // behind lws' default pool of 4.
  info.max_http_header_pool =
      static_cast<unsigned short>(std::min<uint32_t>(max_connections_, 65535));
  // Sockets beyond the connections: the listener and lws' wake-up pipe.
  info.fd_limit_per_thread = max_connections_ + 8;
  // Idle limits: connecting without a request (the header table is held),
  // between keep-alive requests, and lws' other network steps.
  info.timeout_secs = idle_timeout_;
  info.timeout_secs_ah_idle = static_cast<int>(idle_timeout_);
  info.keepalive_timeout = static_cast<int>(idle_timeout_);
  info.server_string = "mosquitto-ota";

  {
    std::lock_guard lock(g_servers_mu);
    g_servers.insert(this);
  }
  lws_set_log_level(LLL_ERR | LLL_WARN, log_emit);
  context_ = lws_create_context(&info);
  if (!context_) {
    std::lock_guard lock(g_servers_mu);
    g_servers.erase(this);
    *error = "cannot listen on " + listen_ + (cert_.empty() ? "" : " with TLS") +
             " (address in use, unknown interface or bad TLS files)";
    std::lock_guard events_lock(events_mu_);
    for (const QueuedEvent& e : events_) {
      if (e.kind == OTA_HTTP_EVENT_LOG) *error += "; lws: " + e.message;
    }
    return false;
  }
  lws_vhost* vhost = lws_get_vhost_by_name(context_, kVhostName);
  if (vhost) port_ = lws_get_vhost_listen_port(vhost);
  thread_ = std::thread([this] {
    while (!stopping_.load()) {
      if (lws_service(context_, 0) < 0) {
        log_emit(LLL_ERR, "firmware download server: service loop failed; not serving");
        break;
      }
    }
  });
  return true;
}

void Server::stop() {
  if (!context_) return;
  stopping_.store(true);
  lws_cancel_service(context_);  // wakes lws_service() so the loop sees stopping_
  if (thread_.joinable()) thread_.join();
  lws_context_destroy(context_);  // closes connections (CLOSED_HTTP on this thread)
  context_ = nullptr;
  std::lock_guard lock(g_servers_mu);
  g_servers.erase(this);
}

void Server::push(QueuedEvent event) {
  std::lock_guard lock(events_mu_);
  if (events_.size() >= max_events_) {
    counters_.events_dropped++;
    return;
  }
  events_.push_back(std::move(event));
}

size_t Server::drain(ota_http_event_fn fn, void* user) {
  std::deque<QueuedEvent> batch;
  {
    std::lock_guard lock(events_mu_);
    batch.swap(events_);
  }
  for (const QueuedEvent& q : batch) {
    ota_http_event e;
    std::memset(&e, 0, sizeof(e));
    e.kind = q.kind;
    e.status = q.status;
    e.complete = q.complete;
    e.device = q.device.c_str();
    e.package = q.package.c_str();
    e.sha256 = q.sha256.c_str();
    e.offset = q.offset;
    e.bytes = q.bytes;
    e.file_size = q.file_size;
    e.log_level = q.log_level;
    e.message = q.message.c_str();
    if (fn) fn(user, &e);
  }
  return batch.size();
}

void Server::stats(ota_http_stats* out) const {
  std::memset(out, 0, sizeof(*out));
  out->connections_open = counters_.connections_open.load();
  out->connections_refused = counters_.connections_refused.load();
  out->requests = counters_.requests.load();
  out->responses_200 = counters_.r200.load();
  out->responses_206 = counters_.r206.load();
  out->responses_403 = counters_.r403.load();
  out->responses_404 = counters_.r404.load();
  out->responses_416 = counters_.r416.load();
  out->responses_other = counters_.rother.load();
  out->bytes_sent = counters_.bytes_sent.load();
  out->downloads_completed = counters_.downloads_completed.load();
  out->events_dropped = counters_.events_dropped.load();
}

void Server::count_status(int status) {
  switch (status) {
    case 200: counters_.r200++; break;
    case 206: counters_.r206++; break;
    case 403: counters_.r403++; break;
    case 404: counters_.r404++; break;
    case 416: counters_.r416++; break;
    default: counters_.rother++; break;
  }
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 416: return "Range Not Satisfiable";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

// Status line with a reason phrase (lws' own leaves it empty for 206).
// HTTP/1.1 is right for 1.0 clients too (RFC 9110 §2.5); the server is h1
// only (ALPN http/1.1, upgrades refused).
bool add_status(lws* wsi, int status, unsigned char** p, unsigned char* end) {
  const std::string line =
      "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status);
  return lws_add_http_header_by_name(wsi, nullptr,
                                     reinterpret_cast<const unsigned char*>(line.data()),
                                     static_cast<int>(line.size()), p, end) == 0;
}

bool add_header(lws* wsi, const std::string& name, const std::string& value,
                unsigned char** p, unsigned char* end) {
  return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name.c_str()),
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()), p, end) == 0;
}

int Server::respond(lws* wsi, int status, const std::string& extra_name,
                    const std::string& extra_value, bool head) {
  count_status(status);
  const std::string body = head ? "" : std::to_string(status) + " " + reason_phrase(status) + "\n";
  unsigned char* start = buffer_.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buffer_.data() + buffer_.size() - 1;
  const size_t content_length = head ? std::strlen(reason_phrase(status)) + 5 : body.size();
  if (!add_status(wsi, status, &p, end) ||
      !add_header(wsi, "content-type:", "text/plain", &p, end) ||
      lws_add_http_header_content_length(wsi, content_length, &p, end) != 0 ||
      (!extra_name.empty() && !add_header(wsi, extra_name, extra_value, &p, end)) ||
      lws_finalize_http_header(wsi, &p, end) != 0) {
    return -1;
  }
  // h1: headers and the tiny body go out in one write.
  std::memcpy(p, body.data(), body.size());
  p += body.size();
  const int n = static_cast<int>(p - start);
  if (lws_write(wsi, start, static_cast<size_t>(n), LWS_WRITE_HTTP) != n) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

// The request target as sent (percent-encoded): lws hands over the path
// and each query argument decoded, so encode them again for the verifier.
std::string Server::request_target(lws* wsi, const char* uri, size_t uri_len) {
  std::vector<std::string> args;
  char buf[2048];
  for (size_t i = 0; i < kMaxQueryArgs; ++i) {
    const int n = lws_hdr_copy_fragment(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_URI_ARGS,
                                        static_cast<int>(i));
    if (n < 0) break;
    args.emplace_back(buf, static_cast<size_t>(n));
  }
  return rebuild_target(std::string_view(uri, uri_len), args);
}

int Server::on_request(lws* wsi, Session* s, const char* uri, size_t uri_len) {
  counters_.requests++;
  const bool head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
  const bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
  if (!get && !head) return respond(wsi, 405, "allow:", "GET, HEAD");

  ota_http_resolution r;
  std::memset(&r, 0, sizeof(r));
  r.status = 404;
  const std::string target = request_target(wsi, uri, uri_len);
  resolve_(resolve_user_, target.c_str(), static_cast<int64_t>(::time(nullptr)), &r);
  r.path[sizeof(r.path) - 1] = '\0';
  r.sha256[sizeof(r.sha256) - 1] = '\0';
  r.device[sizeof(r.device) - 1] = '\0';
  r.package[sizeof(r.package) - 1] = '\0';
  if (r.status != 200) return respond(wsi, r.status > 0 ? r.status : 404, "", "", head);

  const int fd = ::open(r.path, O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) ::close(fd);
    return respond(wsi, 404, "", "", head);
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);

  std::string range;
  const int range_len = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_RANGE);
  if (range_len > 0 && range_len < 256) {
    char buf[256];
    if (lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_RANGE) > 0) range = buf;
  }
  const RangeDecision d = decide_range(range, size);
  if (d.kind == RangeDecision::kUnsatisfiable) {
    ::close(fd);
    return respond(wsi, 416, "content-range:", content_range(d, size), head);
  }
  const int status = d.kind == RangeDecision::kPartial ? 206 : 200;
  count_status(status);

  unsigned char* start = buffer_.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buffer_.data() + buffer_.size() - 1;
  if (!add_status(wsi, status, &p, end) ||
      !add_header(wsi, "content-type:", "application/octet-stream", &p, end) ||
      lws_add_http_header_content_length(wsi, d.length, &p, end) != 0 ||
      !add_header(wsi, "accept-ranges:", "bytes", &p, end) ||
      !add_header(wsi, "etag:", "\"" + std::string(r.sha256) + "\"", &p, end) ||
      (status == 206 && !add_header(wsi, "content-range:", content_range(d, size), &p, end)) ||
      lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
    ::close(fd);
    return -1;
  }
  if (head || d.length == 0) {
    ::close(fd);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  s->active = true;
  s->fd = fd;
  s->status = status;
  s->first = s->next = d.first;
  s->end = d.first + d.length;
  s->file_size = size;
  std::memcpy(s->sha256, r.sha256, sizeof(s->sha256));
  std::memcpy(s->device, r.device, sizeof(s->device));
  std::memcpy(s->package, r.package, sizeof(s->package));
  lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, static_cast<int>(idle_timeout_));
  lws_callback_on_writable(wsi);
  return 0;
}

int Server::on_writeable(lws* wsi, Session* s) {
  if (!s || !s->active) return 0;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk_bytes_, s->end - s->next));
  unsigned char* data = buffer_.data() + LWS_PRE;
  ssize_t n;
  do {
    n = ::pread(s->fd, data, want, static_cast<off_t>(s->next));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    const std::string line =
        "firmware " + std::string(s->sha256) + " is shorter than served or unreadable";
    log_emit(LLL_ERR, line.c_str());
    return -1;  // the connection closes; CLOSED_HTTP reports the cut
  }
  const bool last = s->next + static_cast<uint64_t>(n) == s->end;
  if (lws_write(wsi, data, static_cast<size_t>(n), last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
      n) {
    return -1;
  }
  s->next += static_cast<uint64_t>(n);
  counters_.bytes_sent += static_cast<uint64_t>(n);
  if (last) {
    finish(s, true);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  // A client that stops reading never makes us writeable again: close it
  // after the idle timeout instead of holding the file and the socket.
  lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, static_cast<int>(idle_timeout_));
  lws_callback_on_writable(wsi);
  return 0;
}

void Server::finish(Session* s, bool complete) {
  if (!s || !s->active) return;
  s->active = false;
  ::close(s->fd);
  QueuedEvent e;
  e.kind = OTA_HTTP_EVENT_DOWNLOAD;
  e.status = s->status;
  e.complete = complete ? 1 : 0;
  e.device = s->device;
  e.package = s->package;
  e.sha256 = s->sha256;
  e.offset = s->first;
  e.bytes = s->next - s->first;
  e.file_size = s->file_size;
  if (complete && s->end == s->file_size) counters_.downloads_completed++;
  push(std::move(e));
}

int Server::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  lws_context* context = lws_get_context(wsi);
  Server* self = context ? static_cast<Server*>(lws_context_user(context)) : nullptr;
  Session* s = static_cast<Session*>(user);
  if (!self) return lws_callback_http_dummy(wsi, reason, user, in, len);
  switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
      // Called before the new connection's wsi exists.
      if (self->connections_.size() >= self->max_connections_) {
        self->counters_.connections_refused++;
        return 1;  // lws closes the accepted socket
      }
      return 0;
    case LWS_CALLBACK_WSI_CREATE:
      self->connections_.insert(wsi);
      self->counters_.connections_open = self->connections_.size();
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      self->connections_.erase(wsi);
      self->counters_.connections_open = self->connections_.size();
      return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      // Neither websockets nor h2c: this listener serves firmware only.
      return -1;
    case LWS_CALLBACK_HTTP:
      return self->on_request(wsi, s, static_cast<const char*>(in), len);
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return self->on_writeable(wsi, s);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
      self->finish(s, false);  // no-op unless a response was cut off
      break;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

// --- the C table ---

ota_http_server* api_start(const ota_http_config* config, char* error, size_t error_len) {
  auto report = [&](const std::string& text) {
    if (error && error_len > 0) {
      std::snprintf(error, error_len, "%s", text.c_str());
    }
  };
  if (!config) {
    report("no configuration");
    return nullptr;
  }
  // Fields the caller does not know about stay zero (their defaults).
  ota_http_config c;
  std::memset(&c, 0, sizeof(c));
  std::memcpy(&c, config, std::min<size_t>(config->struct_size, sizeof(c)));
  auto* server = new Server(c);
  std::string message;
  if (!server->start(&message)) {
    delete server;
    report(message);
    return nullptr;
  }
  return reinterpret_cast<ota_http_server*>(server);
}

int api_port(const ota_http_server* server) {
  return server ? reinterpret_cast<const Server*>(server)->port() : 0;
}

size_t api_drain(ota_http_server* server, ota_http_event_fn fn, void* user) {
  return server ? reinterpret_cast<Server*>(server)->drain(fn, user) : 0;
}

void api_stats(const ota_http_server* server, ota_http_stats* out) {
  if (!out) return;
  if (!server) {
    std::memset(out, 0, sizeof(*out));
    return;
  }
  reinterpret_cast<const Server*>(server)->stats(out);
}

void api_stop(ota_http_server* server) { delete reinterpret_cast<Server*>(server); }

const char* api_lws_origin() {
  static std::string origin = [] {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&lws_create_context), &info) && info.dli_fname) {
      return std::string(info.dli_fname);
    }
    return std::string("unknown");
  }();
  return origin.c_str();
}

const char* api_lws_version() { return lws_get_library_version(); }

const ota_http_api kApi = {
    OTA_HTTP_ABI_VERSION, sizeof(ota_http_api), api_start,       api_port,        api_drain,
    api_stats,            api_stop,             api_lws_origin, api_lws_version,
};

}  // namespace
}  // namespace ota

extern "C" __attribute__((visibility("default"))) const ota_http_api* ota_http_server_api_v1() {
  return &ota::kApi;
}
