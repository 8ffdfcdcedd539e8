// The control commands the web console relies on beyond the basic set:
// listTasks (a job's tasks by state, paged), listProducts, and the
// compliance figures of getStatistics, over a real LmdbStore and engine.
#include <gtest/gtest.h>

#include "control/control_api.h"
#include "engine/compliance.h"
#include "json/json_util.h"
#include "storage/lmdb_store.h"
#include "temp_dir.h"

namespace ota {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;

class ConsoleCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = LmdbStore::open(tmp_.sub("db"), {});
    engine_ = std::make_unique<Engine>(*store_, EngineOptions{});
    Outbox out;
    for (const char* d : {"d1", "d2", "d3", "d4", "d5"}) {
      engine_->on_version_report({{"pk", d}, "default", "1.0.0"}, kT0, out);
    }
    engine_->on_version_report({{"pk", "d5"}, "wifi", "0.9"}, kT0, out);
    PackageSpec spec;
    spec.product = "pk";
    spec.version = "2.0.0";
    spec.url = "https://fw.example/2.bin";
    spec.size = 1000;
    spec.sign = "93230c3bde425a9d93230c3bde425a9d";
    Result<Package> p = engine_->create_package(spec, kT0);
    ASSERT_TRUE(p.ok()) << p.error();
    JobSpec job;
    job.package_id = p.value().id;
    job.devices = {"d1", "d2", "d3", "d4"};
    Result<Job> j = engine_->create_job(job, kT0);
    ASSERT_TRUE(j.ok()) << j.error();
    job_ = j.value().id;
    engine_->run_due(kT0, out);
    engine_->on_version_report({{"pk", "d1"}, "default", "2.0.0"}, kT0 + 10, out);
    ProgressReport failed;
    failed.device = {"pk", "d2"};
    failed.step = -2;
    engine_->on_progress_report(failed, kT0 + 10, out);
    store_->commit(true);
  }

  std::string run(const std::string& cmds) {
    CommandContext ctx{*engine_, *store_, kT0 + 20, nullptr, {"aliyun", "tencent"}, nullptr};
    return handle_control_payload(R"({"commands":[)" + cmds + "]}", ctx, true).response;
  }

  test::TempDir tmp_;
  std::unique_ptr<LmdbStore> store_;
  std::unique_ptr<Engine> engine_;
  JobId job_ = 0;
};

std::string names_of(const std::string& response, const char* list) {
  std::string error, names;
  json::JsonPtr j = json::parse(response, &error);
  json_t* items =
      json_object_get(json_object_get(json_array_get(json_object_get(j.get(), "responses"), 0),
                                      "data"),
                      list);
  size_t i;
  json_t* item;
  json_array_foreach(items, i, item) {
    json_t* name = json_object_get(item, "device");
    if (!name) name = json_object_get(item, "product");
    names += (names.empty() ? "" : ",") + std::string(json_string_value(name));
  }
  return names;
}

TEST_F(ConsoleCommandsTest, ListTasksFiltersByStateAndPages) {
  EXPECT_EQ(names_of(run(R"({"command":"listTasks","jobId":1})"), "tasks"), "d1,d2,d3,d4");
  EXPECT_EQ(names_of(run(R"({"command":"listTasks","jobId":1,"state":"FAILED"})"), "tasks"), "d2");
  EXPECT_EQ(names_of(run(R"({"command":"listTasks","jobId":1,"state":"NOTIFIED"})"), "tasks"),
            "d3,d4");
  const std::string page = run(R"({"command":"listTasks","jobId":1,"offset":1,"count":2})");
  EXPECT_EQ(names_of(page, "tasks"), "d2,d3");
  EXPECT_NE(page.find(R"("offset":1,"count":2,"more":true)"), std::string::npos) << page;
  // A task of the list carries no history (the device page has it).
  EXPECT_EQ(page.find("history"), std::string::npos) << page;
}

