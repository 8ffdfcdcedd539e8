/* The interface between the plugin and mosquitto_ota_http.so, the helper
 * library that holds every libwebsockets call (DESIGN.md §9: the broker
 * exports its own static lws symbols, so lws code lives in a library the
 * plugin dlopen()s with RTLD_LOCAL | RTLD_DEEPBIND).
 *
 * Plain C, so no C++ ABI, exception or allocator crosses the boundary: every
 * string handed across is copied by the receiver before the call returns.
 * The library exports one symbol, OTA_HTTP_FACTORY_SYMBOL, returning the
 * function table below. C++ users go through http_loader.h instead. */
#ifndef OTA_DELIVERY_HTTP_SERVER_H
#define OTA_DELIVERY_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_HTTP_ABI_VERSION 2
#define OTA_HTTP_FACTORY_SYMBOL "ota_http_server_api_v1"

struct ota_http_server; /* opaque; one listener, one service thread */

/* What resolve() decides for one request. The server zero-fills it and sets
 * status 404 before the call. */
struct ota_http_resolution {
  int status;        /* 200: serve `path`; 403, 404, ...: refuse with it */
  char path[1024];   /* the file to serve (opened by the server) */
  char sha256[65];   /* ETag, "<sha256>" */
  char device[520];  /* reported back in download events */
  char package[136];
};

/* Decides a GET or HEAD request. `path_and_query` is the request target,
 * percent-encoded (the server re-encodes what lws decoded); `now` is Unix
 * seconds. Runs on the server thread: it must be thread-safe and must not
 * call any broker function. */
typedef void (*ota_http_resolve_fn)(void* user, const char* path_and_query, int64_t now,
                                    struct ota_http_resolution* out);

struct ota_http_config {
  uint32_t struct_size;       /* sizeof(struct ota_http_config) of the caller */
  const char* listen;         /* "host:port", "[v6]:port", ":port"; port 0 = any free */
  const char* tls_cert_file;  /* both set: HTTPS; both NULL or "": HTTP */
  const char* tls_key_file;
  uint32_t max_connections;   /* 0: 256; more are closed at accept */
  uint32_t idle_timeout_s;    /* 0: 60; a connection idle this long is closed */
  uint32_t chunk_bytes;       /* 0: 16384; bytes read and written per step */
  uint32_t max_queued_events; /* 0: 10000; events beyond are dropped (counted) */
  ota_http_resolve_fn resolve;
  void* resolve_user;
  /* Appended later; a caller whose struct_size ends before them gets the
   * defaults. */
  uint32_t max_connections_per_address; /* 0: 32; more from one address are closed */
  uint32_t header_timeout_s; /* 0: 10; a request head not complete by then: closed */
};

enum ota_http_event_kind {
  OTA_HTTP_EVENT_DOWNLOAD = 1, /* a firmware response ended */
  OTA_HTTP_EVENT_LOG = 2       /* a libwebsockets warning or error */
};

struct ota_http_event {
  int kind;
  /* OTA_HTTP_EVENT_DOWNLOAD */
  int status;          /* 200 or 206 */
  int complete;        /* 1: every byte of the response was written; 0: cut off */
  const char* device;  /* from the resolution */
  const char* package;
  const char* sha256;
  uint64_t offset;     /* first byte of the response */
  uint64_t bytes;      /* body bytes written */
  uint64_t file_size;  /* complete && offset + bytes == file_size: the device has it all */
  /* OTA_HTTP_EVENT_LOG */
  int log_level;       /* 0 error, 1 warning */
  const char* message;
};

/* Receives one event; the pointers are valid during the call only. */
typedef void (*ota_http_event_fn)(void* user, const struct ota_http_event* event);

struct ota_http_stats {
  uint64_t connections_open;
  uint64_t connections_refused; /* over max_connections */
  uint64_t requests;
  uint64_t responses_200;
  uint64_t responses_206;
  uint64_t responses_403;
  uint64_t responses_404;
  uint64_t responses_416;
  uint64_t responses_other;
  uint64_t bytes_sent;          /* firmware body bytes */
  uint64_t downloads_completed; /* responses that delivered the file's last byte */
  uint64_t events_dropped;
  uint64_t connections_refused_per_address; /* over max_connections_per_address */
  uint64_t bad_requests;                    /* answered 400, 431 or 505 */
};

struct ota_http_api {
  uint32_t abi_version; /* OTA_HTTP_ABI_VERSION */
  uint32_t struct_size; /* sizeof(struct ota_http_api) */

  /* Binds the listener and starts the service thread. NULL on failure, with
   * a message in `error` (always NUL-terminated when error_len > 0). */
  struct ota_http_server* (*start)(const struct ota_http_config* config, char* error,
                                   size_t error_len);
  /* The bound port (useful with port 0). */
  int (*port)(const struct ota_http_server* server);
  /* Hands every queued event to `fn`, on the caller's thread (the broker's,
   * from its TICK); returns how many. */
  size_t (*drain_events)(struct ota_http_server* server, ota_http_event_fn fn, void* user);
  void (*get_stats)(const struct ota_http_server* server, struct ota_http_stats* out);
  /* Wakes the service loop (lws_cancel_service), joins the thread, closes
   * every connection and frees the server. */
  void (*stop)(struct ota_http_server* server);

  /* Diagnostics: the file that provides this library's lws_create_context
   * (libwebsockets.so.17 when loaded right, the broker when its static copy
   * took over), and the lws version string. */
  const char* (*lws_origin)(void);
  const char* (*lws_version)(void);
};

typedef const struct ota_http_api* (*ota_http_factory_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* OTA_DELIVERY_HTTP_SERVER_H */
