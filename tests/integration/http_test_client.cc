#include "http_test_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "delivery/digest.h"

namespace ota::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

std::string HttpReply::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

std::string http_get(const std::string& target, const std::vector<std::string>& headers,
                     bool keep_alive, const std::string& method) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& h : headers) r += h + "\r\n";
  if (!keep_alive) r += "Connection: close\r\n";
  return r + "\r\n";
}

HttpConnection::~HttpConnection() { close(); }

void HttpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  eof_ = false;
}

bool HttpConnection::connect(int port, int receive_buffer_bytes) {
  close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  if (receive_buffer_bytes > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof(receive_buffer_bytes));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close();
    return false;
  }
  return true;
}

bool HttpConnection::connect_from(const std::string& source_address, int port) {
  close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  sockaddr_in source{};
  source.sin_family = AF_INET;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, source_address.c_str(), &source.sin_addr) != 1 ||
      ::bind(fd_, reinterpret_cast<sockaddr*>(&source), sizeof(source)) != 0 ||
      ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close();
    return false;
  }
  return true;
}

bool HttpConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool HttpConnection::fill(Clock::time_point deadline) {
  if (fd_ < 0 || eof_) return false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[65536];
  const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

HttpReply HttpConnection::read_reply(bool head_request, std::optional<size_t> cut_after,
                                     std::chrono::milliseconds timeout) {
  HttpReply reply;
  const auto deadline = Clock::now() + timeout;
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) {
      reply.error = eof_ ? "connection closed before the headers" : "timeout before the headers";
      return reply;
    }
  }
  const std::string head = buffer_.substr(0, header_end);
  reply.head = buffer_.substr(0, header_end + 2);
  buffer_.erase(0, header_end + 4);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (std::sscanf(status_line.c_str(), "HTTP/%*d.%*d %d", &reply.status) != 1) {
    reply.error = "bad status line: " + status_line;
    return reply;
  }
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos
                                                                              : line_end - start);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      reply.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    }
  }
  if (head_request) {
    reply.ok = true;
    return reply;
  }
  const std::string length_text = reply.header("content-length");
  const bool has_length = !length_text.empty();
  const size_t length = has_length ? std::stoull(length_text) : 0;
  for (;;) {
    if (cut_after && buffer_.size() >= *cut_after) {
      reply.body = buffer_.substr(0, *cut_after);
      reply.error = "cut by the client";
      close();
      return reply;
    }
    if (has_length && buffer_.size() >= length) break;
    if (!fill(deadline)) {
      if (!has_length && eof_) break;
      reply.body = buffer_;
      reply.error = eof_ ? "connection closed in the body" : "timeout in the body";
      return reply;
    }
  }
  const size_t take = has_length ? length : buffer_.size();
  reply.body = buffer_.substr(0, take);
  buffer_.erase(0, take);
  reply.ok = true;
  return reply;
}

std::string HttpConnection::read_bytes(size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (buffer_.size() < n && fill(deadline)) {
  }
  const std::string out = buffer_.substr(0, std::min(n, buffer_.size()));
  buffer_.erase(0, out.size());
  return out;
}

bool HttpConnection::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!eof_) {
    buffer_.clear();
    if (!fill(deadline) && !eof_) return false;
  }
  return true;
}

int pick_listen_port() {
  int low = 32768, high = 60999;
  if (FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
    if (std::fscanf(f, "%d %d", &low, &high) != 2) low = 32768;
    std::fclose(f);
  }
  const int first = low > 12000 ? low - 10000 : 1024;
  const int last = low > 12000 ? low - 1 : 1023 + 10000;
  std::random_device seed;
  std::mt19937 rng(seed());
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = first + static_cast<int>(rng() % static_cast<unsigned>(last - first + 1));
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (free) return port;
  }
  return 0;
}

HttpReply http_exchange(int port, const std::string& request, bool head_request,
                        std::optional<size_t> cut_after) {
  HttpConnection c;
  if (!c.connect(port)) {
    HttpReply r;
    r.error = "cannot connect";
    return r;
  }
  if (!c.send(request)) {
    HttpReply r;
    r.error = "cannot send";
    return r;
  }
  return c.read_reply(head_request, cut_after);
}

CommandResult run_command(const std::vector<std::string>& argv, bool quiet) {
  CommandResult result;
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return result;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return result;
  if (pid == 0) {
    ::dup2(pipefd[1], STDOUT_FILENO);
    if (quiet) {
      const int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) ::dup2(devnull, STDERR_FILENO);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(pipefd[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.out.append(buf, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string sha256_of(std::string_view data) {
  ota::Digest d;
  d.update(data.data(), data.size());
  std::string sha;
  d.finish(&sha, nullptr);
  return sha;
}

std::string md5_of(std::string_view data) {
  ota::Digest d;
  d.update(data.data(), data.size());
  std::string sha, md5;
  d.finish(&sha, &md5);
  return md5;
}

std::string random_bytes(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

}  // namespace ota::test
