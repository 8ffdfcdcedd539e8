// The firmware download server (mosquitto_ota_http.so) run standalone
// through the loader, as the plugin will run it: a FirmwareStore, signed
// URLs, and real clients (a raw socket client for exact bytes, curl for the
// everyday client, including resume and TLS).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <set>
#include <thread>

#include "delivery/firmware_resolver.h"
#include "delivery/firmware_store.h"
#include "delivery/http_loader.h"
#include "delivery/signed_url.h"
#include "http_test_client.h"

#ifndef OTA_HTTP_LIBRARY_PATH
#define OTA_HTTP_LIBRARY_PATH "mosquitto_ota_http.so"
#endif

namespace ota::test {
namespace {

using namespace std::chrono_literals;

constexpr size_t kFileSize = 300 * 1000 + 7;  // several chunks, odd size
const std::string kDevice = "prod1/dev 1&x=y/z";  // survives encoding both ways
const std::string kPackage = "42";

std::string make_temp_dir() {
  std::string tmpl = "/tmp/ota-http-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    auto store = FirmwareStore::open(dir_ + "/fw");
    ASSERT_TRUE(store.ok()) << store.error();
    store_ = std::move(store.value());
    data_ = random_bytes(kFileSize, 1);
    auto file = store_->put(data_);
    ASSERT_TRUE(file.ok()) << file.error();
    file_ = file.value();
    auto signer = UrlSigner::load_or_create(dir_ + "/secret");
    ASSERT_TRUE(signer.ok()) << signer.error();
    signer_ = std::make_unique<UrlSigner>(std::move(signer.value()));
    auto library = HttpLibrary::load(OTA_HTTP_LIBRARY_PATH);
    ASSERT_TRUE(library.ok()) << library.error();
    library_ = library.value();
  }

