// HTTP/1.x requests as the firmware download server reads them, and the
// header blocks it answers with. Pure functions (no sockets, no lws), shared
// by mosquitto_ota_http.so and its unit tests.
//
// The server parses requests itself rather than through libwebsockets' HTTP
// role, whose parser closes the connection without any status on malformed
// request lines and encoded NULs, and whose header helpers spell names in
// lower case, which device SDKs cannot read (DESIGN.md §10).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ota {

// Longest request head accepted (request line and headers): signed URLs are
// a few hundred bytes; more is refused with 431.
inline constexpr size_t kMaxRequestHeadBytes = 8192;

struct HttpRequest {
  std::string method;  // as sent ("GET", "HEAD", ...)
  // The percent-encoded target with "//", "/./" and "/../" resolved in the
  // decoded path, path and arguments re-encoded (url_codec.h): what the
  // resolver verifies whatever equivalent spelling the client used.
  std::string target;
  bool http11 = false;      // HTTP/1.1 (else HTTP/1.0)
  bool keep_alive = false;  // 1.1 unless "Connection: close"; 1.0 with "keep-alive"
  bool upgrade = false;     // an Upgrade header (websockets, h2c): refused
  bool has_body = false;    // Content-Length > 0 or Transfer-Encoding
  std::string range;        // the Range header's value, "" when absent
};

struct HttpParse {
  enum class Kind { kIncomplete, kRequest, kBad };
  Kind kind = Kind::kIncomplete;
  HttpRequest request;
  size_t consumed = 0;  // bytes of the head, blank line included (kRequest)
  int status = 0;       // kBad: 400, 431 or 505
  std::string error;    // kBad: why, for the log
};

// Parses the request head at the start of `bytes` (RFC 9112: CRLF line ends,
// a bare LF tolerated). kIncomplete until the blank line arrives (and while
// shorter than kMaxRequestHeadBytes).
HttpParse parse_http_request(std::string_view bytes);

// "/a//b/./c/../d" -> "/a/b/d"; never above the root.
std::string normalize_path(std::string_view decoded_path);

// The status line and headers of a response, canonical names, CRLF, ending
// with the blank line: "HTTP/1.1 206 Partial Content\r\nContent-Type: ..."
struct HttpResponseHead {
  int status = 200;
  std::string content_type = "text/plain";
  uint64_t content_length = 0;
  std::string content_range;  // "bytes 0-9/100" or "bytes */100"; "" = none
  std::string etag;           // without quotes; "" = none
  bool accept_ranges = false;
  std::string allow;          // 405's Allow; "" = none
  bool close = false;         // "Connection: close"
};
std::string compose_response_head(const HttpResponseHead& head);

const char* http_reason_phrase(int status);

}  // namespace ota
