// flat_json: what it accepts as a flat report, and everything it leaves to
// the full (jansson) parser.
#include "json/flat_json.h"

#include <gtest/gtest.h>

#include <string>

#include "dialects/aliyun.h"

namespace ota::flat_json {
namespace {

TEST(FlatJson, ReadsScalarsAndTheNestedObject) {
  Reader r;
  ASSERT_TRUE(r.read(R"({"id":"12","n":-3,"b":true,"z":null,"params":{"version":"1.0","step":50}})",
                     "params"));
  ASSERT_TRUE(r.has_nested());
  ASSERT_NE(r.top().find("id"), nullptr);
  EXPECT_EQ(r.top().find("id")->kind, Scalar::Kind::kString);
  EXPECT_EQ(r.top().find("id")->text, "12");
  EXPECT_EQ(r.top().find("n")->integer, -3);
  EXPECT_EQ(r.top().find("b")->kind, Scalar::Kind::kOther);
  EXPECT_EQ(r.nested().find("version")->text, "1.0");
  EXPECT_EQ(r.nested().find("step")->integer, 50);
  EXPECT_EQ(r.nested().find("absent"), nullptr);
  // Well-formed UTF-8 is read as it is; whitespace anywhere JSON allows it.
  ASSERT_TRUE(r.read(" {\"params\" : {\"desc\":\"OTA升级失败 café \xF0\x9F\x98\x80\"} }\r\n", "params"));
  EXPECT_EQ(r.nested().find("desc")->text, "OTA升级失败 café \xF0\x9F\x98\x80");
  // The largest integers it reads, and an empty object.
  ASSERT_TRUE(r.read(R"({"a":999999999999999999,"b":-999999999999999999,"c":0,"params":{}})", "params"));
  EXPECT_EQ(r.top().find("a")->integer, 999999999999999999);
  EXPECT_EQ(r.top().find("b")->integer, -999999999999999999);
  EXPECT_EQ(r.top().find("c")->integer, 0);
  EXPECT_TRUE(r.has_nested());
  // Without the nested object.
  ASSERT_TRUE(r.read(R"({"id":"1"})", "params"));
  EXPECT_FALSE(r.has_nested());
}

TEST(FlatJson, LeavesEverythingElseToTheFullParser) {
  Reader r;
  for (const std::string& payload : std::vector<std::string>{
           "", "[]", "1", "\"s\"", "{", R"({"id":"1"} x)",
           R"({"id":"1","id":"2"})",                          // duplicate key
           R"({"params":{"v":"1","v":"2"}})",                 // duplicate in the nested object
           R"({"params":{},"params":{}})",                    // duplicate nested object
           R"({"id":"a\u0000b"})",                            // NUL in a string
           R"({"a\u0000":"1"})",                              // NUL in a key
           "\xEF\xBB\xBF{\"id\":\"1\"}",                      // byte order mark
           R"({"n":1.5})", R"({"n":1e400})", R"({"n":18446744073709551615})",
           R"({"a":[1]})", R"({"a":{}})",                     // other nesting
           R"({"params":{"deep":{}}})", R"({"params":{"list":[]}})",
           "{\"id\":\"\xff\"}",                               // invalid UTF-8
           "{\"id\":\"\xC0\xAF\"}", "{\"id\":\"\xE0\x80\xAF\"}",     // overlong forms
           "{\"id\":\"\xED\xA0\x80\"}",                       // a surrogate
           "{\"id\":\"\xF4\x90\x80\x80\"}",                   // beyond U+10FFFF
           "{\"id\":\"\xE6\x88\"}",                           // a cut sequence
           "{\"id\":\"a\tb\"}",                                // a raw control character
           R"({"id":"caf\u00e9"})", R"({"id":"a\"b"})",        // escapes: jansson decodes them
           R"({"n":-0})", R"({"n":01})", R"({"n":-})", R"({"n":1E2})",
           R"({"n":1000000000000000000})",                   // 19 digits: left to jansson
           R"({"b":tru})", R"({"b":nul})", R"({"id":"1",})", R"({,"id":"1"})",
           R"({"id" "1"})", R"({"id":"1")", R"({"id":"1)",
       }) {
    EXPECT_FALSE(r.read(payload, "params")) << payload;
  }
  std::string many = "{";
  for (size_t i = 0; i <= Members::kMax; ++i) many += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":1");
  EXPECT_FALSE(r.read(many + "}", "params"));
}

