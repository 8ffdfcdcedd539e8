// The shipped dialect fragments (broker-config/dialects/*.conf) are what
// they claim: a broker with the plugin starts with each of them, and a
// product of that dialect gets the defaults the fragment describes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "broker_process.h"
#include "control_client.h"
#include "ota_api.h"

namespace ota::test {
namespace {

namespace fs = std::filesystem;

// The option lines of a fragment (comments and blank lines left out).
std::vector<std::string> option_lines(const fs::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

TEST(BrokerConfig, EveryDialectFragmentStartsTheBroker) {
  const fs::path dir = fs::path(OTA_BROKER_CONFIG_DIR) / "dialects";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  ASSERT_EQ(files.size(), 4u) << "one fragment per dialect";
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    BrokerOptions options;
    options.extra_config = option_lines(file);
    ASSERT_FALSE(options.extra_config.empty());
    for (const std::string& line : options.extra_config) {
      EXPECT_EQ(line.rfind("plugin_opt_", 0), 0u) << "not a plugin option: " << line;
    }
    BrokerProcess broker(options);
    ASSERT_EQ(broker.start(), "") << "the broker refused " << file;
    const std::string dialect = file.stem().string();
    if (dialect == "thingspanel" || dialect == "ctwing") {
      // Their topics name no product: the fragment's product speaks the dialect.
      ControlClient admin;
      ASSERT_TRUE(admin.connect(broker.port()));
      OtaApi api(admin);
      JsonPtr product = api.run("getProductConfig", "{\"product\":\"" + dialect + "\"}", "product");
      ASSERT_TRUE(product);
      EXPECT_EQ(json_string_at(product.get(), "dialect"), dialect) << json_text(product.get());
    }
  }
}

}  // namespace
}  // namespace ota::test
