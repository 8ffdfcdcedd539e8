// Unit tests of mosquitto_ota_ctrl's option parsers (ctrl/parse.h): they
// live with the ctrl integration tests so that one filter (Ctrl*) runs all
// of mosquitto_ota_ctrl's tests.
#include <gtest/gtest.h>


#include "errors.h"
#include "options.h"
#include "output.h"
#include "parse.h"

namespace ota::ctrl {
namespace {

TEST(CtrlParseTest, Durations) {
  EXPECT_EQ(parse_duration("90"), 90);
  EXPECT_EQ(parse_duration("90s"), 90);
  EXPECT_EQ(parse_duration("30m"), 1800);
  EXPECT_EQ(parse_duration("2h"), 7200);
  EXPECT_EQ(parse_duration("1d"), 86400);
  EXPECT_EQ(parse_duration("1h30m"), 5400);
  EXPECT_EQ(parse_duration("1d2h3m4s"), 93784);
  EXPECT_EQ(parse_duration("0"), 0);
  EXPECT_EQ(parse_duration(" 10m "), 600);
  for (const char* bad : {"", "m", "10x", "-5", "1.5h", "10 m", "h10", "10mm", "1e3",
                          "99999999999999999999", "9999999999999999d"}) {
    EXPECT_THROW(parse_duration(bad), UsageError) << "'" << bad << "'";
  }
  EXPECT_EQ(format_duration(5400), "1h30m");
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(86400 + 5), "1d5s");
}

TEST(CtrlParseTest, Retries) {
  Retries r = parse_retries("2/10m");
  EXPECT_EQ(r.count, 2);
  EXPECT_EQ(r.interval_s, 600);
  r = parse_retries("3");
  EXPECT_EQ(r.count, 3);
  EXPECT_EQ(r.interval_s, 0);
  r = parse_retries("0/90");
  EXPECT_EQ(r.count, 0);
  EXPECT_EQ(r.interval_s, 90);
  for (const char* bad : {"", "/10m", "x/10m", "2/", "2/ten", "-1/5m", "2/10m/3"}) {
    EXPECT_THROW(parse_retries(bad), UsageError) << "'" << bad << "'";
  }
}

TEST(CtrlParseTest, Times) {
  EXPECT_EQ(parse_time("1767225600"), 1767225600);
  EXPECT_EQ(parse_time("2026-01-01T00:00:00Z"), 1767225600);
  EXPECT_EQ(parse_time("2026-01-01T00:00Z"), 1767225600);
  EXPECT_EQ(parse_time("2026-01-01 00:00:00"), 1767225600);
  EXPECT_EQ(parse_time("2026-01-01"), 1767225600);
  EXPECT_EQ(parse_time("2026-01-01T00:00:00.750Z"), 1767225600);
  EXPECT_EQ(parse_time("2026-01-01T02:00:00+02:00"), 1767225600);
  EXPECT_EQ(parse_time("2025-12-31T19:00:00-0500"), 1767225600);
  EXPECT_EQ(parse_time("2024-02-29T12:34:56Z"), 1709210096);
  EXPECT_EQ(parse_time("1970-01-01T00:00:00Z"), 0);
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-01-01T25:00Z",
                          "2026-01-01T10", "2026-01-01T10:00:00X", "2026-1-1",
                          "2026-01-01T10:00:00+2", "1969-12-31T23:59:59Z", "-5"}) {
    EXPECT_THROW(parse_time(bad), UsageError) << "'" << bad << "'";
  }
  EXPECT_EQ(format_time_s(1767225600), "2026-01-01T00:00:00Z");
  EXPECT_EQ(format_time_ms(1767225600999), "2026-01-01T00:00:00Z");
}

