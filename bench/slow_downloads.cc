// slow_downloads: does a crowd of slow firmware downloads slow MQTT down?
// (DESIGN §8: "firmware downloads (hundreds at once) leave the MQTT p99
// latency within 2x of its idle value".) Against a running broker with the
// plugin, its firmware store and its HTTP download server:
//   1. uploads a package over $CONTROL/ota/v1 and has a device notified of
//      it, which yields a signed download URL;
//   2. idle: an MQTT client publishes QoS 0 to a topic it subscribes to and
//      times each round trip, one at a time;
//   3. loaded: N HTTP clients download that URL slowly (a small receive
//      buffer, a few KB read per interval, staggered), while the same MQTT
//      client measures again;
// then prints both percentile sets and the ratio of the p99s.
//
//   ota_slow_downloads --port 1883 --downloads 200 --json out.json
#include <arpa/inet.h>
#include <jansson.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "client_set.h"
#include "sync_client.h"

namespace {

using bench::SyncClient;

// One $CONTROL/ota/v1 command; returns data.<member> or exits with the error.
json_t* control(SyncClient& admin, const std::string& command, const std::string& fields,
                const char* member) {
  static int correlation = 0;
  const std::string body = fields.substr(1, fields.size() - 2);
  admin.publish("$CONTROL/ota/v1",
                R"({"commands":[{"command":")" + command + R"(","correlationData":")" +
                    std::to_string(++correlation) + "\"" + (body.empty() ? "" : ",") + body +
                    "}]}",
                1);
  std::optional<std::string> reply = admin.wait("$CONTROL/ota/v1/response", 30);
  json_t* root = reply ? json_loads(reply->c_str(), 0, nullptr) : nullptr;
  json_t* data = root ? json_object_get(json_array_get(json_object_get(root, "responses"), 0), "data")
                      : nullptr;
  json_t* value = data ? json_object_get(data, member) : nullptr;
  if (!value) {
    std::cerr << "slow_downloads: " << command << " failed: " << reply.value_or("(no reply)") << "\n";
    std::exit(1);
  }
  json_incref(value);
  json_decref(root);
  return value;
}

std::string hex(const unsigned char* d, unsigned n) {
  std::string out;
  char b[3];
  for (unsigned i = 0; i < n; ++i) {
    snprintf(b, sizeof b, "%02x", d[i]);
    out += b;
  }
  return out;
}

// Uploads `bytes` and creates a package of it; returns the package id.
long long upload_package(SyncClient& admin, const std::string& product, const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &n, EVP_sha256(), nullptr);
  const std::string sha = hex(digest, n);
  json_t* up = control(admin, "beginUpload",
                       R"({"size":)" + std::to_string(bytes.size()) + R"(,"sha256":")" + sha + "\"}",
                       "upload");
  const std::string id = json_string_value(json_object_get(up, "id"));
  json_decref(up);
  constexpr size_t kChunk = 512 * 1024;
  for (size_t off = 0; off < bytes.size(); off += kChunk) {
    const size_t len = std::min(kChunk, bytes.size() - off);
    std::string b64(4 * ((len + 2) / 3) + 1, '\0');
    b64.resize(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                               reinterpret_cast<const unsigned char*>(bytes.data() + off),
                               static_cast<int>(len)));
    json_decref(control(admin, "uploadChunk",
                        R"({"uploadId":")" + id + R"(","offset":)" + std::to_string(off) +
                            R"(,"data":")" + b64 + "\"}",
                        "upload"));
  }
  json_decref(control(admin, "finishUpload", R"({"uploadId":")" + id + "\"}", "file"));
  json_t* pkg = control(admin, "createPackage",
                        R"({"product":")" + product + R"(","version":"2.0.0","fileSha256":")" +
                            sha + "\"}",
                        "package");
  const long long pkg_id = json_integer_value(json_object_get(pkg, "id"));
  json_decref(pkg);
  return pkg_id;
}

// http://host:port/path -> its parts (the download server's own URLs).
bool split_url(const std::string& url, std::string* host, int* port, std::string* path) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  const size_t slash = url.find('/', scheme.size());
  const std::string authority = url.substr(scheme.size(), slash - scheme.size());
  const size_t colon = authority.rfind(':');
  *host = authority.substr(0, colon);
  *port = colon == std::string::npos ? 80 : std::stoi(authority.substr(colon + 1));
  *path = slash == std::string::npos ? "/" : url.substr(slash);
  return true;
}

