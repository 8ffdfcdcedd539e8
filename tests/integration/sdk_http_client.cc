#include "sdk_http_client.h"

#include <cstring>
#include <vector>

#include "http_test_client.h"

namespace ota::test {
namespace {

constexpr std::string_view kLength = "Content-Length: ";
constexpr std::string_view kRange = "Content-Range: bytes ";

// Digits only, as the SDKs' sscanf("%d")/strtoul would take them whole.
bool read_number(std::string_view text, uint64_t* out, size_t* used) {
  size_t i = 0;
  uint64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    n = n * 10 + static_cast<uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == 0) return false;
  *out = n;
  *used = i;
  return true;
}

SdkHttpHead fail(SdkHttpHead h, std::string why) {
  h.ok = false;
  h.error = std::move(why);
  return h;
}

}  // namespace

SdkHttpHead parse_sdk_head(std::string_view head) {
  SdkHttpHead h;
  if (head.size() < 2 || head.substr(head.size() - 2) != "\r\n") {
    return fail(h, "header block does not end in CRLF");
  }
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < head.size();) {
    const size_t end = head.find("\r\n", start);
    lines.push_back(head.substr(start, end - start));
    start = end + 2;
  }
  for (std::string_view line : lines) {
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos) {
      return fail(h, "bare CR or LF in a header line");
    }
  }
  const std::string_view status_line = lines[0];
  if (status_line.size() < 12 || std::memcmp(status_line.data(), "HTTP/1.1 ", 9) != 0 ||
      status_line[12] != ' ') {
    return fail(h, "not an HTTP/1.1 status line: " + std::string(status_line));
  }
  uint64_t status = 0;
  size_t used = 0;
  if (!read_number(status_line.substr(9, 3), &status, &used) || used != 3) {
    return fail(h, "bad status code: " + std::string(status_line));
  }
  h.status = static_cast<int>(status);

  bool have_length = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const size_t sep = line.find(": ");
    if (sep == std::string_view::npos || sep == 0) {
      return fail(h, "Could not parse header: " + std::string(line));
    }
    if (line.size() >= kLength.size() && std::memcmp(line.data(), kLength.data(), kLength.size()) == 0) {
      const std::string_view value = line.substr(kLength.size());
      if (!read_number(value, &h.content_length, &used) || used != value.size()) {
        return fail(h, "bad Content-Length: " + std::string(line));
      }
      have_length = true;
    } else if (line.size() >= kRange.size() &&
               std::memcmp(line.data(), kRange.data(), kRange.size()) == 0) {
      std::string_view v = line.substr(kRange.size());
      uint64_t first = 0, last = 0, size = 0;
      size_t a = 0, b = 0, c = 0;
      if (!read_number(v, &first, &a) || a >= v.size() || v[a] != '-' ||
          !read_number(v.substr(a + 1), &last, &b) || a + 1 + b >= v.size() || v[a + 1 + b] != '/' ||
          !read_number(v.substr(a + 2 + b), &size, &c) || a + 2 + b + c != v.size()) {
        return fail(h, "bad Content-Range: " + std::string(line));
      }
      h.range_first = first;
      h.range_last = last;
      h.range_size = size;
    }
  }
  // Alibaba 3.x: strstr(head, "Content-Length") finds nothing in a
  // response that spells it otherwise.
  if (!have_length) return fail(h, "no Content-Length header");
  if (h.status == 206 && !h.range_first) return fail(h, "206 without Content-Range");
  h.ok = true;
  return h;
}

SdkDownload sdk_http_get(const std::string& url, const std::string& range,
                         std::optional<size_t> cut_after) {
  SdkDownload d;
  constexpr std::string_view kScheme = "http://127.0.0.1:";
  if (url.compare(0, kScheme.size(), kScheme) != 0) {
    d.error = "not a loopback http URL: " + url;
    return d;
  }
  const size_t slash = url.find('/', kScheme.size());
  if (slash == std::string::npos) {
    d.error = "URL without a path: " + url;
    return d;
  }
  const int port = std::stoi(url.substr(kScheme.size(), slash - kScheme.size()));
  std::string request = "GET " + url.substr(slash) + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                        std::to_string(port) + "\r\n";
  if (!range.empty()) request += "Range: " + range + "\r\n";
  request += "\r\n";

  HttpConnection c;
  if (!c.connect(port) || !c.send(request)) {
    d.error = "cannot connect to port " + std::to_string(port);
    return d;
  }
  // Only the header block is taken from the helper; the body is framed
  // below by the Content-Length this parser found.
  HttpReply raw = c.read_reply(/*head_request=*/true);
  if (!raw.ok) {
    d.error = "no response header: " + raw.error;
    return d;
  }
  d.head = parse_sdk_head(raw.head);
  if (!d.head.ok) {
    d.error = d.head.error;
    return d;
  }
  const size_t want = static_cast<size_t>(d.head.content_length);
  const size_t take = cut_after ? std::min(*cut_after, want) : want;
  d.body = c.read_bytes(take);
  if (cut_after && take < want) {
    c.close();
    d.error = "cut by the device after " + std::to_string(d.body.size()) + " bytes";
    return d;
  }
  if (d.body.size() != want) {
    d.error = "body ended after " + std::to_string(d.body.size()) + " of " +
              std::to_string(want) + " bytes";
    return d;
  }
  if (d.head.status != 200 && d.head.status != 206) {
    d.error = "status " + std::to_string(d.head.status);
    return d;
  }
  d.ok = true;
  return d;
}

}  // namespace ota::test
