#include "storage/lmdb_store.h"

#include <gtest/gtest.h>
#include <lmdb.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "storage/lmdb_keys.h"
#include "storage/record_codec.h"

namespace {

using namespace ota;  // NOLINT: the fixture below shadows ota::LmdbStore
namespace fs = std::filesystem;

constexpr TimeMs kNow = 1700000000000;

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/lmdb_store_test.XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = made;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Named like the class under test so the tests read LmdbStore.*.
class LmdbStore : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  // Closes the store (aborting anything uncommitted) and opens it again.
  void reopen(LmdbStoreOptions opts = {}) {
    store_.reset();
    store_ = ota::LmdbStore::open(dir_.path(), opts);
  }

  void close() { store_.reset(); }

  // Writes raw bytes behind the store's back, as damage or an older or
  // newer build would. The store must be closed.
  void raw_put(const char* db, std::string_view key, std::string_view value) {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    ASSERT_EQ(mdb_env_set_maxdbs(env, 16), 0);
    ASSERT_EQ(mdb_env_open(env, dir_.path().c_str(), 0, 0600), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi dbi;
    ASSERT_EQ(mdb_dbi_open(txn, db, 0, &dbi), 0);
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
  }

  // Removes the per-version counts and their marker, as in a database
  // written by a build without them. The store must be closed.
  void raw_forget_version_counts() {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    ASSERT_EQ(mdb_env_set_maxdbs(env, 16), 0);
    ASSERT_EQ(mdb_env_open(env, dir_.path().c_str(), 0, 0600), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi counts, meta;
    ASSERT_EQ(mdb_dbi_open(txn, "version_counts", 0, &counts), 0);
    ASSERT_EQ(mdb_drop(txn, counts, 0), 0);
    ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    const std::string_view marker = lmdb_keys::kVersionCountsBuiltKey;
    MDB_val k{marker.size(), const_cast<char*>(marker.data())};
    ASSERT_EQ(mdb_del(txn, meta, &k, nullptr), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
  }

  // The per-version counts of a module, recounted from the devices.
  std::map<std::string, uint64_t> recount(const std::string& product,
                                          const std::string& module) {
    std::map<std::string, uint64_t> n;
    store_->for_each_device(product, "", [&](const Device& d) {
      auto m = d.modules.find(module);
      if (m != d.modules.end()) n[m->second.version]++;
      return true;
    });
    return n;
  }

  TempDir dir_;
  std::unique_ptr<ota::LmdbStore> store_;
};

Device make_device(std::string product, std::string name) {
  Device d;
  d.key = {std::move(product), std::move(name)};
  d.modules["default"] = {"1.0.0", kNow};
  d.tags["site"] = "berlin";
  d.first_seen = kNow - 1000;
  d.last_seen = kNow;
  return d;
}

Task make_task(JobId job, const std::string& device, TaskState state) {
  Task t;
  t.job_id = job;
  t.device = {"prod", device};
  t.module = "default";
  t.state = state;
  t.updated_at = kNow;
  t.history = {{kNow, state, 0, "created"}};
  return t;
}

TaskCounts counts_of(std::initializer_list<std::pair<TaskState, uint64_t>> l) {
  TaskCounts counts{};
  for (auto [state, n] : l) counts[static_cast<size_t>(state)] = n;
  return counts;
}

std::vector<std::string> device_names(ota::LmdbStore& store,
                                      const std::string& product,
                                      const std::string& after,
                                      size_t limit = 100) {
  std::vector<std::string> names;
  store.for_each_device(product, after, [&](const Device& d) {
    EXPECT_EQ(d.key.product, product);
    names.push_back(d.key.device);
    return names.size() < limit;
  });
  return names;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(LmdbStore, DeviceRoundTrip) {
  const Device d = make_device("prod", "dev-1");
  EXPECT_FALSE(store_->get_device(d.key).has_value());
  store_->put_device(d);
  EXPECT_EQ(store_->get_device(d.key), d);
  EXPECT_FALSE(store_->get_device({"prod", "dev-2"}).has_value());
  EXPECT_FALSE(store_->get_device({"prod2", "dev-1"}).has_value());
  EXPECT_EQ(store_->device_count(), 1u);
  Device changed = d;
  changed.modules["wifi"] = {"2.0", kNow + 5};
  store_->put_device(changed);
  EXPECT_EQ(store_->get_device(d.key), changed);
  EXPECT_EQ(store_->device_count(), 1u);
}

TEST_F(LmdbStore, AModuleStateChangesInPlaceOnlyOnAStoredDevice) {
  const Device d = make_device("prod", "dev-1");
  store_->put_device(d);
  store_->commit(false);
  store_->put_module_state(d.key, "wifi", {"2.0", kNow + 5}, kNow + 6);
  Device expected = d;
  expected.modules["wifi"] = {"2.0", kNow + 5};
  expected.last_seen = kNow + 6;
  EXPECT_EQ(store_->get_device(d.key), expected);
  store_->commit(false);
  reopen();
  EXPECT_EQ(store_->get_device(d.key), expected);
  EXPECT_EQ(store_->version_counts("prod", "wifi"), (std::map<std::string, uint64_t>{{"2.0", 1}}));
  EXPECT_THROW(store_->put_module_state({"prod", "dev-2"}, "wifi", {"2.0", kNow}, kNow), StoreError);
  EXPECT_FALSE(store_->get_device({"prod", "dev-2"}).has_value());
}

TEST_F(LmdbStore, VersionCountsEqualARecountThroughChangesAndAborts) {
  const std::vector<std::string> products = {"prod", "other"};
  const std::vector<std::string> modules = {"default", "wifi", "mcu"};
  uint32_t seed = 12345;
  auto next = [&](uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % n;
  };
  auto check = [&](int round) {
    for (const std::string& p : products) {
      for (const std::string& m : modules) {
        ASSERT_EQ(store_->version_counts(p, m), recount(p, m))
            << "round " << round << ", " << p << "/" << m;
      }
    }
  };
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 30; ++i) {
      Device d = make_device(products[next(2)], "d" + std::to_string(next(25)));
      const bool stored_before = store_->find_device(d.key) != nullptr;
      if (auto stored = store_->get_device(d.key)) d = *stored;
      // Change, add or drop a module's version; in place for some (as the
      // engine records a version report).
      const std::string& m = modules[next(3)];
      if (stored_before && next(2) == 0) {
        store_->put_module_state(d.key, m, {"1.0." + std::to_string(next(4)), kNow}, kNow);
        continue;
      }
      if (next(5) == 0) {
        d.modules.erase(m);
      } else {
        d.modules[m] = {"1.0." + std::to_string(next(4)), kNow};
      }
      store_->put_device(d);
    }
    check(round);
    if (round % 3 == 2) {
      store_->abort();  // the counts go back with the devices
    } else {
      store_->commit(false);
    }
    check(round);
  }
  reopen();
  check(-1);
  EXPECT_FALSE(store_->version_counts("prod", "default").empty());
  EXPECT_TRUE(store_->version_counts("prod", "nothing").empty());
}

TEST_F(LmdbStore, VersionCountsAreBuiltOnceForAnOlderDatabase) {
  for (int i = 0; i < 50; ++i) {
    Device d = make_device("prod", "d" + std::to_string(i));
    d.modules["default"].version = "1.0." + std::to_string(i % 3);
    if (i % 2) d.modules["wifi"] = {"w" + std::to_string(i % 4), kNow};
    store_->put_device(d);
  }
  store_->commit(true);
  const std::map<std::string, uint64_t> before = store_->version_counts("prod", "default");
  EXPECT_EQ(before, (std::map<std::string, uint64_t>{{"1.0.0", 17}, {"1.0.1", 17}, {"1.0.2", 16}}));
  close();
  raw_forget_version_counts();
  reopen();
  EXPECT_EQ(store_->version_counts("prod", "default"), before);
  EXPECT_EQ(store_->version_counts("prod", "wifi"), recount("prod", "wifi"));
  EXPECT_EQ(store_->version_counts("prod", "wifi").size(), 2u);  // w1, w3
}

TEST_F(LmdbStore, PackageRoundTripAndDelete) {
  Package p;
  p.id = store_->allocate_package_id();
  p.product = "prod";
  p.version = "2.0.0";
  p.source_versions = {"1.0.0"};
  p.url = "https://example.com/fw.bin";
  p.size = 123456;
  p.sign_method = SignMethod::kSha256;
  p.sign = "ab";
  p.created_at = kNow;
  store_->put_package(p);
  EXPECT_EQ(store_->get_package(p.id), p);
  std::vector<PackageId> seen;
  store_->for_each_package([&](const Package& q) {
    seen.push_back(q.id);
    return true;
  });
  EXPECT_EQ(seen, std::vector<PackageId>{p.id});
  EXPECT_TRUE(store_->delete_package(p.id));
  EXPECT_FALSE(store_->get_package(p.id).has_value());
  EXPECT_FALSE(store_->delete_package(p.id));
  EXPECT_FALSE(store_->delete_package(999));
}

TEST_F(LmdbStore, JobRoundTripInIdOrder) {
  // Ids above 255 check the keys sort numerically (big-endian).
  for (JobId id : {300u, 2u, 1u, 256u}) {
    Job j;
    j.id = id;
    j.package_id = 9;
    j.product = "prod";
    j.module = "default";
    j.state = JobState::kRunning;
    j.filter.tags = {{"site", "b"}};
    j.timeout_s = 60;
    j.task_count = 2;
    j.created_at = kNow;
    store_->put_job(j);
    EXPECT_EQ(store_->get_job(id), j);
  }
  std::vector<JobId> order;
  store_->for_each_job([&](const Job& j) {
    order.push_back(j.id);
    return true;
  });
  EXPECT_EQ(order, (std::vector<JobId>{1, 2, 256, 300}));
  order.clear();
  store_->for_each_job([&](const Job& j) {
    order.push_back(j.id);
    return order.size() < 2;
  });
  EXPECT_EQ(order, (std::vector<JobId>{1, 2}));
  EXPECT_FALSE(store_->get_job(3).has_value());
}

TEST_F(LmdbStore, TaskRoundTripWithHistory) {
  Task t = make_task(5, "dev-1", TaskState::kInProgress);
  t.step = 40;
  t.deadline = kNow + 60000;
  t.notify_count = 2;
  t.detail = "downloading";
  t.history.push_back({kNow + 1, TaskState::kNotified, 0, ""});
  t.history.push_back({kNow + 2, TaskState::kInProgress, 40, "downloading"});
  EXPECT_TRUE(store_->put_task(t));
  EXPECT_EQ(store_->get_task(5, t.device), t);
  EXPECT_FALSE(store_->get_task(6, t.device).has_value());
  EXPECT_FALSE(store_->get_task(5, {"prod", "dev-2"}).has_value());
}

TEST_F(LmdbStore, ATaskChangedInPlaceIsWrittenWithItsBatchOrLostWithIt) {
  store_->put_device(make_device("prod", "dev-1"));
  Task t = make_task(5, "dev-1", TaskState::kInProgress);
  ASSERT_TRUE(store_->put_task(t));
  store_->commit(false);
  const TaskCounts counts = store_->task_counts();
  EXPECT_EQ(store_->change_active_task({"prod", "dev-2"}), nullptr);

  Task* changed = store_->change_active_task(t.device);
  ASSERT_NE(changed, nullptr);
  changed->step = 70;
  changed->history.push_back({kNow + 3, TaskState::kInProgress, 70, "downloading"});
  EXPECT_TRUE(store_->in_transaction());
  store_->abort();  // lost with the batch, even from the cache
  EXPECT_EQ(store_->get_task(5, t.device), t);

  changed = store_->change_active_task(t.device);
  ASSERT_NE(changed, nullptr);
  changed->step = 80;
  Task expected = *changed;
  store_->commit(false);
  reopen();
  EXPECT_EQ(store_->get_task(5, t.device), expected);
  EXPECT_EQ(store_->task_counts(), counts);  // within its state: no count moves
}

// What a progress report reads and changes: the task the active index
// names, found by the device alone, through every change of that index.
TEST_F(LmdbStore, TheActiveTaskIsFoundByItsDeviceThroughEveryIndexChange) {
  const DeviceKey unknown{"prod", "nobody"};
  EXPECT_EQ(store_->find_active_task(unknown), nullptr);
  EXPECT_EQ(store_->change_active_task(unknown), nullptr);
  store_->put_device(make_device("prod", "dev-1"));
  Task t = make_task(5, "dev-1", TaskState::kInProgress);
  EXPECT_EQ(store_->find_active_task(t.device), nullptr);  // stored, no task yet
  ASSERT_TRUE(store_->put_task(t));
  ASSERT_NE(store_->find_active_task(t.device), nullptr);
  EXPECT_EQ(*store_->find_active_task(t.device), t);
  EXPECT_EQ(store_->find_active_task(t.device), store_->find_task(5, t.device));

  Task* changed = store_->change_active_task(t.device);
  ASSERT_NE(changed, nullptr);
  changed->step = 42;
  Task expected = *changed;
  store_->commit(false);  // written back with the batch
  reopen();
  ASSERT_NE(store_->find_active_task(t.device), nullptr);
  EXPECT_EQ(*store_->find_active_task(t.device), expected);
  changed = store_->change_active_task(t.device);
  ASSERT_NE(changed, nullptr);
  changed->step = 43;
  store_->abort();  // lost with the batch, even from the cache
  EXPECT_EQ(*store_->find_active_task(t.device), expected);

  // Finished: no active task. Another job's task then becomes the one.
  expected.state = TaskState::kSucceeded;
  ASSERT_TRUE(store_->put_task(expected));
  EXPECT_EQ(store_->find_active_task(t.device), nullptr);
  EXPECT_EQ(store_->change_active_task(t.device), nullptr);
  const Task next = make_task(6, "dev-1", TaskState::kNotified);
  ASSERT_TRUE(store_->put_task(next));
  ASSERT_NE(store_->find_active_task(t.device), nullptr);
  EXPECT_EQ(*store_->find_active_task(t.device), next);
  store_->commit(false);
  EXPECT_EQ(*store_->find_active_task(t.device), next);
}

TEST_F(LmdbStore, ReopenKeepsCommittedDataOnly) {
  store_->put_device(make_device("prod", "kept"));
  store_->commit(/*durable=*/true);
  EXPECT_FALSE(store_->in_transaction());
  store_->put_device(make_device("prod", "lost"));
  EXPECT_TRUE(store_->in_transaction());
  reopen();  // the destructor aborts the open transaction
  EXPECT_EQ(store_->get_device({"prod", "kept"}),
            make_device("prod", "kept"));
  EXPECT_FALSE(store_->get_device({"prod", "lost"}).has_value());
  EXPECT_EQ(store_->device_count(), 1u);
}

TEST_F(LmdbStore, NonDurableCommitSurvivesReopen) {
  store_->put_device(make_device("prod", "d"));
  store_->commit(/*durable=*/false);
  reopen();
  EXPECT_TRUE(store_->get_device({"prod", "d"}).has_value());
}

TEST_F(LmdbStore, AbortDiscardsWrites) {
  store_->put_device(make_device("prod", "a"));
  ASSERT_TRUE(store_->put_task(make_task(1, "a", TaskState::kQueued)));
  store_->commit(false);

  store_->put_device(make_device("prod", "b"));
  ASSERT_TRUE(store_->put_task(make_task(1, "a", TaskState::kSucceeded)));
  store_->add_due({kNow, DueKind::kPush, 1, {"prod", "a"}});
  EXPECT_EQ(store_->allocate_job_id(), 1u);
  store_->abort();
  EXPECT_FALSE(store_->in_transaction());

  EXPECT_FALSE(store_->get_device({"prod", "b"}).has_value());
  EXPECT_EQ(store_->get_task(1, {"prod", "a"})->state, TaskState::kQueued);
  EXPECT_EQ(store_->active_job({"prod", "a"}), JobId{1});
  EXPECT_EQ(store_->task_counts(), counts_of({{TaskState::kQueued, 1}}));
  EXPECT_TRUE(store_->take_due(kNow, 10).empty());
  EXPECT_EQ(store_->allocate_job_id(), 1u);  // the aborted one is unused
}

TEST_F(LmdbStore, UncommittedWritesAreVisibleToReads) {
  store_->put_device(make_device("prod", "a"));
  store_->put_device(make_device("prod", "b"));
  EXPECT_TRUE(store_->in_transaction());
  EXPECT_EQ(store_->device_count(), 2u);
  EXPECT_TRUE(store_->get_device({"prod", "a"}).has_value());
  EXPECT_EQ(device_names(*store_, "prod", ""),
            (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(store_->put_task(make_task(3, "a", TaskState::kNotified)));
  EXPECT_EQ(store_->active_job({"prod", "a"}), JobId{3});
  EXPECT_EQ(store_->task_counts(), counts_of({{TaskState::kNotified, 1}}));
}

TEST_F(LmdbStore, ReadOnlyCommitEndsTheTransaction) {
  store_->get_device({"prod", "a"});
  EXPECT_TRUE(store_->in_transaction());
  store_->commit(/*durable=*/true);
  EXPECT_FALSE(store_->in_transaction());
  store_->commit(/*durable=*/true);  // nothing open: a no-op
  store_->sync();
  EXPECT_FALSE(store_->in_transaction());
}

TEST_F(LmdbStore, OneActiveTaskPerDevice) {
  const DeviceKey dev{"prod", "d"};
  ASSERT_TRUE(store_->put_task(make_task(1, "d", TaskState::kNotified)));
  EXPECT_EQ(store_->active_job(dev), JobId{1});

  // Another job's active task is refused and nothing of it is written.
  EXPECT_FALSE(store_->put_task(make_task(2, "d", TaskState::kQueued)));
  EXPECT_FALSE(store_->get_task(2, dev).has_value());
  EXPECT_EQ(store_->active_job(dev), JobId{1});
  EXPECT_EQ(store_->task_counts(), counts_of({{TaskState::kNotified, 1}}));
  EXPECT_EQ(store_->job_task_counts(2), TaskCounts{});
  int tasks = 0;
  store_->for_each_task_of_device(dev, [&](const Task&) {
    ++tasks;
    return true;
  });
  EXPECT_EQ(tasks, 1);

  // The same job may rewrite its own active task.
  Task progress = make_task(1, "d", TaskState::kInProgress);
  progress.step = 30;
  EXPECT_TRUE(store_->put_task(progress));
  EXPECT_EQ(store_->get_task(1, dev), progress);
  EXPECT_EQ(store_->active_job(dev), JobId{1});

  // Once the first is finished, the second is accepted.
  EXPECT_TRUE(store_->put_task(make_task(1, "d", TaskState::kSucceeded)));
  EXPECT_FALSE(store_->active_job(dev).has_value());
  EXPECT_TRUE(store_->put_task(make_task(2, "d", TaskState::kQueued)));
  EXPECT_EQ(store_->active_job(dev), JobId{2});
  // And now the first job cannot become active again.
  EXPECT_FALSE(store_->put_task(make_task(1, "d", TaskState::kQueued)));
  EXPECT_EQ(store_->get_task(1, dev)->state, TaskState::kSucceeded);
}

TEST_F(LmdbStore, InactiveTaskOfAnotherJobLeavesTheIndexAlone) {
  const DeviceKey dev{"prod", "d"};
  ASSERT_TRUE(store_->put_task(make_task(1, "d", TaskState::kQueued)));
  // A "device busy" failure of another job is stored, index untouched.
  Task busy = make_task(2, "d", TaskState::kFailed);
  busy.reason = FailReason::kDeviceBusy;
  EXPECT_TRUE(store_->put_task(busy));
  EXPECT_EQ(store_->get_task(2, dev), busy);
  EXPECT_EQ(store_->active_job(dev), JobId{1});
  // Active indexes are per device.
  EXPECT_TRUE(store_->put_task(make_task(2, "other", TaskState::kQueued)));
  EXPECT_EQ(store_->active_job({"prod", "other"}), JobId{2});
  EXPECT_EQ(store_->active_job(dev), JobId{1});
}

TEST_F(LmdbStore, ActiveIndexSurvivesReopen) {
  ASSERT_TRUE(store_->put_task(make_task(1, "d", TaskState::kConfirm)));
  store_->commit(true);
  reopen();
  EXPECT_EQ(store_->active_job({"prod", "d"}), JobId{1});
  EXPECT_FALSE(store_->put_task(make_task(2, "d", TaskState::kQueued)));
}

TEST_F(LmdbStore, CountsFollowStateChanges) {
  ASSERT_TRUE(store_->put_task(make_task(1, "a", TaskState::kQueued)));
  ASSERT_TRUE(store_->put_task(make_task(1, "b", TaskState::kQueued)));
  ASSERT_TRUE(store_->put_task(make_task(2, "c", TaskState::kQueued)));
  EXPECT_EQ(store_->task_counts(), counts_of({{TaskState::kQueued, 3}}));
  EXPECT_EQ(store_->job_task_counts(1), counts_of({{TaskState::kQueued, 2}}));
  EXPECT_EQ(store_->job_task_counts(2), counts_of({{TaskState::kQueued, 1}}));

  ASSERT_TRUE(store_->put_task(make_task(1, "a", TaskState::kNotified)));
  ASSERT_TRUE(store_->put_task(make_task(1, "a", TaskState::kInProgress)));
  ASSERT_TRUE(store_->put_task(make_task(1, "a", TaskState::kInProgress)));
  ASSERT_TRUE(store_->put_task(make_task(1, "b", TaskState::kFailed)));
  ASSERT_TRUE(store_->put_task(make_task(2, "c", TaskState::kSucceeded)));
  EXPECT_EQ(store_->task_counts(), counts_of({{TaskState::kInProgress, 1},
                                              {TaskState::kFailed, 1},
                                              {TaskState::kSucceeded, 1}}));
  EXPECT_EQ(store_->job_task_counts(1), counts_of({{TaskState::kInProgress, 1},
                                                   {TaskState::kFailed, 1}}));
  EXPECT_EQ(store_->job_task_counts(2),
            counts_of({{TaskState::kSucceeded, 1}}));
  EXPECT_EQ(store_->job_task_counts(3), TaskCounts{});

  store_->commit(false);
  reopen();
  EXPECT_EQ(store_->task_counts(), counts_of({{TaskState::kInProgress, 1},
                                              {TaskState::kFailed, 1},
                                              {TaskState::kSucceeded, 1}}));
}

TEST_F(LmdbStore, TasksOfJobAndOfDevice) {
  ASSERT_TRUE(store_->put_task(make_task(2, "b", TaskState::kQueued)));
  ASSERT_TRUE(store_->put_task(make_task(2, "a", TaskState::kQueued)));
  ASSERT_TRUE(store_->put_task(make_task(1, "a", TaskState::kSucceeded)));
  ASSERT_TRUE(store_->put_task(make_task(3, "a", TaskState::kFailed)));
  ASSERT_TRUE(store_->put_task(make_task(256, "a", TaskState::kFailed)));
  ASSERT_TRUE(store_->put_task(make_task(2, "ab", TaskState::kQueued)));

  std::vector<std::string> of_job;
  store_->for_each_task_of_job(2, [&](const Task& t) {
    EXPECT_EQ(t.job_id, 2u);
    of_job.push_back(t.device.device);
    return true;
  });
  EXPECT_EQ(of_job, (std::vector<std::string>{"a", "ab", "b"}));

  std::vector<JobId> of_device;
  store_->for_each_task_of_device({"prod", "a"}, [&](const Task& t) {
    EXPECT_EQ(t.device.device, "a");
    of_device.push_back(t.job_id);
    return true;
  });
  EXPECT_EQ(of_device, (std::vector<JobId>{1, 2, 3, 256}));

  of_device.clear();
  store_->for_each_task_of_device({"prod", "a"}, [&](const Task& t) {
    of_device.push_back(t.job_id);
    return of_device.size() < 2;
  });
  EXPECT_EQ(of_device, (std::vector<JobId>{1, 2}));
}

TEST_F(LmdbStore, VisitorsMayWriteWhileIterating) {
  for (const char* name : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(store_->put_task(make_task(7, name, TaskState::kQueued)));
  }
  // Canceling a job rewrites every task it visits.
  int visits = 0;
  store_->for_each_task_of_job(7, [&](const Task& t) {
    ++visits;
    Task canceled = t;
    canceled.state = TaskState::kCanceled;
    canceled.history.resize(12, {kNow, TaskState::kCanceled, 0, "grown"});
    EXPECT_TRUE(store_->put_task(canceled));
    return true;
  });
  EXPECT_EQ(visits, 4);
  EXPECT_EQ(store_->task_counts(), counts_of({{TaskState::kCanceled, 4}}));
  EXPECT_FALSE(store_->active_job({"prod", "c"}).has_value());
}

TEST_F(LmdbStore, DueQueueIsEarliestFirstWithLimitAndRemoval) {
  const DueItem late{kNow + 10, DueKind::kTimeout, 1, {"prod", "a"}};
  const DueItem early{kNow - 10, DueKind::kPush, 2, {"prod", "b"}};
  const DueItem negative{-5, DueKind::kPush, 3, {"prod", "c"}};
  const DueItem more_negative{-1000, DueKind::kTimeout, 4, {"prod", "d"}};
  const DueItem at_now{kNow, DueKind::kPush, 5, {"prod", "e"}};
  const DueItem future{kNow + 1000, DueKind::kPush, 6, {"prod", "f"}};
  for (const DueItem& item : {late, early, negative, more_negative, at_now,
                              future}) {
    store_->add_due(item);
  }
  store_->add_due(early);  // repeated: stored once

  EXPECT_EQ(store_->take_due(kNow, 0), std::vector<DueItem>{});
  EXPECT_EQ(store_->take_due(kNow, 2),
            (std::vector<DueItem>{more_negative, negative}));
  EXPECT_EQ(store_->take_due(kNow, 10), (std::vector<DueItem>{early, at_now}));
  EXPECT_EQ(store_->take_due(kNow, 10), std::vector<DueItem>{});
  store_->commit(false);
  reopen();
  EXPECT_EQ(store_->take_due(kNow + 10, 10), std::vector<DueItem>{late});
  EXPECT_EQ(store_->take_due(INT64_MAX, 10), std::vector<DueItem>{future});
  EXPECT_EQ(store_->take_due(INT64_MAX, 10), std::vector<DueItem>{});
}

TEST_F(LmdbStore, DueItemsAtTheSameTimeKeepAllEntries) {
  const DueItem push{kNow, DueKind::kPush, 1, {"prod", "a"}};
  const DueItem timeout{kNow, DueKind::kTimeout, 1, {"prod", "a"}};
  const DueItem other_job{kNow, DueKind::kPush, 2, {"prod", "a"}};
  store_->add_due(timeout);
  store_->add_due(other_job);
  store_->add_due(push);
  EXPECT_EQ(store_->take_due(kNow, 10),
            (std::vector<DueItem>{push, other_job, timeout}));
}

TEST_F(LmdbStore, IdsAreMonotonicAndSurviveReopen) {
  EXPECT_EQ(store_->allocate_package_id(), 1u);
  EXPECT_EQ(store_->allocate_package_id(), 2u);
  EXPECT_EQ(store_->allocate_job_id(), 1u);
  EXPECT_EQ(store_->allocate_package_id(), 3u);
  store_->commit(true);
  reopen();
  EXPECT_EQ(store_->allocate_package_id(), 4u);
  EXPECT_EQ(store_->allocate_job_id(), 2u);
  EXPECT_EQ(store_->allocate_job_id(), 3u);
}

TEST_F(LmdbStore, RefusesAFutureSchemaVersionAndLeavesTheFiles) {
  store_->put_device(make_device("prod", "d"));
  store_->commit(true);
  close();
  const uint64_t newer = kLmdbSchemaVersion + 1;
  raw_put("meta", "schema_version", lmdb_keys::be64(newer));
  const std::string before = read_file(dir_.path() + "/data.mdb");
  ASSERT_FALSE(before.empty());
  try {
    ota::LmdbStore::open(dir_.path(), {});
    FAIL() << "opened a schema " << newer << " database";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()),
              "database " + dir_.path() + " has schema version " + std::to_string(newer) +
                  "; this build understands up to " + std::to_string(kLmdbSchemaVersion) +
                  " (it was written by a newer mosquitto-ota: install that version "
                  "again, or restore a backup of this one)");
  }
  EXPECT_EQ(read_file(dir_.path() + "/data.mdb"), before);
}

TEST_F(LmdbStore, NewStoreRecordsTheCurrentSchemaVersion) {
  store_->put_device(make_device("prod", "d"));
  store_->commit(true);
  const std::string id = store_->store_id();
  close();
  raw_put("meta", "schema_version", lmdb_keys::be64(kLmdbSchemaVersion));  // same value
  reopen();
  EXPECT_TRUE(store_->get_device({"prod", "d"}).has_value());
  EXPECT_TRUE(store_->migrations().empty());
  EXPECT_EQ(store_->store_id(), id);
}

TEST_F(LmdbStore, CorruptRecordsThrowAndLeaveTheStoreUsable) {
  store_->put_device(make_device("prod", "good"));
  ASSERT_TRUE(store_->put_task(make_task(1, "good", TaskState::kQueued)));
  store_->commit(true);
  close();
  const std::string garbage("\x01\x05pr", 4);
  raw_put("devices", lmdb_keys::device_key({"prod", "bad"}), garbage);
  raw_put("packages", lmdb_keys::be64(1), "\x07garbage");
  raw_put("jobs", lmdb_keys::be64(1), "");
  raw_put("tasks", lmdb_keys::task_key(1, {"prod", "good"}), "\x01\xff");
  raw_put("active", lmdb_keys::device_key({"prod", "x"}), "123");
  reopen();

  store_->put_device(make_device("prod", "pending"));
  EXPECT_THROW(
      {
        try {
          store_->get_device({"prod", "bad"});
        } catch (const StoreError& e) {
          EXPECT_EQ(std::string(e.what()).rfind("corrupt device record", 0),
                    0u)
              << e.what();
          throw;
        }
      },
      StoreError);
  EXPECT_THROW(store_->get_package(1), StoreError);
  EXPECT_THROW(store_->get_job(1), StoreError);
  EXPECT_THROW(store_->get_task(1, {"prod", "good"}), StoreError);
  EXPECT_THROW(store_->active_job({"prod", "x"}), StoreError);
  EXPECT_THROW(device_names(*store_, "prod", ""), StoreError);
  // Rewriting a task whose old record is unreadable is refused, unwritten.
  EXPECT_THROW(store_->put_task(make_task(1, "good", TaskState::kFailed)),
               StoreError);
  // Nothing was written by the failed calls, so the batch lives on.
  EXPECT_TRUE(store_->in_transaction());
  EXPECT_TRUE(store_->get_device({"prod", "pending"}).has_value());
  EXPECT_TRUE(store_->get_device({"prod", "good"}).has_value());
  EXPECT_EQ(store_->task_counts(), counts_of({{TaskState::kQueued, 1}}));
}

TEST_F(LmdbStore, ForEachDevicePagesInNameOrderWithinTheProduct) {
  for (const char* name : {"x", "d2", "d10", "d1"}) {
    store_->put_device(make_device("a", name));
  }
  store_->put_device(make_device("ab", "d0"));
  store_->put_device(make_device("b", "a"));
  store_->put_device(make_device("", "empty-product"));

  EXPECT_EQ(device_names(*store_, "a", ""),
            (std::vector<std::string>{"d1", "d10", "d2", "x"}));
  EXPECT_EQ(device_names(*store_, "a", "", 2),
            (std::vector<std::string>{"d1", "d10"}));
  EXPECT_EQ(device_names(*store_, "a", "d10", 2),
            (std::vector<std::string>{"d2", "x"}));
  EXPECT_EQ(device_names(*store_, "a", "d15"),
            (std::vector<std::string>{"d2", "x"}));
  EXPECT_EQ(device_names(*store_, "a", "x"), std::vector<std::string>{});
  EXPECT_EQ(device_names(*store_, "ab", ""), std::vector<std::string>{"d0"});
  EXPECT_EQ(device_names(*store_, "b", ""), std::vector<std::string>{"a"});
  EXPECT_EQ(device_names(*store_, "", ""),
            std::vector<std::string>{"empty-product"});
  EXPECT_EQ(device_names(*store_, "c", ""), std::vector<std::string>{});
  // An `after` longer than any key LMDB can hold still pages correctly.
  EXPECT_EQ(device_names(*store_, "a", "d1" + std::string(600, '0')),
            (std::vector<std::string>{"d2", "x"}));
  EXPECT_EQ(store_->device_count(), 7u);
}

TEST_F(LmdbStore, UnusablePathsGiveAClearError) {
  const std::string file = dir_.path() + "/plain-file";
  std::ofstream(file) << "not a directory";
  try {
    ota::LmdbStore::open(file, {});
    FAIL() << "opened a store in a regular file";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()),
              "store path " + file + " is not a directory");
  }
  const std::string missing = dir_.path() + "/missing/store";
  try {
    ota::LmdbStore::open(missing, {});
    FAIL() << "created two directory levels";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot create store directory " +
                                         missing +
                                         ": No such file or directory");
  }
  const std::string under_file = file + "/store";
  try {
    ota::LmdbStore::open(under_file, {});
    FAIL() << "created a directory under a file";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot create store directory " +
                                         under_file + ": Not a directory");
  }
  // A directory where LMDB's data file should be.
  const std::string blocked = dir_.path() + "/blocked";
  fs::create_directories(blocked + "/data.mdb");
  try {
    ota::LmdbStore::open(blocked, {});
    FAIL() << "opened a store whose data file is a directory";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "cannot open LMDB store in " + blocked + ": ", 0),
              0u)
        << e.what();
  }
}

