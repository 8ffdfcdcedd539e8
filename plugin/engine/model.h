// The OTA domain model: devices, packages, jobs and per-device tasks.
//
// Plain value types with no behaviour beyond small helpers. The engine
// (engine.h) owns the rules; the store (store.h) persists these values.
// Times are milliseconds since the Unix epoch (TimeMs) everywhere.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bytes/same_bytes.h"

namespace ota {

using TimeMs = int64_t;
using PackageId = uint64_t;
using JobId = uint64_t;

// The module a version belongs to when a device names none (seeds 000/001).
inline constexpr std::string_view kDefaultModule = "default";

// A device is identified by its product and its name within the product.
struct DeviceKey {
  std::string product;
  std::string device;
  bool operator==(const DeviceKey& o) const {
    return same_bytes(device, o.device) && same_bytes(product, o.product);
  }
  bool operator<(const DeviceKey& o) const {
    return product != o.product ? product < o.product : device < o.device;
  }
};

// For hash maps keyed by device (presence, caches on the per-message path;
// decisions.md "Hash tables on the per-message path"). Deliberately not
// noexcept: a std::unordered_map then keeps each node's hash, so a lookup
// never hashes another node's names again to find where a bucket ends.
struct DeviceKeyHash {
  size_t operator()(const DeviceKey& k) const {
    // A word at a time, each name with its length: a byte-at-a-time hash
    // (FNV) waits for one multiplication per byte, three times per report
    // (presence, device, task).
    uint64_t h = add_bytes(0x243f6a8885a308d3ULL, k.product);
    h = add_bytes(h, k.device);
    // Mixed, so that every bit depends on every byte (Swiss tables take
    // their probe position and tag from different bits).
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return static_cast<size_t>(h);
  }

 private:
  static uint64_t add_word(uint64_t h, uint64_t word) {
    h ^= word;
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
  }
  static uint64_t add_bytes(uint64_t h, std::string_view bytes) {
    const char* p = bytes.data();
    size_t n = bytes.size();
    h = add_word(h, n);  // "ab","c" and "a","bc" differ
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h = add_word(h, w);
    }
    if (n >= 4) {  // 4..7 bytes: two overlapping loads cover them all
      uint32_t a, b;
      std::memcpy(&a, p, 4);
      std::memcpy(&b, p + n - 4, 4);
      return add_word(h, (static_cast<uint64_t>(a) << 32) | b);
    }
    if (n > 0) {  // 1..3 bytes: the first, the middle and the last are all of them
      const auto byte = [&](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])); };
      return add_word(h, (byte(0) << 16) | (byte(n / 2) << 8) | byte(n - 1));
    }
    return h;
  }
};

struct ModuleState {
  std::string version;
  TimeMs reported_at = 0;  // last version report for this module
  bool operator==(const ModuleState&) const = default;
};

struct Device {
  DeviceKey key;
  std::map<std::string, ModuleState> modules;  // module name -> state
  std::map<std::string, std::string> tags;
  TimeMs first_seen = 0;
  TimeMs last_seen = 0;  // last message of any kind from the device
  bool operator==(const Device&) const = default;
};

// A device's module by name (end() when absent): a walk over its few
// modules compares fewer bytes than the map's ordered search, which runs on
// every report.
template <typename Modules>
auto find_module(Modules& modules, const std::string& name) -> decltype(modules.begin()) {
  if (modules.size() > 4) return modules.find(name);
  for (auto it = modules.begin(); it != modules.end(); ++it) {
    if (same_bytes(it->first, name)) return it;
  }
  return modules.end();
}

// How a product's devices speak and behave; set with setProductConfig.
enum class SuccessRule : uint8_t {
  kVersion = 0,      // the device reports the target version (default)
  kProgress100 = 1,  // progress 100 completes the task (ThingsPanel)
};
enum class OfflinePolicy : uint8_t {
  kWait = 0,  // a due push for an offline device waits until it reports
  kFail = 1,  // ... or fails with reason "offline" (seed 004)
};
// Where a device's name comes from when the topic does not carry it.
enum class IdentitySource : uint8_t {
  kTopic = 0,     // the topic names the device (aliyun, thingspanel, tencent)
  kClientId = 1,  // the MQTT client id (ctwing default)
  kUsername = 2,  // the MQTT username
};

