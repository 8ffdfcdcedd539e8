#include "delivery/signed_url.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "temp_dir.h"

namespace ota {
namespace {

using test::TempDir;

const std::string kSha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const std::string kOtherSha = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
constexpr int64_t kNow = 1700000000;

UrlSigner signer(char fill = 'k') {
  return UrlSigner::from_secret(std::string(32, fill)).value();
}

DownloadGrant grant(const std::string& device = "prodA/dev1") {
  return DownloadGrant{kSha, device, "17", kNow + 600};
}

// Replaces the first `from` in `s` by `to`.
std::string swap(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in " << s;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(SignedUrl, SignProducesTheDocumentedShape) {
  const std::string url = signer().sign(grant("prodA/dev 1&x"));
  EXPECT_EQ(url.rfind("/fw/" + kSha + "?d=prodA%2Fdev%201%26x&p=17&e=1700000600&s=", 0), 0u)
      << url;
  EXPECT_EQ(url.size() - url.find("&s=") - 3, 64u);
}

TEST(SignedUrl, VerifyAcceptsItsOwnUrls) {
  const UrlSigner s = signer();
  for (const std::string device : {"prodA/dev1", "p/d with spaces", "p/ä&=?#%/+", "x"}) {
    const VerifyResult r = s.verify(s.sign(grant(device)), kNow);
    ASSERT_TRUE(r.ok()) << device << ": " << r.reason;
    EXPECT_EQ(r.http_status(), 200);
    EXPECT_EQ(r.grant.sha256, kSha);
    EXPECT_EQ(r.grant.device, device);
    EXPECT_EQ(r.grant.package, "17");
    EXPECT_EQ(r.grant.expires, kNow + 600);
  }
  // Valid up to and including the expiry second.
  EXPECT_TRUE(s.verify(s.sign(grant()), kNow + 600).ok());
  // Unknown extra parameters are ignored (not signed, harmless).
  EXPECT_TRUE(s.verify(s.sign(grant()) + "&utm=1", kNow).ok());
}

TEST(SignedUrl, ExpiredUrlsAre403) {
  const UrlSigner s = signer();
  const VerifyResult r = s.verify(s.sign(grant()), kNow + 601);
  EXPECT_EQ(r.status, VerifyStatus::kExpired);
  EXPECT_EQ(r.http_status(), 403);
  EXPECT_EQ(r.grant.device, "prodA/dev1");
}

TEST(SignedUrl, TamperingIsDetected) {
  const UrlSigner s = signer();
  const std::string url = s.sign(grant());
  const std::string sig = url.substr(url.find("&s=") + 3);
  std::string flipped = sig;
  flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
  const std::vector<std::string> tampered = {
      swap(url, sig, flipped),                             // signature
      swap(url, "d=prodA%2Fdev1", "d=prodA%2Fdev2"),       // other device
      swap(url, "d=prodA%2Fdev1", "d=prodB%2Fdev1"),       // other product
      swap(url, "p=17", "p=18"),                           // other package
      swap(url, "e=1700000600", "e=1800000600"),           // longer life
      swap(url, kSha, kOtherSha),                          // other file
      swap(url, sig, std::string(64, '0')),
      swap(url, "&s=" + sig, "&s=" + sig.substr(0, 63)),   // truncated
      swap(url, "&s=" + sig, "&s=" + sig + "00"),
  };
  for (const std::string& t : tampered) {
    const VerifyResult r = s.verify(t, kNow);
    EXPECT_EQ(r.status, VerifyStatus::kBadSignature) << t << ": " << r.reason;
    EXPECT_EQ(r.http_status(), 403);
  }
  // Another secret (another installation) does not accept it either.
  EXPECT_EQ(signer('z').verify(url, kNow).status, VerifyStatus::kBadSignature);
}

TEST(SignedUrl, ASignatureForOneFileDoesNotOpenAnother) {
  const UrlSigner s = signer();
  DownloadGrant other = grant();
  other.sha256 = kOtherSha;
  const std::string url_other = s.sign(other);
  const std::string moved = "/fw/" + kSha + url_other.substr(url_other.find('?'));
  EXPECT_EQ(s.verify(moved, kNow).status, VerifyStatus::kBadSignature);
}

TEST(SignedUrl, MalformedQueriesAre403) {
  const UrlSigner s = signer();
  const std::string url = s.sign(grant());
  const std::string path = "/fw/" + kSha;
  for (const std::string& bad : {
           path,                                      // unsigned
           path + "?",                                //
           path + "?d=a&p=1&e=2",                     // no signature
           swap(url, "p=17&", ""),                    // no package
           url + "&d=x",                              // repeated
           swap(url, "d=prodA%2Fdev1", "d=prodA%2"),  // bad escape
           swap(url, "d=prodA%2Fdev1", "d=%zz"),
           swap(url, "e=1700000600", "e=-5"),
           swap(url, "e=1700000600", "e=17e8"),
           swap(url, "e=1700000600", "e="),
           swap(url, "e=1700000600", "e=99999999999999999999999"),
           swap(url, "d=prodA%2Fdev1", "d="),
           swap(url, "d=prodA%2Fdev1", "d=" + std::string(600, 'x')),
       }) {
    const VerifyResult r = s.verify(bad, kNow);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.http_status(), 403) << bad << ": " << r.reason;
  }
}

TEST(SignedUrl, OnlyFirmwarePathsExistAndTraversalIsImpossible) {
  const UrlSigner s = signer();
  const std::string url = s.sign(grant());
  const std::string query = url.substr(url.find('?'));
  const std::vector<std::string> paths = {
           std::string("/"),
           std::string("/fw/"),
           std::string("/fw/../../etc/passwd"),
           std::string("/fw/%2e%2e/%2e%2e/etc/passwd"),
           std::string("/fw/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd"),
           std::string("/fw/..%2f..%2fetc/passwd"),
           "/fw/" + kSha + "/../../../etc/passwd",
           "/fw/" + kSha + "/",
           "/fw//" + kSha,
           "//fw/" + kSha,
           "/fw/./" + kSha,
           "/FW/" + kSha,
           "/fw/" + kSha.substr(0, 63),
           "/fw/" + kSha + "0",
           "/fw/" + kSha.substr(0, 62) + "%30%38",  // escaped hex digits
           "/fw/" + std::string(64, 'g'),
           "/fw/9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
           "/fw/" + kSha.substr(0, 60) + std::string("\0abc", 4),
           std::string("/etc/passwd"),
           std::string("fw/") + kSha,
  };
  for (const std::string& path : paths) {
    const VerifyResult r = s.verify(path + query, kNow);
    EXPECT_EQ(r.status, VerifyStatus::kNotFound) << path;
    EXPECT_EQ(r.http_status(), 404);
    EXPECT_TRUE(r.grant.sha256.empty());
  }
  EXPECT_EQ(s.verify("", kNow).status, VerifyStatus::kNotFound);
}

TEST(SignedUrl, SecretsMustBeLongEnough) {
  auto short_secret = UrlSigner::from_secret(std::string(31, 'x'));
  ASSERT_FALSE(short_secret.ok());
  EXPECT_EQ(short_secret.error(), "URL secret is too short (31 bytes; at least 32 needed)");
}

TEST(SignedUrl, SecretFileIsCreatedOnceWithMode0600) {
  TempDir tmp;
  const std::string path = tmp.sub("url.secret");
  auto first = UrlSigner::load_or_create(path);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_TRUE(first.value().created());
  EXPECT_EQ(first.value().warning(), "");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 65);  // 64 hex digits and a newline

