// The engine's Store on LMDB (key layout: storage/lmdb_keys.h, records:
// storage/record_codec.h).
//
// One write transaction is begun by the first Store call after a commit and
// stays open, so the broker glue can group one loop iteration's writes and
// commit them at once; every read goes through it and sees those writes.
// The environment is opened with MDB_NOSYNC: commit(true) syncs, and
// commit(false) leaves the data to the next sync (it survives a crash of
// the process, not of the machine).
//
// Errors: every LMDB failure (map full, disk full, corruption) throws
// StoreError and aborts the open transaction, losing its uncommitted writes
// (the caller drops that batch); the next call begins a fresh one. A record
// that fails to decode throws StoreError too but leaves the transaction as
// it was, since nothing was written by that call.
//
// Single-threaded: use one LmdbStore from one thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include "engine/transaction.h"
#include "engine/store.h"
#include "storage/device_cache.h"
#include "storage/record_cache.h"
#include "storage/schema_migration.h"
#include "storage/task_cache.h"

namespace ota {

class LmdbEnv;  // lmdb_env.h

struct LmdbStoreOptions {
  // Largest size the database may grow to; LMDB reserves this much address
  // space, not disk.
  size_t map_size = size_t{1} << 30;
  // Devices whose decoded records are kept between commits (device_cache.h);
  // 0 keeps only those changed in the open transaction.
  size_t device_cache_entries = 65536;
};

class LmdbStore final : public TransactionalStore {
 public:
  // Opens (creating if missing, one directory level) the store in `dir`.
  // Throws StoreError naming the path and the reason if it cannot, or if
  // the data has a schema version newer than this build understands. An
  // older schema is migrated (schema_migration.h) before open() returns.
  static std::unique_ptr<LmdbStore> open(const std::string& dir,
                                         const LmdbStoreOptions& opts);

  LmdbStore(const LmdbStore&) = delete;
  LmdbStore& operator=(const LmdbStore&) = delete;
  // Aborts an open transaction, syncs what was committed, and closes.
  ~LmdbStore() override;

  // TransactionalStore (engine/transaction.h): commit(durable) commits the
  // open transaction, if any, and with `durable` flushes every commit so far
  // to disk; abort() discards the open transaction's writes; sync() flushes.
  void commit(bool durable) override;
  void abort() override;
  bool in_transaction() const override;
  void sync() override;

  // What open() did to an older database's schema, one line per step
  // ("schema 1 -> 2: ..."); empty for a current or a new database.
  const std::vector<std::string>& migrations() const;

  std::string store_id() override;

  std::optional<Device> get_device(const DeviceKey& key) override;
  const Device* find_device(const DeviceKey& key) override;
  void put_device(const Device& device) override;
  void put_module_state(const DeviceKey& device, const std::string& module,
                        const ModuleState& state, TimeMs last_seen) override;
  uint64_t device_count() override;
  std::map<std::string, uint64_t> version_counts(const std::string& product,
                                                 const std::string& module) override;
  void for_each_device(const std::string& product, const std::string& after,
                       const Visitor<Device>& visit) override;

  PackageId allocate_package_id() override;
  std::optional<Package> get_package(PackageId id) override;
  const Package* find_package(PackageId id) override;
  void put_package(const Package& package) override;
  bool delete_package(PackageId id) override;
  void for_each_package(const Visitor<Package>& visit) override;

  JobId allocate_job_id() override;
  std::optional<Job> get_job(JobId id) override;
  const Job* find_job(JobId id) override;
  void put_job(const Job& job) override;
  void for_each_job(const Visitor<Job>& visit) override;

  std::optional<Task> get_task(JobId job, const DeviceKey& device) override;
  const Task* find_task(JobId job, const DeviceKey& device) override;
  bool put_task(const Task& task) override;
  std::optional<JobId> active_job(const DeviceKey& device) override;
  const Task* find_active_task(const DeviceKey& device) override;
  Task* change_active_task(const DeviceKey& device) override;
  void for_each_task_of_job(JobId job, const Visitor<Task>& visit) override;
  void for_each_task_of_device(const DeviceKey& device,
                               const Visitor<Task>& visit) override;
  TaskCounts task_counts() override;
  TaskCounts job_task_counts(JobId job) override;
  TaskCounts group_task_counts(JobId job, uint32_t group) override;

  std::optional<ProductConfig> get_product_config(const std::string& product) override;
  void put_product_config(const ProductConfig& config) override;
  void for_each_product_config(const Visitor<ProductConfig>& visit) override;

  bool put_binding(const Binding& binding) override;
  bool delete_binding(const Binding& binding) override;
  bool has_binding(const Binding& binding) override;
  void for_each_binding(const std::string& user, const Visitor<Binding>& visit) override;

  void add_due(const DueItem& item) override;
  std::vector<DueItem> take_due(TimeMs now, size_t limit) override;

 private:
  LmdbStore(std::unique_ptr<LmdbEnv> env, size_t device_cache_entries);

  // Writes the cached changed devices into the open transaction: before a
  // commit and before anything reads the devices database itself.
  void write_back_devices();
  void write_back_tasks();  // the same for tasks whose progress was kept
  // Forgets cached state of a transaction LMDB aborted on an error.
  void forget_failed_transaction();

  uint64_t next_id(std::string_view counter);
  TaskCounts read_counts(std::string_view meta_key);
  void add_version_count(const std::string& product, const std::string& module,
                         const std::string& version, int delta);
  // Writes the pending version-count deltas into the open transaction.
  void flush_version_counts();
  // Fills the version_counts database from the devices if it is not built.
  void build_version_counts();
  void write_counts(std::string_view meta_key, const TaskCounts& counts);

  std::unique_ptr<LmdbEnv> env_;  // the LMDB environment and its transaction
  DeviceCache devices_;
  // Written through; a task by its LMDB key.
  RecordCache<JobId, Job> jobs_;
  RecordCache<PackageId, Package> packages_;
  TaskCache tasks_;
  // The task-count records (global, per job, per group), written back.
  RecordCache<std::string, TaskCounts> counts_;
  void write_back_counts();
  void clear_caches();
  uint64_t failures_seen_ = 0;  // Env failures the cache was cleared for
  // Version-count deltas of the open transaction (serial pending_serial_),
  // by name: the LMDB keys are built once, when they are written.
  struct VersionName {
    std::string product, module, version;
  };
  // Looked up by views: a write-back counts twice per changed device, and
  // builds no key to do it.
  struct VersionNameView {
    std::string_view product, module, version;
  };
  struct VersionNameHash {
    using is_transparent = void;
    template <typename N>
    size_t operator()(const N& n) const {
      return absl::Hash<std::tuple<std::string_view, std::string_view, std::string_view>>{}(
          {n.product, n.module, n.version});
    }
  };
  struct VersionNameEq {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return a.product == b.product && a.module == b.module && a.version == b.version;
    }
  };
  absl::flat_hash_map<VersionName, int64_t, VersionNameHash, VersionNameEq> pending_version_counts_;
  // The time (due_time_bits) of the first due entry when known, so a loop
  // iteration with nothing due reads nothing; UINT64_MAX: none is stored.
  std::optional<uint64_t> next_due_bits_;
  uint64_t pending_serial_ = 0;
};

}  // namespace ota
