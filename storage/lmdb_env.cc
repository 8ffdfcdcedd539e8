#include "storage/lmdb_env.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "storage/lmdb_keys.h"
#include "storage/schema_migration.h"

namespace ota {
namespace {

constexpr size_t kTables = static_cast<size_t>(LmdbTable::kCount);
constexpr const char* kDbNames[kTables] = {
    "meta", "devices",      "packages", "jobs",
    "tasks", "device_tasks", "active",  "due", "products", "bindings",
    "version_counts",
};

const char* name_of(LmdbTable db) { return kDbNames[static_cast<size_t>(db)]; }

// Owner-only: the store holds download URLs and signatures.
constexpr mode_t kDirMode = 0700;
constexpr mdb_mode_t kFileMode = 0600;

MDB_val to_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view to_view(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

void make_directory(const std::string& dir) {
  if (dir.empty()) throw StoreError("store directory is not set");
  if (::mkdir(dir.c_str(), kDirMode) != 0 && errno != EEXIST) {
    throw StoreError("cannot create store directory " + dir + ": " +
                     std::strerror(errno));
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    throw StoreError("cannot access store directory " + dir + ": " +
                     std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw StoreError("store path " + dir + " is not a directory");
  }
}

}  // namespace

uint64_t decode_u64(std::string_view bytes, std::string_view what) {
  if (bytes.size() != 8) {
    throw StoreError("corrupt " + std::string(what) + ": " +
                     std::to_string(bytes.size()) + " bytes, expected 8");
  }
  return lmdb_keys::read_be64(bytes, 0);
}

// The meta database as schema_migration.cc sees it.
class LmdbEnv::MetaTxn final : public SchemaTxn {
 public:
  explicit MetaTxn(LmdbEnv& env) : env_(env) {}
  std::optional<std::string> get_meta(std::string_view key) override {
    auto v = env_.get(LmdbTable::kMeta, key);
    return v ? std::optional<std::string>(*v) : std::nullopt;
  }
  void put_meta(std::string_view key, std::string_view value) override {
    env_.put(LmdbTable::kMeta, key, value);
  }

 private:
  LmdbEnv& env_;
};

LmdbEnv::~LmdbEnv() {
  abort();
  if (env_ == nullptr) return;
  // A clean close should not leave commits waiting for a sync that no
  // one will call; errors here have nowhere to go.
  if (unsynced_) mdb_env_sync(env_, 1);
  mdb_env_close(env_);
}

void LmdbEnv::open(size_t map_size) {
  make_directory(dir_);
  int rc = mdb_env_create(&env_);
  if (rc != 0) {
    env_ = nullptr;
    fail_open(rc);
  }
  if ((rc = mdb_env_set_maxdbs(env_, kTables)) != 0 ||
      (rc = mdb_env_set_mapsize(env_, map_size)) != 0 ||
      (rc = mdb_env_open(env_, dir_.c_str(), MDB_NOSYNC, kFileMode)) != 0) {
    fail_open(rc);
  }
  max_key_ = static_cast<size_t>(mdb_env_get_maxkeysize(env_));
  for (size_t db = 0; db < kTables; ++db) {
    check(mdb_dbi_open(txn(), kDbNames[db], MDB_CREATE, &dbis_[db]),
          std::string("open database ") + kDbNames[db]);
  }
  check_schema();
  // Commit even when nothing changed: the database handles outlive the
  // transaction only if it commits.
  wrote_ = true;
  commit(/*durable=*/true);
}

MDB_txn* LmdbEnv::txn() {
  if (txn_ == nullptr) {
    check(mdb_txn_begin(env_, nullptr, 0, &txn_), "begin transaction");
    ++txn_serial_;
  }
  return txn_;
}

void LmdbEnv::commit(bool durable) {
  if (txn_ != nullptr && !wrote_) {
    abort();  // nothing to commit, so nothing to sync either
  } else if (txn_ != nullptr) {
    MDB_txn* txn = std::exchange(txn_, nullptr);
    wrote_ = false;
    // mdb_txn_commit frees the transaction even when it fails.
    int rc = mdb_txn_commit(txn);
    if (rc != 0) throw error(rc, "commit");
    unsynced_ = true;
  }
  if (durable && unsynced_) sync();
}

void LmdbEnv::abort() {
  if (txn_ == nullptr) return;
  mdb_txn_abort(std::exchange(txn_, nullptr));
  wrote_ = false;
}

void LmdbEnv::sync() {
  int rc = mdb_env_sync(env_, 1);
  if (rc != 0) throw error(rc, "sync");
  unsynced_ = false;
}

std::optional<std::string_view> LmdbEnv::get(LmdbTable db, std::string_view key) {
  if (key.size() > max_key_) return std::nullopt;  // cannot be stored
  MDB_val k = to_val(key);
  MDB_val v;
  int rc = mdb_get(txn(), dbi(db), &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  check(rc, "read");
  return to_view(v);
}

void LmdbEnv::check_key(std::string_view key) const {
  if (key.size() > max_key_) {
    throw StoreError("key of " + std::to_string(key.size()) +
                     " bytes exceeds LMDB's limit of " +
                     std::to_string(max_key_));
  }
}

void LmdbEnv::put(LmdbTable db, std::string_view key, std::string_view value) {
  check_key(key);
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  check(mdb_put(txn(), dbi(db), &k, &v, 0), std::string("write to ") + name_of(db));
  wrote_ = true;
}

bool LmdbEnv::del(LmdbTable db, std::string_view key) {
  if (key.size() > max_key_) return false;
  MDB_val k = to_val(key);
  int rc = mdb_del(txn(), dbi(db), &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, std::string("delete from ") + name_of(db));
  wrote_ = true;
  return true;
}

uint64_t LmdbEnv::entries(LmdbTable db) {
  MDB_stat st;
  check(mdb_stat(txn(), dbi(db), &st), "stat");
  return st.ms_entries;
}

uint64_t LmdbEnv::get_u64(std::string_view meta_key, uint64_t missing) {
  auto bytes = get(LmdbTable::kMeta, meta_key);
  return bytes ? decode_u64(*bytes, "meta " + std::string(meta_key)) : missing;
}

void LmdbEnv::put_u64(std::string_view meta_key, uint64_t v) {
  put(LmdbTable::kMeta, meta_key, lmdb_keys::be64(v));
}

bool LmdbEnv::seek(LmdbTable db, std::string_view from, bool skip_from, std::string& key,
                   std::string& value) {
  MDB_cursor* cursor = nullptr;
  check(mdb_cursor_open(txn(), dbi(db), &cursor), "open cursor");
  MDB_val k = to_val(from.substr(0, max_key_));
  MDB_val v;
  int rc = from.empty() ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
                        : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  // Only an over-long `from` (truncated above) can land before it.
  while (rc == 0 && (to_view(k) < from || (skip_from && to_view(k) == from))) {
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  if (rc == 0) {
    key.assign(to_view(k));
    value.assign(to_view(v));
  }
  // Close before check(): aborting the transaction frees its cursors.
  mdb_cursor_close(cursor);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, std::string("scan ") + name_of(db));
  return true;
}

// The schema version is checked, and an older one migrated, in the
// transaction that open() commits: a refused or failed migration leaves
// the files as they were.
void LmdbEnv::check_schema() {
  auto bytes = get(LmdbTable::kMeta, lmdb_keys::kSchemaVersionKey);
  uint64_t version = 1;  // a new database starts empty at schema 1
  if (bytes) {
    version = decode_u64(*bytes, "schema version");
  } else {
    created_ = true;
  }
  if (version > kLmdbSchemaVersion) {
    abort();  // leaves the files as they were
    throw StoreError("database " + dir_ + " has schema version " +
                     std::to_string(version) +
                     "; this build understands up to " +
                     std::to_string(kLmdbSchemaVersion) +
                     " (it was written by a newer mosquitto-ota: install "
                     "that version again, or restore a backup of this one)");
  }
  if (version < 1) {
    abort();
    throw StoreError("database " + dir_ + " has invalid schema version " +
                     std::to_string(version));
  }
  if (version == kLmdbSchemaVersion && bytes) return;
  MetaTxn txn(*this);
  migrations_ = migrate_schema(txn, version);
  if (created_) migrations_.clear();  // nothing was migrated
  put_u64(lmdb_keys::kSchemaVersionKey, kLmdbSchemaVersion);
}

StoreError LmdbEnv::error(int rc, std::string_view what) const {
  return StoreError("LMDB " + std::string(what) + " failed in " + dir_ + ": " +
                    mdb_strerror(rc));
}

void LmdbEnv::check(int rc, std::string_view what) {
  if (rc == 0) return;
  abort();
  ++failures_;
  throw error(rc, what);
}

void LmdbEnv::fail_open(int rc) {
  throw StoreError("cannot open LMDB store in " + dir_ + ": " + mdb_strerror(rc));
}

}  // namespace ota
