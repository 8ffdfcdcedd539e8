#include "sdk_device_fixture.h"

#ifndef OTA_HTTP_LIBRARY_PATH
#define OTA_HTTP_LIBRARY_PATH "mosquitto_ota_http.so"
#endif

namespace ota::test::dialect_test {

BrokerOptions SdkDeviceTest::broker_options() {
  http_port_ = pick_listen_port();
  return with_opts({{"dialects", "aliyun,tencent"},
                    {"firmware_dir", std::string(kDirPlaceholder) + "/firmware"},
                    {"http_library", OTA_HTTP_LIBRARY_PATH},
                    {"http_listen", "127.0.0.1:" + std::to_string(http_port_)},
                    {"http_public_url", "http://127.0.0.1:" + std::to_string(http_port_)}});
}

void SdkDeviceTest::SetUp() {
  DialectTest::SetUp();
  firmware_ = random_bytes(kFileSize, 3);
}

long long SdkDeviceTest::uploaded_package(const std::string& product, const std::string& version) {
  const std::string sha = upload_firmware(firmware_);
  if (sha.empty()) return -1;
  return create_package(R"({"product":")" + product + R"(","version":")" + version +
                        R"(","fileSha256":")" + sha + "\"}");
}

}  // namespace ota::test::dialect_test