TEST_F(ConsoleCommandsTest, ListTasksRefusesBadInput) {
  EXPECT_EQ(run(R"({"command":"listTasks","jobId":9},{"command":"listTasks","jobId":1,"state":"DONE"},)"
                R"({"command":"listTasks"},{"command":"listTasks","jobId":1,"device":"d1"})"),
            R"({"responses":[{"command":"listTasks","error":"job 9 does not exist"},)"
            R"({"command":"listTasks","error":"field 'state' must be a task state: CONFIRM, QUEUED, NOTIFIED, IN_PROGRESS, SUCCEEDED, FAILED or CANCELED"},)"
            R"({"command":"listTasks","error":"field 'jobId' is required"},)"
            R"({"command":"listTasks","error":"unknown field 'device'"}]})");
}

TEST_F(ConsoleCommandsTest, GetJobCountsEachGroupsTasks) {
  const std::string job = run(R"({"command":"getJob","jobId":1})");
  EXPECT_NE(job.find(R"("groupCounts":[{"CONFIRM":0,"QUEUED":0,"NOTIFIED":2,"IN_PROGRESS":0,"SUCCEEDED":1,"FAILED":1,"CANCELED":0}])"),
            std::string::npos)
      << job;
}

TEST_F(ConsoleCommandsTest, ComplianceAgainstTheNewestPackage) {
  const std::string stats = run(R"({"command":"getStatistics","product":"pk"})");
  EXPECT_NE(stats.find(R"("compliance":{"targetVersion":"2.0.0","onTarget":1,"inProgress":2,"failed":1,"needsUpdate":1})"),
            std::string::npos)
      << stats;
  // Another target: every device on 1.0.0 is on it, busy or not; d1 (2.0.0)
  // needs it.
  const std::string other =
      run(R"({"command":"getStatistics","product":"pk","targetVersion":"1.0.0"})");
  EXPECT_NE(other.find(R"("compliance":{"targetVersion":"1.0.0","onTarget":4,"inProgress":0,"failed":0,"needsUpdate":1})"),
            std::string::npos)
      << other;
  // A module without packages has no compliance figures.
  const std::string wifi = run(R"({"command":"getStatistics","product":"pk","module":"wifi"})");
  EXPECT_NE(wifi.find(R"("versions":{"0.9":1})"), std::string::npos) << wifi;
  EXPECT_NE(wifi.find(R"("compliance":null)"), std::string::npos) << wifi;
}

// A product bigger than the inline limit is counted two devices per loop
// iteration here (the five devices of this fixture take three), and
// getStatistics answers with the last finished count meanwhile.
TEST_F(ConsoleCommandsTest, ComplianceOfABigProductIsCountedInSlices) {
  EngineOptions options;
  options.compliance = {.inline_devices = 2, .slice_devices = 2, .refresh_ms = 1000};
  Engine sliced(*store_, options);
  auto ask = [&](TimeMs now) {
    CommandContext ctx{sliced, *store_, now, nullptr, {"aliyun"}, nullptr};
    return handle_control_payload(R"({"commands":[{"command":"getStatistics","product":"pk"}]})",
                                  ctx, true).response;
  };
  Outbox out;
  const std::string first = ask(kT0 + 20);
  EXPECT_NE(first.find(R"("compliance":{"targetVersion":"2.0.0","counting":true,"asOf":null})"),
            std::string::npos)
      << first;
  sliced.run_due(kT0 + 21, out);
  sliced.run_due(kT0 + 22, out);
  EXPECT_NE(ask(kT0 + 22).find(R"("counting":true,"asOf":null})"), std::string::npos);
  sliced.run_due(kT0 + 23, out);  // the last device: finished
  const std::string counted = ask(kT0 + 24);
  EXPECT_NE(counted.find(R"("compliance":{"targetVersion":"2.0.0","counting":false,"asOf":1700000000023,"onTarget":1,"inProgress":2,"failed":1,"needsUpdate":1})"),
            std::string::npos)
      << counted;
  // Stale: counted again, the last figures meanwhile.
  const std::string stale = ask(kT0 + 2000);
  EXPECT_NE(stale.find(R"("counting":true,"asOf":1700000000023,"onTarget":1,)"), std::string::npos)
      << stale;
}