TEST_F(LmdbStore, CreatesAMissingDirectory) {
  const std::string fresh = dir_.path() + "/fresh";
  auto store = ota::LmdbStore::open(fresh, {});
  store->put_device(make_device("p", "d"));
  store->commit(true);
  EXPECT_TRUE(fs::is_directory(fresh));
  EXPECT_TRUE(fs::exists(fresh + "/data.mdb"));
}

TEST_F(LmdbStore, MapFullAbortsTheBatchAndTheStoreRecovers) {
  LmdbStoreOptions small;
  small.map_size = 256 * 1024;
  reopen(small);
  store_->put_device(make_device("prod", "committed"));
  store_->commit(true);

  // Devices are written back to LMDB when a batch commits
  // (device_cache.h): the batch of the failing write or commit is lost.
  std::string error;
  int written = 0;
  try {
    for (; written < 100000; ++written) {
      Device d = make_device("prod", "dev-" + std::to_string(written));
      d.tags["padding"] = std::string(200, 'p');
      store_->put_device(d);
      if (written % 100 == 99) store_->commit(false);
    }
  } catch (const StoreError& e) {
    error = e.what();
  }
  ASSERT_LT(written, 100000);
  store_->abort();  // what the service does with a failed batch
  EXPECT_NE(error.find("MDB_MAP_FULL"), std::string::npos) << error;
  EXPECT_NE(error.find(dir_.path()), std::string::npos) << error;
  EXPECT_FALSE(store_->in_transaction());

  // The failed batch is gone, the store works on.
  const int lost_from = written - written % 100;
  EXPECT_FALSE(store_->get_device({"prod", "dev-" + std::to_string(lost_from)}).has_value());
  EXPECT_FALSE(store_->get_device({"prod", "dev-" + std::to_string(written)}).has_value());
  EXPECT_TRUE(store_->get_device({"prod", "committed"}).has_value());
  store_->put_device(make_device("prod", "after"));
  store_->commit(true);
  reopen(small);
  // The committed batches before the failing one, and the two others.
  EXPECT_EQ(store_->device_count(), static_cast<uint64_t>(lost_from) + 2u);
}

