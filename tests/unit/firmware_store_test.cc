#include "delivery/firmware_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "delivery/digest.h"
#include "temp_dir.h"

namespace ota {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

std::string sha256_of(std::string_view data) {
  Digest d;
  d.update(data.data(), data.size());
  std::string sha;
  d.finish(&sha, nullptr);
  return sha;
}

std::string bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every entry of a directory.
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

std::unique_ptr<FirmwareStore> open_store(const std::string& dir,
                                          FirmwareStoreOptions options = {}) {
  auto store = FirmwareStore::open(dir, options);
  EXPECT_TRUE(store.ok()) << store.error();
  return store.ok() ? std::move(store.value()) : nullptr;
}

TEST(Digest, KnownVectors) {
  Digest d;
  d.update("abc", 3);
  std::string sha, md5;
  d.finish(&sha, &md5);
  EXPECT_EQ(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(md5, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_TRUE(is_sha256_hex(sha));
  const std::string upper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  EXPECT_FALSE(is_sha256_hex(upper));  // canonical names are lower case
  EXPECT_EQ(normalize_sha256_hex(upper), sha);
  EXPECT_EQ(normalize_sha256_hex("../etc/passwd"), std::nullopt);
  EXPECT_EQ(normalize_sha256_hex(sha + "0"), std::nullopt);
}

TEST(FirmwareStore, OpenCreatesTheLayout) {
  TempDir tmp;
  auto store = open_store(tmp.sub("a/b/fw"));
  ASSERT_TRUE(store);
  EXPECT_EQ(entries(tmp.sub("a/b/fw")), (std::vector<std::string>{"files", "meta", "uploads"}));
  EXPECT_TRUE(store->list().empty());
  EXPECT_TRUE(store->list_uploads().empty());

  auto bad = FirmwareStore::open("");
  ASSERT_FALSE(bad.ok());
  std::ofstream(tmp.sub("plain")) << "x";
  auto not_dir = FirmwareStore::open(tmp.sub("plain"));
  ASSERT_FALSE(not_dir.ok());
  EXPECT_NE(not_dir.error().find("not a directory"), std::string::npos) << not_dir.error();
}

TEST(FirmwareStore, PutStoresByHashWithMd5AndFindsIt) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  auto file = store->put("abc");
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_EQ(file.value().sha256, sha256_of("abc"));
  EXPECT_EQ(file.value().md5, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(file.value().size, 3u);
  EXPECT_EQ(file.value().path, tmp.path() + "/files/" + file.value().sha256);
  EXPECT_EQ(read_whole(file.value().path), "abc");

  auto found = store->find(file.value().sha256);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->md5, file.value().md5);
  EXPECT_EQ(found->size, 3u);
  // Upper-case hex finds the same file; anything else finds nothing.
  std::string upper = file.value().sha256;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_TRUE(store->find(upper));
  EXPECT_FALSE(store->find("../files/" + file.value().sha256));
  EXPECT_FALSE(store->find(std::string(64, 'a')));

  // The same content again: same file, no duplicate.
  ASSERT_TRUE(store->put("abc").ok());
  EXPECT_EQ(store->list().size(), 1u);
  EXPECT_EQ(entries(tmp.sub("files")), std::vector<std::string>{file.value().sha256});

  EXPECT_FALSE(store->put("").ok());
  EXPECT_TRUE(store->remove(file.value().sha256));
  EXPECT_FALSE(store->remove(file.value().sha256));
  EXPECT_FALSE(store->find(file.value().sha256));
  EXPECT_TRUE(entries(tmp.sub("meta")).empty());
}

TEST(FirmwareStore, ImportStreamsAFileAndEnforcesTheLimit) {
  TempDir tmp;
  auto store = open_store(tmp.sub("fw"), FirmwareStoreOptions{200000, 4});
  const std::string data = bytes(150000, 1);
  std::ofstream(tmp.sub("image.bin"), std::ios::binary) << data;
  auto file = store->import_file(tmp.sub("image.bin"));
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_EQ(file.value().sha256, sha256_of(data));
  EXPECT_EQ(read_whole(file.value().path), data);

  std::ofstream(tmp.sub("big.bin"), std::ios::binary) << bytes(200001, 2);
  auto big = store->import_file(tmp.sub("big.bin"));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().find("exceeds the firmware size limit of 200000 bytes"),
            std::string::npos)
      << big.error();
  EXPECT_EQ(entries(tmp.sub("fw/files")), std::vector<std::string>{file.value().sha256});
  EXPECT_FALSE(store->import_file(tmp.sub("missing.bin")).ok());
}

TEST(FirmwareStore, ChunkedUploadRoundTrip) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  const std::string data = bytes(100000, 3);
  auto id = store->begin_upload(data.size(), sha256_of(data));
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_TRUE(is_upload_id(id.value()));
  for (size_t off = 0; off < data.size(); off += 30000) {
    auto st = store->write_chunk(id.value(), off, std::string_view(data).substr(off, 30000));
    ASSERT_TRUE(st.ok()) << st.error();
    EXPECT_EQ(st.value().received, std::min<size_t>(off + 30000, data.size()));
  }
  EXPECT_TRUE(store->upload_status(id.value()).value().complete());
  // Nothing is visible in files/ before finish.
  EXPECT_TRUE(store->list().empty());
  auto file = store->finish_upload(id.value());
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_EQ(file.value().sha256, sha256_of(data));
  EXPECT_EQ(file.value().size, data.size());
  EXPECT_EQ(file.value().md5.size(), 32u);
  EXPECT_EQ(read_whole(file.value().path), data);
  EXPECT_TRUE(entries(tmp.sub("uploads")).empty());
  EXPECT_FALSE(store->upload_status(id.value()).ok());
  EXPECT_EQ(store->find(file.value().sha256)->md5, file.value().md5);
}

