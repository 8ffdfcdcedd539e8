#include "service/plugin_options.h"

#include <gtest/gtest.h>

namespace ota {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(PluginOptions, DefaultsWithOnlyTheRequiredPath) {
  Result<PluginOptions> o = parse_plugin_options({{"db_path", "/var/lib/ota"}});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o.value().db_path, "/var/lib/ota");
  EXPECT_TRUE(o.value().admins.empty());
  EXPECT_EQ(o.value().default_dialect, "aliyun");
  EXPECT_EQ(o.value().aliyun_code, "200");
  EXPECT_EQ(o.value().sys_interval_s, 10);
  EXPECT_EQ(o.value().max_payload_bytes, 16384u);
  EXPECT_TRUE(o.value().auto_register);
  EXPECT_EQ(o.value().sync_interval_ms, 1000);
  EXPECT_FALSE(o.value().consume_device_messages);
  EXPECT_EQ(o.value().mqtt_block_max_bytes, 65536);
}

TEST(PluginOptions, MqttBlockMaxBytes) {
  Result<PluginOptions> o =
      parse_plugin_options({{"db_path", "/d"}, {"mqtt_block_max_bytes", "5120"}});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o.value().mqtt_block_max_bytes, 5120);
  EXPECT_NE(o.value().describe().find("mqtt_block_max_bytes=5120"), std::string::npos);
  o = parse_plugin_options({{"db_path", "/d"}, {"mqtt_block_max_bytes", "63"}});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error(),
            "plugin_opt_mqtt_block_max_bytes '63' must be an integer from 64 to 4194304");
}

TEST(PluginOptions, MetricsAreOffUnlessAListenerIsGiven) {
  Result<PluginOptions> o = parse_plugin_options({{"db_path", "/d"}});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o.value().metrics_listen, "");
  EXPECT_EQ(o.value().metrics_refresh_ms, 1000);
  EXPECT_NE(o.value().describe().find("metrics_listen=(off)"), std::string::npos);
  o = parse_plugin_options(
      {{"db_path", "/d"}, {"metrics_listen", "127.0.0.1:9883"}, {"metrics_refresh_ms", "250"}});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o.value().metrics_listen, "127.0.0.1:9883");
  EXPECT_EQ(o.value().metrics_refresh_ms, 250);
  EXPECT_NE(o.value().describe().find("metrics_listen=127.0.0.1:9883 metrics_refresh_ms=250"),
            std::string::npos);
}

TEST(PluginOptions, BadMetricsOptionsAreRefused) {
  Result<PluginOptions> o =
      parse_plugin_options({{"db_path", "/d"}, {"metrics_refresh_ms", "99"}});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error(),
            "plugin_opt_metrics_refresh_ms '99' must be an integer from 100 to 3600000");
  // Not on the devices' download port.
  o = parse_plugin_options({{"db_path", "/d"}, {"firmware_dir", "/fw"},
                            {"http_public_url", "http://ota:8080"}, {"http_listen", ":8080"},
                            {"metrics_listen", ":8080"}});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error(),
            "plugin_opt_metrics_listen must differ from plugin_opt_http_listen: metrics have "
            "their own listener, kept off the devices' download port");
}

TEST(PluginOptions, MissingDbPathIsAnError) {
  Result<PluginOptions> o = parse_plugin_options({{"admins", "a"}});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error(), "plugin_opt_db_path is required: the directory of the OTA database");
}

TEST(PluginOptions, EveryOptionParses) {
  Result<PluginOptions> o = parse_plugin_options({
      {"db_path", " /db "}, {"admins", "ops, root ,,ci"}, {"default_dialect", "aliyun"},
      {"aliyun_code", "1000"}, {"sys_interval", "0"}, {"max_payload_bytes", "1024"},
      {"auto_register", "false"}, {"default_timeout", "90"}, {"db_map_size_mb", "64"},
      {"sync_interval_ms", "0"}, {"consume_device_messages", "yes"}, {"cache_devices", "1000000"}});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o.value().db_path, "/db");
  EXPECT_EQ(o.value().admins, (std::vector<std::string>{"ops", "root", "ci"}));
  EXPECT_EQ(o.value().aliyun_code, "1000");
  EXPECT_EQ(o.value().sys_interval_s, 0);
  EXPECT_EQ(o.value().max_payload_bytes, 1024u);
  EXPECT_FALSE(o.value().auto_register);
  EXPECT_EQ(o.value().default_timeout_s, 90);
  EXPECT_EQ(o.value().db_map_size_mb, 64u);
  EXPECT_EQ(o.value().cache_devices, 1000000u);
  EXPECT_EQ(PluginOptions{}.cache_devices, 65536u);
  EXPECT_EQ(o.value().sync_interval_ms, 0);
  EXPECT_TRUE(o.value().consume_device_messages);
}

