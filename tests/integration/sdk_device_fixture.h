// The fixture of the end-to-end tests with SDK-like devices (sdk_*_device.h):
// a broker with the plugin's default identity settings, the aliyun and
// tencent dialects, its own HTTP download server on a free loopback port,
// and a firmware image to upload.
#pragma once

#include <string>

#include "dialect_support.h"
#include "http_test_client.h"

namespace ota::test::dialect_test {

inline constexpr size_t kFileSize = 300 * 1000 + 7;  // several HTTP chunks, odd size

class SdkDeviceTest : public DialectTest {
 protected:
  BrokerOptions broker_options() override;
  void SetUp() override;

  // Uploads the firmware image and creates a package of it; the package id,
  // or -1 after a failure.
  long long uploaded_package(const std::string& product, const std::string& version);

  int http_port_ = 0;
  std::string firmware_;
};

}  // namespace ota::test::dialect_test