  void TearDown() override {
    if (server_) server_->stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Starts the server on a free port with `config` (listen and resolver
  // filled in when empty).
  void start(HttpServerConfig config = {}) {
    if (config.listen.empty()) config.listen = "127.0.0.1:0";
    if (!config.resolve) config.resolve = firmware_resolver(*signer_, *store_);
    auto server = HttpServer::start(library_, std::move(config));
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(server.value());
    ASSERT_GT(server_->port(), 0);
  }

  std::string target(const std::string& sha, int64_t expires_in = 3600,
                     const std::string& device = kDevice) const {
    return signer_->sign(DownloadGrant{sha, device, kPackage, ::time(nullptr) + expires_in});
  }
  std::string target() const { return target(file_.sha256); }
  std::string url(const std::string& t, const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(server_->port()) + t;
  }

  HttpReply get(const std::string& t, const std::vector<std::string>& headers = {}) {
    return http_exchange(server_->port(), http_get(t, headers));
  }

  // Download events drained so far, waiting (bounded) until `count` arrived.
  std::vector<HttpEvent> downloads(size_t count, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      for (HttpEvent& e : server_->drain_events()) {
        if (e.kind == HttpEvent::Kind::kDownload) events_.push_back(std::move(e));
      }
      if (events_.size() >= count) break;
      std::this_thread::sleep_for(10ms);
    }
    return events_;
  }

  std::string dir_;
  std::unique_ptr<FirmwareStore> store_;
  std::unique_ptr<UrlSigner> signer_;
  std::shared_ptr<const HttpLibrary> library_;
  std::unique_ptr<HttpServer> server_;
  std::string data_;
  StoredFile file_;
  std::vector<HttpEvent> events_;
};

TEST_F(HttpServerTest, LibraryReportsItsOwnLibwebsockets) {
  EXPECT_NE(library_->lws_origin().find("libwebsockets.so"), std::string::npos)
      << library_->lws_origin();
  EXPECT_NE(library_->lws_version().find("4."), std::string::npos) << library_->lws_version();
}

TEST_F(HttpServerTest, FullGetServesTheFileWithHeadersAndReportsTheDownload) {
  start();
  HttpReply r = get(target());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-length"), std::to_string(kFileSize));
  EXPECT_EQ(r.header("accept-ranges"), "bytes");
  EXPECT_EQ(r.header("etag"), "\"" + file_.sha256 + "\"");
  EXPECT_EQ(r.header("content-type"), "application/octet-stream");
  EXPECT_EQ(r.header("content-range"), "");
  EXPECT_EQ(sha256_of(r.body), file_.sha256);

  auto events = downloads(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].device, kDevice);
  EXPECT_EQ(events[0].package, kPackage);
  EXPECT_EQ(events[0].sha256, file_.sha256);
  EXPECT_EQ(events[0].status, 200);
  EXPECT_TRUE(events[0].complete);
  EXPECT_TRUE(events[0].reached_end());
  EXPECT_EQ(events[0].bytes, kFileSize);
  EXPECT_EQ(server_->stats().downloads_completed, 1u);
  EXPECT_EQ(server_->stats().bytes_sent, kFileSize);
}

TEST_F(HttpServerTest, RangesAreServedClampedAndRefusedPastTheEnd) {
  start();
  HttpReply mid = get(target(), {"Range: bytes=1000-1999"});
  ASSERT_TRUE(mid.ok) << mid.error;
  EXPECT_EQ(mid.status, 206);
  EXPECT_EQ(mid.header("content-range"), "bytes 1000-1999/" + std::to_string(kFileSize));
  EXPECT_EQ(mid.header("content-length"), "1000");
  EXPECT_EQ(mid.body, data_.substr(1000, 1000));

  // A Tencent device asks bytes=0-<size>: clamped to the last byte.
  HttpReply clamped = get(target(), {"Range: bytes=0-" + std::to_string(kFileSize)});
  ASSERT_TRUE(clamped.ok) << clamped.error;
  EXPECT_EQ(clamped.status, 206);
  EXPECT_EQ(clamped.header("content-range"),
            "bytes 0-" + std::to_string(kFileSize - 1) + "/" + std::to_string(kFileSize));
  EXPECT_EQ(clamped.body, data_);

  // ... and resumes with bytes=<n>-<size>.
  HttpReply resumed = get(target(), {"Range: bytes=250000-" + std::to_string(kFileSize)});
  ASSERT_TRUE(resumed.ok) << resumed.error;
  EXPECT_EQ(resumed.status, 206);
  EXPECT_EQ(resumed.body, data_.substr(250000));

  HttpReply suffix = get(target(), {"Range: bytes=-10"});
  ASSERT_TRUE(suffix.ok) << suffix.error;
  EXPECT_EQ(suffix.status, 206);
  EXPECT_EQ(suffix.body, data_.substr(kFileSize - 10));

  HttpReply past = get(target(), {"Range: bytes=" + std::to_string(kFileSize) + "-"});
  ASSERT_TRUE(past.ok) << past.error;
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(past.header("content-range"), "bytes */" + std::to_string(kFileSize));

  HttpReply multi = get(target(), {"Range: bytes=0-9,20-29"});  // one range only: whole file
  ASSERT_TRUE(multi.ok) << multi.error;
  EXPECT_EQ(multi.status, 200);
  EXPECT_EQ(multi.body, data_);

  auto events = downloads(5);
  ASSERT_EQ(events.size(), 5u);  // no event for the 416
  EXPECT_FALSE(events[0].reached_end());  // 1000-1999
  EXPECT_TRUE(events[1].reached_end());
  EXPECT_TRUE(events[2].reached_end());
  EXPECT_EQ(events[2].offset, 250000u);
  EXPECT_EQ(server_->stats().responses_206, 4u);
  EXPECT_EQ(server_->stats().responses_416, 1u);
}

TEST_F(HttpServerTest, CurlDownloadsFullAndRanged) {
  start();
  const std::string out = dir_ + "/curl.bin";
  CommandResult full = run_command(
      {"curl", "-sS", "-o", out, "-w", "%{http_code}", url(target())});
  ASSERT_EQ(full.exit_code, 0);
  EXPECT_EQ(full.out, "200");
  EXPECT_EQ(sha256_of(read_whole(out)), file_.sha256);

  CommandResult ranged = run_command(
      {"curl", "-sS", "-r", "100-199", "-o", out, "-w", "%{http_code}", url(target())});
  ASSERT_EQ(ranged.exit_code, 0);
  EXPECT_EQ(ranged.out, "206");
  EXPECT_EQ(read_whole(out), data_.substr(100, 100));
}

TEST_F(HttpServerTest, ResumeAfterACutConnectionYieldsTheWholeFile) {
  // Big enough that the server cannot have written it all into the socket
  // buffers when the client gives up.
  const std::string big = random_bytes(8 << 20, 4);
  auto stored = store_->put(big);
  ASSERT_TRUE(stored.ok()) << stored.error();
  const std::string sha = stored.value().sha256;
  start();
  // The first attempt dies after 100,000 bytes.
  HttpConnection first;
  ASSERT_TRUE(first.connect(server_->port(), 4096));
  ASSERT_TRUE(first.send(http_get(target(sha))));
  HttpReply cut = first.read_reply(false, 100000);
  EXPECT_FALSE(cut.ok);
  EXPECT_EQ(cut.status, 200);
  ASSERT_EQ(cut.body.size(), 100000u);
  const std::string out = dir_ + "/resumed.bin";
  write_file(out, cut.body);

  // curl continues where the file ends (Range: bytes=100000-).
  CommandResult resumed =
      run_command({"curl", "-sS", "-C", "-", "-o", out, "-w", "%{http_code}", url(target(sha))});
  ASSERT_EQ(resumed.exit_code, 0);
  EXPECT_EQ(resumed.out, "206");
  EXPECT_EQ(sha256_of(read_whole(out)), sha);

  auto events = downloads(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[0].complete);  // the cut one
  EXPECT_LT(events[0].bytes, big.size());
  EXPECT_FALSE(events[0].reached_end());
  EXPECT_TRUE(events[1].complete);
  EXPECT_EQ(events[1].offset, 100000u);
  EXPECT_EQ(events[1].bytes, big.size() - 100000);
  EXPECT_TRUE(events[1].reached_end());
}

TEST_F(HttpServerTest, BadSignaturesAre403) {
  start();
  const std::string good = target();
  std::string tampered = good;
  tampered[tampered.size() - 1] = tampered.back() == '0' ? '1' : '0';
  EXPECT_EQ(get(tampered).status, 403);

  EXPECT_EQ(get(target(file_.sha256, -10)).status, 403);  // expired

  // Another device's name put into a valid URL.
  std::string other_device = good;
  const std::string encoded = url_encode(kDevice);
  other_device.replace(other_device.find(encoded), encoded.size(), "prod1%2Fdev2");
  EXPECT_EQ(get(other_device).status, 403);

  // A signature for another file on this file's path.
  auto other = store_->put("another firmware");
  ASSERT_TRUE(other.ok());
  std::string swapped = target(other.value().sha256);
  swapped.replace(4, 64, file_.sha256);
  EXPECT_EQ(get(swapped).status, 403);

  EXPECT_EQ(get("/fw/" + file_.sha256).status, 403);  // unsigned
  EXPECT_EQ(server_->stats().responses_403, 5u);
  EXPECT_EQ(server_->stats().bytes_sent, 0u);
}

TEST_F(HttpServerTest, UnknownFilesAndOtherPathsAre404AndNeverEscapeTheStore) {
  start();
  const std::string missing(64, 'a');
  EXPECT_EQ(get(target(missing)).status, 404);  // signed, but not stored
  store_->remove(file_.sha256);
  EXPECT_EQ(get(target()).status, 404);  // removed meanwhile

  const std::string query = target().substr(target().find('?'));
  for (const std::string& path :
       {std::string("/"), std::string("/etc/passwd"), std::string("/fw/../../etc/passwd"),
        std::string("/fw/%2e%2e/%2e%2e/etc/passwd"), std::string("/%2e%2e/%2e%2e/etc/passwd"),
        std::string("/fw/..%2f..%2fetc%2fpasswd"), "/fw/" + file_.sha256 + "/../../secret",
        std::string("/fw//etc/passwd"), std::string("//etc/passwd")}) {
    HttpReply r = get(path + query);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << path;
  }
  EXPECT_EQ(server_->stats().bytes_sent, 0u);

  // lws collapses "//" and "/./" before our callback sees the path: a signed
  // URL written sloppily still names the same (and only that) file.
  auto again = store_->put(data_);
  ASSERT_TRUE(again.ok());
  HttpReply sloppy = get("//fw//./" + file_.sha256 + query);
  EXPECT_EQ(sloppy.status, 200);
  EXPECT_EQ(sloppy.body, data_);
}

TEST_F(HttpServerTest, HeadAndOtherMethods) {
  start();
  HttpConnection c;
  ASSERT_TRUE(c.connect(server_->port()));
  ASSERT_TRUE(c.send(http_get(target(), {}, true, "HEAD")));
  HttpReply head = c.read_reply(true);
  ASSERT_TRUE(head.ok) << head.error;
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(kFileSize));
  EXPECT_EQ(head.header("etag"), "\"" + file_.sha256 + "\"");
  // No body followed: the next response on the connection parses cleanly.
  ASSERT_TRUE(c.send(http_get(target(), {"Range: bytes=0-3"}, true)));
  HttpReply next = c.read_reply();
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.status, 206);
  EXPECT_EQ(next.body, data_.substr(0, 4));

  // No websockets (nor h2c) on the firmware port: refused, then closed.
  HttpConnection ws;
  ASSERT_TRUE(ws.connect(server_->port()));
  ASSERT_TRUE(ws.send(http_get(target(), {"Upgrade: websocket", "Connection: Upgrade",
                                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                                          "Sec-WebSocket-Version: 13"},
                               true)));
  HttpReply refused = ws.read_reply();
  EXPECT_EQ(refused.status, 400);
  EXPECT_TRUE(ws.closed_by_peer(5s));

  HttpReply post = http_exchange(server_->port(),
                                 "POST " + target() +
                                     " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                     "Connection: close\r\n\r\nabc");
  EXPECT_EQ(post.status, 405);
}