TEST_F(LmdbStore, OverlongNamesAreRefusedWithoutLosingTheBatch) {
  store_->put_device(make_device("prod", "pending"));
  const std::string huge(600, 'n');
  EXPECT_THROW(store_->put_device(make_device("prod", huge)), StoreError);
  EXPECT_THROW(store_->put_task(make_task(1, huge, TaskState::kQueued)),
               StoreError);
  EXPECT_FALSE(store_->get_device({"prod", huge}).has_value());
  EXPECT_FALSE(store_->active_job({"prod", huge}).has_value());
  EXPECT_TRUE(store_->in_transaction());
  EXPECT_TRUE(store_->get_device({"prod", "pending"}).has_value());
  EXPECT_EQ(store_->task_counts(), TaskCounts{});
}

TEST_F(LmdbStore, NamesWithNulAreRefused) {
  EXPECT_THROW(store_->put_device(make_device("prod", std::string("a\0b", 3))),
               StoreError);
  EXPECT_THROW(store_->put_device(make_device(std::string("p\0", 2), "d")),
               StoreError);
  EXPECT_EQ(store_->device_count(), 0u);
}

// DESIGN.md §8: at most 512 bytes of storage per device-module record,
// measured on the data file, LMDB's own overhead included.
TEST_F(LmdbStore, StorageStaysUnder512BytesPerDevice) {
  constexpr int kDevices = 20000;
  for (int i = 0; i < kDevices; ++i) {
    Device d;
    d.key = {"a1B2c3D4e5F", "sensor-" + std::to_string(1000000 + i)};
    d.modules["default"] = {"1.4.12", kNow};
    d.first_seen = kNow;
    d.last_seen = kNow;
    store_->put_device(d);
    if (i % 1000 == 999) store_->commit(false);
  }
  store_->commit(true);
  close();
  const auto bytes = fs::file_size(dir_.path() + "/data.mdb");
  EXPECT_LE(bytes / kDevices, 512u) << bytes << " bytes";
}

