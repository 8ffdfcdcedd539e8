#include "json/json_util.h"

#include <gtest/gtest.h>

#include <string>

namespace ota::json {
namespace {

JsonPtr must_parse(std::string_view text) {
  std::string error;
  JsonPtr v = parse(text, &error, /*object_only=*/false);
  EXPECT_NE(v, nullptr) << error;
  return v;
}

TEST(JsonUtil, ParsesAnObject) {
  std::string error;
  JsonPtr v = parse(R"({"a":1,"b":"x"})", &error);
  ASSERT_NE(v, nullptr) << error;
  EXPECT_TRUE(json_is_object(v.get()));
  EXPECT_EQ(error, "");
}

TEST(JsonUtil, ObjectOnlyRejectsOtherTopLevels) {
  std::string error;
  EXPECT_EQ(parse("[1,2]", &error), nullptr);
  EXPECT_EQ(error, "JSON must be an object, got an array");
  EXPECT_EQ(parse("5", &error), nullptr);
  EXPECT_EQ(error, "JSON must be an object, got 5");
  EXPECT_EQ(parse(R"("s")", &error), nullptr);
  EXPECT_EQ(error, "JSON must be an object, got a string");
  EXPECT_EQ(parse("null", &error), nullptr);
  EXPECT_EQ(error, "JSON must be an object, got null");
}

TEST(JsonUtil, AnyTopLevelWhenAllowed) {
  EXPECT_TRUE(json_is_array(must_parse("[1,2]").get()));
  EXPECT_TRUE(json_is_integer(must_parse("5").get()));
  EXPECT_TRUE(json_is_string(must_parse(R"("s")").get()));
}

TEST(JsonUtil, RejectsInvalidJson) {
  for (std::string_view bad : {"", "{", "not json", "{\"a\":}", "{'a':1}",
                               "{\"a\":1} trailing"}) {
    std::string error;
    EXPECT_EQ(parse(bad, &error), nullptr) << bad;
    EXPECT_EQ(error.rfind("invalid JSON at byte ", 0), 0u) << error;
  }
}

TEST(JsonUtil, RejectsDuplicateKeys) {
  std::string error;
  EXPECT_EQ(parse(R"({"a":1,"a":2})", &error), nullptr);
  EXPECT_EQ(error.rfind("invalid JSON at byte ", 0), 0u) << error;
  EXPECT_NE(error.find("duplicate"), std::string::npos) << error;
}

TEST(JsonUtil, ReadsOnlyTheGivenBytes) {
  // Not NUL-terminated: the view stops before the garbage.
  const char buffer[] = "{\"a\":1}garbage";
  std::string error;
  JsonPtr v = parse(std::string_view(buffer, 7), &error);
  ASSERT_NE(v, nullptr) << error;
  EXPECT_EQ(dump(v.get()), R"({"a":1})");
}

TEST(JsonUtil, RejectsNulAndInvalidUtf8) {
  std::string error;
  EXPECT_EQ(parse(R"({"a":"x\u0000y"})", &error), nullptr);
  EXPECT_EQ(parse(std::string_view("{\"a\":\"x\0y\"}", 11), &error), nullptr);
  EXPECT_EQ(parse("{\"a\":\"\xff\xfe\"}", &error), nullptr);
  EXPECT_EQ(parse("{\"a\":\"\xe5\x8d\"}", &error), nullptr);  // cut short
  EXPECT_EQ(error.rfind("invalid JSON at byte ", 0), 0u) << error;
}

TEST(JsonUtil, DeepNestingIsAnErrorNotACrash) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string error;
  EXPECT_EQ(parse(deep, &error, /*object_only=*/false), nullptr);
  EXPECT_EQ(error.rfind("invalid JSON at byte ", 0), 0u) << error;
}

TEST(JsonUtil, ErrorPointerMayBeNull) {
  EXPECT_EQ(parse("[", nullptr), nullptr);
  JsonPtr v = must_parse("{}");
  std::string s;
  EXPECT_FALSE(get_string(v.get(), "x", &s, false, nullptr));
}

TEST(JsonUtil, GetString) {
  JsonPtr v = must_parse(R"({"s":"héllo","n":5,"z":null,"e":""})");
  std::string out = "preset";
  std::string error;
  ASSERT_TRUE(get_string(v.get(), "s", &out, false, &error)) << error;
  EXPECT_EQ(out, "héllo");
  ASSERT_TRUE(get_string(v.get(), "e", &out, false, &error)) << error;
  EXPECT_EQ(out, "");

  out = "preset";
  EXPECT_TRUE(get_string(v.get(), "missing", &out, true, &error));
  EXPECT_EQ(out, "preset");
  EXPECT_TRUE(get_string(v.get(), "z", &out, true, &error));
  EXPECT_EQ(out, "preset");

  EXPECT_FALSE(get_string(v.get(), "missing", &out, false, &error));
  EXPECT_EQ(error, "field 'missing' is required");
  EXPECT_FALSE(get_string(v.get(), "z", &out, false, &error));
  EXPECT_EQ(error, "field 'z' must be a string, got null");
  EXPECT_FALSE(get_string(v.get(), "n", &out, false, &error));
  EXPECT_EQ(error, "field 'n' must be a string, got 5");
  // Wrong type is an error even when optional.
  EXPECT_FALSE(get_string(v.get(), "n", &out, true, &error));
  EXPECT_EQ(error, "field 'n' must be a string, got 5");
  EXPECT_EQ(out, "preset");
}

TEST(JsonUtil, GetInt64IntegersOnly) {
  JsonPtr v = must_parse(
      R"({"i":-42,"max":9223372036854775807,"r":5.0,"s":"5","b":true})");
  int64_t out = 7;
  std::string error;
  ASSERT_TRUE(get_int64(v.get(), "i", &out, false, &error)) << error;
  EXPECT_EQ(out, -42);
  ASSERT_TRUE(get_int64(v.get(), "max", &out, false, &error)) << error;
  EXPECT_EQ(out, INT64_MAX);

  out = 7;
  EXPECT_FALSE(get_int64(v.get(), "r", &out, false, &error));
  EXPECT_EQ(error, "field 'r' must be an integer, got 5.0");
  EXPECT_FALSE(get_int64(v.get(), "s", &out, true, &error));
  EXPECT_EQ(error, "field 's' must be an integer, got a string");
  EXPECT_FALSE(get_int64(v.get(), "b", &out, true, &error));
  EXPECT_EQ(error, "field 'b' must be an integer, got true");
  EXPECT_FALSE(get_int64(v.get(), "none", &out, false, &error));
  EXPECT_EQ(error, "field 'none' is required");
  EXPECT_TRUE(get_int64(v.get(), "none", &out, true, &error));
  EXPECT_EQ(out, 7);
}

TEST(JsonUtil, GetBool) {
  JsonPtr v = must_parse(R"({"t":true,"f":false,"n":1})");
  bool out = false;
  std::string error;
  ASSERT_TRUE(get_bool(v.get(), "t", &out, false, &error));
  EXPECT_TRUE(out);
  ASSERT_TRUE(get_bool(v.get(), "f", &out, false, &error));
  EXPECT_FALSE(out);
  EXPECT_FALSE(get_bool(v.get(), "n", &out, false, &error));
  EXPECT_EQ(error, "field 'n' must be true or false, got 1");
  out = true;
  EXPECT_TRUE(get_bool(v.get(), "x", &out, true, &error));
  EXPECT_TRUE(out);
}

TEST(JsonUtil, GetObjectAndArray) {
  JsonPtr v = must_parse(R"({"o":{"k":1},"a":[1,2],"s":"x"})");
  std::string error;
  const json_t* o = nullptr;
  ASSERT_TRUE(get_object(v.get(), "o", &o, false, &error));
  EXPECT_EQ(dump(o), R"({"k":1})");
  const json_t* a = nullptr;
  ASSERT_TRUE(get_array(v.get(), "a", &a, false, &error));
  EXPECT_EQ(json_array_size(a), 2u);

  EXPECT_FALSE(get_object(v.get(), "a", &o, false, &error));
  EXPECT_EQ(error, "field 'a' must be an object, got an array");
  EXPECT_FALSE(get_array(v.get(), "o", &a, false, &error));
  EXPECT_EQ(error, "field 'o' must be an array, got an object");
  EXPECT_FALSE(get_object(v.get(), "s", &o, true, &error));
  EXPECT_EQ(error, "field 's' must be an object, got a string");

  const json_t* none = nullptr;
  EXPECT_TRUE(get_object(v.get(), "none", &none, true, &error));
  EXPECT_EQ(none, nullptr);
  EXPECT_FALSE(get_array(v.get(), "none", &none, false, &error));
  EXPECT_EQ(error, "field 'none' is required");
}

TEST(JsonUtil, GetStringOrInt) {
  JsonPtr v = must_parse(
      R"({"s":"50","i":50,"neg":-1,"zero":0,"r":7.5,"b":false,"a":[]})");
  std::string out;
  std::string error;
  ASSERT_TRUE(get_string_or_int(v.get(), "s", &out, false, &error));
  EXPECT_EQ(out, "50");
  ASSERT_TRUE(get_string_or_int(v.get(), "i", &out, false, &error));
  EXPECT_EQ(out, "50");
  ASSERT_TRUE(get_string_or_int(v.get(), "neg", &out, false, &error));
  EXPECT_EQ(out, "-1");
  ASSERT_TRUE(get_string_or_int(v.get(), "zero", &out, false, &error));
  EXPECT_EQ(out, "0");

  EXPECT_FALSE(get_string_or_int(v.get(), "r", &out, false, &error));
  EXPECT_EQ(error, "field 'r' must be a string or an integer, got 7.5");
  EXPECT_FALSE(get_string_or_int(v.get(), "b", &out, false, &error));
  EXPECT_EQ(error, "field 'b' must be a string or an integer, got false");
  EXPECT_FALSE(get_string_or_int(v.get(), "a", &out, false, &error));
  EXPECT_EQ(error, "field 'a' must be a string or an integer, got an array");
  EXPECT_FALSE(get_string_or_int(v.get(), "none", &out, false, &error));
  EXPECT_EQ(error, "field 'none' is required");
}

TEST(JsonUtil, GettersOnANonObjectSeeNoFields) {
  JsonPtr v = must_parse("[1]");
  std::string out;
  std::string error;
  EXPECT_FALSE(get_string(v.get(), "x", &out, false, &error));
  EXPECT_EQ(error, "field 'x' is required");
  EXPECT_TRUE(get_string(nullptr, "x", &out, true, &error));
}

TEST(JsonUtil, SetString) {
  JsonPtr o(json_object());
  EXPECT_TRUE(set_string(o.get(), "a", "升级"));
  EXPECT_FALSE(set_string(o.get(), "b", "\xff"));
  EXPECT_EQ(dump(o.get()), R"({"a":"升级"})");
}

TEST(JsonUtil, DumpIsCompactAndKeepsOrder) {
  JsonPtr v = must_parse(R"({ "z" : 1, "a" : [ true, null ], "m" : "q\"/" })");
  EXPECT_EQ(dump(v.get()), R"({"z":1,"a":[true,null],"m":"q\"/"})");
  EXPECT_EQ(dump(must_parse("42").get()), "42");
  EXPECT_EQ(dump(must_parse(R"("x")").get()), R"("x")");
  EXPECT_EQ(dump(nullptr), "");
  EXPECT_EQ(dump(must_parse("{}").get()), "{}");
}

TEST(JsonUtil, Utf8Length) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("升级"), 2u);
  EXPECT_EQ(utf8_length("a升b"), 3u);
  EXPECT_EQ(utf8_length("é"), 1u);
  EXPECT_EQ(utf8_length("\xf0\x9f\x98\x80"), 1u);  // U+1F600, 4 bytes
}

}  // namespace
}  // namespace ota::json