// Strings are scanned a word at a time: every byte that ends or refuses a
// string is found wherever it falls in a word, in strings of every length,
// and near the end of the payload.
TEST(FlatJson, FindsEachSpecialByteAtEveryPosition) {
  Reader r;
  // The views read point into the payload: it outlives each check.
  std::string payload;
  auto read = [&](const std::string& text) {
    payload = "{\"k\":\"" + text + "\"}";
    return r.read(payload, "params");
  };
  for (size_t length = 0; length <= 40; ++length) {
    const std::string plain(length, 'a');
    ASSERT_TRUE(read(plain)) << length;
    EXPECT_EQ(r.top().find("k")->text, plain);
    for (size_t at = 0; at < length; ++at) {
      std::string text = plain;
      for (const char refused : {'\\', '\t', '\x1f', '\0', '\x7f'}) {
        text[at] = refused;
        // DEL (0x7f) is plain JSON; the others are left to jansson.
        EXPECT_EQ(read(text), refused == '\x7f') << length << " " << at << " " << int(refused);
      }
      text = plain;
      text[at] = '"';  // the string ends there: what follows is not JSON
      EXPECT_FALSE(read(text)) << length << " " << at;
      text = plain.substr(0, at) + "\xC3\xA9" + plain.substr(at);  // é, two bytes
      ASSERT_TRUE(read(text)) << length << " " << at;
      EXPECT_EQ(r.top().find("k")->text, text);
      text = plain.substr(0, at) + "\xC3" + plain.substr(at);  // a lead without its continuation
      EXPECT_FALSE(read(text)) << length << " " << at;
    }
    // Unterminated, at every length.
    payload = "{\"k\":\"" + plain;
    EXPECT_FALSE(r.read(payload, "params")) << length;
  }
}

// The aliyun dialect gives the same outcome with and without the fast path
// (flat_json_fuzz explores this further).
TEST(FlatJson, AliyunFastAndFullPathsAgree) {
  const AliyunDialect fast(true), full(false);
  for (const char* topic : {"/ota/device/inform/pk/dn", "/ota/device/progress/pk/dn"}) {
    for (const std::string& payload : std::vector<std::string>{
             R"({"id":"123","params":{"version":"1.0.1","module":"MCU"}})",
             R"({"id":0,"params":{"version":"2","module":""}})",
             R"({"id":"1","params":{"step":"-1","desc":"OTA升级失败","module":"MCU"}})",
             R"({"id":"1","params":{"step":100}})",
             R"({"id":"1","params":{"step":"101"}})",
             R"({"id":"1","params":{"step":"5x"}})",
             R"({"id":-5,"params":{"version":"1"}})",
             R"({"id":"1","params":{"version":""}})",
             R"({"id":"1","params":{"version":"1","desc":null}})",
             R"({"id":"1","params":{"step":"1","desc":")" + std::string(129, 'x') + R"("}})",
             R"({"id":"1","params":{"version":")" + std::string(129, 'v') + R"("}})",
             R"({"id":"1"})", R"({"id":"1","params":"x"})",
         }) {
      const ParseOutcome a = fast.parse(topic, payload, {});
      const ParseOutcome b = full.parse(topic, payload, {});
      EXPECT_EQ(a.kind, b.kind) << topic << " " << payload;
      EXPECT_EQ(a.error, b.error) << topic << " " << payload;
      EXPECT_EQ(a.message_id, b.message_id) << topic << " " << payload;
      if (a.kind != ParseOutcome::Kind::kEvent || a.event.index() != b.event.index()) continue;
      if (const auto* v = std::get_if<VersionReport>(&a.event)) {
        const auto& w = std::get<VersionReport>(b.event);
        EXPECT_EQ(v->module, w.module);
        EXPECT_EQ(v->version, w.version);
      } else {
        const auto& p = std::get<ProgressReport>(a.event);
        const auto& q = std::get<ProgressReport>(b.event);
        EXPECT_EQ(p.module, q.module);
        EXPECT_EQ(p.step, q.step);
        EXPECT_EQ(p.desc, q.desc);
      }
    }
  }
}

}  // namespace
}  // namespace ota::flat_json