// Device-to-user bindings (the Living app topics): idempotent puts, deletes
// that say whether there was something to delete, listing by user in key
// order, and all of it durable across a reopen.
TEST_F(LmdbStore, BindingsPersistAcrossReopen) {
  const Binding a1{"alice", {"pk", "d1"}}, a2{"alice", {"pk", "d2"}}, b3{"bob", {"pk", "d3"}};
  EXPECT_TRUE(store_->put_binding(a2));
  EXPECT_TRUE(store_->put_binding(a1));
  EXPECT_TRUE(store_->put_binding(b3));
  EXPECT_FALSE(store_->put_binding(a1));  // already bound
  // "alice2" must not show up under "alice": the user is NUL-terminated.
  EXPECT_TRUE(store_->put_binding({"alice2", {"pk", "d9"}}));
  store_->commit(true);
  reopen();

  EXPECT_TRUE(store_->has_binding(a1));
  EXPECT_FALSE(store_->has_binding({"alice", {"pk", "d3"}}));
  EXPECT_FALSE(store_->has_binding({"bob", {"pk2", "d3"}}));
  std::vector<Binding> alice;
  store_->for_each_binding("alice", [&](const Binding& b) {
    alice.push_back(b);
    return true;
  });
  EXPECT_EQ(alice, (std::vector<Binding>{a1, a2}));
  std::vector<std::string> everyone;
  store_->for_each_binding("", [&](const Binding& b) {
    everyone.push_back(b.user + "/" + b.device.device);
    return true;
  });
  EXPECT_EQ(everyone, (std::vector<std::string>{"alice/d1", "alice/d2", "alice2/d9", "bob/d3"}));

  EXPECT_TRUE(store_->delete_binding(a1));
  EXPECT_FALSE(store_->delete_binding(a1));
  store_->commit(true);
  reopen();
  EXPECT_FALSE(store_->has_binding(a1));
  EXPECT_TRUE(store_->has_binding(a2));
}