TEST(PluginOptions, DownloadServerLimitsAndResendCapParse) {
  Result<PluginOptions> o = parse_plugin_options(
      {{"db_path", "/db"}, {"http_max_connections_per_address", "4"},
       {"http_header_timeout", "3"}, {"max_resends", "0"}});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o.value().http_max_connections_per_address, 4);
  EXPECT_EQ(o.value().http_header_timeout_s, 3);
  EXPECT_EQ(o.value().max_resends, 0);
  Result<PluginOptions> d = parse_plugin_options({{"db_path", "/db"}});
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d.value().http_max_connections_per_address, 32);
  EXPECT_EQ(d.value().http_header_timeout_s, 10);
  EXPECT_EQ(d.value().max_resends, 20);
  EXPECT_FALSE(parse_plugin_options({{"db_path", "/db"}, {"http_header_timeout", "0"}}).ok());
}

TEST(PluginOptions, BadValuesNameTheOptionAndTheRule) {
  const std::vector<std::pair<Pairs, std::string>> cases = {
      {{{"db_path", "/d"}, {"sys_interval", "ten"}},
       "plugin_opt_sys_interval 'ten' must be an integer from 0 to 86400"},
      {{{"db_path", "/d"}, {"sys_interval", "-1"}},
       "plugin_opt_sys_interval '-1' must be an integer from 0 to 86400"},
      {{{"db_path", "/d"}, {"auto_register", "maybe"}},
       "plugin_opt_auto_register 'maybe' must be true or false"},
      {{{"db_path", "/d"}, {"default_dialect", "mqttx"}},
       "plugin_opt_default_dialect 'mqttx' must be one of: aliyun, thingspanel, ctwing, tencent"},
      {{{"db_path", "/d"}, {"db_pth", "/x"}},
       "unknown option plugin_opt_db_pth (see docs/configuration.md)"},
      {{{"db_path", "/d"}, {"max_payload_bytes", "12"}},
       "plugin_opt_max_payload_bytes '12' must be an integer from 256 to 16777216"},
  };
  for (const auto& [pairs, expected] : cases) {
    Result<PluginOptions> o = parse_plugin_options(pairs);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error(), expected);
  }
}

TEST(PluginOptions, DescribeListsEveryValue) {
  Result<PluginOptions> o = parse_plugin_options({{"db_path", "/db"}, {"admins", "a,b"}});
  ASSERT_TRUE(o.ok());
  const std::string d = o.value().describe();
  EXPECT_NE(d.find("db_path=/db"), std::string::npos);
  EXPECT_NE(d.find("admins=a,b"), std::string::npos);
  EXPECT_NE(d.find("sync_interval_ms=1000"), std::string::npos);
}

}  // namespace
}  // namespace ota

namespace ota {
namespace {

TEST(PluginOptions, SecureByDefault) {
  Result<PluginOptions> o = parse_plugin_options({{"db_path", "/d"}});
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o.value().device_identity.kind, IdentityChoice::Kind::kSdk);
  EXPECT_EQ(o.value().acl_default, AclDefault::kAuto);
  EXPECT_FALSE(o.value().acl_allow_others);  // until the broker's configuration says
}

TEST(PluginOptions, IdentityPatternsAndAclDefault) {
  Result<PluginOptions> o = parse_plugin_options(
      {{"db_path", "/d"}, {"device_identity", "username:{pk}/{dn}"}, {"acl_default", "allow"}});
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o.value().device_identity.describe(), "username:{pk}/{dn}");
  EXPECT_TRUE(o.value().acl_allow_others);
  Result<PluginOptions> bad =
      parse_plugin_options({{"db_path", "/d"}, {"device_identity", "username:{pk}"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("must contain {dn}"), std::string::npos) << bad.error();
}

TEST(PluginOptions, ClientIdAdminsAreRefusedWithTheReason) {
  Result<PluginOptions> o =
      parse_plugin_options({{"db_path", "/d"}, {"admin_client_ids", "console"}});
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().find("does not authenticate client ids"), std::string::npos) << o.error();
}

}  // namespace
}  // namespace ota
