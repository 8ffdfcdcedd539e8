// Schema upgrades: a database written by an older schema (the committed
// fixtures, tests/fixtures/README.md) opens with the current code, is
// migrated once, and serves the same content.
#include "storage/schema_migration.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "storage/lmdb_store.h"
#include "store_fixture_content.h"

namespace {

using namespace ota;  // NOLINT
namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A copy of the fixture of `schema` in a fresh directory, removed after.
class FixtureCopy {
 public:
  explicit FixtureCopy(int schema) {
    char pattern[] = "/tmp/schema_migration_test.XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = made;
    source_ = fs::path(OTA_FIXTURES_DIR) / ("schema-v" + std::to_string(schema)) / "data.mdb";
    fs::copy_file(source_, dir_ / "data.mdb");
    fs::permissions(dir_ / "data.mdb", fs::perms::owner_read | fs::perms::owner_write);
  }
  ~FixtureCopy() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string dir() const { return dir_.string(); }
  const fs::path& source() const { return source_; }

 private:
  fs::path dir_;
  fs::path source_;
};

bool is_hex_id(const std::string& id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Everything make_store_fixture wrote, read back through the Store API.
void expect_fixture_content(LmdbStore& store) {
  for (const Device& d : fixture::devices()) EXPECT_EQ(store.get_device(d.key), d);
  EXPECT_EQ(store.device_count(), fixture::devices().size());
  EXPECT_EQ(store.get_package(1), fixture::package());
  EXPECT_EQ(store.get_job(1), fixture::job());
  for (const Task& t : fixture::tasks()) EXPECT_EQ(store.get_task(1, t.device), t);
  EXPECT_EQ(store.active_job({"pk1", "d1"}), JobId{1});
  EXPECT_EQ(store.active_job({"pk1", "d2"}), std::nullopt);
  TaskCounts counts{};
  counts[static_cast<size_t>(TaskState::kInProgress)] = 1;
  counts[static_cast<size_t>(TaskState::kSucceeded)] = 1;
  EXPECT_EQ(store.task_counts(), counts);
  EXPECT_EQ(store.job_task_counts(1), counts);
  EXPECT_TRUE(store.has_binding(fixture::binding()));
  EXPECT_EQ(store.take_due(fixture::due().at, 10), std::vector<DueItem>{fixture::due()});
  EXPECT_EQ(store.allocate_package_id(), 2u);
  EXPECT_EQ(store.allocate_job_id(), 2u);
  store.abort();  // the reads above took the due item and ids: keep the copy as it was
}

TEST(SchemaMigration, TheStepsEndAtTheCurrentVersion) {
  ASSERT_FALSE(schema_steps().empty());
  uint64_t expect = 2;
  for (const SchemaStep& step : schema_steps()) EXPECT_EQ(step.to, expect++);
  EXPECT_EQ(schema_steps().back().to, kLmdbSchemaVersion);
}

TEST(SchemaMigration, Schema1FixtureIsMigratedOnceAndKeepsItsContent) {
  FixtureCopy copy(1);
  const std::string fixture_before = read_file(copy.source());
  std::string id;
  {
    auto store = LmdbStore::open(copy.dir(), {});
    EXPECT_EQ(store->migrations(),
              std::vector<std::string>{"schema 1 -> 2: store identity (meta store_id)"});
    id = store->store_id();
    EXPECT_TRUE(is_hex_id(id)) << id;
    expect_fixture_content(*store);
  }
  {
    auto store = LmdbStore::open(copy.dir(), {});
    EXPECT_TRUE(store->migrations().empty()) << "migrated twice";
    EXPECT_EQ(store->store_id(), id) << "the identity must survive a restart";
    expect_fixture_content(*store);
  }
  EXPECT_EQ(read_file(copy.source()), fixture_before) << "the test changed the committed fixture";
}

TEST(SchemaMigration, NewStoresStartAtTheCurrentSchemaWithTheirOwnIdentity) {
  FixtureCopy a(1), b(1);
  fs::remove(fs::path(a.dir()) / "data.mdb");
  fs::remove(fs::path(b.dir()) / "data.mdb");
  auto first = LmdbStore::open(a.dir(), {});
  auto second = LmdbStore::open(b.dir(), {});
  EXPECT_TRUE(first->migrations().empty());
  EXPECT_TRUE(is_hex_id(first->store_id()));
  EXPECT_TRUE(is_hex_id(second->store_id()));
  EXPECT_NE(first->store_id(), second->store_id());
}

// A store that already has an identity keeps it through the step (a store
// restored from a backup is the same store).
TEST(SchemaMigration, StoreIdStepKeepsAnExistingIdentity) {
  struct Meta final : SchemaTxn {
    std::map<std::string, std::string, std::less<>> values;
    std::optional<std::string> get_meta(std::string_view key) override {
      auto it = values.find(key);
      return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    void put_meta(std::string_view key, std::string_view value) override {
      values[std::string(key)] = std::string(value);
    }
  } meta;
  meta.values[std::string(kStoreIdKey)] = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(migrate_schema(meta, 1).size(), 1u);
  EXPECT_EQ(meta.values[std::string(kStoreIdKey)], "0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(migrate_schema(meta, kLmdbSchemaVersion).empty());
}

}  // namespace
