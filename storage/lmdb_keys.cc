#include "storage/lmdb_keys.h"

namespace ota::lmdb_keys {
namespace {

constexpr uint64_t kTimeSignBit = uint64_t{1} << 63;
constexpr size_t kDueHeaderBytes = 8 + 1 + 8;  // at, kind, job
constexpr uint8_t kDueKindCount = 5;
constexpr std::string_view kJobTaskCountsPrefix = "job_task_counts";
constexpr std::string_view kGroupTaskCountsPrefix = "group_task_counts";

void append_name(std::string& out, std::string_view name) {
  if (name.find('\0') != std::string_view::npos) {
    throw StoreError("name contains a NUL byte and cannot be stored");
  }
  out.append(name);
}

void append_device(std::string& out, const DeviceKey& device) {
  append_name(out, device.product);
  out.push_back('\0');
  append_name(out, device.device);
}

}  // namespace

void append_be64(std::string& out, uint64_t v) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(v >> (56 - 8 * i));
  out.append(bytes, sizeof bytes);
}

uint64_t read_be64(std::string_view bytes, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  }
  return v;
}

std::string be64(uint64_t v) {
  std::string out;
  append_be64(out, v);
  return out;
}

std::string device_key(const DeviceKey& device) {
  std::string key;
  key.reserve(device.product.size() + 1 + device.device.size());
  append_device(key, device);
  return key;
}

DeviceKey parse_device_key(std::string_view key) {
  size_t nul = key.find('\0');
  if (nul == std::string_view::npos) {
    throw StoreError("corrupt device key: no separator");
  }
  return DeviceKey{std::string(key.substr(0, nul)),
                   std::string(key.substr(nul + 1))};
}

std::string product_prefix(const std::string& product) {
  std::string prefix;
  append_name(prefix, product);
  prefix.push_back('\0');
  return prefix;
}

std::string version_counts_prefix(const std::string& product, const std::string& module) {
  std::string prefix = product_prefix(product);
  append_name(prefix, module);
  prefix.push_back('\0');
  return prefix;
}

std::string version_count_key(const std::string& product, const std::string& module,
                              const std::string& version) {
  return version_counts_prefix(product, module) + version;
}

std::string task_key(JobId job, const DeviceKey& device) {
  std::string key = be64(job);
  append_device(key, device);
  return key;
}

std::string job_prefix(JobId job) { return be64(job); }

std::string device_task_key(const DeviceKey& device, JobId job) {
  std::string key = device_tasks_prefix(device);
  append_be64(key, job);
  return key;
}

std::string device_tasks_prefix(const DeviceKey& device) {
  std::string key;
  append_device(key, device);
  key.push_back('\0');
  return key;
}

JobId parse_device_task_job(std::string_view key) {
  if (key.size() < 8 + 2) throw StoreError("corrupt device_tasks key");
  return read_be64(key, key.size() - 8);
}

uint64_t due_time_bits(TimeMs at) {
  // Flipping the sign bit maps int64 order onto unsigned order.
  return static_cast<uint64_t>(at) ^ kTimeSignBit;
}

std::string job_task_counts_key(JobId job) {
  std::string key(kJobTaskCountsPrefix);
  append_be64(key, job);
  return key;
}

std::string group_task_counts_key(JobId job, uint32_t group) {
  std::string key(kGroupTaskCountsPrefix);
  append_be64(key, job);
  append_be64(key, group);
  return key;
}

std::string binding_key(const Binding& binding) {
  std::string key = user_prefix(binding.user);
  append_device(key, binding.device);
  return key;
}

Binding parse_binding_key(std::string_view key) {
  const size_t nul = key.find('\0');
  if (nul == std::string_view::npos) throw StoreError("corrupt binding key: no separator");
  return Binding{std::string(key.substr(0, nul)), parse_device_key(key.substr(nul + 1))};
}

std::string user_prefix(const std::string& user) {
  std::string prefix;
  append_name(prefix, user);
  prefix.push_back('\0');
  return prefix;
}

std::string due_key(const DueItem& item) {
  std::string key;
  append_be64(key, due_time_bits(item.at));
  key.push_back(static_cast<char>(item.kind));
  append_be64(key, item.job_id);
  append_device(key, item.device);
  return key;
}

DueItem parse_due_key(std::string_view key) {
  if (key.size() < kDueHeaderBytes + 1) throw StoreError("corrupt due key");
  DueItem item;
  item.at = static_cast<TimeMs>(read_be64(key, 0) ^ kTimeSignBit);
  uint8_t kind = static_cast<uint8_t>(key[8]);
  if (kind >= kDueKindCount) throw StoreError("corrupt due key: bad kind");
  item.kind = static_cast<DueKind>(kind);
  item.job_id = read_be64(key, 9);
  item.device = parse_device_key(key.substr(kDueHeaderBytes));
  return item;
}

}  // namespace ota::lmdb_keys