// Every target asked gets a count; those not asked again within forget_ms
// are dropped (a new package is a new target: the counts do not pile up).
TEST_F(ConsoleCommandsTest, ComplianceCountsNotAskedForAreForgotten) {
  ComplianceCounts counts(*store_, {.inline_devices = 2, .slice_devices = 2, .refresh_ms = 1000,
                                    .forget_ms = 5000});
  counts.answer("pk", "default", "2.0.0", kT0);
  counts.answer("pk", "default", "1.0.0", kT0 + 1);
  EXPECT_EQ(counts.kept(), 2u);
  counts.answer("pk", "default", "2.0.0", kT0 + 4000);  // still asked
  counts.answer("pk", "default", "2.0.0", kT0 + 5002);  // 1.0.0 was last asked 5,001 ms ago
  EXPECT_EQ(counts.kept(), 1u);
  const ComplianceAnswer a = counts.answer("pk", "default", "2.0.0", kT0 + 5003);
  EXPECT_TRUE(a.counting);  // the kept count still runs
  for (TimeMs t = kT0 + 5004; counts.running(); ++t) counts.advance(t);
  ASSERT_TRUE(counts.answer("pk", "default", "2.0.0", kT0 + 5100).figures.has_value());
  EXPECT_EQ(counts.kept(), 1u);
}

TEST_F(ConsoleCommandsTest, ListDevicesByNamePrefix) {
  Outbox out;
  for (const char* d : {"d10", "e1", "c9"}) {
    engine_->on_version_report({{"pk", d}, "default", "1.0.0"}, kT0, out);
  }
  store_->commit(true);
  EXPECT_EQ(names_of(run(R"({"command":"listDevices","product":"pk","prefix":"d1"})"), "devices"),
            "d1,d10");
  const std::string page = run(R"({"command":"listDevices","product":"pk","prefix":"d","count":2})");
  EXPECT_EQ(names_of(page, "devices"), "d1,d10");
  EXPECT_NE(page.find(R"("more":true)"), std::string::npos) << page;
  EXPECT_EQ(names_of(run(R"({"command":"listDevices","product":"pk","prefix":"d","offset":2})"),
                     "devices"),
            "d2,d3,d4,d5");
  EXPECT_EQ(names_of(run(R"({"command":"listDevices","product":"pk","prefix":"e"})"), "devices"), "e1");
  EXPECT_EQ(names_of(run(R"({"command":"listDevices","product":"pk","prefix":"x"})"), "devices"), "");
  // With the other filters: the prefix's devices on version 2.0.0.
  EXPECT_EQ(names_of(run(R"({"command":"listDevices","product":"pk","prefix":"d","version":"2.0.0"})"),
                     "devices"),
            "d1");
}

TEST_F(ConsoleCommandsTest, ListProductsShowsConfiguredAndPackagedProducts) {
  run(R"({"command":"setProductConfig","product":"tc","dialect":"tencent"})");
  const std::string list = run(R"({"command":"listProducts"})");
  EXPECT_EQ(names_of(list, "products"), "pk,tc");
  EXPECT_NE(list.find(R"("product":"pk","dialect":null)"), std::string::npos) << list;
  EXPECT_NE(list.find(R"("modules":["default"])"), std::string::npos) << list;
  EXPECT_NE(list.find(R"("product":"tc","dialect":"tencent")"), std::string::npos) << list;
  EXPECT_EQ(names_of(run(R"({"command":"listProducts","offset":1,"count":1})"), "products"), "tc");
  EXPECT_NE(run(R"({"command":"listProducts","count":0})").find("field 'count' must be from 1 to 1000"),
            std::string::npos);
}

}  // namespace
}  // namespace ota
