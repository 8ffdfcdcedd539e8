// mosquitto_ota_ctrl against a real broker with the plugin: the real binary
// runs as a subprocess (ctrl_runner.h); devices are the harness's simulated
// aliyun devices.
#include <gtest/gtest.h>

#include <future>
#include <regex>

#include "ctrl_fixture.h"

namespace ota::test {
namespace {

using namespace std::chrono_literals;

// The README's first upgrade, with mosquitto_ota_ctrl alone on the operator
// side.
TEST_F(CtrlTest, FirstUpgradeWithCtrlAlone) {
  auto d1 = device("pk1", "d1", "1.0.0");

  CtrlRun add = ok({"package", "add", "--product", "pk1", "--version", "2.0.0", "--url",
                    "https://fw.example/fw-2.0.0.bin", "--size", "432945", "--md5", kMd5});
  EXPECT_TRUE(matches(add.out, "id: +1\n")) << add.out;
  EXPECT_TRUE(matches(add.out, "version: +2.0.0\n")) << add.out;
  EXPECT_TRUE(matches(add.out, "sign: +93230c3bde425a9d93230c3bde425a9d \\(MD5\\)")) << add.out;

  CtrlRun create = ok({"job", "create", "--package", "1", "--devices", "d1"});
  EXPECT_TRUE(matches(create.out, "job: +1\n")) << create.out;
  EXPECT_TRUE(matches(create.out, "state: +running")) << create.out;

  JsonPtr note = d1->wait_upgrade();
  ASSERT_TRUE(note) << "no upgrade notification";
  EXPECT_EQ(json_string_at(note.get(), "data/version"), "2.0.0");
  EXPECT_EQ(json_string_at(note.get(), "data/url"), "https://fw.example/fw-2.0.0.bin");
  EXPECT_EQ(json_string_at(note.get(), "data/md5"), kMd5);

  ASSERT_TRUE(d1->report_progress("\"50\"", "downloading"));
  ASSERT_TRUE(d1->report_version("2.0.0"));
  ASSERT_TRUE(api().wait_job_state(1, "completed"));

  CtrlRun show = ok({"job", "show", "1"});
  EXPECT_TRUE(matches(show.out, "state: +completed")) << show.out;
  EXPECT_TRUE(matches(show.out, "SUCCEEDED +1\n")) << show.out;
  EXPECT_TRUE(matches(show.out, "FAILED +0\n")) << show.out;
  EXPECT_TRUE(matches(show.out, "success rate: +100.0%")) << show.out;

  CtrlRun dev = ok({"device", "show", "--product", "pk1", "d1"});
  EXPECT_TRUE(matches(dev.out, "default +2.0.0")) << dev.out;
  EXPECT_TRUE(matches(dev.out, "1 +default +SUCCEEDED +50")) << dev.out;
  EXPECT_TRUE(contains(dev.out, "history of job 1:")) << dev.out;
  EXPECT_TRUE(matches(dev.out, "IN_PROGRESS +50 +downloading")) << dev.out;
}

TEST_F(CtrlTest, PackageCommands) {
  const long long p1 = add_package("2.0.0");
  ASSERT_EQ(p1, 1);
  // --sha256, --module, --source-versions, --diff, --ext-data, --description.
  JsonPtr p2 = ok_json({"package", "add", "--product", "pk1", "--module", "MCU", "--version",
                        "3.0.0", "--url", "https://fw.example/mcu.bin", "--size", "1234",
                        "--sha256", kSha256, "--source-versions", "1.0.0,2.0.0", "--diff",
                        "--ext-data", R"({"k":"v"})", "--description", "mcu firmware"});
  ASSERT_TRUE(p2);
  EXPECT_EQ(json_string_at(p2.get(), "package/signMethod"), "SHA256");
  EXPECT_EQ(json_string_at(p2.get(), "package/sign"), kSha256);
  EXPECT_EQ(json_string_at(p2.get(), "package/module"), "MCU");
  EXPECT_EQ(json_string_at(p2.get(), "package/sourceVersions/1"), "2.0.0");
  EXPECT_TRUE(json_is_true(json_at(p2.get(), "package/diff")));
  EXPECT_EQ(json_string_at(p2.get(), "package/extData/k"), "v");
  EXPECT_EQ(json_string_at(p2.get(), "package/description"), "mcu firmware");
  add_package("1.0.0", "pk2");

  CtrlRun list = ok({"package", "list"});
  EXPECT_TRUE(matches(list.out, "ID +PRODUCT +MODULE +VERSION +SIZE +SIGN +VERIFIED +CREATED\n"))
      << list.out;
  EXPECT_TRUE(matches(list.out, "\n +1 +pk1 +default +2.0.0 +432945 +MD5 +no ")) << list.out;
  EXPECT_TRUE(matches(list.out, "\n +2 +pk1 +MCU +3.0.0 +1234 +SHA256 +no ")) << list.out;
  EXPECT_TRUE(contains(list.out, "pk2")) << list.out;

  JsonPtr only_pk2 = ok_json({"package", "list", "--product", "pk2"});
  EXPECT_EQ(json_array_size(json_at(only_pk2.get(), "packages")), 1u);

  // Paging: one per page, then every page.
  CtrlRun page = ok({"package", "list", "--count", "1"});
  EXPECT_TRUE(contains(page.out, "--offset 1 for the next page")) << page.out;
  JsonPtr page2 = ok_json({"package", "list", "--count", "1", "--offset", "1"});
  EXPECT_EQ(json_int_at(page2.get(), "packages/0/id"), 2);
  JsonPtr all = ok_json({"package", "list", "--count", "1", "--all-pages"});
  EXPECT_EQ(json_array_size(json_at(all.get(), "packages")), 3u);
  EXPECT_TRUE(json_is_false(json_at(all.get(), "more")));

  CtrlRun show = ok({"package", "show", "2"});
  EXPECT_TRUE(matches(show.out, "sha256: +" + std::string(kSha256))) << show.out;
  EXPECT_TRUE(matches(show.out, "source versions: +1.0.0,2.0.0")) << show.out;

  CtrlRun del = ok({"package", "delete", "3"});
  EXPECT_TRUE(contains(del.out, "deleted package 3 (pk2 default 1.0.0)")) << del.out;

  // Server errors: exit 1, the broker's text on stderr.
  CtrlRun missing = ctrl({"package", "show", "3"});
  EXPECT_EQ(missing.exit_code, 1) << missing.describe();
  EXPECT_TRUE(contains(missing.err, "package 3 does not exist")) << missing.describe();
  EXPECT_EQ(missing.out, "");
  CtrlRun duplicate = ctrl({"package", "add", "--product", "pk1", "--version", "2.0.0", "--url",
                            "https://fw.example/x.bin", "--size", "1", "--md5", kMd5});
  EXPECT_EQ(duplicate.exit_code, 1) << duplicate.describe();
  EXPECT_TRUE(contains(duplicate.err, "already has product pk1 module default version 2.0.0"))
      << duplicate.describe();
  CtrlRun bad_url = ctrl({"package", "add", "--product", "pk1", "--version", "9", "--url",
                          "ftp://x/y.bin", "--size", "1", "--md5", kMd5});
  EXPECT_EQ(bad_url.exit_code, 1) << bad_url.describe();
  EXPECT_TRUE(contains(bad_url.err, "field 'url' must be an http:// or https:// URL"))
      << bad_url.describe();
}

TEST_F(CtrlTest, JobCreateOptionsReachTheServer) {
  auto d1 = device("pk1", "d1", "1.0.0");
  auto d2 = device("pk1", "d2", "1.0.0");
  const long long pkg = add_package("2.0.0");
  const long long job = create_job(
      pkg, {"--devices", "d1,d2", "--rate", "100", "--timeout", "30m", "--retries", "2/10m",
            "--offline", "fail", "--timeout-from", "progress", "--failure-threshold", "10%",
            "--start-at", "2030-01-01T00:00:00Z", "--end-at", "1924992000"});
  ASSERT_GT(job, 0);
  JsonPtr j = api().get_job(job);
  ASSERT_TRUE(j);
  EXPECT_EQ(json_int_at(j.get(), "ratePerMinute"), 100);
  EXPECT_EQ(json_int_at(j.get(), "timeoutSeconds"), 1800);
  EXPECT_EQ(json_string_at(j.get(), "timeoutFrom"), "progress");
  EXPECT_EQ(json_int_at(j.get(), "retry/count"), 2);
  EXPECT_EQ(json_int_at(j.get(), "retry/intervalSeconds"), 600);
  EXPECT_EQ(json_string_at(j.get(), "offlinePolicy"), "fail");
  EXPECT_EQ(json_int_at(j.get(), "failureThreshold/percent"), 10);
  EXPECT_EQ(json_int_at(j.get(), "startAt"), 1893456000);
  EXPECT_EQ(json_int_at(j.get(), "endAt"), 1924992000);
  EXPECT_EQ(json_int_at(j.get(), "taskCount"), 2);

  // Targets by version and tag, a grey percentage, groups, confirmation,
  // dynamic, manual advance, a count threshold, a verify job.
  const long long job2 = create_job(
      add_package("2.1.0"),
      {"--source-versions", "1.0.0", "--tag", "region=eu", "--tag", "hw=b", "--percent", "50",
       "--dynamic", "--confirm", "--groups", "10%,90%", "--success-threshold", "90",
       "--no-auto-advance", "--failure-threshold", "5", "--type", "verify"});
  ASSERT_GT(job2, 0);
  JsonPtr j2 = api().get_job(job2);
  ASSERT_TRUE(j2);
  EXPECT_EQ(json_string_at(j2.get(), "targets/sourceVersions/0"), "1.0.0");
  EXPECT_EQ(json_string_at(j2.get(), "targets/tags/region"), "eu");
  EXPECT_EQ(json_string_at(j2.get(), "targets/tags/hw"), "b");
  EXPECT_DOUBLE_EQ(json_number_value(json_at(j2.get(), "targets/percent")), 50.0);
  EXPECT_TRUE(json_is_true(json_at(j2.get(), "dynamic")));
  EXPECT_TRUE(json_is_true(json_at(j2.get(), "needConfirm")));
  EXPECT_EQ(json_int_at(j2.get(), "successThreshold"), 90);
  EXPECT_TRUE(json_is_false(json_at(j2.get(), "autoAdvance")));
  EXPECT_EQ(json_int_at(j2.get(), "failureThreshold/count"), 5);
  EXPECT_EQ(json_string_at(j2.get(), "type"), "verify");

  const long long job3 = create_job(add_package("2.2.0"), {"--all", "--groups", "5,100"});
  ASSERT_GT(job3, 0);
}

TEST_F(CtrlTest, JobLifecycleCommands) {
  auto d1 = device("pk1", "d1", "1.0.0");
  // --start-at in the future: the job waits, nothing is notified.
  const long long pkg = add_package("2.0.0");
  const long long job = create_job(pkg, {"--devices", "d1", "--start-at", "2099-01-01"});
  ASSERT_GT(job, 0);
  const std::string id = std::to_string(job);

  CtrlRun list = ok({"job", "list"});
  EXPECT_TRUE(matches(list.out, "ID +PACKAGE +PRODUCT +MODULE +TYPE +STATE +TASKS")) << list.out;
  EXPECT_TRUE(matches(list.out, "\n +1 +1 +pk1 +default +batch +\\w+ +1 ")) << list.out;

  CtrlRun pause = ok({"job", "pause", id});
  EXPECT_TRUE(contains(pause.out, "job 1 paused")) << pause.out;
  JsonPtr paused = ok_json({"job", "list", "--state", "paused"});
  EXPECT_EQ(json_array_size(json_at(paused.get(), "jobs")), 1u);
  JsonPtr running = ok_json({"job", "list", "--state", "running", "--product", "pk1"});
  EXPECT_EQ(json_array_size(json_at(running.get(), "jobs")), 0u);

  CtrlRun resume = ok({"job", "resume", id});
  EXPECT_FALSE(contains(resume.out, "paused")) << resume.out;

  CtrlRun cancel = ok({"job", "cancel", id});
  EXPECT_TRUE(contains(cancel.out, "job 1 canceled")) << cancel.out;
  CtrlRun show = ok({"job", "show", id});
  EXPECT_TRUE(matches(show.out, "state: +canceled")) << show.out;

  CtrlRun again = ctrl({"job", "pause", id});
  EXPECT_EQ(again.exit_code, 1) << again.describe();
  EXPECT_NE(again.err, "") << again.describe();
  CtrlRun missing = ctrl({"job", "show", "424242"});
  EXPECT_EQ(missing.exit_code, 1) << missing.describe();
  EXPECT_TRUE(contains(missing.err, "job 424242 does not exist")) << missing.describe();
  CtrlRun unknown = ctrl({"job", "create", "--package", "77", "--devices", "d1"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.describe();
  EXPECT_TRUE(contains(unknown.err, "package 77 does not exist")) << unknown.describe();
  CtrlRun ghost = ctrl({"job", "create", "--package", "1", "--devices", "ghost"});
  EXPECT_EQ(ghost.exit_code, 1) << ghost.describe();
  EXPECT_TRUE(contains(ghost.err, "ghost")) << ghost.describe();
}

TEST_F(CtrlTest, TaskCommands) {
  auto d1 = device("pk1", "d1", "1.0.0");
  auto d2 = device("pk1", "d2", "1.0.0");
  const long long job = create_job(add_package("2.0.0"), {"--devices", "d1,d2", "--confirm"});
  ASSERT_GT(job, 0);
  const std::string id = std::to_string(job);
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", job, "CONFIRM"));
  EXPECT_TRUE(d1->no_upgrade(200ms));

  CtrlRun confirm = ok({"task", "confirm", id, "d1", "d2"});
  EXPECT_TRUE(matches(confirm.out, "DEVICE +STATE +STEP +REASON +DETAIL\n")) << confirm.out;
  EXPECT_TRUE(matches(confirm.out, "\nd1 +(QUEUED|NOTIFIED) ")) << confirm.out;
  EXPECT_TRUE(matches(confirm.out, "\nd2 +(QUEUED|NOTIFIED) ")) << confirm.out;
  EXPECT_TRUE(d1->wait_upgrade()) << "confirmed, but not notified";

  CtrlRun cancel = ok({"task", "cancel", id, "d1"});
  EXPECT_TRUE(matches(cancel.out, "\nd1 +CANCELED ")) << cancel.out;
  JsonPtr retry = ok_json({"task", "retry", id, "d1"});
  ASSERT_TRUE(retry);
  EXPECT_NE(json_string_at(retry.get(), "task/state"), "CANCELED") << json_text(retry.get());

  // One unknown device among good ones: exit 1, the others still done.
  CtrlRun mixed = ctrl({"task", "cancel", id, "d2", "ghost"});
  EXPECT_EQ(mixed.exit_code, 1) << mixed.describe();
  EXPECT_TRUE(contains(mixed.err, "ghost: ")) << mixed.describe();
  EXPECT_TRUE(matches(mixed.out, "\nd2 +CANCELED ")) << mixed.describe();
  CtrlRun nojob = ctrl({"task", "confirm", "4242", "d1"});
  EXPECT_EQ(nojob.exit_code, 1) << nojob.describe();
  EXPECT_TRUE(contains(nojob.err, "job 4242 does not exist")) << nojob.describe();
}

TEST_F(CtrlTest, DeviceCommands) {
  auto d1 = device("pk1", "d1", "1.0.0");
  auto d2 = device("pk1", "d2", "1.0.0");
  auto d3 = device("pk1", "d3", "1.5.0");
  ASSERT_TRUE(d3->report_version("0.9.0", "MCU"));
  const long long job = create_job(add_package("2.0.0"), {"--devices", "d1"});
  ASSERT_TRUE(d1->wait_upgrade());
  ASSERT_TRUE(d1->report_progress("\"-2\"", "download failed"));
  ASSERT_TRUE(api().wait_task_state("pk1", "d1", job, "FAILED"));
  d2->mqtt().disconnect();
  std::this_thread::sleep_for(300ms);  // the broker sees the disconnection

  CtrlRun list = ok({"device", "list", "--product", "pk1"});
  EXPECT_TRUE(matches(list.out, "DEVICE +ONLINE +VERSION +JOB +STATE +STEP +REASON +LAST SEEN\n"))
      << list.out;
  EXPECT_TRUE(matches(list.out, "\nd1 +yes +1.0.0 +1 +FAILED +-2 +download failed ")) << list.out;
  EXPECT_TRUE(matches(list.out, "\nd3 +yes +MCU=0.9.0 default=1.5.0 +- ")) << list.out;

  JsonPtr v1 = ok_json({"device", "list", "--product", "pk1", "--version", "1.0.0"});
  EXPECT_EQ(json_array_size(json_at(v1.get(), "devices")), 2u) << json_text(v1.get());
  JsonPtr failed = ok_json({"device", "list", "--product", "pk1", "--version", "1.0.0",
                            "--state", "FAILED"});
  ASSERT_EQ(json_array_size(json_at(failed.get(), "devices")), 1u);
  EXPECT_EQ(json_string_at(failed.get(), "devices/0/device"), "d1");
  JsonPtr online = ok_json({"device", "list", "--product", "pk1", "--online"});
  EXPECT_EQ(json_array_size(json_at(online.get(), "devices")), 2u) << json_text(online.get());
  JsonPtr offline = ok_json({"device", "list", "--product", "pk1", "--offline"});
  ASSERT_EQ(json_array_size(json_at(offline.get(), "devices")), 1u) << json_text(offline.get());
  EXPECT_EQ(json_string_at(offline.get(), "devices/0/device"), "d2");
  JsonPtr mcu = ok_json({"device", "list", "--product", "pk1", "--module", "MCU", "--version",
                         "0.9.0"});
  EXPECT_EQ(json_array_size(json_at(mcu.get(), "devices")), 1u);

  CtrlRun page = ok({"device", "list", "--product", "pk1", "--count", "2"});
  EXPECT_TRUE(contains(page.out, "(more devices: --offset 2 for the next page")) << page.out;
  JsonPtr rest = ok_json({"device", "list", "--product", "pk1", "--offset", "2"});
  EXPECT_EQ(json_array_size(json_at(rest.get(), "devices")), 1u);
  JsonPtr all = ok_json({"device", "list", "--product", "pk1", "--count", "1", "--all-pages"});
  EXPECT_EQ(json_array_size(json_at(all.get(), "devices")), 3u);

  CtrlRun show = ok({"device", "show", "--product", "pk1", "d3"});
  EXPECT_TRUE(matches(show.out, "device: +d3\n")) << show.out;
  EXPECT_TRUE(matches(show.out, "MCU +0.9.0")) << show.out;
  EXPECT_TRUE(contains(show.out, "no tasks")) << show.out;

  CtrlRun ghost = ctrl({"device", "show", "--product", "pk1", "ghost"});
  EXPECT_EQ(ghost.exit_code, 1) << ghost.describe();
  EXPECT_TRUE(contains(ghost.err, "device ghost of product pk1 does not exist")) << ghost.describe();
  CtrlRun bad_state = ctrl({"device", "list", "--product", "pk1", "--state", "DONE"});
  EXPECT_EQ(bad_state.exit_code, 1) << bad_state.describe();
  EXPECT_TRUE(contains(bad_state.err, "field 'state' must be a task state")) << bad_state.describe();
}

TEST_F(CtrlTest, ProductAndStats) {
  CtrlRun set = ok({"product", "set", "--product", "pk1", "--success-rule", "progress100",
                    "--offline", "fail", "--require-verified"});
  EXPECT_TRUE(matches(set.out, "success rule: +progress100")) << set.out;
  EXPECT_TRUE(matches(set.out, "require verified: +yes")) << set.out;
  JsonPtr shown = ok_json({"product", "show", "--product", "pk1"});
  EXPECT_EQ(json_string_at(shown.get(), "product/offlinePolicy"), "fail");
  EXPECT_TRUE(json_is_true(json_at(shown.get(), "product/requireVerified")));
  ok({"product", "set", "--product", "pk1", "--no-require-verified", "--success-rule", "version"});
  JsonPtr back = ok_json({"product", "show", "--product", "pk1"});
  EXPECT_TRUE(json_is_false(json_at(back.get(), "product/requireVerified")));
  EXPECT_EQ(json_string_at(back.get(), "product/offlinePolicy"), "fail") << "kept";

  // Only the default dialect is enabled in these brokers.
  CtrlRun dialect = ctrl({"product", "set", "--product", "pk1", "--dialect", "tencent"});
  EXPECT_EQ(dialect.exit_code, 1) << dialect.describe();
  EXPECT_TRUE(contains(dialect.err, "dialect 'tencent' is not enabled")) << dialect.describe();
  CtrlRun aliyun = ok({"product", "set", "--product", "pk1", "--dialect", "aliyun"});
  EXPECT_TRUE(matches(aliyun.out, "dialect: +aliyun")) << aliyun.out;
  EXPECT_TRUE(matches(aliyun.out, "download: +https")) << aliyun.out;
  CtrlRun mqtt = ok({"product", "set", "--product", "pk1", "--download-protocol", "mqtt"});
  EXPECT_TRUE(matches(mqtt.out, "download: +mqtt")) << mqtt.out;
  CtrlRun ftp = ctrl({"product", "set", "--product", "pk1", "--download-protocol", "ftp"});
  EXPECT_NE(ftp.exit_code, 0) << ftp.describe();
  EXPECT_TRUE(contains(ftp.err, "--download-protocol must be https or mqtt")) << ftp.describe();
  ok({"product", "set", "--product", "pk1", "--download-protocol", "https"});

  auto d1 = device("pk1", "d1", "1.0.0");
  auto d2 = device("pk1", "d2", "1.0.0");
  auto d3 = device("pk1", "d3", "2.0.0");
  const long long job = create_job(add_package("2.0.0"), {"--devices", "d1,d2"});
  ASSERT_TRUE(d1->wait_upgrade());
  ASSERT_TRUE(d2->wait_upgrade());
  ASSERT_TRUE(d1->report_version("2.0.0"));
  ASSERT_TRUE(d2->report_progress("\"-4\"", "flash"));
  ASSERT_TRUE(api().wait_job_state(job, "completed"));

  CtrlRun stats = ok({"stats", "--product", "pk1"});
  EXPECT_TRUE(matches(stats.out, "devices: +3\n")) << stats.out;
  EXPECT_TRUE(matches(stats.out, "\n2.0.0 +2 +66.7%\n")) << stats.out;
  EXPECT_TRUE(matches(stats.out, "\n1.0.0 +1 +33.3%\n")) << stats.out;
  EXPECT_TRUE(matches(stats.out, "\n +1 +1 +batch +completed +2 +1 +1 +50.0% +flashing failed 1\n"))
      << stats.out;
  JsonPtr sj = ok_json({"stats", "--product", "pk1", "--module", "default"});
  EXPECT_EQ(json_int_at(sj.get(), "statistics/versions/2.0.0"), 2);
  EXPECT_EQ(json_int_at(sj.get(), "statistics/jobs/0/failureReasons/flashing failed"), 1);
  CtrlRun show = ok({"job", "show", std::to_string(job)});
  EXPECT_TRUE(matches(show.out, "success rate: +50.0%")) << show.out;
  EXPECT_TRUE(matches(show.out, "FAILURE REASON +TASKS\nflashing failed +1\n")) << show.out;
}

TEST_F(CtrlTest, JobWatchFollowsTheJobToTheEnd) {
  auto d1 = device("pk1", "d1", "1.0.0");
  const long long job = create_job(add_package("2.0.0"), {"--devices", "d1"});
  ASSERT_GT(job, 0);
  auto watch = std::async(std::launch::async, [&] {
    return ctrl({"--timeout", "20", "job", "watch", std::to_string(job)});
  });
  ASSERT_TRUE(d1->wait_upgrade());
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(d1->report_progress("\"30\"", "downloading"));
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(d1->report_version("2.0.0"));
  CtrlRun w = watch.get();
  EXPECT_EQ(w.exit_code, 0) << w.describe();
  EXPECT_TRUE(contains(w.out, "job 1 running: 0/1 done")) << w.out;
  EXPECT_TRUE(contains(w.out, "1 in progress")) << w.out;
  EXPECT_TRUE(contains(w.out, "job 1 completed: 1/1 done (1 succeeded, 0 failed, 0 canceled)"))
      << w.out;
  EXPECT_TRUE(contains(w.out, "success 100.0%")) << w.out;

  // Already over: one line, at once. --json: one JSON object per line.
  JsonPtr line = ok_json({"job", "watch", std::to_string(job)});
  EXPECT_EQ(json_string_at(line.get(), "job/state"), "completed");
}

TEST_F(CtrlTest, JobWatchEndsOnPauseOrTimeout) {
  auto d1 = device("pk1", "d1", "1.0.0");
  const long long job = create_job(add_package("2.0.0"), {"--devices", "d1"});
  const auto started = std::chrono::steady_clock::now();
  CtrlRun slow = ctrl({"--timeout", "2", "job", "watch", std::to_string(job)});
  EXPECT_EQ(slow.exit_code, 3) << slow.describe();
  EXPECT_TRUE(contains(slow.err, "job 1 is still running after 2s")) << slow.describe();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 6s);
  ok({"job", "pause", std::to_string(job)});
  CtrlRun paused = ctrl({"job", "watch", std::to_string(job)});
  EXPECT_EQ(paused.exit_code, 1) << paused.describe();
  EXPECT_TRUE(contains(paused.err, "job 1 is paused")) << paused.describe();
}

TEST_F(CtrlTest, JsonOutputIsTheRepliesData) {
  auto d1 = device("pk1", "d1", "1.0.0");
  const long long pkg = add_package("2.0.0");
  JsonPtr p = ok_json({"package", "show", std::to_string(pkg)});
  EXPECT_TRUE(json_is_object(json_at(p.get(), "package")));
  JsonPtr created = ok_json({"--json", "job", "create", "--package", std::to_string(pkg),
                             "--devices", "d1"});
  EXPECT_EQ(json_string_at(created.get(), "job/state"), "running");
  JsonPtr j = ok_json({"job", "show", "1"});
  EXPECT_TRUE(json_is_object(json_at(j.get(), "job/counts")));
  EXPECT_TRUE(json_is_number(json_at(j.get(), "job/successRate")));
  JsonPtr jobs = ok_json({"job", "list"});
  EXPECT_EQ(json_array_size(json_at(jobs.get(), "jobs")), 1u);
  EXPECT_TRUE(json_is_boolean(json_at(jobs.get(), "more")));
  JsonPtr dev = ok_json({"device", "show", "--product", "pk1", "d1"});
  EXPECT_EQ(json_string_at(dev.get(), "device/tasks/0/state").value_or("").empty(), false);
  JsonPtr devs = ok_json({"device", "list", "--product", "pk1"});
  EXPECT_EQ(json_string_at(devs.get(), "devices/0/device"), "d1");
  JsonPtr st = ok_json({"stats", "--product", "pk1"});
  EXPECT_EQ(json_int_at(st.get(), "statistics/devices"), 1);
  JsonPtr pr = ok_json({"product", "set", "--product", "pk1", "--offline", "wait"});
  EXPECT_EQ(json_string_at(pr.get(), "product/offlinePolicy"), "wait");
  JsonPtr paused = ok_json({"job", "pause", "1"});
  EXPECT_EQ(json_string_at(paused.get(), "job/state"), "paused");
  JsonPtr task = ok_json({"task", "cancel", "1", "d1"});
  EXPECT_EQ(json_string_at(task.get(), "task/state"), "CANCELED");
  JsonPtr deleted = ok_json({"package", "add", "--product", "pk9", "--version", "1", "--url",
                             "https://x/y", "--size", "9", "--md5", kMd5});
  JsonPtr gone = ok_json({"package", "delete",
                          std::to_string(json_int_at(deleted.get(), "package/id").value_or(0))});
  EXPECT_EQ(json_string_at(gone.get(), "package/product"), "pk9");
}

// Wrong command lines exit 2 before anything is sent: the port has no
// broker, so reaching the network would exit 3.
TEST(CtrlUsageTest, UsageErrorsExitTwoWithoutConnecting) {
  const std::string port = std::to_string(pick_free_port());
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"package"},
      {"nosuch"},
      {"package", "add", "--product", "P", "--version", "1"},
      {"package", "add", "--product", "P", "--version", "1", "--url", "https://x", "--size", "1"},
      {"package", "add", "--product", "P", "--version", "1", "--url", "https://x", "--size", "1",
       "--md5", "xyz"},
      {"package", "add", "--product", "P", "--version", "1", "--url", "https://x", "--file", "f"},
      {"package", "show", "abc"},
      {"job", "create", "--package", "1"},
      {"job", "create", "--package", "1", "--all", "--timeout", "3x"},
      {"job", "create", "--package", "1", "--all", "--retries", "2/soon"},
      {"job", "create", "--package", "1", "--all", "--start-at", "tomorrow"},
      {"job", "create", "--package", "1", "--all", "--groups", "10%,,90%"},
      {"job", "create", "--package", "1", "--all", "--offline", "never"},
      {"job", "create", "--package", "1", "--all", "--tag", "novalue"},
      {"job", "create", "--package", "1", "--all", "--failure-threshold", "lots"},
      {"job", "create", "--package", "1", "--all", "--bogus"},
      {"job", "show"},
      {"task", "cancel", "1"},
      {"device", "list"},
      {"device", "list", "--product", "P", "--count", "5000"},
      {"device", "list", "--product", "P", "--online", "--offline"},
      {"product", "set", "--product", "P", "--success-rule", "maybe"},
      {"-q", "7", "package", "list"},
      {"-p", "99999", "package", "list"},
      {"--timeout", "soon", "package", "list"},
      {"-o", "/nonexistent/options", "package", "list"},
      {"--cert", "c.pem", "package", "list"},
  };
  for (const auto& args : cases) {
    std::vector<std::string> full{"-h", "127.0.0.1", "-p", port};
    full.insert(full.end(), args.begin(), args.end());
    CtrlRun r = run_ctrl(full);
    EXPECT_EQ(r.exit_code, 2) << r.describe();
    EXPECT_NE(r.err, "") << r.describe();
  }
  CtrlRun help = run_ctrl({"--help"});
  EXPECT_EQ(help.exit_code, 0) << help.describe();
  for (const char* command : {"package", "job", "task", "device", "product", "stats"}) {
    EXPECT_TRUE(contains(help.out, command)) << help.out;
  }
  CtrlRun sub_help = run_ctrl({"job", "create", "--help"});
  EXPECT_EQ(sub_help.exit_code, 0) << sub_help.describe();
  EXPECT_TRUE(contains(sub_help.out, "--failure-threshold")) << sub_help.out;
}

TEST_F(CtrlTest, NonAdminGetsTheHint) {
  CtrlRun r = ctrl({"--timeout", "3", "package", "list"}, "mallory");
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_TRUE(contains(r.err, "no reply from the broker: is mallory an OTA admin (plugin_opt_admins)?"))
      << r.describe();
  CtrlRun anonymous = ctrl({"--timeout", "3", "job", "list"}, "");
  EXPECT_EQ(anonymous.exit_code, 3) << anonymous.describe();
  EXPECT_TRUE(contains(anonymous.err, "an OTA admin (plugin_opt_admins)?")) << anonymous.describe();
}

// binding add | list | remove: the device-to-user bindings of the Living
// app topics, several devices per command.
TEST_F(CtrlTest, BindingCommands) {
  CtrlRun add = ok({"binding", "add", "--product", "pk1", "alice", "d1", "d2"});
  EXPECT_TRUE(matches(add.out, "USER +PRODUCT +DEVICE\n")) << add.out;
  EXPECT_TRUE(matches(add.out, "alice +pk1 +d2\n")) << add.out;
  ok({"binding", "add", "--product", "pk2", "bob", "d9"});

  CtrlRun list = ok({"binding", "list", "--user", "alice"});
  EXPECT_TRUE(matches(list.out, "alice +pk1 +d1\nalice +pk1 +d2\n")) << list.out;
  EXPECT_FALSE(contains(list.out, "bob")) << list.out;
  JsonPtr all = ok_json({"binding", "list"});
  ASSERT_TRUE(all);
  EXPECT_EQ(json_array_size(json_at(all.get(), "bindings")), 3u);
  EXPECT_EQ(json_string_at(all.get(), "bindings/2/user"), "bob");

  CtrlRun removed = ok({"binding", "remove", "--product", "pk1", "alice", "d1"});
  EXPECT_TRUE(matches(removed.out, "alice +pk1 +d1\n")) << removed.out;
  // Removing it again is refused: status 1, the broker's error on stderr.
  CtrlRun again = ctrl({"binding", "remove", "--product", "pk1", "alice", "d1"});
  EXPECT_EQ(again.exit_code, 1) << again.describe();
  EXPECT_TRUE(contains(again.err, "d1: user alice is not bound to device d1 of product pk1"))
      << again.describe();
  JsonPtr left = ok_json({"binding", "list", "--product", "pk1"});
  ASSERT_TRUE(left);
  EXPECT_EQ(json_array_size(json_at(left.get(), "bindings")), 1u);
  EXPECT_EQ(json_string_at(left.get(), "bindings/0/device"), "d2");
}

}  // namespace
}  // namespace ota::test
