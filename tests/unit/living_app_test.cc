// The Living app handler over a real LmdbStore and engine: what a user sees,
// confirm and cancel through the engine, refusal of devices bound to others
// (state unchanged), and replies addressed to the asking client only. Also
// the bindDevice / unbindDevice / listBindings commands, and how the service
// routes the app topics and answers their ACL checks.
#include "app/living_app.h"

#include <gtest/gtest.h>

#include "control/control_api.h"
#include "json/json_util.h"
#include "assembly/service_assembly.h"
#include "storage/lmdb_store.h"
#include "temp_dir.h"

namespace ota {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;
const char* kConfirm = "/living/ota/confirm";
const char* kCancel = "/living/ota/cancel";
const char* kPending = "/living/ota/firmware/file/get";
const char* kDevicesList = "/living/ota/devices/list";
const char* kProgressList = "/living/ota/progress/list";

std::string device_params(const std::string& id, const std::string& device) {
  return R"({"id":")" + id + R"(","version":"1.0","params":{"productKey":"pk","deviceName":")" +
         device + "\"}}";
}

class LivingAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = LmdbStore::open(tmp_.sub("db"), {});
    engine_ = std::make_unique<Engine>(*store_, EngineOptions{});
    app_ = std::make_unique<LivingApp>(*engine_, *store_);
    for (const char* d : {"d1", "d2", "d3", "d4"}) {
      Outbox out;
      engine_->on_version_report({{"pk", d}, "default", "1.0.0"}, kT0, out);
    }
    PackageSpec spec;
    spec.product = "pk";
    spec.version = "2.0.0";
    spec.url = "https://fw.example/2.bin";
    spec.size = 1000;
    spec.sign = "93230c3bde425a9d93230c3bde425a9d";
    spec.description = "fixes";
    Result<Package> p = engine_->create_package(spec, kT0);
    ASSERT_TRUE(p.ok()) << p.error();
    JobSpec job;
    job.package_id = p.value().id;
    job.devices = {"d1", "d2", "d3"};
    job.need_confirm = true;
    Result<Job> j = engine_->create_job(job, kT0);
    ASSERT_TRUE(j.ok()) << j.error();
    job_ = j.value().id;
    for (const char* d : {"d1", "d2", "d4"}) store_->put_binding({"alice", {"pk", d}});
    store_->put_binding({"bob", {"pk", "d3"}});
    store_->commit(true);
  }

  // A request as `user` from client "alice-phone"; returns the reply
  // payload and checks it is addressed to that client on the reply topic.
  std::string ask(const char* topic, const std::string& payload, const char* user = "alice") {
    outcome_ = app_->handle(topic, payload, {user, "alice-phone"}, kT0 + 1000);
    EXPECT_EQ(outcome_.reply.topic, std::string(topic) + "_reply");
    EXPECT_EQ(outcome_.reply.client_id, "alice-phone");
    EXPECT_EQ(outcome_.reply.qos, 1);
    EXPECT_FALSE(outcome_.reply.retain);
    return outcome_.reply.payload;
  }
  TaskState state(const char* device) { return store_->get_task(job_, {"pk", device})->state; }

  test::TempDir tmp_;
  std::unique_ptr<LmdbStore> store_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<LivingApp> app_;
  JobId job_ = 0;
  AppOutcome outcome_;
};

TEST_F(LivingAppTest, PendingFirmwareListsOnlyTheUsersConfirmTasks) {
  EXPECT_EQ(ask(kPending, R"({"id":"1","version":"1.0","params":{}})"),
            R"({"id":"1","code":200,"data":{"devices":[)"
            R"({"productKey":"pk","deviceName":"d1","jobId":1,"module":"default","targetVersion":"2.0.0",)"
            R"("state":"CONFIRM","step":0,"desc":"","currentVersion":"1.0.0","size":1000,"description":"fixes"},)"
            R"({"productKey":"pk","deviceName":"d2","jobId":1,"module":"default","targetVersion":"2.0.0",)"
            R"("state":"CONFIRM","step":0,"desc":"","currentVersion":"1.0.0","size":1000,"description":"fixes"}]},)"
            R"("message":"success"})");
  EXPECT_EQ(outcome_.problem, "");
  EXPECT_EQ(ask(kPending, R"({"id":"2"})", "carol"),
            R"({"id":"2","code":200,"data":{"devices":[]},"message":"success"})");
}

