// The lws-free pieces of the download server: Range decisions, request
// target rebuilding, and the standard resolver (signed URL + store).
#include <gtest/gtest.h>

#include "delivery/byte_range.h"
#include "delivery/firmware_resolver.h"
#include "delivery/url_codec.h"
#include "temp_dir.h"

namespace ota {
namespace {

using test::TempDir;

RangeDecision full(uint64_t size) { return {RangeDecision::kFull, 0, size}; }
RangeDecision part(uint64_t first, uint64_t length) {
  return {RangeDecision::kPartial, first, length};
}
RangeDecision none() { return {RangeDecision::kUnsatisfiable, 0, 0}; }

void expect_range(std::string_view header, uint64_t size, RangeDecision want) {
  const RangeDecision got = decide_range(header, size);
  EXPECT_EQ(got.kind, want.kind) << "'" << header << "' size " << size;
  EXPECT_EQ(got.first, want.first) << "'" << header << "' size " << size;
  EXPECT_EQ(got.length, want.length) << "'" << header << "' size " << size;
}

TEST(ByteRange, NoOrIgnoredRangeServesTheWholeFile) {
  expect_range("", 1000, full(1000));
  expect_range("items=0-10", 1000, full(1000));
  expect_range("bytes=0-9,20-29", 1000, full(1000));  // single range only
  expect_range("bytes=abc", 1000, full(1000));
  expect_range("bytes=5-2", 1000, full(1000));        // invalid: ignored
  expect_range("bytes=-", 1000, full(1000));
  expect_range("bytes=+1-5", 1000, full(1000));
  expect_range("bytes=1-5x", 1000, full(1000));
  expect_range("bytes=99999999999999999999999-", 1000, full(1000));
}

TEST(ByteRange, SingleRanges) {
  expect_range("bytes=0-99", 1000, part(0, 100));
  expect_range("bytes=100-", 1000, part(100, 900));
  expect_range("bytes=999-999", 1000, part(999, 1));
  expect_range("Bytes= 10 - 19 ", 1000, part(10, 10));
  expect_range("bytes=-100", 1000, part(900, 100));
  expect_range("bytes=-5000", 1000, part(0, 1000));
}

TEST(ByteRange, EndsPastTheFileAreClamped) {
  // Tencent devices: bytes=0-<size>, then bytes=<n>-<size>.
  expect_range("bytes=0-1000", 1000, part(0, 1000));
  expect_range("bytes=400-1000", 1000, part(400, 600));
  expect_range("bytes=0-18446744073709551615", 1000, part(0, 1000));
}

TEST(ByteRange, StartsPastTheEndAreUnsatisfiable) {
  expect_range("bytes=1000-", 1000, none());
  expect_range("bytes=1000-2000", 1000, none());
  expect_range("bytes=-0", 1000, none());
  expect_range("bytes=0-", 0, none());
  expect_range("bytes=-10", 0, none());
}

TEST(ByteRange, ContentRangeValues) {
  EXPECT_EQ(content_range(part(0, 100), 1000), "bytes 0-99/1000");
  EXPECT_EQ(content_range(part(999, 1), 1000), "bytes 999-999/1000");
  EXPECT_EQ(content_range(none(), 1000), "bytes */1000");
}

TEST(UrlCodec, EncodeDecodeRoundTrip) {
  const std::string odd = "a/b c&d=e?f#g%h+i~j.k_l-m\xc3\xa4";
  EXPECT_EQ(url_encode(odd), "a%2Fb%20c%26d%3De%3Ff%23g%25h%2Bi~j.k_l-m%C3%A4");
  EXPECT_EQ(url_decode(url_encode(odd)), odd);
  EXPECT_EQ(url_encode("/fw/abc", true), "/fw/abc");
  EXPECT_EQ(url_decode("a+b%20c"), "a b c");
  EXPECT_EQ(url_decode("%"), std::nullopt);
  EXPECT_EQ(url_decode("%4"), std::nullopt);
  EXPECT_EQ(url_decode("%zz"), std::nullopt);
}

TEST(UrlCodec, RebuildTargetFromDecodedPieces) {
  EXPECT_EQ(rebuild_target("/fw/abc", {}), "/fw/abc");
  EXPECT_EQ(rebuild_target("/fw/abc", {"d=p/d 1&x", "p=7", "flag"}),
            "/fw/abc?d=p%2Fd%201%26x&p=7&flag");
  EXPECT_EQ(rebuild_target("/a b/..", {}), "/a%20b/..");
}

// What the HTTP server does with a signed URL: lws decodes the path and each
// argument, rebuild_target encodes them again, verify checks the signature.
TEST(FirmwareResolver, SignedUrlSurvivesTheServersDecoding) {
  TempDir tmp;
  auto store = std::move(FirmwareStore::open(tmp.sub("fw")).value());
  auto file = store->put("firmware bytes").value();
  const UrlSigner signer = UrlSigner::from_secret(std::string(32, 'q')).value();
  const std::string device = "prod/dev name & more = +";
  const std::string url = signer.sign(DownloadGrant{file.sha256, device, "9", 2000});

  std::vector<std::string> args;
  const std::string query = url.substr(url.find('?') + 1);
  size_t start = 0;
  while (start <= query.size()) {
    const size_t amp = query.find('&', start);
    const std::string piece = query.substr(start, amp - start);
    const size_t eq = piece.find('=');
    args.push_back(*url_decode(piece.substr(0, eq)) + "=" + *url_decode(piece.substr(eq + 1)));
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  const std::string rebuilt = rebuild_target("/fw/" + file.sha256, args);

  HttpResolution r = resolve_firmware(signer, *store, rebuilt, 1000);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.path, file.path);
  EXPECT_EQ(r.sha256, file.sha256);
  EXPECT_EQ(r.device, device);
  EXPECT_EQ(r.package, "9");

  EXPECT_EQ(resolve_firmware(signer, *store, rebuilt, 2001).status, 403);  // expired
  EXPECT_EQ(resolve_firmware(signer, *store, "/etc/passwd", 1000).status, 404);
  EXPECT_EQ(resolve_firmware(signer, *store, "/fw/" + file.sha256, 1000).status, 403);
  const std::string missing(64, 'c');
  EXPECT_EQ(resolve_firmware(signer, *store,
                             signer.sign(DownloadGrant{missing, device, "9", 2000}), 1000)
                .status,
            404);
  HttpResolver resolver = firmware_resolver(signer, *store);
  EXPECT_EQ(resolver(url, 1000).status, 200);
}

TEST(HttpLoader, DefaultLibraryPathIsNextToTheCallingBinary) {
  // Here the calling binary is the test executable; in the broker it is
  // the plugin, whose directory the package installs the helper into.
  const std::string path = default_http_library_path();
  ASSERT_NE(path.rfind('/'), std::string::npos) << path;
  EXPECT_EQ(path.substr(path.rfind('/')), "/mosquitto_ota_http.so");
}

}  // namespace
}  // namespace ota
