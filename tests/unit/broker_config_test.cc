// Reading the broker's configuration, and the ACL answer for other topics
// decided from it (plugin/brokerconf/).
#include "brokerconf/broker_config.h"

#include <gtest/gtest.h>

#include <map>

namespace ota {
namespace {

struct FakeFiles {
  std::map<std::string, std::string> files;
  std::map<std::string, std::vector<std::string>> dirs;

  Result<BrokerConfig> read(const std::string& path) const {
    return read_broker_config(
        path,
        [&](const std::string& p) -> std::optional<std::string> {
          auto it = files.find(p);
          if (it == files.end()) return std::nullopt;
          return it->second;
        },
        [&](const std::string& d) -> std::optional<std::vector<std::string>> {
          auto it = dirs.find(d);
          if (it == dirs.end()) return std::nullopt;
          return it->second;
        },
        [](std::string_view p) { return p.find("mosquitto_ota.so") != std::string_view::npos; });
  }
};

TEST(BrokerConfig, ReadsSecurityOptionsAndPluginOrder) {
  FakeFiles fs;
  fs.files["/etc/mosquitto/mosquitto.conf"] =
      "# acl_file /commented/out\n"
      "per_listener_settings false\n"
      "listener 8883\n"
      "  password_file /etc/mosquitto/passwd  \r\n"
      "plugin /usr/lib/mosquitto_ota.so\n"
      "plugin_opt_db_path /var/lib/ota\n"
      "include_dir /etc/mosquitto/conf.d\n";
  fs.dirs["/etc/mosquitto/conf.d"] = {"/etc/mosquitto/conf.d/a.conf",
                                      "/etc/mosquitto/conf.d/b.conf"};
  fs.files["/etc/mosquitto/conf.d/a.conf"] =
      "plugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so\n"
      "plugin_opt_config_file /var/lib/dynsec.json\n";
  fs.files["/etc/mosquitto/conf.d/b.conf"] = "use_identity_as_username true\n";
  Result<BrokerConfig> c = fs.read("/etc/mosquitto/mosquitto.conf");
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(c.value().acl_file);
  EXPECT_TRUE(c.value().password_file);
  EXPECT_TRUE(c.value().identity_from_certificates);
  EXPECT_FALSE(c.value().per_listener_settings);
  ASSERT_EQ(c.value().plugins.size(), 2u);
  EXPECT_EQ(c.value().self, 0u);
  EXPECT_TRUE(is_dynamic_security(c.value().plugins[1]));
}

TEST(BrokerConfig, IncludeDirOnlyFromTheMainFileAndUnreadableFilesAreErrors) {
  FakeFiles fs;
  fs.files["/m.conf"] = "include_dir /d\n";
  fs.dirs["/d"] = {"/d/x.conf"};
  fs.files["/d/x.conf"] = "include_dir /e\nacl_file /acl\n";
  fs.dirs["/e"] = {"/e/y.conf"};
  fs.files["/e/y.conf"] = "password_file /p\n";
  Result<BrokerConfig> c = fs.read("/m.conf");
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c.value().acl_file);
  EXPECT_FALSE(c.value().password_file);  // mosquitto ignores nested include_dir
  EXPECT_EQ(c.value().self, 0u);           // not found: plugins.size()