TEST(FirmwareStore, BeginUploadValidates) {
  TempDir tmp;
  auto store = open_store(tmp.path(), FirmwareStoreOptions{1000, 2});
  const std::string sha = sha256_of("x");
  auto bad_hex = store->begin_upload(10, "xyz");
  ASSERT_FALSE(bad_hex.ok());
  EXPECT_EQ(bad_hex.error(), "sha256 must be 64 hex digits");
  EXPECT_FALSE(store->begin_upload(10, sha + "00").ok());
  EXPECT_FALSE(store->begin_upload(10, "../../../../../../../../../../../../../etc/passwd").ok());
  auto empty = store->begin_upload(0, sha);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error(), "file size must be at least 1 byte");
  auto big = store->begin_upload(1001, sha);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error(), "file size 1001 exceeds the firmware size limit of 1000 bytes");
  ASSERT_TRUE(store->begin_upload(1000, sha).ok());
  ASSERT_TRUE(store->begin_upload(10, sha).ok());
  auto third = store->begin_upload(10, sha);
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.error().find("too many uploads in progress"), std::string::npos);
}

TEST(FirmwareStore, ChunksOutOfOrderOrPastTheSizeAreRefused) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  const std::string data = bytes(1000, 4);
  const UploadId id = store->begin_upload(data.size(), sha256_of(data)).value();
  ASSERT_TRUE(store->write_chunk(id, 0, data.substr(0, 100)).ok());
  auto gap = store->write_chunk(id, 200, data.substr(200, 100));
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error(),
            "chunk offset 200 is past the 100 bytes received so far; resume at offset 100");
  auto past = store->write_chunk(id, 100, std::string(901, 'x'));
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error(),
            "chunk of 901 bytes at offset 100 ends past the declared size of 1000 bytes");
  auto unknown = store->write_chunk("0123456789abcdef0123456789abcdef", 0, "x");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error(), "unknown upload 0123456789abcdef0123456789abcdef");
  EXPECT_FALSE(store->write_chunk("../../etc/passwd", 0, "x").ok());
  auto early = store->finish_upload(id);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error(), "upload " + id + " is incomplete: 100 of 1000 bytes received");
  EXPECT_EQ(store->upload_status(id).value().received, 100u);
}

TEST(FirmwareStore, ResentChunksAreIdempotentWhenTheyMatch) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  const std::string data = bytes(1000, 5);
  const UploadId id = store->begin_upload(data.size(), sha256_of(data)).value();
  ASSERT_TRUE(store->write_chunk(id, 0, data.substr(0, 400)).ok());
  // The same chunk again (its reply was lost): accepted, nothing changes.
  auto again = store->write_chunk(id, 0, data.substr(0, 400));
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again.value().received, 400u);
  auto inside = store->write_chunk(id, 100, data.substr(100, 50));
  ASSERT_TRUE(inside.ok()) << inside.error();
  EXPECT_EQ(inside.value().received, 400u);
  // Different bytes at a received offset: refused, upload unchanged.
  std::string wrong = data.substr(0, 400);
  wrong[399] ^= 1;
  auto differs = store->write_chunk(id, 0, wrong);
  ASSERT_FALSE(differs.ok());
  EXPECT_EQ(differs.error(),
            "chunk at offset 0 differs from the bytes already received; upload not changed");
  // Overlapping the end: the known part must match, the rest is appended.
  auto overlap = store->write_chunk(id, 300, data.substr(300, 700));
  ASSERT_TRUE(overlap.ok()) << overlap.error();
  EXPECT_EQ(overlap.value().received, 1000u);
  auto file = store->finish_upload(id);
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_EQ(read_whole(file.value().path), data);
}

TEST(FirmwareStore, WrongHashIsRejectedAndLeavesNothing) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  const std::string data = bytes(5000, 6);
  const std::string declared = sha256_of("something else");
  const UploadId id = store->begin_upload(data.size(), declared).value();
  ASSERT_TRUE(store->write_chunk(id, 0, data).ok());
  auto file = store->finish_upload(id);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error(), "SHA-256 mismatch: declared " + declared + ", received data has " +
                              sha256_of(data) + "; the upload was discarded");
  EXPECT_TRUE(entries(tmp.sub("files")).empty());
  EXPECT_TRUE(entries(tmp.sub("meta")).empty());
  EXPECT_TRUE(entries(tmp.sub("uploads")).empty());
  EXPECT_FALSE(store->upload_status(id).ok());
}

