// How the platforms' public device SDKs read an HTTP download (DESIGN.md
// §10), for the device emulators (sdk_*_device.h). Their HTTP clients are a
// few hundred lines of C that match header names byte for byte:
//   Alibaba iotkit-embedded 3.x  strstr(head, "Content-Length"), then
//                                 sscanf(.., "Content-Length: %d")
//   Alibaba LinkSDK 4.x           memcmp(line, "Content-Length: ", 16)
//   Tencent IoT Explorer C SDK    "Could not parse header" on a line it
//                                 cannot split; Content-Length / Content-Range
//                                 compared case-sensitively
// and all three need "HTTP/1.1 " and CRLF line ends. This parser is the
// strictest of them: a response any of the three would misread is an error
// here, never normalised. Transport is HttpConnection (http_test_client.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ota::test {

struct SdkHttpHead {
  bool ok = false;
  std::string error;  // what the SDK would log, when !ok
  int status = 0;
  uint64_t content_length = 0;
  // "Content-Range: bytes <first>-<last>/<size>", when sent.
  std::optional<uint64_t> range_first, range_last, range_size;
};

// Parses the status line and header lines exactly as received (each line
// ending in CRLF, the blank line excluded: HttpReply::head).
SdkHttpHead parse_sdk_head(std::string_view head);

struct SdkDownload {
  bool ok = false;  // a 200/206 with every byte Content-Length announced
  std::string error;
  SdkHttpHead head;
  std::string body;  // what arrived (also when cut)
};

// GET of `url` ("http://host:port/path?query", as the notification gave
// it) with the SDK's request lines, an optional Range header value
// ("bytes=0-1000"), and optionally closing the connection once `cut_after`
// body bytes arrived (a weak network cutting the download).
SdkDownload sdk_http_get(const std::string& url, const std::string& range = "",
                         std::optional<size_t> cut_after = std::nullopt);

}  // namespace ota::test
