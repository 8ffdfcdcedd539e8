#include "storage/record_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "engine/store.h"

namespace ota {
namespace {

constexpr TimeMs kNow = 1700000000000;  // 2023-11-14, a realistic epoch ms

Device typical_device() {
  Device d;
  d.key = {"a1B2c3D4e5F", "sensor-0000123456"};
  d.modules["default"] = {"1.4.12", kNow};
  d.tags["site"] = "berlin-3";
  d.first_seen = kNow - 86400000;
  d.last_seen = kNow;
  return d;
}

Device full_device() {
  Device d = typical_device();
  d.modules["wifi"] = {"", -5};
  d.modules["\xc3\xa9t\xc3\xa9"] = {"v\0x", std::numeric_limits<TimeMs>::min()};
  d.tags[""] = "";
  d.first_seen = std::numeric_limits<TimeMs>::min();
  d.last_seen = std::numeric_limits<TimeMs>::max();
  return d;
}

Package full_package() {
  Package p;
  p.id = std::numeric_limits<PackageId>::max();
  p.product = "a1B2c3D4e5F";
  p.module = "wifi";
  p.version = "2.0.0";
  p.source_versions = {"1.0.0", "1.1.0", ""};
  p.diff = true;
  p.url = "https://cdn.example.com/fw/2.0.0.bin?sig=abc";
  p.size = 1u << 31;
  p.sign_method = SignMethod::kSha256;
  p.sign = std::string(64, 'f');
  p.md5 = std::string(32, '0');
  p.sha256 = std::string(64, 'f');
  p.ext_data_json = R"({"key":"value"})";
  p.description = "fixes\nthings";
  p.verified = true;
  p.created_at = kNow;
  return p;
}

Job full_job() {
  Job j;
  j.id = 42;
  j.package_id = 7;
  j.product = "a1B2c3D4e5F";
  j.module = "wifi";
  j.type = JobType::kVerify;
  j.state = JobState::kCanceled;
  j.state_reason = "paused: 3 of 10 failed";
  j.filter.all = true;
  j.filter.source_versions = {"1.0", "1.1"};
  j.filter.tags = {{"region", "eu"}, {"site", "b"}};
  j.filter.percent_bp = 2550;
  j.dynamic = true;
  j.rate_per_minute = 600;
  j.timeout_s = -1;
  j.timeout_from_progress = true;
  j.retry_count = 2;
  j.retry_interval_s = 600;
  j.start_at = kNow + 10;
  j.end_at = kNow + 20;
  j.need_confirm = true;
  j.offline_policy = OfflinePolicy::kFail;
  j.group_sizes = {1, 20, 300};
  j.current_group = 1;
  j.success_threshold = 90;
  j.auto_advance = false;
  j.failure_threshold = {5, 10};
  j.next_slot_us = -5;
  j.skipped = 4;
  j.download_bytes = 1ull << 40;
  j.downloads_completed = 7;
  j.started_at = kNow + 11;
  j.task_count = std::numeric_limits<uint32_t>::max();
  j.created_at = kNow;
  j.finished_at = kNow + 1;
  return j;
}

Task full_task() {
  Task t;
  t.job_id = 42;
  t.device = {"a1B2c3D4e5F", "sensor-1"};
  t.module = "wifi";
  t.state = TaskState::kFailed;
  t.step = -4;
  t.reason = FailReason::kSuperseded;
  t.detail = "flash write error";
  t.deadline = kNow + 3600000;
  t.notify_count = 3;
  t.group = 2;
  t.attempts = 3;
  t.resends = 7;
  t.waiting = true;
  t.rejoin = true;
  t.updated_at = kNow;
  t.history = {
      {kNow - 2, TaskState::kNotified, 0, ""},
      {kNow - 1, TaskState::kInProgress, std::numeric_limits<int32_t>::max(),
       "50%"},
      {kNow, TaskState::kFailed, std::numeric_limits<int32_t>::min(), "x"},
  };
  return t;
}

// Expects `decode` to refuse `bytes` with a "corrupt <kind> record" error.
template <typename Decode>
void expect_corrupt(Decode decode, const std::string& bytes,
                    const std::string& kind) {
  try {
    decode(bytes);
    ADD_FAILURE() << "decoded " << bytes.size() << " corrupt bytes";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("corrupt " + kind + " record: ", 0),
              0u)
        << e.what();
  }
}

TEST(RecordCodec, VarintsRoundTripAtBoundaries) {
  const uint64_t values[] = {0,           1,          127,
                             128,         16383,      16384,
                             1ull << 35,  1ull << 63, UINT64_MAX};
  const int64_t signed_values[] = {0, -1, 1, -64, 64, INT64_MIN, INT64_MAX};
  Writer out;
  for (uint64_t v : values) out.varint(v);
  for (int64_t v : signed_values) out.svarint(v);
  Reader in(out.bytes(), "test");
  for (uint64_t v : values) EXPECT_EQ(in.varint(), v);
  for (int64_t v : signed_values) EXPECT_EQ(in.svarint(), v);
  in.expect_end();
}

TEST(RecordCodec, VarintSizesAreCompact) {
  Writer out;
  out.varint(127);
  EXPECT_EQ(out.bytes().size(), 1u);
  out.svarint(-64);  // zigzag keeps small negatives at one byte
  EXPECT_EQ(out.bytes().size(), 2u);
  out.varint(UINT64_MAX);
  EXPECT_EQ(out.bytes().size(), 12u);
}

TEST(RecordCodec, VarintOverflowIsCorrupt) {
  // Ten bytes whose last carries more than the top bit of a uint64.
  std::string bytes(9, '\xff');
  bytes.push_back('\x02');
  Reader in(bytes, "test");
  EXPECT_THROW(in.varint(), StoreError);
  // Eleven continuation bytes never end.
  const std::string endless_bytes(11, '\xff');
  Reader endless(endless_bytes, "test");
  EXPECT_THROW(endless.varint(), StoreError);
}

TEST(RecordCodec, StringLongerThanInputIsCorrupt) {
  Writer out;
  out.varint(1000);
  out.str("short");
  Reader in(out.bytes(), "test");
  try {
    in.str();
    FAIL() << "read a string past the end";
  } catch (const StoreError& e) {
    EXPECT_STREQ(e.what(),
                 "corrupt test record: string length 1000 at byte 2 of 8");
  }
}

TEST(RecordCodec, DeviceRoundTrip) {
  for (const Device& d : {Device{}, typical_device(), full_device()}) {
    EXPECT_EQ(decode_device(encode_device(d)), d);
  }
}

TEST(RecordCodec, PackageRoundTrip) {
  EXPECT_EQ(decode_package(encode_package(Package{})), Package{});
  EXPECT_EQ(decode_package(encode_package(full_package())), full_package());
}

TEST(RecordCodec, JobRoundTrip) {
  EXPECT_EQ(decode_job(encode_job(Job{})), Job{});
  EXPECT_EQ(decode_job(encode_job(full_job())), full_job());
}

TEST(RecordCodec, TaskRoundTripKeepsHistory) {
  EXPECT_EQ(decode_task(encode_task(Task{})), Task{});
  Task t = full_task();
  Task back = decode_task(encode_task(t));
  EXPECT_EQ(back, t);
  ASSERT_EQ(back.history.size(), 3u);
  EXPECT_EQ(back.history[1].step, std::numeric_limits<int32_t>::max());
  EXPECT_EQ(back.history[2].detail, "x");
}

TEST(RecordCodec, RecordsStartWithTheirFormatByte) {
  EXPECT_EQ(encode_device(typical_device())[0], char{kDeviceFormat});
  EXPECT_EQ(encode_package(full_package())[0], char{kPackageFormat});
  EXPECT_EQ(encode_job(full_job())[0], char{kJobFormat});
  EXPECT_EQ(encode_task(full_task())[0], char{kTaskFormat});
}

// DESIGN.md §8: at most 512 bytes per device-module record.
TEST(RecordCodec, TypicalDeviceRecordIsFarBelowTheSizeBar) {
  std::string bytes = encode_device(typical_device());
  // format 1 + product 1+11 + device 1+17 + two times 6+6 + module count 1 +
  // "default" 1+7 + "1.4.12" 1+6 + reported_at 6 + tag count 1 +
  // "site" 1+4 + "berlin-3" 1+8.
  EXPECT_EQ(bytes.size(), 80u);
  EXPECT_LE(bytes.size(), 512u);
}

TEST(RecordCodec, EveryTruncationIsCorrupt) {
  const std::string device = encode_device(full_device());
  const std::string package = encode_package(full_package());
  const std::string job = encode_job(full_job());
  const std::string task = encode_task(full_task());
  for (size_t n = 0; n < device.size(); ++n) {
    expect_corrupt(decode_device, device.substr(0, n), "device");
  }
  for (size_t n = 0; n < package.size(); ++n) {
    expect_corrupt(decode_package, package.substr(0, n), "package");
  }
  for (size_t n = 0; n < job.size(); ++n) {
    expect_corrupt(decode_job, job.substr(0, n), "job");
  }
  for (size_t n = 0; n < task.size(); ++n) {
    expect_corrupt(decode_task, task.substr(0, n), "task");
  }
}

TEST(RecordCodec, TrailingBytesAreCorrupt) {
  expect_corrupt(decode_device, encode_device(typical_device()) + "x",
                 "device");
  expect_corrupt(decode_task, encode_task(full_task()) + '\0', "task");
}

// Format 1 tasks (before resends) still decode, with no re-sends counted.
TEST(RecordCodec, TaskFormat1StillDecodes) {
  Task t = full_task();
  t.resends = 0;
  std::string bytes = encode_task(t);
  ASSERT_EQ(bytes.back(), '\0');  // resends, varint 0, at the end
  bytes.pop_back();
  bytes[0] = 1;
  EXPECT_EQ(decode_task(bytes), t);
}

TEST(RecordCodec, ProductConfigRoundTripKeepsDownloadProtocol) {
  ProductConfig c;
  c.product = "a1B2c3D4e5F";
  c.dialect = "aliyun";
  c.aliyun_code = "1000";
  c.download_protocol = DownloadProtocol::kMqtt;
  EXPECT_EQ(decode_product_config(encode_product_config(c)), c);
  EXPECT_EQ(decode_product_config(encode_product_config(ProductConfig{})), ProductConfig{});
}

// Records written before MQTT delivery existed (format 1, no protocol byte)
// still decode, as HTTPS products.
TEST(RecordCodec, ProductConfigFormatOneDecodesAsHttps) {
  ProductConfig c;
  c.product = "p";
  c.dialect = "aliyun";
  c.require_verified = true;
  c.download_protocol = DownloadProtocol::kMqtt;
  std::string bytes = encode_product_config(c);
  ASSERT_EQ(bytes.back(), '\x01');  // the protocol byte comes last
  bytes.pop_back();
  bytes[0] = 1;
  c.download_protocol = DownloadProtocol::kHttps;
  EXPECT_EQ(decode_product_config(bytes), c);
}

TEST(RecordCodec, ProductConfigUnknownDownloadProtocolIsCorrupt) {
  std::string bytes = encode_product_config(ProductConfig{});
  bytes.back() = 2;
  EXPECT_THROW(decode_product_config(bytes), StoreError);
}

TEST(RecordCodec, UnknownFormatIsCorrupt) {
  std::string bytes = encode_job(full_job());
  bytes[0] = 99;
  try {
    decode_job(bytes);
    FAIL() << "decoded an unknown format";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()),
              "corrupt job record: unknown format 99 at byte 1 of " +
                  std::to_string(bytes.size()));
  }
}

