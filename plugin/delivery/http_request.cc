#include "delivery/http_request.h"

#include <vector>

#include "delivery/url_codec.h"

namespace ota {
namespace {

// RFC 9110 tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether a comma-separated header value lists `token` (case-insensitive).
bool lists(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

HttpParse bad(int status, std::string why) {
  HttpParse p;
  p.kind = HttpParse::Kind::kBad;
  p.status = status;
  p.error = std::move(why);
  return p;
}

// Decoded, NUL-free text of a percent-encoded piece.
std::optional<std::string> decode_piece(std::string_view piece) {
  std::optional<std::string> d = url_decode(piece);
  if (!d || d->find('\0') != std::string::npos) return std::nullopt;
  return d;
}

}  // namespace

std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view seg = path.substr(start, slash - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = slash + 1;
  }
  std::string out;
  for (std::string_view seg : segments) {
    out += '/';
    out += seg;
  }
  const bool trailing = !path.empty() && path.back() == '/' && !segments.empty();
  if (out.empty() || trailing) out += '/';
  return out;
}

HttpParse parse_http_request(std::string_view bytes) {
  // Clients may send empty lines before a request (RFC 9112 §2.2).
  size_t begin = 0;
  while (begin < bytes.size() && (bytes[begin] == '\r' || bytes[begin] == '\n')) ++begin;
  const std::string_view rest = bytes.substr(begin);
  size_t end = rest.find("\r\n\r\n");
  size_t blank = 4;
  const size_t lf = rest.find("\n\n");
  if (lf != std::string_view::npos && (end == std::string_view::npos || lf < end)) {
    end = lf;
    blank = 2;
  }
  if (end == std::string_view::npos) {
    if (bytes.size() >= kMaxRequestHeadBytes) {
      return bad(431, "request head longer than " + std::to_string(kMaxRequestHeadBytes) +
                          " bytes");
    }
    return {};
  }
  if (begin + end + blank > kMaxRequestHeadBytes) {
    return bad(431, "request head longer than " + std::to_string(kMaxRequestHeadBytes) + " bytes");
  }
  const std::string_view head = rest.substr(0, end + (blank == 4 ? 2 : 1));

  std::vector<std::string_view> lines;
  for (size_t start = 0; start < head.size();) {
    size_t nl = head.find('\n', start);
    std::string_view line = head.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) return bad(400, "bare CR in the request head");
    lines.push_back(line);
    start = nl + 1;
  }

  HttpParse p;
  HttpRequest& r = p.request;
  // Request line: method SP target SP version, nothing else.
  const std::string_view line = lines[0];
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return bad(400, "malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return bad(400, "malformed method");
  if (version == "HTTP/1.1") {
    r.http11 = true;
  } else if (version != "HTTP/1.0") {
    const bool looks_http = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
                            version[5] >= '0' && version[5] <= '9' && version[6] == '.' &&
                            version[7] >= '0' && version[7] <= '9';
    return looks_http ? bad(505, "HTTP version not supported") : bad(400, "malformed HTTP version");
  }
  if (target.empty() || target[0] != '/') return bad(400, "request target is not a path");
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return bad(400, "control or non-ASCII byte in the target");
  }
  const size_t q = target.find('?');
  std::optional<std::string> path = decode_piece(target.substr(0, q));
  if (!path) return bad(400, "bad percent escape or NUL in the path");
  std::vector<std::string> args;
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view piece = query.substr(0, amp);
      if (!piece.empty()) {
        std::optional<std::string> arg = decode_piece(piece);
        if (!arg) return bad(400, "bad percent escape or NUL in the query");
        args.push_back(std::move(*arg));
      }
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  r.method = std::string(method);
  r.target = rebuild_target(normalize_path(*path), args);

  bool connection_close = false, connection_keep_alive = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view h = lines[i];
    if (!h.empty() && (h[0] == ' ' || h[0] == '\t')) return bad(400, "folded header line");
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || !is_token(h.substr(0, colon))) {
      return bad(400, "malformed header line");
    }
    const std::string_view name = h.substr(0, colon);
    const std::string_view value = trim(h.substr(colon + 1));
    if (iequals(name, "Range")) {
      if (r.range.empty()) r.range = std::string(value);
    } else if (iequals(name, "Connection")) {
      connection_close |= lists(value, "close");
      connection_keep_alive |= lists(value, "keep-alive");
      r.upgrade |= lists(value, "upgrade");
    } else if (iequals(name, "Upgrade")) {
      r.upgrade = true;
    } else if (iequals(name, "Content-Length")) {
      if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos) {
        return bad(400, "malformed Content-Length");
      }
      r.has_body |= value.find_first_not_of('0') != std::string_view::npos;
    } else if (iequals(name, "Transfer-Encoding")) {
      r.has_body = true;
    }
  }
  r.keep_alive = r.http11 ? !connection_close : connection_keep_alive && !connection_close;
  p.kind = HttpParse::Kind::kRequest;
  p.consumed = begin + end + blank;
  return p;
}

const char* http_reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

std::string compose_response_head(const HttpResponseHead& h) {
  // HTTP/1.1 is right for 1.0 clients too (RFC 9110 §2.5).
  std::string out = "HTTP/1.1 " + std::to_string(h.status) + " " + http_reason_phrase(h.status) +
                    "\r\n";
  out += "Content-Type: " + h.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(h.content_length) + "\r\n";
  if (h.accept_ranges) out += "Accept-Ranges: bytes\r\n";
  if (!h.etag.empty()) out += "ETag: \"" + h.etag + "\"\r\n";
  if (!h.content_range.empty()) out += "Content-Range: " + h.content_range + "\r\n";
  if (!h.allow.empty()) out += "Allow: " + h.allow + "\r\n";
  if (h.close) out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

}  // namespace ota
