// The engine's Store on LMDB: which record goes in which database, the
// indexes and counts kept beside them, and the caches in front. The LMDB
// calls themselves are in lmdb_env.cc; record encoding (record_codec), keys
// (lmdb_keys) and schema steps (schema_migration) are files of their own.
// The per-version counters would be the next part to move out.
#include "storage/lmdb_store.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <utility>

#include "storage/lmdb_env.h"
#include "storage/lmdb_keys.h"
#include "storage/record_codec.h"

namespace ota {
namespace {

namespace keys = lmdb_keys;

using enum LmdbTable;

// Moves one task from state `from` (none: a new task) to `to`.
void move_count(TaskCounts& counts, std::optional<TaskState> from,
                TaskState to) {
  // A count at zero here can only mean damage; do not let it wrap around.
  if (from && counts[static_cast<size_t>(*from)] > 0) {
    --counts[static_cast<size_t>(*from)];
  }
  ++counts[static_cast<size_t>(to)];
}

}  // namespace

std::unique_ptr<LmdbStore> LmdbStore::open(const std::string& dir,
                                           const LmdbStoreOptions& opts) {
  auto env = std::make_unique<LmdbEnv>(dir);
  env->open(opts.map_size);
  std::unique_ptr<LmdbStore> store(new LmdbStore(std::move(env), opts.device_cache_entries));
  store->build_version_counts();
  return store;
}

LmdbStore::LmdbStore(std::unique_ptr<LmdbEnv> env, size_t device_cache_entries)
    : env_(std::move(env)),
      devices_(device_cache_entries),
      jobs_(1024),
      packages_(1024),
      tasks_(device_cache_entries),
      counts_(4096) {}
LmdbStore::~LmdbStore() {
  // Nothing of an unfinished transaction is written, as with an abort.
  devices_.clear();
}

void LmdbStore::commit(bool durable) {
  write_back_devices();
  write_back_tasks();
  write_back_counts();
  flush_version_counts();
  env_->commit(durable);
  devices_.trim();
  jobs_.trim();
  packages_.trim();
  tasks_.trim();
  counts_.trim();
}

void LmdbStore::clear_caches() {
  devices_.clear();
  jobs_.clear();
  packages_.clear();
  tasks_.clear();
  counts_.clear();
  next_due_bits_.reset();
}

void LmdbStore::abort() {
  pending_version_counts_.clear();
  clear_caches();
  env_->abort();
}

void LmdbStore::forget_failed_transaction() {
  if (env_->failures() == failures_seen_) return;
  failures_seen_ = env_->failures();
  clear_caches();
}
bool LmdbStore::in_transaction() const { return env_->in_transaction(); }
void LmdbStore::sync() { env_->sync(); }

const std::vector<std::string>& LmdbStore::migrations() const {
  return env_->migrations();
}

std::string LmdbStore::store_id() {
  auto bytes = env_->get(kMeta, kStoreIdKey);
  return bytes ? std::string(*bytes) : std::string();
}

// Devices.

const Device* LmdbStore::find_device(const DeviceKey& device) {
  forget_failed_transaction();
  if (const Device* cached = devices_.find(device)) return cached;
  // Not cached: nothing is kept for a device that is not stored (a flood of
  // unknown names must not fill the cache).
  std::string key = keys::device_key(device);
  auto bytes = env_->get(kDevices, key);
  if (!bytes) return nullptr;
  return &devices_.insert_clean(device, std::move(key), decode_device(*bytes));
}

std::optional<Device> LmdbStore::get_device(const DeviceKey& key) {
  const Device* found = find_device(key);
  return found ? std::optional<Device>(*found) : std::nullopt;
}

void LmdbStore::put_device(const Device& device) {
  env_->check_key(devices_.lmdb_key(device.key));  // refused now, not at the commit
  env_->begin();  // the write belongs to the open batch
  // Cached first (if stored), so that the cache knows what it replaces:
  // the version counts follow the change when it is written back.
  find_device(device.key);
  devices_.put_dirty(device.key, device);
}

void LmdbStore::put_module_state(const DeviceKey& device, const std::string& module,
                                 const ModuleState& state, TimeMs last_seen) {
  forget_failed_transaction();
  env_->begin();
  // A cached device is stored, so its key was checked: one lookup (this
  // runs for every changed version).
  Device* record = devices_.change(device);
  if (record == nullptr) {
    if (find_device(device) == nullptr) {
      throw StoreError("device " + device.product + "/" + device.device + " is not stored");
    }
    record = devices_.change(device);
  }
  if (auto it = find_module(record->modules, module); it != record->modules.end()) {
    it->second = state;
  } else {
    record->modules.emplace(module, state);
  }
  record->last_seen = last_seen;
}

void LmdbStore::add_version_count(const std::string& product, const std::string& module,
                                  const std::string& version, int delta) {
  const uint64_t serial = env_->txn_serial();
  if (serial != pending_serial_) {
    pending_version_counts_.clear();  // left by a transaction that failed
    pending_serial_ = serial;
  }
  auto it = pending_version_counts_.find(VersionNameView{product, module, version});
  if (it == pending_version_counts_.end()) {
    it = pending_version_counts_.emplace(VersionName{product, module, version}, 0).first;
  }
  it->second += delta;
}

void LmdbStore::flush_version_counts() {
  if (pending_version_counts_.empty()) return;
  auto pending = std::exchange(pending_version_counts_, {});
  if (!env_->in_transaction() || env_->txn_serial() != pending_serial_) return;
  for (const auto& [name, delta] : pending) {
    if (delta == 0) continue;
    const std::string key = keys::version_count_key(name.product, name.module, name.version);
    auto bytes = env_->get(kVersionCounts, key);
    const int64_t stored = bytes ? static_cast<int64_t>(decode_u64(*bytes, "version count")) : 0;
    // Below zero can only mean damage; do not let it wrap around.
    const int64_t n = std::max<int64_t>(0, stored + delta);
    if (n == 0) {
      env_->del(kVersionCounts, key);
    } else {
      env_->put(kVersionCounts, key, keys::be64(static_cast<uint64_t>(n)));
    }
  }
}

std::map<std::string, uint64_t> LmdbStore::version_counts(const std::string& product,
                                                          const std::string& module) {
  write_back_devices();  // the counts follow the cached changes there
  const std::string prefix = keys::version_counts_prefix(product, module);
  std::map<std::string, int64_t> counts;
  env_->scan(kVersionCounts, prefix, "", [&](std::string_view key, std::string_view value) {
    counts.emplace(std::string(key.substr(prefix.size())),
                   static_cast<int64_t>(decode_u64(value, "version count")));
    return true;
  });
  if (env_->txn_serial() == pending_serial_) {
    for (const auto& [name, delta] : pending_version_counts_) {
      if (name.product == product && name.module == module) counts[name.version] += delta;
    }
  }
  std::map<std::string, uint64_t> result;
  for (const auto& [version, n] : counts) {
    if (n > 0) result.emplace(version, static_cast<uint64_t>(n));
  }
  return result;
}

void LmdbStore::build_version_counts() {
  if (env_->get(kMeta, keys::kVersionCountsBuiltKey)) return;
  // A database from a build without the counts: one scan, once, at open.
  std::map<std::string, uint64_t> counts;
  env_->scan(kDevices, "", "", [&](std::string_view, std::string_view value) {
    const Device d = decode_device(value);
    for (const auto& [module, state] : d.modules) {
      counts[keys::version_count_key(d.key.product, module, state.version)]++;
    }
    return true;
  });
  for (const auto& [key, n] : counts) env_->put(kVersionCounts, key, keys::be64(n));
  env_->put(kMeta, keys::kVersionCountsBuiltKey, "");
  env_->commit(/*durable=*/true);
}

void LmdbStore::write_back_devices() {
  forget_failed_transaction();
  if (!devices_.has_dirty()) return;
  devices_.write_back(
      [this](const std::string& key, const Device& device) {
        env_->put(kDevices, key, encode_device(device));
      },
      [this](const Device& device, const std::string& module, const std::string& version,
             int delta) { add_version_count(device.key.product, module, version, delta); });
}

uint64_t LmdbStore::device_count() {
  write_back_devices();  // new devices count once they are in the database
  return env_->entries(kDevices);
}

void LmdbStore::for_each_device(const std::string& product,
                                const std::string& after,
                                const Visitor<Device>& visit) {
  write_back_devices();
  std::string prefix = keys::product_prefix(product);
  std::string from = after.empty() ? std::string() : prefix + after;
  env_->scan(kDevices, prefix, from, [&](std::string_view, std::string_view v) {
    return visit(decode_device(v));
  });
}

// Packages and jobs.

uint64_t LmdbStore::next_id(std::string_view counter) {
  // Ids start at 1. An id handed out in a transaction that is then aborted
  // is handed out again, harmlessly: nothing that used it was kept.
  uint64_t id = env_->get_u64(counter, 1);
  env_->put_u64(counter, id + 1);
  return id;
}

PackageId LmdbStore::allocate_package_id() {
  return next_id(keys::kNextPackageIdKey);
}

const Package* LmdbStore::find_package(PackageId id) {
  forget_failed_transaction();
  if (const Package* cached = packages_.find(id)) return cached;
  auto bytes = env_->get(kPackages, keys::be64(id));
  if (!bytes) return nullptr;
  return &packages_.put(id, decode_package(*bytes));
}

std::optional<Package> LmdbStore::get_package(PackageId id) {
  const Package* found = find_package(id);
  return found ? std::optional<Package>(*found) : std::nullopt;
}

void LmdbStore::put_package(const Package& package) {
  forget_failed_transaction();
  env_->put(kPackages, keys::be64(package.id), encode_package(package));
  packages_.put(package.id, package);
}

bool LmdbStore::delete_package(PackageId id) {
  forget_failed_transaction();
  packages_.erase(id);
  return env_->del(kPackages, keys::be64(id));
}

void LmdbStore::for_each_package(const Visitor<Package>& visit) {
  env_->scan(kPackages, "", "", [&](std::string_view, std::string_view v) {
    return visit(decode_package(v));
  });
}

JobId LmdbStore::allocate_job_id() { return next_id(keys::kNextJobIdKey); }

const Job* LmdbStore::find_job(JobId id) {
  forget_failed_transaction();
  if (const Job* cached = jobs_.find(id)) return cached;
  auto bytes = env_->get(kJobs, keys::be64(id));
  if (!bytes) return nullptr;
  return &jobs_.put(id, decode_job(*bytes));
}

std::optional<Job> LmdbStore::get_job(JobId id) {
  const Job* found = find_job(id);
  return found ? std::optional<Job>(*found) : std::nullopt;
}

void LmdbStore::put_job(const Job& job) {
  forget_failed_transaction();
  env_->put(kJobs, keys::be64(job.id), encode_job(job));
  jobs_.put(job.id, job);
}

void LmdbStore::for_each_job(const Visitor<Job>& visit) {
  env_->scan(kJobs, "", "", [&](std::string_view, std::string_view v) {
    return visit(decode_job(v));
  });
}

// Tasks.

const Task* LmdbStore::find_task(JobId job, const DeviceKey& device) {
  forget_failed_transaction();
  if (const Task* cached = tasks_.find(TaskRef{job, device})) return cached;
  auto bytes = env_->get(kTasks, keys::task_key(job, device));
  if (!bytes) return nullptr;
  return &tasks_.put(TaskId{job, device}, decode_task(*bytes));
}

std::optional<Task> LmdbStore::get_task(JobId job, const DeviceKey& device) {
  const Task* found = find_task(job, device);
  return found ? std::optional<Task>(*found) : std::nullopt;
}

std::optional<JobId> LmdbStore::active_job(const DeviceKey& device) {
  forget_failed_transaction();
  if (const std::optional<JobId>* cached = devices_.active_job(device)) return *cached;
  auto bytes = env_->get(kActive, devices_.lmdb_key(device));
  const std::optional<JobId> job =
      bytes ? std::optional<JobId>(decode_u64(*bytes, "active index entry")) : std::nullopt;
  devices_.set_active_job(device, job);
  return job;
}

const Task* LmdbStore::find_active_task(const DeviceKey& device) {
  forget_failed_transaction();
  if (const DeviceCache::ActiveTask* active = devices_.active(device);
      active != nullptr && active->known) {
    if (!active->job) return nullptr;
    if (const Task* task = tasks_.find_at(active->task)) return task;  // one hash in all
  }
  // Only a stored device gets an entry: a flood of unknown names must not
  // fill the cache (and an active task exists only for a stored device).
  if (find_device(device) == nullptr) return nullptr;
  const std::optional<JobId> job = active_job(device);
  if (!job) return nullptr;
  const Task* task = find_task(*job, device);
  if (task != nullptr) devices_.remember_task(device, tasks_.handle(TaskRef{*job, device}));
  return task;
}

Task* LmdbStore::change_active_task(const DeviceKey& device) {
  forget_failed_transaction();
  // Found just before, as a rule: the device is the last one looked up (a
  // comparison, no hash) and its handle is current. A begin() that throws
  // leaves the task marked dirty but unchanged: the lost batch clears the
  // cache.
  auto current = [&]() -> Task* {
    DeviceCache::ActiveTask* active = devices_.active(device);
    return active != nullptr && active->known && active->job ? tasks_.change_at(active->task)
                                                             : nullptr;
  };
  Task* task = current();
  if (task == nullptr) {
    if (find_active_task(device) == nullptr) return nullptr;
    task = current();
  }
  env_->begin();  // the write belongs to the open batch
  return task;
}

bool LmdbStore::put_task(const Task& task) {
  forget_failed_transaction();
  // Everything that can refuse the write does so before the first put (a
  // task key is as long as the device-task key checked below).
  std::optional<TaskState> old_state;
  std::string task_key;
  if (const Task* cached = tasks_.find(TaskRef{task.job_id, task.device})) {
    old_state = cached->state;
  } else {
    task_key = keys::task_key(task.job_id, task.device);
    env_->check_key(task_key);
    if (auto bytes = env_->get(kTasks, task_key)) old_state = decode_task(*bytes).state;
  }
  const std::optional<JobId> active = active_job(task.device);
  const bool now_active = is_active(task.state);
  if (now_active && active && *active != task.job_id) return false;
  const bool state_changed = old_state != task.state;
  if (old_state && !state_changed) {
    // Progress within a state changes no index or count: the record is
    // written back with the batch (a device repeats it many times).
    env_->begin();
    tasks_.put_dirty(TaskId{task.job_id, task.device}, task);
    return true;
  }
  if (task_key.empty()) task_key = keys::task_key(task.job_id, task.device);

  const std::string device_task_key = keys::device_task_key(task.device, task.job_id);
  env_->check_key(device_task_key);
  const std::string job_counts_key = keys::job_task_counts_key(task.job_id);
  const std::string group_counts_key =
      keys::group_task_counts_key(task.job_id, task.group);
  TaskCounts counts{};
  TaskCounts job_counts{};
  TaskCounts group_counts{};
  if (state_changed) {
    counts = read_counts(keys::kTaskCountsKey);
    job_counts = read_counts(job_counts_key);
    group_counts = read_counts(group_counts_key);
  }
  env_->put(kTasks, task_key, encode_task(task));
  tasks_.put(TaskId{task.job_id, task.device}, task);
  if (now_active && active != task.job_id) {
    env_->put(kActive, devices_.lmdb_key(task.device), keys::be64(task.job_id));
    devices_.set_active_job(task.device, task.job_id);
  } else if (!now_active && active == task.job_id) {
    env_->del(kActive, devices_.lmdb_key(task.device));
    devices_.set_active_job(task.device, std::nullopt);
  }
  if (!old_state) env_->put(kDeviceTasks, device_task_key, "");
  if (state_changed) {
    move_count(counts, old_state, task.state);
    write_counts(keys::kTaskCountsKey, counts);
    move_count(job_counts, old_state, task.state);
    write_counts(job_counts_key, job_counts);
    move_count(group_counts, old_state, task.state);
    write_counts(group_counts_key, group_counts);
  }
  return true;
}

void LmdbStore::write_back_tasks() {
  forget_failed_transaction();
  if (!tasks_.has_dirty()) return;
  tasks_.write_back([this](const TaskId& id, const Task& task) {
    env_->put(kTasks, keys::task_key(id.job, id.device), encode_task(task));
  });
}

void LmdbStore::for_each_task_of_job(JobId job, const Visitor<Task>& visit) {
  write_back_tasks();
  env_->scan(kTasks, keys::job_prefix(job), "",
             [&](std::string_view, std::string_view v) {
               return visit(decode_task(v));
             });
}

void LmdbStore::for_each_task_of_device(const DeviceKey& device,
                                        const Visitor<Task>& visit) {
  env_->scan(kDeviceTasks, keys::device_tasks_prefix(device), "",
             [&](std::string_view key, std::string_view) {
               std::optional<Task> task =
                   get_task(keys::parse_device_task_job(key), device);
               // The index and the task are written together, so a miss
               // means damage; skip it rather than hide the other tasks.
               return !task || visit(*task);
             });
}

TaskCounts LmdbStore::task_counts() {
  return read_counts(keys::kTaskCountsKey);
}

TaskCounts LmdbStore::job_task_counts(JobId job) {
  return read_counts(keys::job_task_counts_key(job));
}

TaskCounts LmdbStore::group_task_counts(JobId job, uint32_t group) {
  return read_counts(keys::group_task_counts_key(job, group));
}

// Product configurations.

std::optional<ProductConfig> LmdbStore::get_product_config(const std::string& product) {
  env_->check_key(product);
  auto bytes = env_->get(kProducts, product);
  if (!bytes) return std::nullopt;
  return decode_product_config(*bytes);
}

void LmdbStore::put_product_config(const ProductConfig& config) {
  env_->check_key(config.product);
  env_->put(kProducts, config.product, encode_product_config(config));
}

void LmdbStore::for_each_product_config(const Visitor<ProductConfig>& visit) {
  env_->scan(kProducts, "", "", [&](std::string_view, std::string_view v) {
    return visit(decode_product_config(v));
  });
}

TaskCounts LmdbStore::read_counts(std::string_view meta_key) {
  forget_failed_transaction();
  const std::string key(meta_key);
  if (const TaskCounts* cached = counts_.find(key)) return *cached;
  TaskCounts counts{};
  auto bytes = env_->get(kMeta, meta_key);
  if (bytes) {
    if (bytes->size() != counts.size() * 8) {
      throw StoreError("corrupt task counts: " + std::to_string(bytes->size()) + " bytes");
    }
    for (size_t i = 0; i < counts.size(); ++i) counts[i] = keys::read_be64(*bytes, i * 8);
  }
  return counts_.put(key, counts);
}

// A batch moves the same counts many times: written back once, at commit.
void LmdbStore::write_counts(std::string_view meta_key, const TaskCounts& counts) {
  forget_failed_transaction();
  env_->begin();
  counts_.put_dirty(std::string(meta_key), counts);
}

void LmdbStore::write_back_counts() {
  forget_failed_transaction();
  if (!counts_.has_dirty()) return;
  counts_.write_back([this](const std::string& key, const TaskCounts& counts) {
    std::string bytes;
    bytes.reserve(counts.size() * 8);
    for (uint64_t n : counts) keys::append_be64(bytes, n);
    env_->put(kMeta, key, bytes);
  });
}

// Bindings. A database opened by an older build gains the (empty)
// bindings database at open, so no schema change is needed.

bool LmdbStore::put_binding(const Binding& binding) {
  const std::string key = keys::binding_key(binding);
  if (env_->get(kBindings, key)) return false;
  env_->put(kBindings, key, "");
  return true;
}

bool LmdbStore::delete_binding(const Binding& binding) {
  return env_->del(kBindings, keys::binding_key(binding));
}

bool LmdbStore::has_binding(const Binding& binding) {
  return env_->get(kBindings, keys::binding_key(binding)).has_value();
}

void LmdbStore::for_each_binding(const std::string& user, const Visitor<Binding>& visit) {
  const std::string prefix = user.empty() ? std::string() : keys::user_prefix(user);
  env_->scan(kBindings, prefix, "", [&](std::string_view key, std::string_view) {
    return visit(keys::parse_binding_key(key));
  });
}

// Due queue.

void LmdbStore::add_due(const DueItem& item) {
  // A repeated item has the same key and is stored once.
  env_->put(kDue, keys::due_key(item), "");
  const uint64_t bits = keys::due_time_bits(item.at);
  if (next_due_bits_ && bits < *next_due_bits_) next_due_bits_ = bits;
}

std::vector<DueItem> LmdbStore::take_due(TimeMs now, size_t limit) {
  std::vector<DueItem> due;
  std::vector<std::string> taken;
  if (limit == 0) return due;
  forget_failed_transaction();
  const uint64_t now_bits = keys::due_time_bits(now);
  if (next_due_bits_ && now_bits < *next_due_bits_) return due;  // nothing due yet
  // Read first, delete after: a corrupt key then throws before anything
  // is removed.
  std::optional<uint64_t> next = UINT64_MAX;  // none left, unless one is seen
  env_->scan(kDue, "", "", [&](std::string_view key, std::string_view) {
    if (key.size() >= 8 && keys::read_be64(key, 0) > now_bits) {
      next = keys::read_be64(key, 0);
      return false;
    }
    due.push_back(keys::parse_due_key(key));
    taken.emplace_back(key);
    if (due.size() < limit) return true;
    next.reset();  // stopped at the limit: what follows is unknown
    return false;
  });
  for (const std::string& key : taken) env_->del(kDue, key);
  next_due_bits_ = next;
  return due;
}

}  // namespace ota