// Every response as the device SDKs read it (DESIGN.md §10): the raw bytes,
// names compared case-sensitively, "HTTP/1.1", CRLF, and a Content-Length
// that frames the body exactly, whatever the status.
void expect_sdk_readable(const HttpReply& r, int status, bool head_request = false) {
  SCOPED_TRACE(r.head);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, status);
  const std::string prefix = "HTTP/1.1 " + std::to_string(status) + " ";
  EXPECT_EQ(r.head.compare(0, prefix.size(), prefix), 0);
  const std::set<std::string> canonical = {"Content-Length", "Content-Type", "Content-Range",
                                           "Accept-Ranges", "ETag", "Allow", "Connection"};
  bool length_seen = false;
  size_t start = r.head.find("\r\n") + 2;
  while (start < r.head.size()) {
    const size_t end = r.head.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    const std::string line = r.head.substr(start, end - start);
    EXPECT_EQ(line.find('\n'), std::string::npos) << "bare LF";
    const size_t sep = line.find(": ");
    ASSERT_NE(sep, std::string::npos) << line;
    EXPECT_EQ(canonical.count(line.substr(0, sep)), 1u) << "not a canonical name: " << line;
    if (std::memcmp(line.data(), "Content-Length: ", 16) == 0) {
      length_seen = true;
      if (!head_request) {
        EXPECT_EQ(line.substr(16), std::to_string(r.body.size()));
      }
    }
    start = end + 2;
  }
  EXPECT_TRUE(length_seen) << "no Content-Length";
  EXPECT_NE(std::strstr(r.head.c_str(), "Content-Length"), nullptr);
}