TEST_F(LivingAppTest, ConfirmQueuesTheTaskAndTheEngineNotifies) {
  EXPECT_EQ(ask(kConfirm, device_params("5", "d1")),
            R"({"id":"5","code":200,"data":{"productKey":"pk","deviceName":"d1","jobId":1,)"
            R"("module":"default","targetVersion":"2.0.0","state":"QUEUED","step":0,"desc":"confirmed"},)"
            R"("message":"success"})");
  EXPECT_EQ(state("d1"), TaskState::kQueued);
  EXPECT_EQ(state("d2"), TaskState::kConfirm);
  Outbox out;
  engine_->run_due(kT0 + 1000, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].device, (DeviceKey{"pk", "d1"}));
  // Now upgrading: devices/list shows it, the pending list no longer does.
  EXPECT_EQ(ask(kDevicesList, R"({"id":"6","params":{}})"),
            R"({"id":"6","code":200,"data":{"devices":[{"productKey":"pk","deviceName":"d1","jobId":1,)"
            R"("module":"default","targetVersion":"2.0.0","state":"NOTIFIED","step":0,"desc":"confirmed"}]},)"
            R"("message":"success"})");
  // Confirming again is the engine's refusal, as a conflict.
  EXPECT_EQ(ask(kConfirm, device_params("7", "d1")),
            R"({"id":"7","code":409,"data":{},"message":"the task is NOTIFIED, not waiting for confirmation"})");
  EXPECT_EQ(state("d1"), TaskState::kNotified);
}

TEST_F(LivingAppTest, CancelEndsTheTask) {
  EXPECT_EQ(ask(kCancel, device_params("8", "d2")),
            R"({"id":"8","code":200,"data":{"productKey":"pk","deviceName":"d2","jobId":1,)"
            R"("module":"default","targetVersion":"2.0.0","state":"CANCELED","step":0,)"
            R"("desc":"canceled by user alice"},"message":"success"})");
  EXPECT_EQ(state("d2"), TaskState::kCanceled);
  EXPECT_EQ(ask(kCancel, device_params("9", "d2")),
            R"({"id":"9","code":404,"data":{},"message":"device d2 of product pk has no unfinished upgrade"})");
  // Bound, but never part of a job.
  EXPECT_EQ(ask(kConfirm, device_params("10", "d4")),
            R"({"id":"10","code":404,"data":{},)"
            R"("message":"device d4 of product pk has no upgrade waiting for confirmation"})");
  EXPECT_EQ(outcome_.problem, "");  // an answer, not misuse
}

TEST_F(LivingAppTest, DevicesOfOtherUsersAreRefusedAndUnchanged) {
  for (const char* topic : {kConfirm, kCancel}) {
    SCOPED_TRACE(topic);
    EXPECT_EQ(ask(topic, device_params("11", "d3")),
              R"({"id":"11","code":403,"data":{},"message":"device d3 of product pk is not bound to user alice"})");
    EXPECT_EQ(outcome_.problem, "device d3 of product pk is not bound to user alice");
    EXPECT_EQ(state("d3"), TaskState::kConfirm);
  }
  // Unknown devices are simply not bound.
  EXPECT_EQ(ask(kConfirm, device_params("12", "nope")),
            R"({"id":"12","code":403,"data":{},"message":"device nope of product pk is not bound to user alice"})");
  // One foreign device refuses the whole progress request.
  EXPECT_EQ(ask(kProgressList,
                R"({"id":"13","params":{"devices":[{"productKey":"pk","deviceName":"d1"},)"
                R"({"productKey":"pk","deviceName":"d3"}]}})"),
            R"({"id":"13","code":403,"data":{},"message":"device d3 of product pk is not bound to user alice"})");
  // Bob may.
  EXPECT_NE(ask(kConfirm, device_params("14", "d3"), "bob").find(R"("code":200,)"), std::string::npos);
  EXPECT_EQ(state("d3"), TaskState::kQueued);
}

TEST_F(LivingAppTest, ProgressListShowsLatestTasks) {
  ask(kConfirm, device_params("1", "d1"));
  Outbox out;
  engine_->run_due(kT0 + 1000, out);
  engine_->on_progress_report({{"pk", "d1"}, "default", 40, "downloading"}, kT0 + 2000, out);
  EXPECT_EQ(ask(kProgressList,
                R"({"id":"15","params":{"devices":[{"productKey":"pk","deviceName":"d1"},)"
                R"({"productKey":"pk","deviceName":"d4"}]}})"),
            R"({"id":"15","code":200,"data":{"devices":[{"productKey":"pk","deviceName":"d1","jobId":1,)"
            R"("module":"default","targetVersion":"2.0.0","state":"IN_PROGRESS","step":40,"desc":"downloading"},)"
            R"({"productKey":"pk","deviceName":"d4","jobId":null,"module":"","targetVersion":"",)"
            R"("state":"NONE","step":0,"desc":""}]},"message":"success"})");
}