TEST_F(LmdbStore, BindingWithNulIsRefused) {
  EXPECT_THROW(store_->put_binding({std::string("al\0ice", 6), {"pk", "d1"}}), StoreError);
}

}  // namespace

namespace {

// Devices reach LMDB when the batch commits (device_cache.h): a commit that
// cannot write them back throws, loses the batch whole, and the store and
// its cache work on.
TEST(LmdbStoreDeviceCache, ACommitThatCannotWriteBackLosesTheBatch) {
  TempDir dir;
  LmdbStoreOptions small;
  small.map_size = 256 * 1024;
  auto store = ota::LmdbStore::open(dir.path(), small);
  Device kept{{"prod", "kept"}, {{"app", {"1.0.0", 1}}}, {}, 1, 1};
  store->put_device(kept);
  store->commit(true);
  for (int i = 0; i < 5000; ++i) {
    Device d{{"prod", "dev-" + std::to_string(i)}, {{"app", {"1.0.0", 1}}}, {}, 1, 1};
    d.tags["padding"] = std::string(200, 'p');
    store->put_device(d);
  }
  EXPECT_THROW(store->commit(false), StoreError);
  store->abort();
  EXPECT_FALSE(store->get_device({"prod", "dev-0"}).has_value());
  EXPECT_EQ(store->get_device({"prod", "kept"}), kept);
  EXPECT_EQ(store->device_count(), 1u);
  EXPECT_EQ(store->version_counts("prod", "app"), (std::map<std::string, uint64_t>{{"1.0.0", 1}}));
  // Without the abort too (the service's close() after a failed commit).
  for (int i = 0; i < 5000; ++i) {
    Device d{{"prod", "dev-" + std::to_string(i)}, {{"app", {"2.0.0", 1}}}, {}, 1, 1};
    d.tags["padding"] = std::string(200, 'p');
    store->put_device(d);
  }
  EXPECT_THROW(store->commit(true), StoreError);
  EXPECT_FALSE(store->get_device({"prod", "dev-1"}).has_value());
  store.reset();
  store = ota::LmdbStore::open(dir.path(), small);
  EXPECT_EQ(store->device_count(), 1u);
}

// The cache serves what was written, across commits, and a reopened store
// reads the same records from LMDB.
TEST(LmdbStoreDeviceCache, WrittenBackRecordsEqualCachedOnes) {
  TempDir dir;
  LmdbStoreOptions tiny;
  tiny.device_cache_entries = 2;  // trimmed after most commits
  auto store = ota::LmdbStore::open(dir.path(), tiny);
  std::vector<Device> devices;
  for (int i = 0; i < 5; ++i) {
    devices.push_back(Device{{"prod", "d" + std::to_string(i)}, {{"app", {"1.0.0", 1}}}, {}, 1, 1});
    store->put_device(devices.back());
  }
  EXPECT_EQ(store->device_count(), 5u);  // written back for the count
  devices[3].modules["app"] = {"2.0.0", 2};
  store->put_device(devices[3]);
  devices[3].modules["app"] = {"3.0.0", 3};
  store->put_device(devices[3]);  // one write back for both
  store->commit(false);
  for (const Device& d : devices) EXPECT_EQ(store->get_device(d.key), d);
  EXPECT_EQ(store->version_counts("prod", "app"),
            (std::map<std::string, uint64_t>{{"1.0.0", 4}, {"3.0.0", 1}}));
  store->commit(true);
  store.reset();
  store = ota::LmdbStore::open(dir.path(), tiny);
  for (const Device& d : devices) EXPECT_EQ(store->get_device(d.key), d);
  std::vector<std::string> seen;
  store->for_each_device("prod", "", [&](const Device& d) { return seen.push_back(d.key.device), true; });
  EXPECT_EQ(seen, (std::vector<std::string>{"d0", "d1", "d2", "d3", "d4"}));
}

}  // namespace