TEST_F(HttpServerTest, EveryResponseIsReadableByDeviceSdks) {
  start();
  expect_sdk_readable(get(target()), 200);
  HttpReply partial = get(target(), {"Range: bytes=10-" + std::to_string(kFileSize)});
  expect_sdk_readable(partial, 206);
  EXPECT_NE(partial.head.find("\r\nContent-Range: bytes 10-" + std::to_string(kFileSize - 1) +
                              "/" + std::to_string(kFileSize) + "\r\n"),
            std::string::npos);
  EXPECT_NE(partial.head.find("\r\nAccept-Ranges: bytes\r\n"), std::string::npos);
  EXPECT_NE(partial.head.find("\r\nETag: \"" + file_.sha256 + "\"\r\n"), std::string::npos);
  EXPECT_NE(partial.head.find("\r\nContent-Type: application/octet-stream\r\n"),
            std::string::npos);
  expect_sdk_readable(get(target(), {"Range: bytes=" + std::to_string(kFileSize) + "-"}), 416);
  expect_sdk_readable(get("/fw/" + file_.sha256), 403);
  expect_sdk_readable(get(target(std::string(64, 'a'))), 404);
  expect_sdk_readable(http_exchange(server_->port(), http_get(target(), {}, false, "DELETE")),
                      405);
  expect_sdk_readable(http_exchange(server_->port(), http_get(target(), {}, false, "HEAD"), true),
                      200, true);
  expect_sdk_readable(http_exchange(server_->port(), "BREW /pot HTTP/1.1 now\r\n\r\n"), 400);
}

