// Unit tests of mosquitto_ota_ctrl's --shards list (ctrl/shards.h); the
// command itself runs against real brokers in shards_test.cc.
#include <gtest/gtest.h>

#include "errors.h"
#include "shards.h"

namespace ota::ctrl {
namespace {

std::vector<std::string> addresses(const std::string& list, int default_port = 1883) {
  std::vector<std::string> out;
  for (const Shard& s : parse_shards(list, default_port)) out.push_back(s.address());
  return out;
}

TEST(CtrlShardsTest, ListsWithAndWithoutPorts) {
  EXPECT_EQ(addresses("b1:1884,b2,10.0.0.3:2000"),
            (std::vector<std::string>{"b1:1884", "b2:1883", "10.0.0.3:2000"}));
  EXPECT_EQ(addresses("b1", 8883), std::vector<std::string>{"b1:8883"});
}

TEST(CtrlShardsTest, BadListsAreUsageErrors) {
  for (const char* bad : {"", ",", "b1,", "b1,,b2", ":1883", "b1:", "b1:0", "b1:65536",
                          "b1:x", "b1:18 83", "b1:1883,b1:1883", "b1,b1:1883"}) {
    EXPECT_THROW(parse_shards(bad, 1883), UsageError) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace ota::ctrl
