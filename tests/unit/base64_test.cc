// The one base64 of the plugin (upload chunks) and mosquitto_ota_ctrl.
#include "json/base64.h"

#include <gtest/gtest.h>

#include <random>

namespace ota {
namespace {

TEST(Base64, KnownVectors) {
  // RFC 4648 section 10.
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base64::encode(plain), encoded);
    EXPECT_EQ(base64::decode(encoded), std::optional<std::string>(plain));
  }
  EXPECT_EQ(base64::encode(std::string("\xff\xfe\x00\x01", 4)), "//4AAQ==");
}

TEST(Base64, RoundTripsRandomBytes) {
  std::mt19937 rng(42);
  for (size_t n : {1u, 2u, 3u, 4u, 5u, 255u, 256u, 257u, 1000u, 262144u}) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const std::string encoded = base64::encode(bytes);
    EXPECT_EQ(encoded.size(), (n + 2) / 3 * 4);
    EXPECT_EQ(base64::decode(encoded), std::optional<std::string>(bytes)) << n << " bytes";
  }
}

TEST(Base64, RejectsBadText) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!", "Zg==Zg==", "Zm=v", "Zh==", "Zm9 "}) {
    EXPECT_EQ(base64::decode(bad), std::nullopt) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace ota