// How a product's devices fetch uploaded firmware (packages with an external
// URL always give the URL).
enum class DownloadProtocol : uint8_t {
  kHttps = 0,  // a signed URL on the plugin's download server (default)
  kMqtt = 1,   // blocks over MQTT (Alibaba /sys/{pk}/{dn}/thing/file/download)
};

struct ProductConfig {
  std::string product;
  std::string dialect;      // empty: plugin_opt_default_dialect
  SuccessRule success_rule = SuccessRule::kVersion;
  OfflinePolicy offline_policy = OfflinePolicy::kWait;
  IdentitySource identity = IdentitySource::kTopic;
  bool require_verified = false;  // batch jobs need a verified package
  std::string aliyun_code;        // empty: plugin_opt_aliyun_code
  DownloadProtocol download_protocol = DownloadProtocol::kHttps;
  bool operator==(const ProductConfig&) const = default;
};

enum class SignMethod : uint8_t { kMd5 = 0, kSha256 = 1 };

struct Package {
  PackageId id = 0;
  std::string product;
  std::string module = std::string(kDefaultModule);
  std::string version;
  std::vector<std::string> source_versions;  // empty: applies to any version
  bool diff = false;
  std::string url;  // external URL (object storage) the device downloads
  uint64_t size = 0;
  SignMethod sign_method = SignMethod::kMd5;
  std::string sign;    // hex digest of the file by sign_method
  std::string md5;     // hex MD5 when known (sent alongside sign, DESIGN §10)
  std::string sha256;  // hex SHA-256 when known
  std::string ext_data_json;  // a JSON object as text, or empty
  std::string description;
  bool verified = false;
  TimeMs created_at = 0;
  bool operator==(const Package&) const = default;
};

enum class JobType : uint8_t { kBatch = 0, kVerify = 1 };
enum class JobState : uint8_t {
  kDraft = 0,
  kScheduled = 1,
  kRunning = 2,
  kPaused = 3,
  kCompleted = 4,
  kCanceled = 5,
};

// Which devices of the product a job selects besides an explicit list; kept
// with the job so that dynamic jobs can take devices that report later.
struct TargetFilter {
  bool all = false;                          // every device of the product
  std::vector<std::string> source_versions;  // module version is one of these
  std::map<std::string, std::string> tags;   // device has all of these tags
  uint32_t percent_bp = 10000;  // grey release: basis points of the matches
  bool operator==(const TargetFilter&) const = default;
};

// A count, or a percentage, of tasks; zero in both means "not set".
struct Threshold {
  uint32_t count = 0;
  uint32_t percent = 0;
  bool is_set() const { return count > 0 || percent > 0; }
  bool operator==(const Threshold&) const = default;
};

struct Job {
  JobId id = 0;
  PackageId package_id = 0;
  std::string product;  // the package's product, kept for lookups
  std::string module;   // the package's module
  JobType type = JobType::kBatch;
  JobState state = JobState::kRunning;
  std::string state_reason;  // why it is paused, completed or canceled

  TargetFilter filter;
  bool dynamic = false;             // devices reporting later may join
  uint32_t rate_per_minute = 0;     // pushes per minute; 0: no limit
  int64_t timeout_s = 0;            // per-device timeout
  bool timeout_from_progress = false;  // count it from the first progress
  uint32_t retry_count = 0;         // automatic retries of a failed task
  int64_t retry_interval_s = 0;
  TimeMs start_at = 0;              // 0: at once
  TimeMs end_at = 0;                // 0: no end; unfinished tasks then fail
  bool need_confirm = false;        // tasks wait in CONFIRM for confirmTask
  OfflinePolicy offline_policy = OfflinePolicy::kWait;

  // Staged rollout: tasks are split into groups run in order.
  std::vector<uint32_t> group_sizes;  // tasks assigned to each group
  uint32_t current_group = 0;
  uint32_t success_threshold = 0;  // percent of a group that starts the next;
                                   // 0: the next starts when it finishes
  bool auto_advance = true;        // false: pause between groups
  Threshold failure_threshold;     // failed tasks that pause the job