namespace {

// take_due() remembers when the first entry is due, so a loop iteration
// with nothing due reads nothing: entries added or aborted afterwards must
// still be found exactly when due.
TEST(LmdbStoreDue, TheRememberedNextTimeFollowsAddsAndAborts) {
  TempDir dir;
  auto store = ota::LmdbStore::open(dir.path(), {});
  const DueItem later{5000, DueKind::kTimeout, 1, {"prod", "a"}};
  store->add_due(later);
  store->commit(false);
  EXPECT_TRUE(store->take_due(1000, 10).empty());  // remembers 5000
  const DueItem sooner{2000, DueKind::kPush, 1, {"prod", "b"}};
  store->add_due(sooner);
  EXPECT_TRUE(store->take_due(1999, 10).empty());
  EXPECT_EQ(store->take_due(2000, 10), std::vector<DueItem>{sooner});
  store->commit(false);
  // An entry of an aborted batch is forgotten, and what was remembered too.
  store->add_due({3000, DueKind::kPush, 1, {"prod", "c"}});
  store->abort();
  EXPECT_TRUE(store->take_due(4999, 10).empty());
  EXPECT_EQ(store->take_due(5000, 10), std::vector<DueItem>{later});
  EXPECT_TRUE(store->take_due(1'000'000, 10).empty());  // none left
  store->add_due(sooner);
  EXPECT_EQ(store->take_due(1'000'000, 10), std::vector<DueItem>{sooner});
  // Stopped at the limit: the rest is still found.
  for (int i = 0; i < 3; ++i) store->add_due({100 + i, DueKind::kPush, 1, {"prod", "d"}});
  EXPECT_EQ(store->take_due(1000, 2).size(), 2u);
  EXPECT_EQ(store->take_due(1000, 2).size(), 1u);
}

}  // namespace

