// Hot backup and restore (docs/operations.md): mdb_copy of the database of a
// running broker, while devices keep writing, then a second broker on the
// copy serves the same devices and jobs, and its tasks go on.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "dialect_support.h"
#include "ota_fixture.h"

namespace ota::test {
namespace {

namespace fs = std::filesystem;
using dialect_test::stored_view;

using BackupRestoreTest = OtaBrokerTest;

std::string store_id(OtaApi& api) {
  JsonPtr stats = api.run("getStatistics", "{\"product\":\"pk1\"}", "statistics");
  return stats ? json_string_at(stats.get(), "storeId").value_or("") : "";
}

TEST_F(BackupRestoreTest, HotBackupWithMdbCopyServesTheSameDevicesAndJobs) {
  if (std::system("command -v mdb_copy >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "mdb_copy (Debian's lmdb-utils) is not installed";
  }
  auto d1 = device("pk1", "d1", "1.0.0");
  auto d2 = device("pk1", "d2", "1.0.0");
  long long job_id = start_job(PackageSpec{}, {"d1", "d2"});
  ASSERT_GT(job_id, 0);
  ASSERT_TRUE(d1->wait_upgrade());
  ASSERT_TRUE(d2->wait_upgrade());
  ASSERT_TRUE(d1->report_progress("\"50\"", "downloading"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", job_id,
                              [](const json_t* t) { return json_int_at(t, "step") == 50; },
                              "step 50"));
  ASSERT_TRUE(d2->report_version("2.0.0"));
  ASSERT_TRUE(api().wait_task_state("pk1", "d2", job_id, "SUCCEEDED"));
  JsonPtr dev1 = api().get_device("pk1", "d1");
  JsonPtr dev2 = api().get_device("pk1", "d2");
  JsonPtr job = api().get_job(job_id);
  ASSERT_TRUE(dev1 && dev2 && job);
  const std::string id = store_id(api());
  ASSERT_EQ(id.size(), 32u);

  // The backup, while another device keeps reporting (write transactions
  // run during the copy; mdb_copy reads one consistent snapshot).
  const std::string backup = broker().dir() + "/backup";
  ASSERT_EQ(::mkdir(backup.c_str(), 0700), 0);
  auto busy = device("pk1", "busy", "0.1");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) (void)busy->report_version("0." + std::to_string(i % 50));
  });
  const std::string copy = "mdb_copy " + broker().db_path() + " " + backup;
  const int rc = std::system(copy.c_str());
  stop = true;
  writer.join();
  ASSERT_EQ(rc, 0) << copy;
  // The URL secret lives beside the database; the backup takes it too.
  if (fs::exists(broker().db_path() + "/url-secret")) {
    fs::copy_file(broker().db_path() + "/url-secret", backup + "/url-secret");
  }
  ASSERT_TRUE(broker().running());

  // A change after the backup is not in it.
  ASSERT_TRUE(d1->report_progress("\"80\"", "downloading"));
  ASSERT_TRUE(api().wait_task("pk1", "d1", job_id,
                              [](const json_t* t) { return json_int_at(t, "step") == 80; },
                              "step 80"));

  // Restore: a broker on the copy.
  BrokerOptions restored_options;
  restored_options.plugin_opts["db_path"] = backup;
  BrokerProcess restored(restored_options);
  ASSERT_EQ(restored.start(), "") << "no broker on the restored copy";
  ControlClient admin;
  ASSERT_TRUE(admin.connect(restored.port()));
  OtaApi restored_api(admin);
  JsonPtr r1 = restored_api.get_device("pk1", "d1");
  JsonPtr r2 = restored_api.get_device("pk1", "d2");
  JsonPtr rjob = restored_api.get_job(job_id);
  ASSERT_TRUE(r1 && r2 && rjob);
  EXPECT_EQ(stored_view(r1.get()), stored_view(dev1.get()));
  EXPECT_EQ(stored_view(r2.get()), stored_view(dev2.get()));
  EXPECT_EQ(stable_job_text(rjob.get()), stable_job_text(job.get()));
  EXPECT_EQ(store_id(restored_api), id) << "a restored copy is the same store";

  // The restored task goes on: d1 finishes on the restored broker.
  AliyunDevice d1_again("pk1", "d1");
  ASSERT_TRUE(d1_again.connect(restored.port()));
  ASSERT_TRUE(d1_again.report_version("2.0.0"));
  JsonPtr done = restored_api.wait_job_state(job_id, "completed");
  ASSERT_TRUE(done);
  EXPECT_EQ(job_count(done.get(), "SUCCEEDED"), 2) << json_text(done.get());
}

}  // namespace
}  // namespace ota::test
