#include "storage/record_codec.h"

#include <limits>
#include <map>
#include <vector>

#include "engine/store.h"

namespace ota {
namespace {

// Number of values of each enum the records hold; decoding refuses others.
// Keep in step with engine/model.h.
constexpr uint8_t kSignMethodCount = 2;
constexpr uint8_t kJobTypeCount = 2;
constexpr uint8_t kJobStateCount = 6;
constexpr uint8_t kTaskStateLimit = kTaskStateCount;
constexpr uint8_t kFailReasonCount = 12;
constexpr uint8_t kOfflinePolicyCount = 2;
constexpr uint8_t kSuccessRuleCount = 2;
constexpr uint8_t kIdentitySourceCount = 3;
constexpr uint8_t kDownloadProtocolCount = 2;

// The smallest encoding of one element of each repeated field, for
// Reader::count(): a string is at least its length byte.
constexpr size_t kMinStringBytes = 1;
constexpr size_t kMinModuleBytes = 3;  // name, version, reported_at
constexpr size_t kMinTagBytes = 2;     // key, value
constexpr size_t kMinEventBytes = 4;   // at, state, step, detail

void expect_format(Reader& in, uint8_t known) {
  uint8_t format = in.u8();
  if (format != known) {
    in.fail("unknown format " + std::to_string(format));
  }
}

void write_strings(Writer& out, const std::vector<std::string>& list) {
  out.varint(list.size());
  for (const std::string& s : list) out.str(s);
}

std::vector<std::string> read_strings(Reader& in) {
  std::vector<std::string> list(in.count(kMinStringBytes));
  for (std::string& s : list) s = in.str();
  return list;
}

// Maps are written in key order; reading checks that order, which both
// catches garbage and rules out duplicate keys silently collapsing.
template <typename V, typename ReadValue>
std::map<std::string, V> read_map(Reader& in, size_t min_entry_bytes,
                                  std::string_view what, ReadValue read) {
  std::map<std::string, V> map;
  size_t n = in.count(min_entry_bytes);
  for (size_t i = 0; i < n; ++i) {
    std::string key = in.str();
    if (!map.empty() && !(map.rbegin()->first < key)) {
      in.fail(std::string(what) + " keys out of order");
    }
    map.emplace_hint(map.end(), std::move(key), read(in));
  }
  return map;
}

}  // namespace

void Writer::varint(uint64_t v) {
  // Built in place and appended once: a timestamp takes six bytes.
  char bytes[10];
  size_t n = 0;
  while (v >= 0x80) {
    bytes[n++] = static_cast<char>(static_cast<uint8_t>(v) | 0x80);
    v >>= 7;
  }
  bytes[n++] = static_cast<char>(v);
  out_.append(bytes, n);
}

void Writer::svarint(int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  varint((u << 1) ^ (v < 0 ? ~uint64_t{0} : 0));
}

void Writer::str(std::string_view s) {
  varint(s.size());
  out_.append(s);
}

void Reader::fail(std::string_view what) const {
  throw StoreError("corrupt " + std::string(kind_) + " record: " +
                   std::string(what) + " at byte " + std::to_string(pos_) +
                   " of " + std::to_string(data_.size()));
}

uint8_t Reader::u8() {
  if (pos_ >= data_.size()) fail("truncated");
  return static_cast<uint8_t>(data_[pos_++]);
}

bool Reader::boolean() {
  uint8_t v = u8();
  if (v > 1) fail("bad boolean " + std::to_string(v));
  return v == 1;
}

uint64_t Reader::varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t byte = u8();
    // The tenth byte holds only the top bit of a 64-bit value.
    if (shift == 63 && byte > 1) fail("varint overflow");
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
  fail("varint too long");
}