namespace {

// Jobs, packages and tasks are kept decoded (record_cache.h): what an
// aborted batch wrote must not be read back from the cache, and what a
// committed one wrote must equal what LMDB holds after a reopen.
TEST(LmdbStoreRecordCache, AbortedWritesAreNotReadBack) {
  TempDir dir;
  auto store = ota::LmdbStore::open(dir.path(), {});
  Job job;
  job.id = store->allocate_job_id();
  job.package_id = 7;
  Package package;
  package.id = 7;
  package.version = "2.0.0";
  store->put_job(job);
  store->put_package(package);
  ASSERT_TRUE(store->put_task(make_task(job.id, "a", TaskState::kNotified)));
  store->commit(false);

  Job changed = job;
  changed.state = JobState::kPaused;
  store->put_job(changed);
  Package renamed = package;
  renamed.version = "3.0.0";
  store->put_package(renamed);
  ASSERT_TRUE(store->put_task(make_task(job.id, "a", TaskState::kInProgress)));
  EXPECT_EQ(store->get_job(job.id)->state, JobState::kPaused);  // the batch sees itself
  store->abort();
  EXPECT_EQ(store->get_job(job.id), job);
  EXPECT_EQ(store->get_package(7), package);
  EXPECT_EQ(store->get_task(job.id, {"prod", "a"})->state, TaskState::kNotified);
  EXPECT_EQ(store->job_task_counts(job.id)[static_cast<int>(TaskState::kNotified)], 1u);

  EXPECT_TRUE(store->delete_package(7));
  EXPECT_FALSE(store->get_package(7).has_value());
  ASSERT_TRUE(store->put_task(make_task(job.id, "a", TaskState::kSucceeded)));
  store->commit(true);
  store.reset();
  store = ota::LmdbStore::open(dir.path(), {});
  EXPECT_FALSE(store->get_package(7).has_value());
  EXPECT_EQ(store->get_task(job.id, {"prod", "a"})->state, TaskState::kSucceeded);
  EXPECT_FALSE(store->active_job({"prod", "a"}).has_value());
}

}  // namespace

