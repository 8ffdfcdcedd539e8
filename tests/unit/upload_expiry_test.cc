#include "service/upload_expiry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "delivery/firmware_store.h"
#include "temp_dir.h"

namespace ota {
namespace {

namespace fs = std::filesystem;

const std::string kSha(64, 'a');  // the upload never finishes: any digest

class UploadExpiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = FirmwareStore::open(tmp_.path());
    ASSERT_TRUE(opened.ok()) << opened.error();
    store_ = std::move(opened.value());
  }
  UploadId begin_aged(std::chrono::hours age) {
    const UploadId id = store_->begin_upload(10, kSha).value();
    const std::string part = tmp_.sub("uploads/" + id + ".part");
    fs::last_write_time(part, fs::last_write_time(part) - age);
    return id;
  }

  test::TempDir tmp_;
  std::unique_ptr<FirmwareStore> store_;
  std::vector<std::string> lines_;
  Logger log_ = [this](LogLevel, const std::string& l) { lines_.push_back(l); };
};

TEST_F(UploadExpiryTest, IdleUploadsAreAbortedOncePerCheckInterval) {
  UploadExpiry expiry(store_.get(), 3600, log_);
  const UploadId old_one = begin_aged(std::chrono::hours(2));
  EXPECT_EQ(expiry.run_due(1'000'000), 1u);
  EXPECT_FALSE(store_->upload_status(old_one).ok());
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0], "mosquitto-ota: aborted 1 upload(s) idle for more than 3600 s "
                       "(plugin_opt_upload_expiry)");
  // The next check is a minute later, whatever became idle meanwhile.
  const UploadId second = begin_aged(std::chrono::hours(2));
  EXPECT_EQ(expiry.run_due(1'000'000 + UploadExpiry::kCheckIntervalMs - 1), 0u);
  EXPECT_TRUE(store_->upload_status(second).ok());
  EXPECT_EQ(expiry.run_due(1'000'000 + UploadExpiry::kCheckIntervalMs), 1u);
}

TEST_F(UploadExpiryTest, FreshUploadsStayAndZeroDisables) {
  const UploadId fresh = store_->begin_upload(10, kSha).value();
  UploadExpiry expiry(store_.get(), 3600, log_);
  EXPECT_EQ(expiry.run_due(1'000'000), 0u);
  EXPECT_TRUE(store_->upload_status(fresh).ok());
  EXPECT_TRUE(lines_.empty());
  begin_aged(std::chrono::hours(24 * 400));
  EXPECT_EQ(UploadExpiry(store_.get(), 0, log_).run_due(1'000'000), 0u);
  EXPECT_EQ(UploadExpiry(nullptr, 3600, log_).run_due(1'000'000), 0u);
}

}  // namespace
}  // namespace ota