TEST_F(LivingAppTest, MalformedRequestsAreAnsweredAndChangeNothing) {
  EXPECT_EQ(ask(kConfirm, R"({"id":"16","params":{"productKey":"pk"}})"),
            R"({"id":"16","code":400,"data":{},"message":"params: field 'deviceName' is required"})");
  EXPECT_EQ(outcome_.problem, "params: field 'deviceName' is required");
  // Without a readable id, the reply carries none.
  EXPECT_EQ(ask(kConfirm, "{").rfind(R"({"code":400,"data":{},"message":"payload is not a JSON object: )", 0),
            0u);
  EXPECT_EQ(state("d1"), TaskState::kConfirm);
}

TEST_F(LivingAppTest, NoIdentityIsUnauthorised) {
  EXPECT_EQ(ask(kConfirm, device_params("17", "d1"), ""),
            R"({"id":"17","code":401,"data":{},)"
            R"js("message":"the connection has no app identity (plugin_opt_living_app_identity)"})js");
  EXPECT_FALSE(outcome_.problem.empty());
  EXPECT_EQ(state("d1"), TaskState::kConfirm);
}

TEST_F(LivingAppTest, NoClientToAddressMeansNoReply) {
  AppOutcome o = app_->handle(kPending, R"({"id":"1"})", {"alice", ""}, kT0);
  EXPECT_TRUE(o.reply.topic.empty());
}

// The control commands that manage bindings.
TEST_F(LivingAppTest, BindingCommands) {
  CommandContext ctx{*engine_, *store_, kT0, nullptr, {}, nullptr};
  auto run = [&](const std::string& cmds) {
    return handle_control_payload(R"({"commands":[)" + cmds + "]}", ctx, true).response;
  };
  EXPECT_EQ(run(R"({"command":"bindDevice","user":"carol","product":"pk","device":"d4"},)"
                R"({"command":"bindDevice","user":"carol","product":"pk","device":"d4"},)"
                R"({"command":"bindDevice","user":"carol","product":"pk"},)"
                R"({"command":"bindDevice","user":"a/b","product":"pk","device":"d4"},)"
                R"({"command":"bindDevice","user":"carol","product":"pk","device":"d4","x":1})"),
            R"({"responses":[)"
            R"({"command":"bindDevice","data":{"binding":{"user":"carol","product":"pk","device":"d4","created":true}}},)"
            R"({"command":"bindDevice","data":{"binding":{"user":"carol","product":"pk","device":"d4","created":false}}},)"
            R"({"command":"bindDevice","error":"field 'device' is required"},)"
            R"({"command":"bindDevice","error":"field 'user' must not contain '/', '+' or '#'"},)"
            R"({"command":"bindDevice","error":"unknown field 'x'"}]})");
  EXPECT_EQ(run(R"({"command":"listBindings","user":"alice","count":2},{"command":"listBindings","product":"nope"})"),
            R"({"responses":[{"command":"listBindings","data":{"bindings":[)"
            R"({"user":"alice","product":"pk","device":"d1"},{"user":"alice","product":"pk","device":"d2"}],)"
            R"("offset":0,"count":2,"more":true}},)"
            R"({"command":"listBindings","data":{"bindings":[],"offset":0,"count":0,"more":false}}]})");
  EXPECT_EQ(run(R"({"command":"unbindDevice","user":"alice","product":"pk","device":"d1"},)"
                R"({"command":"unbindDevice","user":"alice","product":"pk","device":"d1"})"),
            R"({"responses":[{"command":"unbindDevice","data":{"binding":{"user":"alice","product":"pk","device":"d1"}}},)"
            R"({"command":"unbindDevice","error":"user alice is not bound to device d1 of product pk"}]})");
  EXPECT_FALSE(store_->has_binding({"alice", {"pk", "d1"}}));
  EXPECT_TRUE(store_->has_binding({"carol", {"pk", "d4"}}));
}

// The service: routes /living/ota/ requests to the app, drops them for
// other subscribers, answers to the asking client after the commit, counts
// refusals, and guards the topics in its ACL check.
class LivingServiceTest : public ::testing::Test {
 protected:
  void open(std::vector<std::pair<std::string, std::string>> opts) {
    opts.emplace_back("db_path", tmp_.sub("db"));
    opts.emplace_back("admins", "admin");
    opts.emplace_back("sys_interval", "0");
    Result<PluginOptions> o = parse_plugin_options(opts);
    ASSERT_TRUE(o.ok()) << o.error();
    Result<std::unique_ptr<OtaService>> s =
        open_ota_service(o.value(), [this](LogLevel, const std::string& l) { log_.push_back(l); });
    ASSERT_TRUE(s.ok()) << s.error();
    service_ = std::move(s.value());
  }
  ClientInfo alice() { return {&conn_, "alice-phone", "alice"}; }

  test::TempDir tmp_;
  std::unique_ptr<OtaService> service_;
  std::vector<std::string> log_;
  int conn_ = 0;
};