// Malformed requests get 400 with a Content-Length, then the connection
// closes; they are counted, and a good request still works afterwards.
TEST_F(HttpServerTest, MalformedRequestsAreAnswered400) {
  start();
  const std::vector<std::string> bad = {
      "garbage\r\n\r\n",
      "GET " + target() + "\r\n\r\n",                 // no version
      "GET /fw/%00" + file_.sha256 + " HTTP/1.1\r\n\r\n",  // an encoded NUL
      "GET " + target() + "%00 HTTP/1.1\r\n\r\n",
      "GET /a%zz HTTP/1.1\r\n\r\n",
      "GET " + target() + " HTTP/1.1\r\nbroken header\r\n\r\n",
  };
  for (const std::string& request : bad) {
    HttpConnection c;
    ASSERT_TRUE(c.connect(server_->port()));
    ASSERT_TRUE(c.send(request));
    HttpReply r = c.read_reply();
    expect_sdk_readable(r, 400);
    EXPECT_EQ(r.body, "400 Bad Request\n");
    EXPECT_NE(r.head.find("\r\nConnection: close\r\n"), std::string::npos);
    EXPECT_TRUE(c.closed_by_peer(5s)) << request;
  }
  EXPECT_EQ(server_->stats().bad_requests, bad.size());
  EXPECT_EQ(server_->stats().bytes_sent, 0u);
  EXPECT_EQ(get(target()).status, 200);
}