  // A restart reads the same secret: old URLs stay valid.
  auto second = UrlSigner::load_or_create(path);
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_FALSE(second.value().created());
  EXPECT_TRUE(second.value().verify(first.value().sign(grant()), kNow).ok());
  // No temporary files left next to it.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(SignedUrl, ConcurrentCreatorsAgreeOnOneSecret) {
  TempDir tmp;
  const std::string path = tmp.sub("url.secret");
  std::vector<std::string> urls(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < urls.size(); ++i) {
    threads.emplace_back([&, i] {
      auto s = UrlSigner::load_or_create(path);
      if (s.ok()) urls[i] = s.value().sign(grant());
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& url : urls) EXPECT_EQ(url, urls[0]);
}

TEST(SignedUrl, ExistingSecretFilesAreReadAndChecked) {
  TempDir tmp;
  const std::string path = tmp.sub("given.secret");
  std::ofstream(path) << std::string(40, 's') << "\r\n\n";
  ::chmod(path.c_str(), 0644);
  auto s = UrlSigner::load_or_create(path);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_FALSE(s.value().created());
  EXPECT_EQ(s.value().warning(), "URL secret file " + path +
                                     " is readable by other users; chmod 600 it");
  // Trailing whitespace is not part of the secret.
  const UrlSigner same = UrlSigner::from_secret(std::string(40, 's')).value();
  EXPECT_TRUE(same.verify(s.value().sign(grant()), kNow).ok());

  std::ofstream(tmp.sub("short")) << "tooshort\n";
  auto short_file = UrlSigner::load_or_create(tmp.sub("short"));
  ASSERT_FALSE(short_file.ok());
  EXPECT_NE(short_file.error().find("too short"), std::string::npos);
  EXPECT_FALSE(UrlSigner::load_or_create(tmp.sub("no/such/dir/secret")).ok());
  EXPECT_FALSE(UrlSigner::load_or_create(tmp.path()).ok());  // a directory
  EXPECT_FALSE(UrlSigner::load_or_create("").ok());
}

TEST(SignedUrl, JoinUrl) {
  EXPECT_EQ(join_url("https://ota.example.com:8443", "/fw/x?d=1"),
            "https://ota.example.com:8443/fw/x?d=1");
  EXPECT_EQ(join_url("http://h//", "/fw/x"), "http://h/fw/x");
}

}  // namespace
}  // namespace ota
