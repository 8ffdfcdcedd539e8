// A newer plugin opens a database written by an older schema: it migrates
// it at start and serves its devices and jobs; a database of a newer schema
// stops the broker with a clear message and is left as it was.
#include <gtest/gtest.h>
#include <lmdb.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "aliyun_device.h"
#include "broker_process.h"
#include "control_client.h"
#include "json.h"
#include "ota_api.h"

namespace ota::test {
namespace {

namespace fs = std::filesystem;

// The broker's database starts as a copy of the schema 1 fixture
// (tests/fixtures/README.md: devices d1..d3 of pk1, job 1 with d1 at step
// 40 and d2 succeeded).
std::unique_ptr<BrokerProcess> broker_on_schema1_fixture() {
  auto broker = std::make_unique<BrokerProcess>();
  fs::copy_file(fs::path(OTA_FIXTURES_DIR) / "schema-v1" / "data.mdb",
                fs::path(broker->db_path()) / "data.mdb");
  fs::permissions(fs::path(broker->db_path()) / "data.mdb",
                  fs::perms::owner_read | fs::perms::owner_write);
  return broker;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Overwrites meta "schema_version" of the (closed) database in `dir`.
void set_schema_version(const std::string& dir, uint64_t version) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  ASSERT_EQ(mdb_env_set_maxdbs(env, 16), 0);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0600), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi;
  ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
  char be[8];
  for (int i = 0; i < 8; ++i) be[i] = static_cast<char>(version >> (56 - 8 * i));
  std::string key = "schema_version";
  MDB_val k{key.size(), key.data()};
  MDB_val v{sizeof(be), be};
  ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

TEST(SchemaUpgrade, PluginMigratesASchema1DatabaseAtStartAndServesIt) {
  auto broker = broker_on_schema1_fixture();
  ASSERT_EQ(broker->start(), "") << "the plugin refused the schema 1 database";
  ControlClient admin;
  ASSERT_TRUE(admin.connect(broker->port()));
  OtaApi api(admin);

  JsonPtr job = api.get_job(1);
  ASSERT_TRUE(job);
  EXPECT_EQ(json_string_at(job.get(), "state"), "running") << json_text(job.get());
  EXPECT_EQ(json_int_at(job.get(), "taskCount"), 2) << json_text(job.get());
  EXPECT_EQ(job_count(job.get(), "SUCCEEDED"), 1) << json_text(job.get());
  JsonPtr d3 = api.get_device("pk1", "d3");
  ASSERT_TRUE(d3);
  EXPECT_EQ(json_string_at(d3.get(), "modules/default/version"), "2.0.0") << json_text(d3.get());
  EXPECT_EQ(json_string_at(d3.get(), "modules/wifi/version"), "0.9") << json_text(d3.get());
  JsonPtr stats = api.run("getStatistics", "{\"product\":\"pk1\"}", "statistics");
  ASSERT_TRUE(stats);
  const std::string store_id = json_string_at(stats.get(), "storeId").value_or("");
  EXPECT_EQ(store_id.size(), 32u) << json_text(stats.get());

  // The migrated due queue runs: d1's deadline (in the fixture's past) has
  // passed, so its task times out, after the fixture's own history.
  JsonPtr d1_task = api.wait_task(
      "pk1", "d1", 1,
      [](const json_t* t) { return json_string_at(t, "state") != "IN_PROGRESS"; },
      "d1's task timed out");
  ASSERT_TRUE(d1_task);
  EXPECT_EQ(json_string_at(d1_task.get(), "history/0/state"), "QUEUED") << json_text(d1_task.get());
  EXPECT_EQ(json_string_at(d1_task.get(), "history/2/state"), "IN_PROGRESS")
      << json_text(d1_task.get());
  EXPECT_EQ(json_int_at(d1_task.get(), "history/2/step"), 40) << json_text(d1_task.get());

  // New ids follow the migrated ones, and a new campaign runs to the end.
  PackageSpec next;
  next.version = "3.0.0";
  JsonPtr package = api.create_package(next);
  ASSERT_TRUE(package);
  EXPECT_EQ(json_int_at(package.get(), "id"), 2) << json_text(package.get());
  AliyunDevice d3_device("pk1", "d3");
  ASSERT_TRUE(d3_device.connect(broker->port()));
  ASSERT_TRUE(d3_device.report_version("2.0.0"));
  JsonPtr job2 = api.create_job(2, {"d3"});
  ASSERT_TRUE(job2);
  EXPECT_EQ(json_int_at(job2.get(), "id"), 2) << json_text(job2.get());
  ASSERT_TRUE(d3_device.wait_upgrade());
  ASSERT_TRUE(d3_device.report_version("3.0.0"));
  ASSERT_TRUE(api.wait_job_state(2, "completed"));

  // Restarted, the database is current: same identity.
  admin.disconnect();
  ASSERT_EQ(broker->restart(), "");
  ControlClient again;
  ASSERT_TRUE(again.connect(broker->port()));
  OtaApi api2(again);
  JsonPtr stats2 = api2.run("getStatistics", "{\"product\":\"pk1\"}", "statistics");
  ASSERT_TRUE(stats2);
  EXPECT_EQ(json_string_at(stats2.get(), "storeId"), store_id);
}

TEST(SchemaUpgrade, ANewerSchemaStopsTheBrokerAndLeavesTheDatabase) {
  auto broker = broker_on_schema1_fixture();
  set_schema_version(broker->db_path(), 99);
  const std::string before = read_file(broker->db_path() + "/data.mdb");
  BrokerExit exit = broker->start_expect_failure();
  ASSERT_TRUE(exit.exited) << "the broker ran on a schema 99 database";
  EXPECT_NE(exit.output.find("has schema version 99; this build understands up to"),
            std::string::npos)
      << exit.output;
  EXPECT_NE(exit.output.find("written by a newer mosquitto-ota"), std::string::npos)
      << exit.output;
  EXPECT_EQ(read_file(broker->db_path() + "/data.mdb"), before);
}

}  // namespace
}  // namespace ota::test