// The slow HTTP clients: one thread, non-blocking sockets; each reads at
// most `read_bytes` per `interval_ms`, the clients spread over the interval.
struct SlowDownloads {
  std::vector<int> fds;
  std::vector<uint64_t> received;
  std::atomic<bool> stop{false};
  uint64_t finished = 0;  // connections the server closed (file complete)
  uint64_t failed = 0;    // refused or reset

  bool open(int count, const std::string& host, int port, const std::string& path,
            int rcvbuf) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
    for (int i = 0; i < count; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      // Before connect, so the window the server sees stays small.
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
      if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
          send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        std::cerr << "slow_downloads: HTTP client " << i << ": " << strerror(errno) << "\n";
        if (fd >= 0) close(fd);
        return false;
      }
      fds.push_back(fd);
    }
    received.assign(fds.size(), 0);
    return true;
  }

  void run(size_t read_bytes, int interval_ms) {
    constexpr int kSlices = 20;  // the interval is served in 20 slices
    std::vector<char> buf(read_bytes);
    for (int tick = 0; !stop; ++tick) {
      for (size_t i = tick % kSlices; i < fds.size(); i += kSlices) {
        if (fds[i] < 0) continue;
        const ssize_t n = recv(fds[i], buf.data(), buf.size(), MSG_DONTWAIT);
        if (n > 0) {
          received[i] += static_cast<uint64_t>(n);
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
          (n == 0 ? finished : failed)++;
          close(fds[i]);
          fds[i] = -1;
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(interval_ms * 1000 / kSlices));
    }
  }

  size_t open_count() const {
    size_t n = 0;
    for (int fd : fds) n += fd >= 0;
    return n;
  }
  uint64_t total() const {
    uint64_t t = 0;
    for (uint64_t r : received) t += r;
    return t;
  }
  ~SlowDownloads() {
    for (int fd : fds) if (fd >= 0) close(fd);
  }
};

