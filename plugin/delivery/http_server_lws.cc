// The firmware download server of mosquitto_ota_http.so: the only code that
// includes libwebsockets.h (DESIGN.md §9). One lws context with one
// listener, serviced by its own thread. Connections are raw sockets (lws'
// "raw-skt" role, TLS included) and HTTP/1.x is spoken here
// (delivery/http_request.h): lws' HTTP role closes malformed requests without
// a status, spells header names in lower case, and its Debian build has no
// Range support. Files are streamed from disk one chunk per writeable
// callback, never read whole. Nothing here calls the broker: results go to a
// queue that the plugin drains from the broker's TICK.
// Longer than the project's ~450 lines on purpose: it is the one file that
// sees lws, so every lws callback and call stays here; the HTTP parsing,
// ranges and URL decoding it uses are pure files of their own.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "delivery/byte_range.h"
#include "delivery/http_request.h"
#include "delivery/http_server.h"

namespace ota {
namespace {

constexpr uint32_t kDefaultMaxConnections = 256;
constexpr uint32_t kDefaultIdleTimeout = 60;
// Small enough that a slow link drains one chunk well within the idle
// timeout (lws buffers what the kernel refuses, and only calls us writeable
// again once that is sent; the timeout is re-armed per chunk).
constexpr uint32_t kDefaultChunkBytes = 16 * 1024;
constexpr uint32_t kDefaultMaxEvents = 10000;
// Enough for a NAT'ed fleet behind one address downloading at once, far
// below the global cap: one address cannot take every slot.
constexpr uint32_t kDefaultMaxPerAddress = 32;
constexpr uint32_t kDefaultHeaderTimeout = 10;
// After the last response of a closing connection: time for the client to
// read it and close its end before we do.
constexpr int kLingerSeconds = 2;
// One warning per kind and interval; the rest are counted into the next.
constexpr std::chrono::seconds kWarnInterval{10};
constexpr const char* kVhostName = "ota-firmware";
constexpr const char* kProtocolName = "ota-firmware-http";

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

// One client connection, from adoption to close.
struct Conn {
  std::string address;
  std::string in;         // received request bytes not yet handled
  std::string out;        // a response head (and short body) not yet written
  bool waiting_first_byte = false;  // idle between keep-alive requests
  bool keep_alive = false;          // after this response
  bool closing = false;             // last response written; lingering
  // The file response being streamed.
  bool streaming = false;
  int fd = -1;
  int status = 0;
  uint64_t first = 0, next = 0, end = 0, file_size = 0;
  std::string sha256, device, package;
};

// lws per-session data (zero-filled by lws, freed by lws).
struct Session {
  Conn* conn;
};

struct Counters {
  std::atomic<uint64_t> connections_open{0}, connections_refused{0}, requests{0},
      r200{0}, r206{0}, r403{0}, r404{0}, r416{0}, rother{0}, bytes_sent{0},
      downloads_completed{0}, events_dropped{0}, refused_per_address{0}, bad_requests{0};
};

// A rate-limited warning: the first at once, then at most one per interval
// saying how many were suppressed.
struct WarnLimiter {
  std::chrono::steady_clock::time_point last{};
  uint64_t suppressed = 0;
  bool should_log(std::string* suffix) {
    const auto now = std::chrono::steady_clock::now();
    if (last != std::chrono::steady_clock::time_point{} && now - last < kWarnInterval) {
      suppressed++;
      return false;
    }
    *suffix = suppressed ? " (" + std::to_string(suppressed) + " more since the last warning)" : "";
    suppressed = 0;
    last = now;
    return true;
  }
};

class Server;

// lws logs through one process-wide emit function: route lines to every
// running server's event queue.
std::mutex g_servers_mu;
std::set<Server*> g_servers;

void log_emit(int level, const char* line);

// The server on whose behalf this thread calls lws (see log_emit).
thread_local Server* t_logging_server = nullptr;

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
  int on_adopt(lws* wsi, Session* s);
  int on_receive(lws* wsi, Conn* c, const char* data, size_t len);
  int on_writeable(lws* wsi, Conn* c);
  void on_close(Session* s);
  // Handles the request at the start of c->in, if complete.
  int process(lws* wsi, Conn* c);
  void handle(lws* wsi, Conn* c, const HttpRequest& request);
  // Answers from memory (respond_): the metrics listener.
  void respond_from_memory(Conn* c, const HttpRequest& request, bool head_only);
  // Queues a short response (head and a one-line body).
  void respond(Conn* c, int status, bool head_only, const std::string& allow = "",
               const std::string& content_range = "");
  // The response ended: linger and close, or wait for the next request.
  int transaction_done(lws* wsi, Conn* c);
  int write_out(lws* wsi, Conn* c);
  void finish(Conn* c, bool complete);
  void count_status(int status);
  void warn(WarnLimiter& limiter, const std::string& text);

