// package add --file: the chunked upload over $CONTROL/ota/v1.
//
// NEEDS THE PLUGIN'S UPLOAD COMMANDS (beginUpload, uploadChunk,
// finishUpload, createPackage with "fileSha256") and plugin_opt_firmware_dir:
// until they land these tests fail (the broker refuses the unknown option,
// or the plugin answers "unknown command 'beginUpload'").
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "ctrl_fixture.h"
#include "http_test_client.h"
#include "parse.h"
#include "upload.h"
#include "json/base64.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

// A temporary directory, removed at the end.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ota-ctrl-upload-XXXXXX";
    path = mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};

// Writes `size` pseudo-random bytes.
void write_random_file(const std::string& path, size_t size, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::ofstream out(path, std::ios::binary);
  std::vector<uint64_t> block(8192);
  size_t left = size;
  while (left > 0) {
    for (uint64_t& v : block) v = rng();
    const size_t n = std::min(left, block.size() * sizeof(uint64_t));
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    left -= n;
  }
}

std::string md5_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, digest, &n);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  char b[3];
  for (unsigned i = 0; i < n; ++i) {
    snprintf(b, sizeof b, "%02x", digest[i]);
    hex += b;
  }
  return hex;
}

class CtrlUploadTest : public CtrlTest {
 protected:
  BrokerOptions broker_options() override {
    BrokerOptions options;
    // The firmware store the uploads fill, and the download server devices
    // are sent to (docs/configuration.md).
    http_port_ = pick_listen_port();
    options.plugin_opts["firmware_dir"] = std::string(kDirPlaceholder) + "/firmware";
    options.plugin_opts["http_library"] = OTA_HTTP_LIBRARY_PATH;
    options.plugin_opts["http_listen"] = "127.0.0.1:" + std::to_string(http_port_);
    options.plugin_opts["http_public_url"] = http_base();
    return options;
  }

  std::string http_base() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  int http_port_ = 0;

  CtrlRun ctrl_long(std::vector<std::string> args) {
    std::vector<std::string> full{"-h", "127.0.0.1", "-p", std::to_string(broker().port()),
                                  "-u", "admin", "--timeout", "30"};
    full.insert(full.end(), args.begin(), args.end());
    return run_ctrl(full, std::chrono::seconds(110));
  }
};

