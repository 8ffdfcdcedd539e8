// The persistence interface the engine owns (LevelDB's Env idea): the engine
// reads and writes OTA state only through this, so its rules stay free of
// LMDB and testable. storage/lmdb_store.h implements it.
//
// Contract for every implementation:
// - Reads see every earlier write made through the same Store, committed or
//   not (the broker glue groups one loop iteration's writes into one
//   transaction and commits it before publishing what they caused).
// - put_task() keeps the active-task index: a device has at most one task in
//   an active state (is_active()). Writing an active task for a device whose
//   index names another job writes nothing and returns false.
// - Storage failures (disk full, map full, corruption) throw StoreError.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "engine/model.h"

namespace ota {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Something the engine must do at a given time.
enum class DueKind : uint8_t {
  kPush = 0,     // notify the task's device (rate limits pace these)
  kTimeout = 1,  // fail the task if still unfinished at its deadline
  kJobStart = 2, // a scheduled job starts (device is empty)
  kJobEnd = 3,   // a job's window closes (device is empty)
  kExpand = 4,   // plan the next slice of a big job's targets (device is empty)
};

struct DueItem {
  TimeMs at = 0;
  DueKind kind = DueKind::kPush;
  JobId job_id = 0;
  DeviceKey device;
  bool operator==(const DueItem&) const = default;
};

// Visitors return false to stop the iteration early.
template <typename T>
using Visitor = std::function<bool(const T&)>;

using TaskCounts = std::array<uint64_t, kTaskStateCount>;

class Store {
 public:
  virtual ~Store() = default;

  // The database's identity: random, made once, kept by backups (so two
  // brokers answering with the same id serve one database).
  virtual std::string store_id() = 0;

  // Devices.
  virtual std::optional<Device> get_device(const DeviceKey& key) = 0;
  // The same without a copy, for the per-report path: valid until the next
  // call of this store; null when the device is unknown.
  virtual const Device* find_device(const DeviceKey& key) = 0;
  virtual void put_device(const Device& device) = 0;
  // A stored device's report of one module, without copying the device:
  // its module state and last_seen change as put_device would change them.
  virtual void put_module_state(const DeviceKey& device, const std::string& module,
                                const ModuleState& state, TimeMs last_seen) = 0;
  virtual uint64_t device_count() = 0;
  // Devices of a product per version of one module, kept by put_device, so
  // reading it costs one short scan however many devices there are.
  virtual std::map<std::string, uint64_t> version_counts(const std::string& product,
                                                         const std::string& module) = 0;
  // Devices of one product in name order, starting after `after` (paging).
  virtual void for_each_device(const std::string& product,
                               const std::string& after,
                               const Visitor<Device>& visit) = 0;

  // Packages. Ids are allocated by the store, starting at 1, never reused.
  virtual PackageId allocate_package_id() = 0;
  virtual std::optional<Package> get_package(PackageId id) = 0;
  // find_package, find_job, find_task: the same without a copy, valid
  // until the next call of this store (as find_device); null when absent.
  virtual const Package* find_package(PackageId id) = 0;
  virtual void put_package(const Package& package) = 0;
  virtual bool delete_package(PackageId id) = 0;
  virtual void for_each_package(const Visitor<Package>& visit) = 0;

  // Jobs. Ids as for packages.
  virtual JobId allocate_job_id() = 0;
  virtual std::optional<Job> get_job(JobId id) = 0;
  virtual const Job* find_job(JobId id) = 0;
  virtual void put_job(const Job& job) = 0;
  virtual void for_each_job(const Visitor<Job>& visit) = 0;

  // Tasks, keyed by (job, device).
  virtual std::optional<Task> get_task(JobId job, const DeviceKey& device) = 0;
  virtual const Task* find_task(JobId job, const DeviceKey& device) = 0;
  // Stores the task and updates the active index and the per-state counts.
  // Returns false, writing nothing, if the task is active and the device
  // already has an active task of another job.
  virtual bool put_task(const Task& task) = 0;
  // The job whose task is active for the device, if any.
  virtual std::optional<JobId> active_job(const DeviceKey& device) = 0;
  // That job's task (null: none): what a progress report reads, with one
  // lookup of the device instead of one per record.
  virtual const Task* find_active_task(const DeviceKey& device) = 0;
  // The same task to change in place within its state (step, detail,
  // history: nothing that moves an index or a count), written with the
  // batch as put_task would write it; null when there is none. Valid until
  // the next call of this store.
  virtual Task* change_active_task(const DeviceKey& device) = 0;
  virtual void for_each_task_of_job(JobId job, const Visitor<Task>& visit) = 0;
  // A device's tasks, oldest job first.
  virtual void for_each_task_of_device(const DeviceKey& device,
                                       const Visitor<Task>& visit) = 0;
  // Number of tasks in each state, over all jobs (index: TaskState value).
  virtual TaskCounts task_counts() = 0;
  // Number of tasks of one job in each state (kept by put_task, so reading
  // it costs one lookup however large the job).
  virtual TaskCounts job_task_counts(JobId job) = 0;
  // ... and of one rollout group of a job.
  virtual TaskCounts group_task_counts(JobId job, uint32_t group) = 0;

  // Product configurations (setProductConfig); absent: defaults.
  virtual std::optional<ProductConfig> get_product_config(const std::string& product) = 0;
  virtual void put_product_config(const ProductConfig& config) = 0;
  // Every stored configuration, in product order (listProducts).
  virtual void for_each_product_config(const Visitor<ProductConfig>& visit) = 0;

  // Device-to-user bindings (bindDevice; the Living app topics). put
  // returns false when the binding existed, delete when it did not.
  virtual bool put_binding(const Binding& binding) = 0;
  virtual bool delete_binding(const Binding& binding) = 0;
  virtual bool has_binding(const Binding& binding) = 0;
  // Bindings of one user (every user's when `user` is empty), ordered by
  // user, product and device.
  virtual void for_each_binding(const std::string& user, const Visitor<Binding>& visit) = 0;

  // Due queue, ordered by time. Entries are hints: the engine checks each
  // against the task's current state when it comes due, so stale entries
  // need not be removed.
  virtual void add_due(const DueItem& item) = 0;
  // Removes and returns up to `limit` entries due at or before `now`,
  // earliest first.
  virtual std::vector<DueItem> take_due(TimeMs now, size_t limit) = 0;
};

}  // namespace ota
