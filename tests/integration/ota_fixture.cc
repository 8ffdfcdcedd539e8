#include "ota_fixture.h"

namespace ota::test {

std::string log_tail(const BrokerProcess& broker, size_t bytes) {
  std::string log = broker.output() + broker.log();
  if (log.size() > bytes) log = "..." + log.substr(log.size() - bytes);
  return log;
}

void OtaBrokerTest::SetUp() {
  broker_ = std::make_unique<BrokerProcess>(broker_options());
  before_start(*broker_);
  if (HasFatalFailure()) return;
  const std::string error = broker_->start();
  ASSERT_EQ(error, "") << "broker with the OTA plugin did not start";
  ASSERT_TRUE(connect_admin());
}

void OtaBrokerTest::TearDown() {
  if (!broker_) return;
  if (expect_running_at_end_) {
    EXPECT_TRUE(broker_->running()) << "the broker died during the test ("
                                    << broker_->last_exit().describe() << ")\n"
                                    << log_tail(*broker_);
  }
  if (HasFailure()) {
    std::cerr << "---- broker log tail (" << broker_->dir() << ") ----\n"
              << log_tail(*broker_) << "\n----\n";
  }
  api_.reset();
  admin_.reset();
  broker_.reset();
}

testing::AssertionResult OtaBrokerTest::connect_admin() {
  admin_ = std::make_unique<ControlClient>();
  auto r = admin_->connect(broker_->port(), admin_connect_options());
  if (!r) return r;
  if (api_) {
    api_->set_control(*admin_);
  } else {
    api_ = std::make_unique<OtaApi>(*admin_);
  }
  return testing::AssertionSuccess();
}

std::unique_ptr<AliyunDevice> OtaBrokerTest::device(const std::string& product,
                                                    const std::string& name,
                                                    const std::string& version,
                                                    const std::string& module) {
  auto dev = std::make_unique<AliyunDevice>(product, name);
  auto r = dev->connect(broker_->port());
  EXPECT_TRUE(r) << "device " << product << "/" << name;
  if (r && !version.empty()) {
    EXPECT_TRUE(dev->report_version(version, module));
  }
  return dev;
}

long long OtaBrokerTest::start_job(const PackageSpec& spec, const std::vector<std::string>& devices,
                                   std::optional<int> timeout_seconds, long long* package_id) {
  JsonPtr pkg = api_->create_package(spec);
  if (!pkg) return -1;
  auto pid = json_int_at(pkg.get(), "id");
  if (!pid) {
    ADD_FAILURE() << "createPackage: package.id is not an integer: " << json_text(pkg.get());
    return -1;
  }
  if (package_id) *package_id = *pid;
  JsonPtr job = api_->create_job(*pid, devices, timeout_seconds);
  if (!job) return -1;
  auto jid = json_int_at(job.get(), "id");
  if (!jid) {
    ADD_FAILURE() << "createJob: job.id is not an integer: " << json_text(job.get());
    return -1;
  }
  return *jid;
}

}  // namespace ota::test