// The 50 MB flow: upload, job, watch, device list.
TEST_F(CtrlUploadTest, FiftyMegabytesThenJobWatchAndDeviceList) {
  TempDir tmp;
  ASSERT_NE(tmp.path, "");
  const std::string file = tmp.path + "/fw-2.0.0.bin";
  constexpr size_t kSize = 50u << 20;
  write_random_file(file, kSize, 7);
  uint64_t size = 0;
  const std::string sha256 = ctrl::sha256_file(file, &size);
  ASSERT_EQ(size, kSize);
  const std::string md5 = md5_file(file);

  auto d1 = device("pk1", "d1", "1.0.0");
  CtrlRun add = ctrl_long({"package", "add", "--product", "pk1", "--version", "2.0.0", "--file",
                           file, "--json"});
  ASSERT_EQ(add.exit_code, 0) << "(needs the plugin's upload commands)\n" << add.describe();
  // Not a terminal: no progress bar, one final line.
  EXPECT_TRUE(contains(add.err, "uploaded fw-2.0.0.bin: 50.0 MiB in ")) << add.err;
  EXPECT_FALSE(contains(add.err, "\r")) << "a progress bar on a pipe";
  JsonPtr pkg = ctrl_json(add);
  ASSERT_TRUE(pkg) << add.describe();
  EXPECT_EQ(json_int_at(pkg.get(), "package/size"), static_cast<long long>(kSize));
  EXPECT_EQ(json_string_at(pkg.get(), "package/sha256"), sha256);
  EXPECT_EQ(json_string_at(pkg.get(), "package/md5"), md5);
  EXPECT_EQ(json_string_at(pkg.get(), "package/signMethod"), "MD5");
  EXPECT_EQ(json_string_at(pkg.get(), "package/sign"), md5);
  const long long package = json_int_at(pkg.get(), "package/id").value_or(-1);

  JsonPtr job = ok_json({"job", "create", "--package", std::to_string(package), "--devices", "d1"});
  const long long job_id = json_int_at(job.get(), "job/id").value_or(-1);
  ASSERT_GT(job_id, 0);
  auto watch = std::async(std::launch::async, [&] {
    return ctrl_long({"job", "watch", std::to_string(job_id)});
  });
  JsonPtr note = d1->wait_upgrade();
  ASSERT_TRUE(note);
  EXPECT_EQ(json_int_at(note.get(), "data/size"), static_cast<long long>(kSize));
  EXPECT_EQ(json_string_at(note.get(), "data/md5"), md5);
  // The device downloads what was uploaded.
  const std::string url = json_string_at(note.get(), "data/url").value_or("");
  ASSERT_EQ(url.rfind(http_base() + "/", 0), 0u) << url;
  HttpReply download = http_exchange(http_port_, http_get(url.substr(http_base().size())));
  ASSERT_TRUE(download.ok) << download.error;
  EXPECT_EQ(download.status, 200);
  EXPECT_EQ(download.body.size(), kSize);
  EXPECT_EQ(sha256_of(download.body), sha256);
  ASSERT_TRUE(d1->report_progress("\"60\"", "downloading"));
  std::this_thread::sleep_for(1200ms);
  ASSERT_TRUE(d1->report_version("2.0.0"));
  CtrlRun w = watch.get();
  EXPECT_EQ(w.exit_code, 0) << w.describe();
  EXPECT_TRUE(contains(w.out, "completed: 1/1 done (1 succeeded")) << w.out;

  CtrlRun list = ok({"device", "list", "--product", "pk1", "--version", "2.0.0"});
  EXPECT_TRUE(matches(list.out, "\nd1 +yes +2.0.0 +" + std::to_string(job_id) + " +SUCCEEDED "))
      << list.out;
}

// An upload interrupted after its first chunk resumes where it stopped.
TEST_F(CtrlUploadTest, ResumesAnUnfinishedUpload) {
  TempDir tmp;
  const std::string file = tmp.path + "/fw.bin";
  constexpr size_t kSize = 3u << 20;
  write_random_file(file, kSize, 11);
  uint64_t size = 0;
  const std::string sha256 = ctrl::sha256_file(file, &size);

  // The first MiB, sent by hand as an interrupted client would have.
  JsonPtr begun = admin().send("beginUpload", R"({"size":)" + std::to_string(kSize) +
                                                  R"(,"sha256":")" + sha256 + R"("})");
  ASSERT_TRUE(begun && response_data(begun.get())) << json_text(begun.get());
  const std::string id = json_string_at(response_data(begun.get()), "upload/id").value_or("");
  std::string first(1u << 20, '\0');
  std::ifstream(file, std::ios::binary).read(first.data(), static_cast<std::streamsize>(first.size()));
  JsonPtr chunk = admin().send("uploadChunk", R"({"uploadId":")" + id + R"(","offset":0,"data":")" +
                                                  base64::encode(first) + R"("})");
  ASSERT_TRUE(chunk && response_data(chunk.get())) << json_text(chunk.get());

  CtrlRun add = ctrl_long({"package", "add", "--product", "pk1", "--version", "2.0.0", "--file",
                           file, "--chunk-size", "100k", "--window", "2", "--sign-method",
                           "SHA256", "--json"});
  ASSERT_EQ(add.exit_code, 0) << add.describe();
  EXPECT_TRUE(contains(add.err, "resumed at byte 1048576")) << add.err;
  JsonPtr pkg = ctrl_json(add);
  ASSERT_TRUE(pkg);
  EXPECT_EQ(json_string_at(pkg.get(), "package/sha256"), sha256);
  EXPECT_EQ(json_string_at(pkg.get(), "package/signMethod"), "SHA256");
  EXPECT_EQ(json_string_at(pkg.get(), "package/sign"), sha256);
}

}  // namespace
}  // namespace ota::test