TEST(RecordCodec, OutOfRangeEnumIsCorrupt) {
  Task t;
  t.state = static_cast<TaskState>(kTaskStateCount);
  expect_corrupt(decode_task, encode_task(t), "task");
  Package p;
  p.sign_method = static_cast<SignMethod>(2);
  expect_corrupt(decode_package, encode_package(p), "package");
  Job j;
  j.state = static_cast<JobState>(6);
  expect_corrupt(decode_job, encode_job(j), "job");
}

TEST(RecordCodec, HugeElementCountIsRefusedBeforeAllocating) {
  Writer out;
  out.u8(kJobFormat);
  out.varint(1);               // id
  out.varint(1);               // package
  out.str("p");                // product
  out.str("m");                // module
  out.u8(0);                   // type
  out.u8(0);                   // state
  out.varint(uint64_t{1} << 60);  // device count no input could hold
  expect_corrupt(decode_job, out.bytes(), "job");
}

TEST(RecordCodec, UnorderedMapKeysAreCorrupt) {
  Writer out;
  out.u8(kDeviceFormat);
  out.str("p");
  out.str("d");
  out.svarint(0);
  out.svarint(0);
  out.varint(2);  // two modules, "b" before "a"
  out.str("b");
  out.str("1");
  out.svarint(0);
  out.str("a");
  out.str("1");
  out.svarint(0);
  out.varint(0);
  expect_corrupt(decode_device, out.bytes(), "device");
}

// Random bytes either decode or throw StoreError; run under the sanitizer
// build this also shows no read goes out of bounds.
TEST(RecordCodec, GarbageNeverCrashes) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 64);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(length(rng), '\0');
    for (char& c : bytes) c = static_cast<char>(byte(rng));
    if (!bytes.empty()) bytes[0] = 1;  // get past the format byte
    try {
      switch (i % 4) {
        case 0: decode_device(bytes); break;
        case 1: decode_package(bytes); break;
        case 2: decode_job(bytes); break;
        case 3: decode_task(bytes); break;
      }
    } catch (const StoreError&) {
    }
  }
}

}  // namespace
}  // namespace ota