  int64_t next_slot_us = 0;  // pacing: earliest time of the next push (µs)
  uint32_t task_count = 0;   // tasks created for this job
  uint32_t skipped = 0;      // targets skipped (already on the version)
  // A big job's targets are planned in slices, one per broker loop
  // iteration (see Engine::create_job): while `expanding`, devices after
  // `expanded_through` (in name order) are still to be planned.
  bool expanding = false;
  std::string expanded_through;
  uint64_t download_bytes = 0;       // served by the plugin's HTTP server
  uint32_t downloads_completed = 0;  // downloads that reached the file's end
  TimeMs created_at = 0;
  TimeMs started_at = 0;
  TimeMs finished_at = 0;
  bool operator==(const Job&) const = default;
};

// Task states. CONFIRM, QUEUED, NOTIFIED and IN_PROGRESS are "active": a
// device holds at most one active task across all jobs and modules.
enum class TaskState : uint8_t {
  kConfirm = 0,
  kQueued = 1,
  kNotified = 2,
  kInProgress = 3,
  kSucceeded = 4,
  kFailed = 5,
  kCanceled = 6,
};
inline constexpr int kTaskStateCount = 7;

inline bool is_active(TaskState s) {
  return s == TaskState::kConfirm || s == TaskState::kQueued ||
         s == TaskState::kNotified || s == TaskState::kInProgress;
}

// The device was told of its upgrade and has not finished it: it may
// download the package, report progress, and is re-notified to resume.
inline bool is_notified(TaskState s) {
  return s == TaskState::kNotified || s == TaskState::kInProgress;
}

// Why a task failed. Device codes -1..-4 map to the first four (seed 000).
enum class FailReason : uint8_t {
  kNone = 0,
  kUpgradeFailed = 1,       // step -1
  kDownloadFailed = 2,      // step -2
  kVerifyFailed = 3,        // step -3
  kFlashFailed = 4,         // step -4
  kTimeout = 5,
  kOffline = 6,
  kDeviceBusy = 7,          // another task was active (seed 001)
  kCanceledByOther = 8,
  kSuperseded = 9,
  kWindowClosed = 10,       // the job's end time came first
  kCanceled = 11,           // by cancelTask / cancelJob
};

struct TaskEvent {
  TimeMs at = 0;
  TaskState state = TaskState::kQueued;
  int32_t step = 0;
  std::string detail;  // device desc, or a reason of the engine's
  bool operator==(const TaskEvent&) const = default;
};

// History kept per task; older entries are dropped first.
inline constexpr size_t kMaxTaskHistory = 16;

struct Task {
  JobId job_id = 0;
  DeviceKey device;
  std::string module;
  TaskState state = TaskState::kQueued;
  int32_t step = 0;  // last reported progress step
  FailReason reason = FailReason::kNone;
  std::string detail;      // last desc or reason text
  TimeMs deadline = 0;     // timeout instant while notified / in progress
  uint32_t notify_count = 0;
  uint32_t group = 0;      // the job's rollout group this task belongs to
  uint32_t attempts = 0;   // notifications in separate attempts (retries)
  uint32_t resends = 0;    // re-sent notifications in the current attempt
  bool waiting = false;    // QUEUED, waiting for the offline device
  bool rejoin = false;     // FAILED busy in a dynamic job: requeue when free
  TimeMs updated_at = 0;
  std::vector<TaskEvent> history;
  bool operator==(const Task&) const = default;
};

// An app user allowed to see and act on a device through the Living app
// topics (plugin/app/). A device may be bound to several users (a family).
struct Binding {
  std::string user;
  DeviceKey device;
  bool operator==(const Binding&) const = default;
};

// Names as they appear in the control API, logs and $SYS topics.
std::string_view to_string(TaskState s);
std::string_view to_string(JobState s);
std::string_view to_string(JobType s);
std::string_view to_string(FailReason r);
// The reason a failure step (-1..-4) stands for.
FailReason fail_reason_for_step(int32_t step);
std::string_view to_string(SignMethod m);
std::optional<SignMethod> sign_method_from_string(std::string_view s);

}  // namespace ota
