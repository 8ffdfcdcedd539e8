// The LMDB environment under LmdbStore: its databases, the one open write
// transaction, and every LMDB call, so that each failure aborts that
// transaction and becomes a StoreError naming the directory. LmdbStore
// (lmdb_store.cc) decides what is written where; this file only how.
#pragma once

#include <lmdb.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/store.h"

namespace ota {

// The named databases of the environment (kDbNames in lmdb_env.cc).
enum class LmdbTable : size_t {
  kMeta,
  kDevices,
  kPackages,
  kJobs,
  kTasks,
  kDeviceTasks,
  kActive,
  kDue,
  kProducts,
  kBindings,
  kVersionCounts,
  kCount,
};

// An 8-byte big-endian number; a StoreError naming `what` otherwise.
uint64_t decode_u64(std::string_view bytes, std::string_view what);

class LmdbEnv {
 public:
  explicit LmdbEnv(std::string dir) : dir_(std::move(dir)) {}
  // Aborts an open transaction, syncs what was committed, and closes.
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  // Creates the directory (owner-only) and the databases if missing, and
  // checks (or migrates) the schema, in one transaction it commits.
  // `map_size`: the largest the database may grow (address space, not disk).
  void open(size_t map_size);

  // Which transaction is open: state kept beside it (the pending version
  // counts) belongs to this one only.
  uint64_t txn_serial() {
    txn();
    return txn_serial_;
  }
  bool in_transaction() const { return txn_ != nullptr; }
  // Opens the transaction a write outside LMDB (the device cache) joins.
  void begin() { txn(); }
  // Transactions aborted on an error so far: state kept beside one (the
  // device cache) is void after it.
  uint64_t failures() const { return failures_; }
  bool created() const { return created_; }
  const std::vector<std::string>& migrations() const { return migrations_; }

  // Commits the open transaction (none that wrote nothing), and with
  // `durable` flushes every commit so far to disk.
  void commit(bool durable);
  void abort();
  void sync();

  // The value is valid until the next write of this transaction.
  std::optional<std::string_view> get(LmdbTable db, std::string_view key);
  // Refuses a key LMDB could not store, before anything is written, so a
  // device with an absurdly long name fails alone and not its whole batch.
  void check_key(std::string_view key) const;
  void put(LmdbTable db, std::string_view key, std::string_view value);
  bool del(LmdbTable db, std::string_view key);  // false: there was none
  uint64_t entries(LmdbTable db);
  uint64_t get_u64(std::string_view meta_key, uint64_t missing);
  void put_u64(std::string_view meta_key, uint64_t v);

  // Calls fn(key, value) for the keys starting with `prefix` in order,
  // beginning strictly after `after` if it is not empty (it must start with
  // `prefix`), until fn returns false. fn gets copies and may write to the
  // store or even commit: no cursor is held while it runs, each step seeks
  // afresh past the previous key.
  template <typename Fn>
  void scan(LmdbTable db, std::string_view prefix, std::string_view after, Fn&& fn) {
    std::string from(after.empty() ? prefix : after);
    bool skip_from = !after.empty();
    std::string key;
    std::string value;
    while (seek(db, from, skip_from, key, value) && key.starts_with(prefix)) {
      if (!fn(std::string_view(key), std::string_view(value))) return;
      std::swap(from, key);
      skip_from = true;
    }
  }

 private:
  class MetaTxn;

  MDB_txn* txn();
  MDB_dbi dbi(LmdbTable db) const { return dbis_[static_cast<size_t>(db)]; }
  // Copies out the first entry at or (with skip_from) after `from`.
  bool seek(LmdbTable db, std::string_view from, bool skip_from, std::string& key,
            std::string& value);
  void check_schema();
  StoreError error(int rc, std::string_view what) const;
  // A failed call aborts the transaction: nothing of it may be committed.
  void check(int rc, std::string_view what);
  [[noreturn]] void fail_open(int rc);

  std::string dir_;
  MDB_env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  MDB_dbi dbis_[static_cast<size_t>(LmdbTable::kCount)] = {};
  size_t max_key_ = 0;
  bool created_ = false;   // open() made a new database
  std::vector<std::string> migrations_;  // schema steps open() ran
  uint64_t txn_serial_ = 0;
  uint64_t failures_ = 0;
  bool wrote_ = false;     // the open transaction has written something
  bool unsynced_ = false;  // a commit has not been synced yet
};

}  // namespace ota