// Round trips of QoS 0 messages, `gap_ms` apart, for `seconds`.
std::vector<int64_t> measure_rtt(SyncClient& c, const std::string& topic, double seconds,
                                 int gap_ms) {
  return bench::round_trips(c, topic, 0, gap_ms, SIZE_MAX, seconds);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string admin_name = "admin";
  std::string product = "bench";
  int downloads = 200;
  size_t file_mb = 8;
  size_t read_bytes = 4096;
  int interval_ms = 100;
  int rcvbuf = 4096;
  double idle_s = 10;
  double loaded_s = 15;
  int gap_ms = 5;
  std::string json_path;
  CLI::App app{"MQTT round-trip time, idle and under slow HTTP firmware downloads"};
  app.add_option("--host", host, "broker address");
  app.add_option("--port", port, "broker MQTT port");
  app.add_option("--admin", admin_name, "MQTT username of the operator");
  app.add_option("--product", product, "product key of the package and the device");
  app.add_option("--downloads", downloads, "concurrent slow HTTP downloads");
  app.add_option("--file-mb", file_mb, "package size in MiB (large enough not to finish)");
  app.add_option("--read-bytes", read_bytes, "bytes each download reads per interval");
  app.add_option("--interval-ms", interval_ms, "read interval of each download");
  app.add_option("--rcvbuf", rcvbuf, "SO_RCVBUF of each download socket");
  app.add_option("--idle-seconds", idle_s, "length of the idle measurement");
  app.add_option("--loaded-seconds", loaded_s, "length of the measurement under load");
  app.add_option("--gap-ms", gap_ms, "pause between round trips");
  app.add_option("--json", json_path, "write the figures to this file as JSON");
  CLI11_PARSE(app, argc, argv);
  mosquitto_lib_init();
  bench::raise_nofile_limit();

  // 1. A package and a signed URL for it.
  SyncClient admin("slow-dl-admin", admin_name);
  SyncClient device("slow-dl-device", "");
  if (!admin.connect(host, port) || !admin.subscribe("$CONTROL/ota/v1/response", 1) ||
      !device.connect(host, port) ||
      !device.subscribe("/ota/device/upgrade/" + product + "/d0", 1)) {
    std::cerr << "slow_downloads: cannot connect to the broker on " << host << ":" << port << "\n";
    return 1;
  }
  std::string firmware(file_mb << 20, '\0');
  std::mt19937_64 rng(1);
  for (size_t i = 0; i + 8 <= firmware.size(); i += 8) {
    const uint64_t v = rng();
    memcpy(&firmware[i], &v, 8);
  }
  const long long pkg = upload_package(admin, product, firmware);
  device.publish("/ota/device/inform/" + product + "/d0", R"({"id":"1","params":{"version":"1.0.0"}})", 1);
  device.wait("/never", 0.3);  // let the report register the device
  json_decref(control(admin, "createJob",
                      R"({"packageId":)" + std::to_string(pkg) + R"(,"devices":["d0"]})", "job"));
  std::optional<std::string> note = device.wait("/ota/device/upgrade/" + product + "/d0", 10);
  json_t* note_json = note ? json_loads(note->c_str(), 0, nullptr) : nullptr;
  const char* url = json_string_value(json_object_get(json_object_get(note_json, "data"), "url"));
  std::string http_host, path;
  int http_port = 0;
  if (!url || !split_url(url, &http_host, &http_port, &path)) {
    std::cerr << "slow_downloads: no http:// URL in the notification: " << note.value_or("(none)") << "\n";
    return 1;
  }
  json_decref(note_json);
  std::cout << "package " << pkg << " (" << file_mb << " MiB) at " << url << "\n";

  // 2. Idle.
  SyncClient rtt("slow-dl-rtt", "");
  const std::string topic = "bench/rtt/" + std::to_string(getpid());
  if (!rtt.connect(host, port) || !rtt.subscribe(topic, 0)) return 1;
  measure_rtt(rtt, topic, 1.0, gap_ms);  // warm-up
  std::vector<int64_t> idle = measure_rtt(rtt, topic, idle_s, gap_ms);

  // 3. Under slow downloads.
  SlowDownloads crowd;
  if (!crowd.open(downloads, http_host, http_port, path, rcvbuf)) return 1;
  std::thread readers([&] { crowd.run(read_bytes, interval_ms); });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // all of them streaming
  const size_t open_at_start = crowd.open_count();
  std::vector<int64_t> loaded = measure_rtt(rtt, topic, loaded_s, gap_ms);
  const size_t open_at_end = crowd.open_count();
  crowd.stop = true;
  readers.join();

  const bench::Percentiles pi = bench::percentiles(idle);
  const bench::Percentiles pl = bench::percentiles(loaded);
  const double ratio = pi.p99_ms > 0 ? pl.p99_ms / pi.p99_ms : 0;
  const double mib_s = static_cast<double>(crowd.total()) / (1 << 20) / (loaded_s + 1);
  std::cout << "idle:   " << bench::format(pi) << "\n"
            << "loaded: " << bench::format(pl) << "\n"
            << "downloads: " << downloads << " opened, " << open_at_start << " streaming at the start, "
            << open_at_end << " at the end, " << crowd.finished << " finished, " << crowd.failed
            << " failed; " << crowd.total() << " bytes read (" << mib_s << " MiB/s)\n";
  printf("p99 loaded / p99 idle = %.2f (goal <= 2.00); p50 %.3f -> %.3f ms\n", ratio, pi.p50_ms,
         pl.p50_ms);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << "{\n  \"downloads\": " << downloads << ",\n  \"streaming_at_end\": " << open_at_end
        << ",\n  \"failed\": " << crowd.failed << ",\n  \"bytes_read\": " << crowd.total()
        << ",\n  \"idle.p50_ms\": " << pi.p50_ms << ",\n  \"idle.p99_ms\": " << pi.p99_ms
        << ",\n  \"loaded.p50_ms\": " << pl.p50_ms << ",\n  \"loaded.p99_ms\": " << pl.p99_ms
        << ",\n  \"p99_ratio\": " << ratio << "\n}\n";
  }
  mosquitto_lib_cleanup();
  // Every download must still have been streaming: otherwise the load was
  // not what the figure claims.
  return open_at_end == static_cast<size_t>(downloads) && crowd.failed == 0 ? 0 : 2;
}