// One address holding many half-open connections (a request head that
// never ends) neither blocks another address's download nor keeps its
// connections past the header timeout.
TEST_F(HttpServerTest, SlowClientsOfOneAddressDoNotBlockOthers) {
  HttpServerConfig config;
  config.max_connections = 256;
  config.max_connections_per_address = 16;
  config.header_timeout_s = 2;
  config.idle_timeout_s = 60;
  start(std::move(config));
  std::vector<std::unique_ptr<HttpConnection>> slow;
  for (int i = 0; i < 400; ++i) {
    auto c = std::make_unique<HttpConnection>();
    ASSERT_TRUE(c->connect(server_->port())) << i;
    c->send("GET /fw/");  // and never the rest
    slow.push_back(std::move(c));
  }
  // Another client (a second loopback address) downloads meanwhile.
  HttpConnection other;
  ASSERT_TRUE(other.connect_from("127.0.0.2", server_->port()));
  ASSERT_TRUE(other.send(http_get(target())));
  HttpReply r = other.read_reply();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(sha256_of(r.body), file_.sha256);
  EXPECT_GE(server_->stats().connections_refused_per_address, 400u - 16u);
  // The 16 it kept are closed once their head is late.
  const auto before = std::chrono::steady_clock::now();
  size_t closed = 0;
  for (auto& c : slow) closed += c->closed_by_peer(10s);
  EXPECT_EQ(closed, slow.size());
  EXPECT_LT(std::chrono::steady_clock::now() - before, 8s);
  // A head trickled a byte at a time is cut at the header timeout too.
  HttpConnection trickle;
  ASSERT_TRUE(trickle.connect(server_->port()));
  const std::string request = http_get(target());
  const auto trickle_start = std::chrono::steady_clock::now();
  bool cut = false;
  for (char ch : request) {
    if (!trickle.send(std::string(1, ch))) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(100ms);
    if (std::chrono::steady_clock::now() - trickle_start > 6s) break;
  }
  EXPECT_TRUE(cut || trickle.closed_by_peer(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - trickle_start, 8s);
  EXPECT_EQ(get(target()).status, 200);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  HttpConnection c;
  ASSERT_TRUE(c.connect(server_->port()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(http_get(target(), {}, true)));
    HttpReply r = c.read_reply();
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(sha256_of(r.body), file_.sha256);
  }
  EXPECT_EQ(downloads(3).size(), 3u);
}

TEST_F(HttpServerTest, ManyConcurrentDownloads) {
  start();
  constexpr int kClients = 24;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpReply r = get(target(file_.sha256, 3600, "prod1/dev" + std::to_string(i)));
      if (r.ok && r.status == 200 && sha256_of(r.body) == file_.sha256) good++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), kClients);
  EXPECT_EQ(downloads(kClients).size(), static_cast<size_t>(kClients));
}

TEST_F(HttpServerTest, ConnectionsAreBounded) {
  HttpServerConfig config;
  config.max_connections = 2;
  start(std::move(config));
  HttpConnection a, b, c;
  ASSERT_TRUE(a.connect(server_->port()));
  ASSERT_TRUE(b.connect(server_->port()));
  std::this_thread::sleep_for(200ms);  // let the server accept both
  ASSERT_TRUE(c.connect(server_->port()));  // the kernel accepts; the server closes it
  EXPECT_TRUE(c.closed_by_peer(5s));
  EXPECT_GE(server_->stats().connections_refused, 1u);
  // The two held connections still work, and a slot frees up after close.
  ASSERT_TRUE(a.send(http_get(target())));
  EXPECT_EQ(a.read_reply().status, 200);
  b.close();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  HttpReply r;
  while (std::chrono::steady_clock::now() < deadline) {
    r = get(target());
    if (r.ok) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(r.status, 200) << r.error;
}

TEST_F(HttpServerTest, IdleAndStalledConnectionsAreClosed) {
  // A big file, so a client that stops reading fills the socket buffers.
  const std::string big = random_bytes(16 << 20, 2);
  auto stored = store_->put(big);
  ASSERT_TRUE(stored.ok());
  HttpServerConfig config;
  config.idle_timeout_s = 1;
  start(std::move(config));

  HttpConnection idle;
  ASSERT_TRUE(idle.connect(server_->port()));
  EXPECT_TRUE(idle.closed_by_peer(10s));  // never sent a request

  HttpConnection stalled;
  ASSERT_TRUE(stalled.connect(server_->port(), 4096));
  ASSERT_TRUE(stalled.send(http_get(target(stored.value().sha256))));
  // Read nothing: the server must give up and report a cut download.
  auto events = downloads(1, 15s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].complete);
  EXPECT_LT(events[0].bytes, big.size());
  EXPECT_EQ(server_->stats().connections_open, 0u);
}

