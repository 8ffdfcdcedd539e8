// Fuzz target: the download server's HTTP request parser, on arbitrary
// bytes from the network. Besides not crashing, a parsed request must hold
// what the server relies on: a consumed length within the input, a target
// that is a normalised path free of NUL and of "..", and a status for every
// refusal.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "delivery/http_request.h"

std::vector<std::string> fuzz_seeds() {
  return {"GET /fw/abc?d=prod1%2Fdev%201&e=5&s=x HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n",
          "HEAD //fw/./a/../b HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\n\r\n",
          "GET /a%00 HTTP/1.1\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
          "GET / HTTP/1.1\nUpgrade: websocket\nConnection: Upgrade\n\n"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const ota::HttpParse p = ota::parse_http_request(bytes);
  switch (p.kind) {
    case ota::HttpParse::Kind::kIncomplete:
      if (size >= ota::kMaxRequestHeadBytes) std::abort();
      break;
    case ota::HttpParse::Kind::kBad:
      if (p.status != 400 && p.status != 431 && p.status != 505) std::abort();
      if (p.error.empty()) std::abort();
      break;
    case ota::HttpParse::Kind::kRequest: {
      const std::string& t = p.request.target;
      if (p.consumed == 0 || p.consumed > size) std::abort();
      if (t.empty() || t[0] != '/' || t.find('\0') != std::string::npos) std::abort();
      const std::string path = t.substr(0, t.find('?'));
      if (path.find("/../") != std::string::npos || path.find("//") != std::string::npos) {
        std::abort();
      }
      break;
    }
  }
  return 0;
}