TEST_F(LivingServiceTest, RequestsAreAnsweredToTheAskerOnly) {
  open({});
  EXPECT_EQ(service_->on_message(kPending, R"({"id":"3"})", alice(), kT0), MessageVerdict::kDrop);
  std::vector<OutboundMessage> out = service_->flush(kT0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, "/living/ota/firmware/file/get_reply");
  EXPECT_EQ(out[0].client_id, "alice-phone");
  EXPECT_EQ(out[0].payload, R"({"id":"3","code":200,"data":{"devices":[]},"message":"success"})");
  EXPECT_EQ(service_->counters().messages_rejected, 0u);

  EXPECT_EQ(service_->on_message(kConfirm, device_params("4", "d1"), alice(), kT0),
            MessageVerdict::kDrop);
  out = service_->flush(kT0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, R"({"id":"4","code":403,"data":{},"message":"device d1 of product pk is not bound to user alice"})");
  EXPECT_EQ(service_->counters().messages_rejected, 1u);
  ASSERT_FALSE(log_.empty());
  EXPECT_EQ(log_.back(), "mosquitto-ota: rejected message on '/living/ota/confirm' from client "
                         "'alice-phone' (username 'alice'): device d1 of product pk is not bound to user alice");
}

TEST_F(LivingServiceTest, ClientIdIdentityOption) {
  open({{"living_app_identity", "clientid"}});
  service_->on_message(kConfirm, device_params("4", "d1"), alice(), kT0);
  std::vector<OutboundMessage> out = service_->flush(kT0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].payload.find("not bound to user alice-phone"), std::string::npos) << out[0].payload;
}

TEST_F(LivingServiceTest, AclLetsAppsRequestAndReadReplies) {
  open({{"acl_default", "defer"}});
  const ClientInfo a = alice();
  EXPECT_EQ(service_->on_acl_check(kConfirm, AclAccess::kWrite, a, kT0), AclVerdict::kAllow);
  EXPECT_EQ(service_->on_acl_check("/living/ota/confirm_reply", AclAccess::kSubscribe, a, kT0),
            AclVerdict::kAllow);
  EXPECT_EQ(service_->on_acl_check("/living/ota/confirm_reply", AclAccess::kRead, a, kT0),
            AclVerdict::kAllow);
  // Nobody forges replies or reads others' requests.
  EXPECT_EQ(service_->on_acl_check("/living/ota/confirm_reply", AclAccess::kWrite, a, kT0),
            AclVerdict::kDeny);
  EXPECT_EQ(service_->on_acl_check(kConfirm, AclAccess::kSubscribe, a, kT0), AclVerdict::kDeny);
  EXPECT_EQ(service_->on_acl_check("/living/ota/#", AclAccess::kSubscribe, a, kT0), AclVerdict::kDeny);
  EXPECT_EQ(service_->on_acl_check("/living/ota/other", AclAccess::kWrite, a, kT0), AclVerdict::kDeny);
  EXPECT_EQ(service_->on_acl_check(kConfirm, AclAccess::kUnsubscribe, a, kT0), AclVerdict::kAllow);
  // Other topics keep the plugin's acl_default.
  EXPECT_EQ(service_->on_acl_check("/living/other", AclAccess::kWrite, a, kT0), AclVerdict::kDefer);
}

TEST_F(LivingServiceTest, SwitchedOffTheTopicsAreOrdinary) {
  open({{"living_app", "false"}, {"acl_default", "allow"}});
  EXPECT_EQ(service_->on_message(kConfirm, device_params("4", "d1"), alice(), kT0),
            MessageVerdict::kPass);
  EXPECT_TRUE(service_->flush(kT0).empty());
  EXPECT_EQ(service_->on_acl_check("/living/ota/confirm_reply", AclAccess::kWrite, alice(), kT0),
            AclVerdict::kAllow);
}

TEST(LivingAppOptions, OnWhenAliyunIsEnabled) {
  auto parse = [](std::vector<std::pair<std::string, std::string>> o) {
    o.emplace_back("db_path", "/x");
    return parse_plugin_options(o).value();
  };
  EXPECT_TRUE(parse({}).living_app);
  EXPECT_EQ(parse({}).living_app_identity, IdentitySource::kUsername);
  EXPECT_FALSE(parse({{"default_dialect", "tencent"}}).living_app);
  EXPECT_TRUE(parse({{"default_dialect", "tencent"}, {"dialects", "aliyun"}}).living_app);
  EXPECT_TRUE(parse({{"default_dialect", "tencent"}, {"living_app", "true"}}).living_app);
  EXPECT_FALSE(parse({{"living_app", "false"}}).living_app);
  EXPECT_EQ(parse({{"living_app_identity", "clientid"}}).living_app_identity,
            IdentitySource::kClientId);
  EXPECT_EQ(parse_plugin_options({{"db_path", "/x"}, {"living_app_identity", "token"}}).error(),
            "plugin_opt_living_app_identity 'token' must be username or clientid");
}

}  // namespace
}  // namespace ota