TEST(FirmwareStore, UploadsSurviveAReopenAndResume) {
  TempDir tmp;
  const std::string data = bytes(250000, 7);
  UploadId id;
  {
    auto store = open_store(tmp.path());
    id = store->begin_upload(data.size(), sha256_of(data)).value();
    ASSERT_TRUE(store->write_chunk(id, 0, data.substr(0, 123456)).ok());
  }  // the broker stops (or is killed: nothing is kept only in memory)
  auto store = open_store(tmp.path());
  auto status = store->upload_status(id);
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_EQ(status.value().received, 123456u);
  EXPECT_EQ(status.value().size, data.size());
  EXPECT_EQ(status.value().sha256, sha256_of(data));
  ASSERT_EQ(store->list_uploads().size(), 1u);
  // A re-sent last chunk still matches after the restart.
  ASSERT_TRUE(store->write_chunk(id, 100000, data.substr(100000, 23456)).ok());
  ASSERT_TRUE(store->write_chunk(id, 123456, data.substr(123456)).ok());
  auto file = store->finish_upload(id);
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_EQ(file.value().sha256, sha256_of(data));
  EXPECT_EQ(read_whole(file.value().path), data);
}

TEST(FirmwareStore, AbortedAndCrashedUploadsLeaveNoFileInFiles) {
  TempDir tmp;
  const std::string data = bytes(3000, 8);
  {
    auto store = open_store(tmp.path());
    const UploadId aborted = store->begin_upload(data.size(), sha256_of(data)).value();
    ASSERT_TRUE(store->write_chunk(aborted, 0, data.substr(0, 1000)).ok());
    store->abort_upload(aborted);
    EXPECT_FALSE(store->upload_status(aborted).ok());
    EXPECT_TRUE(entries(tmp.sub("uploads")).empty());
    store->abort_upload("not-an-id");  // ignored
  }
  // Debris of crashes at every step: a temporary file mid-write in files/,
  // a meta without its file (crash between the two renames), a .part
  // without its .meta (crash inside begin_upload), a .meta whose .part was
  // already moved (crash inside finish_upload).
  const std::string sha = sha256_of(data);
  std::ofstream(tmp.sub("files/.tmp-abc123"), std::ios::binary) << data.substr(0, 10);
  std::ofstream(tmp.sub("meta/" + sha)) << "size 3000\nmd5 00000000000000000000000000000000\n";
  std::ofstream(tmp.sub("uploads/0123456789abcdef0123456789abcdef.part")) << "xx";
  std::ofstream(tmp.sub("uploads/fedcba9876543210fedcba9876543210.meta"))
      << "size 10\nsha256 " << sha << "\n";
  std::ofstream(tmp.sub("uploads/.tmp-zzz")) << "x";
  auto store = open_store(tmp.path());
  EXPECT_TRUE(entries(tmp.sub("files")).empty());
  EXPECT_TRUE(entries(tmp.sub("meta")).empty());
  EXPECT_TRUE(entries(tmp.sub("uploads")).empty());
  EXPECT_TRUE(store->list().empty());
  EXPECT_TRUE(store->list_uploads().empty());
}

TEST(FirmwareStore, AFileCopiedInByHandIsFoundWithoutMd5) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  const std::string sha = sha256_of("manual");
  std::ofstream(tmp.sub("files/" + sha)) << "manual";
  std::ofstream(tmp.sub("files/README")) << "not firmware";
  auto found = store->find(sha);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->size, 6u);
  EXPECT_EQ(found->md5, "");
  ASSERT_EQ(store->list().size(), 1u);
}

TEST(FirmwareStore, StaleUploadsExpire) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  const UploadId old_one = store->begin_upload(10, sha256_of("0123456789")).value();
  const UploadId fresh = store->begin_upload(10, sha256_of("0123456789")).value();
  // Age the first one's partial file by two hours.
  const std::string part = tmp.sub("uploads/" + old_one + ".part");
  const auto when = fs::last_write_time(part) - std::chrono::hours(2);
  fs::last_write_time(part, when);
  EXPECT_EQ(store->expire_uploads(std::chrono::hours(1)), 1u);
  EXPECT_FALSE(store->upload_status(old_one).ok());
  EXPECT_TRUE(store->upload_status(fresh).ok());
}

TEST(FirmwareStore, FilesAreNotWorldReadable) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  auto file = store->put("secret firmware");
  ASSERT_TRUE(file.ok());
  struct stat st {};
  ASSERT_EQ(::stat(file.value().path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ASSERT_EQ(::stat(tmp.sub("files").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0007, 0u);
}

}  // namespace
}  // namespace ota
