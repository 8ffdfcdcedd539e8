// A small raw-socket HTTP/1.1 client for the firmware server tests: exact
// request bytes (no normalisation of "..", "//" or "%2e"), cut-off
// downloads, keep-alive and held-open connections. Plus helpers to run
// curl and to hash data.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ota::test {

struct HttpReply {
  bool ok = false;  // a whole response (status, headers, body) was read
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  // The status line and header lines exactly as received, each ending in
  // CRLF (the blank line excluded): for tests that read names the way
  // device SDKs do, case-sensitively.
  std::string head;
  std::string body;
  std::string error;

  std::string header(const std::string& lower_name) const;
};

// "GET <target> HTTP/1.1" with a Host header, the extra header lines, and
// "Connection: close" unless `keep_alive`.
std::string http_get(const std::string& target, const std::vector<std::string>& headers = {},
                     bool keep_alive = false, const std::string& method = "GET");

// One TCP connection to 127.0.0.1:port.
class HttpConnection {
 public:
  HttpConnection() = default;
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connect(int port, int receive_buffer_bytes = 0);
  // From a chosen loopback source address (e.g. "127.0.0.2": another client
  // machine as far as the server can tell).
  bool connect_from(const std::string& source_address, int port);
  bool send(std::string_view bytes);
  // Reads one response. With `cut_after`, closes the socket once that many
  // body bytes arrived (the reply is then not ok; body holds what came).
  HttpReply read_reply(bool head_request = false, std::optional<size_t> cut_after = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Exactly `n` more raw bytes (after any reply already read), or fewer
  // when the connection closes or the timeout passes.
  std::string read_bytes(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Whether the server closes the connection within `timeout` (reads and
  // discards anything it sends meanwhile).
  bool closed_by_peer(std::chrono::milliseconds timeout);
  void close();
  int fd() const { return fd_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);  // false: closed or timeout
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

// A free TCP port on 127.0.0.1 below the kernel's ephemeral range, so that
// outgoing connections (of this or other test processes) cannot take it
// between now and the broker's bind(), as they can a port from bind(0).
int pick_listen_port();

// Connect, send `request`, read one reply, close.
HttpReply http_exchange(int port, const std::string& request, bool head_request = false,
                        std::optional<size_t> cut_after = {});

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
};

// Runs argv (no shell), capturing stdout; stderr goes to the test's stderr
// unless `quiet`.
CommandResult run_command(const std::vector<std::string>& argv, bool quiet = false);

// Lowercase hex SHA-256, and MD5.
std::string sha256_of(std::string_view data);
std::string md5_of(std::string_view data);

// `size` pseudo-random bytes (deterministic for a seed).
std::string random_bytes(size_t size, unsigned seed);

}  // namespace ota::test