int64_t Reader::svarint() {
  uint64_t u = varint();
  return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

uint32_t Reader::u32() {
  uint64_t v = varint();
  if (v > std::numeric_limits<uint32_t>::max()) fail("value exceeds 32 bits");
  return static_cast<uint32_t>(v);
}

int32_t Reader::s32() {
  int64_t v = svarint();
  if (v < std::numeric_limits<int32_t>::min() ||
      v > std::numeric_limits<int32_t>::max()) {
    fail("value exceeds 32 bits");
  }
  return static_cast<int32_t>(v);
}

std::string Reader::str() {
  uint64_t n = varint();
  if (n > remaining()) fail("string length " + std::to_string(n));
  std::string s(data_.substr(pos_, n));
  pos_ += n;
  return s;
}

size_t Reader::count(size_t min_element_bytes) {
  uint64_t n = varint();
  if (n > remaining() / min_element_bytes) {
    fail("element count " + std::to_string(n));
  }
  return static_cast<size_t>(n);
}

void Reader::expect_end() {
  if (remaining() != 0) fail("trailing bytes");
}

std::string encode_device(const Device& d) {
  Writer out;
  out.u8(kDeviceFormat);
  out.str(d.key.product);
  out.str(d.key.device);
  out.svarint(d.first_seen);
  out.svarint(d.last_seen);
  out.varint(d.modules.size());
  for (const auto& [name, state] : d.modules) {
    out.str(name);
    out.str(state.version);
    out.svarint(state.reported_at);
  }
  out.varint(d.tags.size());
  for (const auto& [key, value] : d.tags) {
    out.str(key);
    out.str(value);
  }
  return out.take();
}

Device decode_device(std::string_view bytes) {
  Reader in(bytes, "device");
  expect_format(in, kDeviceFormat);
  Device d;
  d.key.product = in.str();
  d.key.device = in.str();
  d.first_seen = in.svarint();
  d.last_seen = in.svarint();
  d.modules = read_map<ModuleState>(in, kMinModuleBytes, "module",
                                    [](Reader& r) {
                                      ModuleState m;
                                      m.version = r.str();
                                      m.reported_at = r.svarint();
                                      return m;
                                    });
  d.tags = read_map<std::string>(in, kMinTagBytes, "tag",
                                 [](Reader& r) { return r.str(); });
  in.expect_end();
  return d;
}

std::string encode_package(const Package& p) {
  Writer out;
  out.u8(kPackageFormat);
  out.varint(p.id);
  out.str(p.product);
  out.str(p.module);
  out.str(p.version);
  write_strings(out, p.source_versions);
  out.boolean(p.diff);
  out.str(p.url);
  out.varint(p.size);
  out.u8(static_cast<uint8_t>(p.sign_method));
  out.str(p.sign);
  out.str(p.md5);
  out.str(p.sha256);
  out.str(p.ext_data_json);
  out.str(p.description);
  out.boolean(p.verified);
  out.svarint(p.created_at);
  return out.take();
}

Package decode_package(std::string_view bytes) {
  Reader in(bytes, "package");
  expect_format(in, kPackageFormat);
  Package p;
  p.id = in.varint();
  p.product = in.str();
  p.module = in.str();
  p.version = in.str();
  p.source_versions = read_strings(in);
  p.diff = in.boolean();
  p.url = in.str();
  p.size = in.varint();
  p.sign_method = in.enum_below<SignMethod>(kSignMethodCount, "sign method");
  p.sign = in.str();
  p.md5 = in.str();
  p.sha256 = in.str();
  p.ext_data_json = in.str();
  p.description = in.str();
  p.verified = in.boolean();
  p.created_at = in.svarint();
  in.expect_end();
  return p;
}

std::string encode_job(const Job& j) {
  Writer out;
  out.u8(kJobFormat);
  out.varint(j.id);
  out.varint(j.package_id);
  out.str(j.product);
  out.str(j.module);
  out.u8(static_cast<uint8_t>(j.type));
  out.u8(static_cast<uint8_t>(j.state));
  out.str(j.state_reason);
  out.boolean(j.filter.all);
  write_strings(out, j.filter.source_versions);
  out.varint(j.filter.tags.size());
  for (const auto& [key, value] : j.filter.tags) {
    out.str(key);
    out.str(value);
  }
  out.varint(j.filter.percent_bp);
  out.boolean(j.dynamic);
  out.varint(j.rate_per_minute);
  out.svarint(j.timeout_s);
  out.boolean(j.timeout_from_progress);
  out.varint(j.retry_count);
  out.svarint(j.retry_interval_s);
  out.svarint(j.start_at);
  out.svarint(j.end_at);
  out.boolean(j.need_confirm);
  out.u8(static_cast<uint8_t>(j.offline_policy));
  out.varint(j.group_sizes.size());
  for (uint32_t size : j.group_sizes) out.varint(size);
  out.varint(j.current_group);
  out.varint(j.success_threshold);
  out.boolean(j.auto_advance);
  out.varint(j.failure_threshold.count);
  out.varint(j.failure_threshold.percent);
  out.svarint(j.next_slot_us);
  out.varint(j.task_count);
  out.varint(j.skipped);
  out.varint(j.download_bytes);
  out.varint(j.downloads_completed);
  out.svarint(j.created_at);
  out.svarint(j.started_at);
  out.svarint(j.finished_at);
  out.boolean(j.expanding);
  out.str(j.expanded_through);
  return out.take();
}

Job decode_job(std::string_view bytes) {
  Reader in(bytes, "job");
  const uint8_t format = in.u8();
  if (format != 1 && format != kJobFormat) {
    in.fail("unknown format " + std::to_string(format));
  }
  Job j;
  j.id = in.varint();
  j.package_id = in.varint();
  j.product = in.str();
  j.module = in.str();
  j.type = in.enum_below<JobType>(kJobTypeCount, "job type");
  j.state = in.enum_below<JobState>(kJobStateCount, "job state");
  j.state_reason = in.str();
  j.filter.all = in.boolean();
  j.filter.source_versions = read_strings(in);
  j.filter.tags = read_map<std::string>(in, kMinTagBytes, "tag",
                                        [](Reader& r) { return r.str(); });
  j.filter.percent_bp = in.u32();
  j.dynamic = in.boolean();
  j.rate_per_minute = in.u32();
  j.timeout_s = in.svarint();
  j.timeout_from_progress = in.boolean();
  j.retry_count = in.u32();
  j.retry_interval_s = in.svarint();
  j.start_at = in.svarint();
  j.end_at = in.svarint();
  j.need_confirm = in.boolean();
  j.offline_policy = in.enum_below<OfflinePolicy>(kOfflinePolicyCount, "offline policy");
  j.group_sizes.resize(in.count(1));
  for (uint32_t& size : j.group_sizes) size = in.u32();
  j.current_group = in.u32();
  j.success_threshold = in.u32();
  j.auto_advance = in.boolean();
  j.failure_threshold.count = in.u32();
  j.failure_threshold.percent = in.u32();
  j.next_slot_us = in.svarint();
  j.task_count = in.u32();
  j.skipped = in.u32();
  j.download_bytes = in.varint();
  j.downloads_completed = in.u32();
  j.created_at = in.svarint();
  j.started_at = in.svarint();
  j.finished_at = in.svarint();
  if (format >= 2) {
    j.expanding = in.boolean();
    j.expanded_through = in.str();
  }
  in.expect_end();
  return j;
}

std::string encode_task(const Task& t) {
  Writer out;
  out.u8(kTaskFormat);
  out.varint(t.job_id);
  out.str(t.device.product);
  out.str(t.device.device);
  out.str(t.module);
  out.u8(static_cast<uint8_t>(t.state));
  out.svarint(t.step);
  out.u8(static_cast<uint8_t>(t.reason));
  out.str(t.detail);
  out.svarint(t.deadline);
  out.varint(t.notify_count);
  out.varint(t.group);
  out.varint(t.attempts);
  out.boolean(t.waiting);
  out.boolean(t.rejoin);
  out.svarint(t.updated_at);
  out.varint(t.history.size());
  for (const TaskEvent& e : t.history) {
    out.svarint(e.at);
    out.u8(static_cast<uint8_t>(e.state));
    out.svarint(e.step);
    out.str(e.detail);
  }
  out.varint(t.resends);
  return out.take();
}

Task decode_task(std::string_view bytes) {
  Reader in(bytes, "task");
  const uint8_t format = in.u8();
  if (format != 1 && format != kTaskFormat) {
    in.fail("unknown format " + std::to_string(format));
  }
  Task t;
  t.job_id = in.varint();
  t.device.product = in.str();
  t.device.device = in.str();
  t.module = in.str();
  t.state = in.enum_below<TaskState>(kTaskStateLimit, "task state");
  t.step = in.s32();
  t.reason = in.enum_below<FailReason>(kFailReasonCount, "fail reason");
  t.detail = in.str();
  t.deadline = in.svarint();
  t.notify_count = in.u32();
  t.group = in.u32();
  t.attempts = in.u32();
  t.waiting = in.boolean();
  t.rejoin = in.boolean();
  t.updated_at = in.svarint();
  t.history.resize(in.count(kMinEventBytes));
  for (TaskEvent& e : t.history) {
    e.at = in.svarint();
    e.state = in.enum_below<TaskState>(kTaskStateLimit, "event state");
    e.step = in.s32();
    e.detail = in.str();
  }
  if (format >= 2) t.resends = in.u32();
  in.expect_end();
  return t;
}

std::string encode_product_config(const ProductConfig& c) {
  Writer out;
  out.u8(kProductConfigFormat);
  out.str(c.product);
  out.str(c.dialect);
  out.u8(static_cast<uint8_t>(c.success_rule));
  out.u8(static_cast<uint8_t>(c.offline_policy));
  out.u8(static_cast<uint8_t>(c.identity));
  out.boolean(c.require_verified);
  out.str(c.aliyun_code);
  out.u8(static_cast<uint8_t>(c.download_protocol));
  return out.take();
}

ProductConfig decode_product_config(std::string_view bytes) {
  Reader in(bytes, "product config");
  const uint8_t format = in.u8();
  if (format != 1 && format != kProductConfigFormat) {
    in.fail("unknown format " + std::to_string(format));
  }
  ProductConfig c;
  c.product = in.str();
  c.dialect = in.str();
  c.success_rule = in.enum_below<SuccessRule>(kSuccessRuleCount, "success rule");
  c.offline_policy = in.enum_below<OfflinePolicy>(kOfflinePolicyCount, "offline policy");
  c.identity = in.enum_below<IdentitySource>(kIdentitySourceCount, "identity source");
  c.require_verified = in.boolean();
  c.aliyun_code = in.str();
  // Format 1 predates MQTT delivery: its products download over HTTPS.
  if (format >= 2) {
    c.download_protocol =
        in.enum_below<DownloadProtocol>(kDownloadProtocolCount, "download protocol");
  }
  in.expect_end();
  return c;
}

}  // namespace ota