TEST_F(HttpServerTest, ServesOverTls) {
  const std::string cert = dir_ + "/cert.pem", key = dir_ + "/key.pem";
  CommandResult made = run_command(
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
       "-addext", "subjectAltName=DNS:localhost", "-days", "2", "-keyout", key, "-out", cert},
      /*quiet=*/true);
  ASSERT_EQ(made.exit_code, 0);
  HttpServerConfig config;
  config.tls_cert_file = cert;
  config.tls_key_file = key;
  start(std::move(config));
  const std::string out = dir_ + "/tls.bin";
  CommandResult full = run_command(
      {"curl", "-sS", "--cacert", cert, "--resolve",
       "localhost:" + std::to_string(server_->port()) + ":127.0.0.1", "-o", out, "-w",
       "%{http_code} %{http_version}",
       "https://localhost:" + std::to_string(server_->port()) + target()});
  ASSERT_EQ(full.exit_code, 0);
  EXPECT_EQ(full.out, "200 1.1");
  EXPECT_EQ(sha256_of(read_whole(out)), file_.sha256);
  CommandResult ranged = run_command({"curl", "-sSk", "-r", "5-9", "-o", out, "-w",
                                      "%{http_code}", url(target(), "https")});
  ASSERT_EQ(ranged.exit_code, 0);
  EXPECT_EQ(ranged.out, "206");
  EXPECT_EQ(read_whole(out), data_.substr(5, 5));
  // Plain HTTP to the TLS port gets no firmware.
  HttpReply plain = get(target());
  EXPECT_NE(plain.status, 200);
}

TEST_F(HttpServerTest, StopDuringDownloadsIsPromptAndClean) {
  const std::string big = random_bytes(16 << 20, 3);
  auto stored = store_->put(big);
  ASSERT_TRUE(stored.ok());
  start();
  std::vector<std::unique_ptr<HttpConnection>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<HttpConnection>());
    ASSERT_TRUE(clients.back()->connect(server_->port(), 4096));
    ASSERT_TRUE(clients.back()->send(http_get(target(stored.value().sha256))));
  }
  std::this_thread::sleep_for(300ms);
  const auto before = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  for (auto& c : clients) EXPECT_TRUE(c->closed_by_peer(5s));
  EXPECT_EQ(server_->port(), 0);
  server_->stop();  // idempotent
}

TEST_F(HttpServerTest, StartErrorsAreReported) {
  start();  // holds a port
  HttpServerConfig busy;
  busy.listen = "127.0.0.1:" + std::to_string(server_->port());
  busy.resolve = firmware_resolver(*signer_, *store_);
  auto again = HttpServer::start(library_, busy);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().find("cannot listen on 127.0.0.1:"), std::string::npos) << again.error();

  HttpServerConfig bad_port = busy;
  bad_port.listen = "127.0.0.1:http";
  auto r1 = HttpServer::start(library_, bad_port);
  ASSERT_FALSE(r1.ok());
  EXPECT_NE(r1.error().find("bad port"), std::string::npos) << r1.error();

  HttpServerConfig half_tls = busy;
  half_tls.listen = "127.0.0.1:0";
  half_tls.tls_cert_file = dir_ + "/cert.pem";
  auto r2 = HttpServer::start(library_, half_tls);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().find("both a certificate and a key"), std::string::npos) << r2.error();

  half_tls.tls_key_file = dir_ + "/missing.pem";
  auto r3 = HttpServer::start(library_, half_tls);
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.error().find("cannot read TLS file"), std::string::npos) << r3.error();

  auto missing = HttpLibrary::load(dir_ + "/nope.so");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("cannot load the HTTP library"), std::string::npos);
  auto wrong = HttpLibrary::load("libz.so.1");  // loads, but is not ours
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error(), "libz.so.1 has no ota_http_server_api_v1: not the OTA HTTP library");
}

}  // namespace
}  // namespace ota::test