  // Configuration, copied at construction.
  std::string listen_, cert_, key_;
  uint32_t max_connections_, idle_timeout_, chunk_bytes_, max_events_, max_per_address_,
      header_timeout_;
  ota_http_resolve_fn resolve_;
  void* resolve_user_;
  ota_http_respond_fn respond_;
  void* respond_user_;
  std::string name_;  // in log lines

  lws_protocols protocols_[2];
  lws_context* context_ = nullptr;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  // Service-thread state.
  std::vector<unsigned char> buffer_;  // LWS_PRE + chunk
  std::unordered_set<lws*> connections_;
  std::unordered_map<std::string, uint32_t> per_address_;
  WarnLimiter warn_address_, warn_bad_request_;

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
  // One queue gets it, so that with two servers (downloads and metrics) a
  // line is logged once: the server whose thread logs (its service thread,
  // or the broker's while it creates or destroys the context), else the
  // first one.
  if (t_logging_server) {
    t_logging_server->push(std::move(e));
    return;
  }
  std::lock_guard lock(g_servers_mu);
  if (!g_servers.empty()) (*g_servers.begin())->push(std::move(e));
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
      max_per_address_(c.max_connections_per_address ? c.max_connections_per_address
                                                     : kDefaultMaxPerAddress),
      header_timeout_(c.header_timeout_s ? c.header_timeout_s : kDefaultHeaderTimeout),
      resolve_(c.resolve),
      resolve_user_(c.resolve_user),
      respond_(c.respond),
      respond_user_(c.respond_user),
      name_(c.name && *c.name ? c.name : "firmware download server") {
  std::memset(protocols_, 0, sizeof(protocols_));
  protocols_[0].name = kProtocolName;
  protocols_[0].callback = &Server::callback;
  protocols_[0].per_session_data_size = sizeof(Session);
  buffer_.resize(LWS_PRE + std::max<uint32_t>(chunk_bytes_, 4096));
}

Server::~Server() { stop(); }

bool Server::start(std::string* error) {
  if (!resolve_ && !respond_) {
    *error = "no resolve or respond callback";
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
  // Every accepted connection is a raw socket of our protocol: we speak
  // HTTP ourselves (see the top of this file).
  info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
                 LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
  info.listen_accept_role = "raw-skt";
  info.listen_accept_protocol = kProtocolName;
  if (ipv4_only) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  if (!cert_.empty()) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = cert_.c_str();
    info.ssl_private_key_filepath = key_.c_str();
  }
  info.alpn = "http/1.1";  // h1 only: no h2 over TLS
  // Sockets beyond the connections: the listener and lws' wake-up pipe.
  info.fd_limit_per_thread = max_connections_ + 8;
  // lws' own network steps (the TLS handshake): as long as a request head.
  info.timeout_secs = header_timeout_;

  {
    std::lock_guard lock(g_servers_mu);
    g_servers.insert(this);
  }
  lws_set_log_level(LLL_ERR | LLL_WARN, log_emit);
  Server* const previous = t_logging_server;
  t_logging_server = this;
  context_ = lws_create_context(&info);
  t_logging_server = previous;
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
    t_logging_server = this;
    while (!stopping_.load()) {
      if (lws_service(context_, 0) < 0) {
        log_emit(LLL_ERR, (name_ + ": service loop failed; not serving").c_str());
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
  Server* const previous = t_logging_server;
  t_logging_server = this;
  lws_context_destroy(context_);  // closes connections (CLOSED_HTTP on this thread)
  t_logging_server = previous;
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
  out->connections_refused_per_address = counters_.refused_per_address.load();
  out->bad_requests = counters_.bad_requests.load();
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

void Server::warn(WarnLimiter& limiter, const std::string& text) {
  std::string suffix;
  if (!limiter.should_log(&suffix)) return;
  QueuedEvent e;
  e.kind = OTA_HTTP_EVENT_LOG;
  e.log_level = 1;
  e.message = text + suffix;
  push(std::move(e));
}

// The peer's address as text ("127.0.0.1", "2001:db8::1"); IPv4-mapped IPv6
// addresses as IPv4, so that one client counts once whatever the socket.
std::string peer_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char text[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, text, sizeof(text));
  } else if (ss.ss_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      ::inet_ntop(AF_INET, &a.s6_addr[12], text, sizeof(text));
    } else {
      ::inet_ntop(AF_INET6, &a, text, sizeof(text));
    }
  }
  return text;
}

int Server::on_adopt(lws* wsi, Session* s) {
  const std::string address = peer_address(lws_get_socket_fd(wsi));
  uint32_t& open = per_address_[address];
  if (open >= max_per_address_) {
    counters_.refused_per_address++;
    warn(warn_address_, name_ + ": refused a connection from " + address +
                            ": it has " + std::to_string(open) +
                            " open (plugin_opt_http_max_connections_per_address)");
    return -1;  // lws closes the socket
  }
  open++;
  s->conn = new Conn;
  s->conn->address = address;
  // The request head must be complete within the header timeout, and an
  // idle connection without one is closed like any idle connection.
  lws_set_timeout(wsi, PENDING_TIMEOUT_HOLDING_AH,
                  static_cast<int>(std::min(header_timeout_, idle_timeout_)));
  return 0;
}

void Server::on_close(Session* s) {
  if (!s || !s->conn) return;
  Conn* c = s->conn;
  finish(c, false);  // no-op unless a response was cut off
  auto it = per_address_.find(c->address);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  delete c;
  s->conn = nullptr;
}

int Server::on_receive(lws* wsi, Conn* c, const char* data, size_t len) {
  if (c->closing) return 0;  // lingering: the rest is not read
  if (c->waiting_first_byte) {
    // A new request begins: its head gets the header timeout.
    c->waiting_first_byte = false;
    lws_set_timeout(wsi, PENDING_TIMEOUT_HOLDING_AH, static_cast<int>(header_timeout_));
  }
  // Pipelined requests wait, bounded, until the response before them ended.
  if (c->in.size() + len > 2 * kMaxRequestHeadBytes) {
    c->in.append(data, std::min(len, 2 * kMaxRequestHeadBytes - c->in.size()));
  } else {
    c->in.append(data, len);
  }
  if (c->streaming || !c->out.empty()) return 0;
  return process(wsi, c);
}

int Server::process(lws* wsi, Conn* c) {
  const HttpParse p = parse_http_request(c->in);
  if (p.kind == HttpParse::Kind::kIncomplete) return 0;
  if (p.kind == HttpParse::Kind::kBad) {
    counters_.requests++;
    counters_.bad_requests++;
    warn(warn_bad_request_, name_ + ": " + c->address + ": " + p.error +
                                " (answered " + std::to_string(p.status) + ")");
    c->in.clear();
    c->keep_alive = false;
    respond(c, p.status, false);
  } else {
    c->in.erase(0, p.consumed);
    handle(wsi, c, p.request);
  }
  // Sending (or stalled): closed after the idle timeout without progress.
  lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, static_cast<int>(idle_timeout_));
  lws_callback_on_writable(wsi);
  return 0;
}

void Server::respond(Conn* c, int status, bool head_only, const std::string& allow,
                     const std::string& content_range) {
  count_status(status);
  const std::string body = std::to_string(status) + " " + http_reason_phrase(status) + "\n";
  HttpResponseHead h;
  h.status = status;
  h.content_length = body.size();  // for HEAD too: what a GET would get
  h.allow = allow;
  h.content_range = content_range;
  h.close = !c->keep_alive;
  c->out = compose_response_head(h);
  if (!head_only) c->out += body;
}

void Server::handle(lws* wsi, Conn* c, const HttpRequest& req) {
  (void)wsi;
  counters_.requests++;
  // A body is not read: answer, then close rather than parse it as a request.
  c->keep_alive = req.keep_alive && !req.has_body && !req.upgrade;
  const bool head = req.method == "HEAD";
  if (req.upgrade) {
    // Neither websockets nor h2c: this listener serves firmware only.
    counters_.bad_requests++;
    respond(c, 400, head);
    return;
  }
  if (!head && req.method != "GET") {
    respond(c, 405, false, "GET, HEAD");
    return;
  }
  if (respond_) {
    respond_from_memory(c, req, head);
    return;
  }
  ota_http_resolution r;
  std::memset(&r, 0, sizeof(r));
  r.status = 404;
  resolve_(resolve_user_, req.target.c_str(), static_cast<int64_t>(::time(nullptr)), &r);
  r.path[sizeof(r.path) - 1] = '\0';
  r.sha256[sizeof(r.sha256) - 1] = '\0';
  r.device[sizeof(r.device) - 1] = '\0';
  r.package[sizeof(r.package) - 1] = '\0';
  if (r.status != 200) {
    respond(c, r.status > 0 ? r.status : 404, head);
    return;
  }
  const int fd = ::open(r.path, O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) ::close(fd);
    respond(c, 404, head);
    return;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const RangeDecision d = decide_range(req.range, size);
  if (d.kind == RangeDecision::kUnsatisfiable) {
    ::close(fd);
    respond(c, 416, head, "", content_range(d, size));
    return;
  }
  const int status = d.kind == RangeDecision::kPartial ? 206 : 200;
  count_status(status);
  HttpResponseHead h;
  h.status = status;
  h.content_type = "application/octet-stream";
  h.content_length = d.length;
  h.accept_ranges = true;
  h.etag = r.sha256;
  if (status == 206) h.content_range = content_range(d, size);
  h.close = !c->keep_alive;
  c->out = compose_response_head(h);
  if (head || d.length == 0) {
    ::close(fd);
    return;
  }
  c->streaming = true;
  c->fd = fd;
  c->status = status;
  c->first = c->next = d.first;
  c->end = d.first + d.length;
  c->file_size = size;
  c->sha256 = r.sha256;
  c->device = r.device;
  c->package = r.package;
}

void Server::respond_from_memory(Conn* c, const HttpRequest& req, bool head_only) {
  std::string body;
  ota_http_body b;
  std::memset(&b, 0, sizeof(b));
  b.impl = &body;
  b.append = [](ota_http_body* self, const char* data, size_t len) {
    if (data && len) static_cast<std::string*>(self->impl)->append(data, len);
  };
  const int status = respond_(respond_user_, req.target.c_str(), &b);
  b.content_type[sizeof(b.content_type) - 1] = '\0';
  if (status != 200) {
    respond(c, status > 0 ? status : 404, head_only);
    return;
  }
  count_status(200);
  HttpResponseHead h;
  h.status = 200;
  if (b.content_type[0]) h.content_type = b.content_type;
  h.content_length = body.size();
  h.close = !c->keep_alive;
  c->out = compose_response_head(h);
  if (!head_only) c->out += body;
}

int Server::write_out(lws* wsi, Conn* c) {
  // lws keeps what the kernel refuses and calls us writeable once it is out.
  unsigned char* start = buffer_.data() + LWS_PRE;
  const size_t room = buffer_.size() - LWS_PRE;
  const size_t n = std::min(room, c->out.size());
  std::memcpy(start, c->out.data(), n);
  if (lws_write(wsi, start, n, LWS_WRITE_RAW) != static_cast<int>(n)) return -1;
  c->out.erase(0, n);
  return 0;
}

int Server::on_writeable(lws* wsi, Conn* c) {
  if (c->closing) {
    // Everything is written: stop sending, let the client read and close.
    if (lws_partial_buffered(wsi)) {
      lws_callback_on_writable(wsi);
      return 0;
    }
    ::shutdown(lws_get_socket_fd(wsi), SHUT_WR);
    lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, kLingerSeconds);
    return 0;
  }
  // One write per callback: lws may buffer part of it.
  if (!c->out.empty()) {
    if (write_out(wsi, c) != 0) return -1;
    if (!c->out.empty() || c->streaming) {
      lws_callback_on_writable(wsi);
      return 0;
    }
    return transaction_done(wsi, c);
  }
  if (!c->streaming) return 0;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk_bytes_, c->end - c->next));
  unsigned char* data = buffer_.data() + LWS_PRE;
  ssize_t n;
  do {
    n = ::pread(c->fd, data, want, static_cast<off_t>(c->next));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    const std::string line = "firmware " + c->sha256 + " is shorter than served or unreadable";
    log_emit(LLL_ERR, line.c_str());
    return -1;  // the connection closes; RAW_CLOSE reports the cut
  }
  if (lws_write(wsi, data, static_cast<size_t>(n), LWS_WRITE_RAW) != n) return -1;
  c->next += static_cast<uint64_t>(n);
  counters_.bytes_sent += static_cast<uint64_t>(n);
  if (c->next == c->end) {
    finish(c, true);
    return transaction_done(wsi, c);
  }
  // A client that stops reading never makes us writeable again: close it
  // after the idle timeout instead of holding the file and the socket.
  lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, static_cast<int>(idle_timeout_));
  lws_callback_on_writable(wsi);
  return 0;
}