namespace {

// Progress within a state is written back with the batch: scans, commits
// and reopens see it; an abort forgets it.
TEST(LmdbStoreRecordCache, ProgressWithinAStateIsWrittenBackWithTheBatch) {
  TempDir dir;
  auto store = ota::LmdbStore::open(dir.path(), {});
  Task task = make_task(1, "a", TaskState::kInProgress);
  ASSERT_TRUE(store->put_task(task));
  store->commit(false);
  task.step = 40;
  ASSERT_TRUE(store->put_task(task));
  store->abort();
  EXPECT_EQ(store->get_task(1, {"prod", "a"})->step, 0);
  task.step = 50;
  ASSERT_TRUE(store->put_task(task));
  EXPECT_TRUE(store->in_transaction());  // the write belongs to the open batch
  std::vector<int32_t> steps;
  store->for_each_task_of_job(1, [&](const Task& t) { return steps.push_back(t.step), true; });
  EXPECT_EQ(steps, std::vector<int32_t>{50});
  task.step = 60;
  ASSERT_TRUE(store->put_task(task));
  store->commit(true);
  store.reset();
  store = ota::LmdbStore::open(dir.path(), {});
  EXPECT_EQ(store->get_task(1, {"prod", "a"}), task);
  EXPECT_EQ(store->job_task_counts(1)[static_cast<int>(TaskState::kInProgress)], 1u);
}

}  // namespace