  EXPECT_FALSE(fs.read("/missing.conf"));
  fs.files["/m.conf"] = "include_dir /nowhere\n";
  EXPECT_FALSE(fs.read("/m.conf"));
}

TEST(BrokerConfig, CommandLine) {
  using namespace std::string_literals;
  EXPECT_EQ(config_path_from_cmdline("/usr/sbin/mosquitto\0-c\0/etc/m.conf\0"s), "/etc/m.conf");
  EXPECT_EQ(config_path_from_cmdline("mosquitto\0-v\0--config-file\0/a\0-c\0/b\0"s), "/b");
  EXPECT_EQ(config_path_from_cmdline("mosquitto\0-v\0"s), std::nullopt);
  EXPECT_EQ(config_path_from_cmdline("mosquitto\0-c\0"s), std::nullopt);
  EXPECT_EQ(config_path_from_cmdline(""), std::nullopt);
}

BrokerConfig config(bool acl_file, std::vector<std::string> plugins, size_t self) {
  BrokerConfig c;
  c.path = "/etc/mosquitto/mosquitto.conf";
  c.acl_file = acl_file;
  c.plugins = std::move(plugins);
  c.self = self;
  return c;
}

const std::string kOta = "/usr/lib/mosquitto_ota.so";
const std::string kDynsec = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so";

TEST(AclDefault, AutoAllowsAloneAndDefersBesideOtherAcls) {
  const BrokerConfig alone = config(false, {kOta}, 0);
  Result<AclDecision> d = decide_acl_default(AclDefault::kAuto, &alone, "");
  ASSERT_TRUE(d) << d.error();
  EXPECT_TRUE(d.value().allow_others);

  const BrokerConfig with_acl_file = config(true, {kOta}, 0);
  d = decide_acl_default(AclDefault::kAuto, &with_acl_file, "");
  ASSERT_TRUE(d) << d.error();
  EXPECT_FALSE(d.value().allow_others);
  EXPECT_NE(d.value().reason.find("acl_file"), std::string::npos);

  const BrokerConfig with_dynsec = config(false, {kOta, kDynsec}, 0);
  d = decide_acl_default(AclDefault::kAuto, &with_dynsec, "");
  ASSERT_TRUE(d) << d.error();
  EXPECT_FALSE(d.value().allow_others);
}

TEST(AclDefault, RefusesAnswersThatWouldBeWrong) {
  const BrokerConfig with_acl_file = config(true, {kOta}, 0);
  Result<AclDecision> d = decide_acl_default(AclDefault::kAllow, &with_acl_file, "");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("bypass acl_file"), std::string::npos) << d.error();

  const BrokerConfig alone = config(false, {kOta}, 0);
  d = decide_acl_default(AclDefault::kDefer, &alone, "");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("deny every topic"), std::string::npos) << d.error();

  // Loaded after dynamic security, the plugin's own checks would not run.
  const BrokerConfig late = config(false, {kDynsec, kOta}, 1);
  d = decide_acl_default(AclDefault::kAuto, &late, "");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("before"), std::string::npos) << d.error();

  BrokerConfig per_listener = alone;
  per_listener.per_listener_settings = true;
  EXPECT_FALSE(decide_acl_default(AclDefault::kAuto, &per_listener, ""));
}

TEST(AclDefault, AnUnknownPluginOrAnUnreadableConfigNeedsTheOperatorsWord) {
  const BrokerConfig unknown = config(false, {kOta, "/usr/lib/my_auth.so"}, 0);
  Result<AclDecision> d = decide_acl_default(AclDefault::kAuto, &unknown, "");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("/usr/lib/my_auth.so"), std::string::npos) << d.error();
  EXPECT_NE(d.error().find("plugin_opt_acl_default"), std::string::npos) << d.error();
  d = decide_acl_default(AclDefault::kDefer, &unknown, "");
  ASSERT_TRUE(d) << d.error();
  EXPECT_FALSE(d.value().allow_others);
  d = decide_acl_default(AclDefault::kAllow, &unknown, "");
  ASSERT_TRUE(d) << d.error();
  EXPECT_TRUE(d.value().allow_others);

  d = decide_acl_default(AclDefault::kAuto, nullptr, "no -c on the command line");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("no -c on the command line"), std::string::npos) << d.error();
  d = decide_acl_default(AclDefault::kDefer, nullptr, "no -c");
  ASSERT_TRUE(d) << d.error();
  EXPECT_FALSE(d.value().allow_others);
}

}  // namespace
}  // namespace ota