TEST(CtrlParseTest, GroupsThresholdsPercents) {
  auto g = parse_groups("10%,90%");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].percent, 10);
  EXPECT_EQ(g[1].percent, 90);
  g = parse_groups("5,100");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].count, 5);
  EXPECT_EQ(g[1].count, 100);
  EXPECT_THROW(parse_groups("5,,100"), UsageError);
  EXPECT_THROW(parse_groups("0"), UsageError);
  EXPECT_THROW(parse_groups("101%"), UsageError);
  CountOrPercent t = parse_count_or_percent("10%", "--failure-threshold");
  EXPECT_EQ(t.percent, 10);
  EXPECT_EQ(t.count, 0);
  t = parse_count_or_percent("5", "--failure-threshold");
  EXPECT_EQ(t.count, 5);
  EXPECT_THROW(parse_count_or_percent("x", "--failure-threshold"), UsageError);
  EXPECT_DOUBLE_EQ(parse_percent("10", "--percent"), 10.0);
  EXPECT_DOUBLE_EQ(parse_percent("0.5%", "--percent"), 0.5);
  EXPECT_THROW(parse_percent("0", "--percent"), UsageError);
  EXPECT_THROW(parse_percent("100.1", "--percent"), UsageError);
}

TEST(CtrlParseTest, ListsTagsIdsSizesHex) {
  EXPECT_EQ(parse_list("d1,d2", "--devices"), (std::vector<std::string>{"d1", "d2"}));
  EXPECT_THROW(parse_list("d1,", "--devices"), UsageError);
  EXPECT_EQ(parse_tag("region=eu"), (std::pair<std::string, std::string>{"region", "eu"}));
  EXPECT_EQ(parse_tag("k="), (std::pair<std::string, std::string>{"k", ""}));
  EXPECT_THROW(parse_tag("=v"), UsageError);
  EXPECT_THROW(parse_tag("kv"), UsageError);
  EXPECT_EQ(parse_id("3", "the job id"), 3u);
  EXPECT_THROW(parse_id("0", "the job id"), UsageError);
  EXPECT_THROW(parse_id("three", "the job id"), UsageError);
  EXPECT_EQ(parse_size("256k", "--chunk-size"), 262144u);
  EXPECT_EQ(parse_size("1MiB", "--chunk-size"), 1048576u);
  EXPECT_EQ(parse_size("1234", "--size"), 1234u);
  EXPECT_THROW(parse_size("1.5m", "--size"), UsageError);
  EXPECT_EQ(parse_hex("93230C3BDE425A9D93230C3BDE425A9D", 32, "--md5"),
            "93230c3bde425a9d93230c3bde425a9d");
  EXPECT_THROW(parse_hex("93230c3b", 32, "--md5"), UsageError);
  EXPECT_THROW(parse_hex(std::string(32, 'g'), 32, "--md5"), UsageError);
}

TEST(CtrlParseTest, ConnectionOptionLines) {
  ConnectionOptions o;
  apply_connection_option(o, "-h", "broker.lan", "");
  apply_connection_option(o, "--port", "1884", "");
  apply_connection_option(o, "-u", "admin", "");
  apply_connection_option(o, "--cafile", "/etc/ca.pem", "");
  apply_connection_option(o, "--timeout", "30s", "");
  EXPECT_EQ(o.host, "broker.lan");
  EXPECT_EQ(o.effective_port(), 1884);
  EXPECT_EQ(o.username, "admin");
  EXPECT_TRUE(o.tls());
  EXPECT_EQ(o.timeout_s, 30);
  ConnectionOptions tls;
  apply_connection_option(tls, "--capath", "/etc/ssl/certs", "");
  EXPECT_EQ(tls.effective_port(), 8883);
  EXPECT_EQ(ConnectionOptions{}.effective_port(), 1883);
  EXPECT_THROW(apply_connection_option(o, "-z", "1", "f:1: "), UsageError);
  EXPECT_THROW(apply_connection_option(o, "-p", "70000", ""), UsageError);
  EXPECT_THROW(apply_connection_option(o, "-q", "3", ""), UsageError);
  EXPECT_THROW(apply_connection_option(o, "--insecure", "yes", ""), UsageError);
  EXPECT_THROW(apply_connection_option(o, "-h", "", ""), UsageError);
}

TEST(CtrlParseTest, TableAlignsColumns) {
  Table t({"ID", "NAME"});
  t.right(0);
  t.add({"7", "d1"});
  t.add({"123", "gerät"});
  std::ostringstream out;
  t.print(out);
  EXPECT_EQ(out.str(), " ID  NAME\n  7  d1\n123  gerät\n");
}

}  // namespace
}  // namespace ota::ctrl
