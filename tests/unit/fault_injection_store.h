// A TransactionalStore that wraps a real one and fails on purpose (as
// LevelDB's fault_injection_test.cc does with its Env): the Nth write, the
// Nth commit or the Nth sync throws StoreError, after aborting the open
// batch as LmdbStore does on a real failure. It also records what reached
// the disk: `unsynced()` is true while a committed batch waits for a sync,
// which is what the sync-before-publish rule is checked against.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/transaction.h"

namespace ota::test {

class FaultInjectionStore final : public TransactionalStore {
 public:
  explicit FaultInjectionStore(TransactionalStore& inner) : inner_(inner) {}

  // The next `n`th operation of that kind fails (1: the next one); 0: none.
  void fail_write_at(uint64_t n) { fail_write_ = n ? writes_ + n : 0; }
  void fail_commit_at(uint64_t n) { fail_commit_ = n ? commits_ + n : 0; }
  void fail_sync_at(uint64_t n) { fail_sync_ = n ? syncs_ + n : 0; }
  void clear_faults() { fail_write_ = fail_commit_ = fail_sync_ = 0; }

  uint64_t writes() const { return writes_; }
  uint64_t commits() const { return commits_; }
  uint64_t syncs() const { return syncs_; }
  uint64_t faults() const { return faults_; }
  // Writes of the open batch (lost on abort).
  bool dirty() const { return dirty_; }
  // A committed batch has not been synced to disk yet.
  bool unsynced() const { return unsynced_; }

  // TransactionalStore.
  void commit(bool durable) override {
    ++commits_;
    if (durable) ++syncs_;
    if (commits_ == fail_commit_ || (durable && syncs_ == fail_sync_)) fault("commit");
    inner_.commit(durable);
    if (dirty_) unsynced_ = true;
    if (durable) unsynced_ = false;
    dirty_ = false;
  }
  void abort() override {
    inner_.abort();
    dirty_ = false;
  }
  bool in_transaction() const override { return inner_.in_transaction(); }
  void sync() override {
    ++syncs_;
    if (syncs_ == fail_sync_) fault("sync");
    inner_.sync();
    unsynced_ = false;
  }

  // Reads pass through.
  std::optional<Device> get_device(const DeviceKey& key) override { return inner_.get_device(key); }
  const Device* find_device(const DeviceKey& key) override { return inner_.find_device(key); }
  uint64_t device_count() override { return inner_.device_count(); }
  std::map<std::string, uint64_t> version_counts(const std::string& product,
                                                 const std::string& module) override {
    return inner_.version_counts(product, module);
  }
  void for_each_device(const std::string& product, const std::string& after,
                       const Visitor<Device>& visit) override {
    inner_.for_each_device(product, after, visit);
  }
  std::optional<Package> get_package(PackageId id) override { return inner_.get_package(id); }
  const Package* find_package(PackageId id) override { return inner_.find_package(id); }
  void for_each_package(const Visitor<Package>& visit) override { inner_.for_each_package(visit); }
  std::optional<Job> get_job(JobId id) override { return inner_.get_job(id); }
  const Job* find_job(JobId id) override { return inner_.find_job(id); }
  void for_each_job(const Visitor<Job>& visit) override { inner_.for_each_job(visit); }
  const Task* find_task(JobId job, const DeviceKey& device) override {
    return inner_.find_task(job, device);
  }
  std::optional<Task> get_task(JobId job, const DeviceKey& device) override {
    return inner_.get_task(job, device);
  }
  std::optional<JobId> active_job(const DeviceKey& device) override {
    return inner_.active_job(device);
  }
  const Task* find_active_task(const DeviceKey& device) override {
    return inner_.find_active_task(device);
  }
  Task* change_active_task(const DeviceKey& device) override {
    write();
    return inner_.change_active_task(device);
  }
  void for_each_task_of_job(JobId job, const Visitor<Task>& visit) override {
    inner_.for_each_task_of_job(job, visit);
  }
  void for_each_task_of_device(const DeviceKey& device, const Visitor<Task>& visit) override {
    inner_.for_each_task_of_device(device, visit);
  }
  TaskCounts task_counts() override { return inner_.task_counts(); }
  std::string store_id() override { return inner_.store_id(); }
  TaskCounts job_task_counts(JobId job) override { return inner_.job_task_counts(job); }
  TaskCounts group_task_counts(JobId job, uint32_t group) override {
    return inner_.group_task_counts(job, group);
  }
  std::optional<ProductConfig> get_product_config(const std::string& product) override {
    return inner_.get_product_config(product);
  }
  void for_each_product_config(const Visitor<ProductConfig>& visit) override {
    inner_.for_each_product_config(visit);
  }
  bool has_binding(const Binding& binding) override { return inner_.has_binding(binding); }
  void for_each_binding(const std::string& user, const Visitor<Binding>& visit) override {
    inner_.for_each_binding(user, visit);
  }

  // Writes count, and may fail.
  void put_device(const Device& device) override {
    write();
    inner_.put_device(device);
  }
  void put_module_state(const DeviceKey& device, const std::string& module,
                        const ModuleState& state, TimeMs last_seen) override {
    write();
    inner_.put_module_state(device, module, state, last_seen);
  }
  PackageId allocate_package_id() override {
    write();
    return inner_.allocate_package_id();
  }
  void put_package(const Package& package) override {
    write();
    inner_.put_package(package);
  }
  bool delete_package(PackageId id) override {
    write();
    return inner_.delete_package(id);
  }
  JobId allocate_job_id() override {
    write();
    return inner_.allocate_job_id();
  }
  void put_job(const Job& job) override {
    write();
    inner_.put_job(job);
  }
  bool put_task(const Task& task) override {
    write();
    return inner_.put_task(task);
  }
  void put_product_config(const ProductConfig& config) override {
    write();
    inner_.put_product_config(config);
  }
  bool put_binding(const Binding& binding) override {
    write();
    return inner_.put_binding(binding);
  }
  bool delete_binding(const Binding& binding) override {
    write();
    return inner_.delete_binding(binding);
  }
  void add_due(const DueItem& item) override {
    write();
    inner_.add_due(item);
  }
  std::vector<DueItem> take_due(TimeMs now, size_t limit) override {
    write();
    return inner_.take_due(now, limit);
  }

 private:
  void write() {
    ++writes_;
    if (writes_ == fail_write_) fault("write");
    dirty_ = true;
  }
  [[noreturn]] void fault(const char* what) {
    ++faults_;
    // As LmdbStore on a real failure: the open batch is gone.
    inner_.abort();
    dirty_ = false;
    throw StoreError(std::string("injected ") + what + " failure");
  }

  TransactionalStore& inner_;
  uint64_t writes_ = 0, commits_ = 0, syncs_ = 0, faults_ = 0;
  uint64_t fail_write_ = 0, fail_commit_ = 0, fail_sync_ = 0;
  bool dirty_ = false;
  bool unsynced_ = false;
};

}  // namespace ota::test