int Server::transaction_done(lws* wsi, Conn* c) {
  if (!c->keep_alive) {
    c->closing = true;
    lws_callback_on_writable(wsi);
    return 0;
  }
  if (c->in.empty()) {
    c->waiting_first_byte = true;
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE, static_cast<int>(idle_timeout_));
    return 0;
  }
  // A pipelined request arrived meanwhile.
  lws_set_timeout(wsi, PENDING_TIMEOUT_HOLDING_AH, static_cast<int>(header_timeout_));
  return process(wsi, c);
}

void Server::finish(Conn* c, bool complete) {
  if (!c || !c->streaming) return;
  c->streaming = false;
  ::close(c->fd);
  c->fd = -1;
  QueuedEvent e;
  e.kind = OTA_HTTP_EVENT_DOWNLOAD;
  e.status = c->status;
  e.complete = complete ? 1 : 0;
  e.device = c->device;
  e.package = c->package;
  e.sha256 = c->sha256;
  e.offset = c->first;
  e.bytes = c->next - c->first;
  e.file_size = c->file_size;
  if (complete && c->end == c->file_size) counters_.downloads_completed++;
  push(std::move(e));
}

int Server::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  lws_context* context = lws_get_context(wsi);
  Server* self = context ? static_cast<Server*>(lws_context_user(context)) : nullptr;
  Session* s = static_cast<Session*>(user);
  if (!self) return 0;
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
    case LWS_CALLBACK_RAW_ADOPT:
      return s ? self->on_adopt(wsi, s) : -1;
    case LWS_CALLBACK_RAW_RX:
      if (!s || !s->conn) return -1;
      return self->on_receive(wsi, s->conn, static_cast<const char*>(in), len);
    case LWS_CALLBACK_RAW_WRITEABLE:
      if (!s || !s->conn) return -1;
      return self->on_writeable(wsi, s->conn);
    case LWS_CALLBACK_RAW_CLOSE:
      self->on_close(s);
      return 0;
    default:
      return 0;
  }
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
