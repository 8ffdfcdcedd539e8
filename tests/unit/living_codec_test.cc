// The Living app request codec: topics, every malformed request, replies.
#include "app/living_codec.h"

#include <gtest/gtest.h>

#include "dialects/dialect.h"

namespace ota::living {
namespace {

TEST(LivingCodec, TopicsAndReplyTopics) {
  EXPECT_EQ(op_of_topic("/living/ota/firmware/file/get"), Op::kPendingFirmware);
  EXPECT_EQ(op_of_topic("/living/ota/confirm"), Op::kConfirm);
  EXPECT_EQ(op_of_topic("/living/ota/devices/list"), Op::kDevicesList);
  EXPECT_EQ(op_of_topic("/living/ota/progress/list"), Op::kProgressList);
  EXPECT_EQ(op_of_topic("/living/ota/cancel"), Op::kCancel);
  EXPECT_FALSE(op_of_topic("/living/ota/confirm_reply"));
  EXPECT_FALSE(op_of_topic("/living/ota/confirm/x"));
  EXPECT_FALSE(op_of_topic("/living/ota/"));
  EXPECT_EQ(reply_topic(Op::kConfirm), "/living/ota/confirm_reply");
  EXPECT_EQ(reply_topic(Op::kPendingFirmware), "/living/ota/firmware/file/get_reply");
  EXPECT_TRUE(is_reply_topic("/living/ota/progress/list_reply"));
  EXPECT_FALSE(is_reply_topic("/living/ota/progress/list"));
  EXPECT_FALSE(is_reply_topic("/living/ota/other_reply"));
}

TEST(LivingCodec, WellFormedRequests) {
  ParsedRequest p = parse_request(Op::kConfirm,
      R"({"id":"42","version":"1.0","params":{"productKey":"pk","deviceName":"d1"}})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.request.id, "42");
  EXPECT_EQ(p.request.devices, (std::vector<DeviceKey>{{"pk", "d1"}}));

  // Real apps may send the id as a number; no params where none are needed.
  p = parse_request(Op::kPendingFirmware, R"({"id":7})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.request.id, "7");
  EXPECT_TRUE(p.request.devices.empty());
  EXPECT_TRUE(parse_request(Op::kDevicesList, R"({"id":"4294967295","params":{}})").ok);

  p = parse_request(Op::kProgressList,
      R"({"id":"1","params":{"devices":[{"productKey":"pk","deviceName":"d1"},)"
      R"({"productKey":"pk","deviceName":"d2"}]}})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.request.devices, (std::vector<DeviceKey>{{"pk", "d1"}, {"pk", "d2"}}));
}

struct Bad {
  Op op;
  const char* payload;
  const char* error;
  const char* id;  // the id the error reply can still echo
};

TEST(LivingCodec, EveryMalformedRequestHasOneClearError) {
  const std::string long_name(kMaxDeviceNameBytes + 1, 'x');
  const std::string too_long = R"({"id":"1","params":{"productKey":"pk","deviceName":")" + long_name + "\"}}";
  std::string many = R"({"id":"1","params":{"devices":[)";
  for (size_t i = 0; i <= kMaxDevices; ++i) {
    many += std::string(i ? "," : "") + R"({"productKey":"pk","deviceName":"d)" + std::to_string(i) + "\"}";
  }
  many += "]}}";
  const Bad cases[] = {
      {Op::kConfirm, "not json", "payload is not a JSON object: ", ""},
      {Op::kConfirm, "[1]", "payload is not a JSON object: ", ""},
      {Op::kConfirm, R"({"params":{"productKey":"pk","deviceName":"d1"}})", "field 'id' is required", ""},
      {Op::kConfirm, R"({"id":1.5,"params":{}})", "field 'id' must be", ""},
      {Op::kConfirm, R"({"id":"abc","params":{}})", "field 'id' must be a decimal string from 0 to 4294967295", ""},
      {Op::kConfirm, R"({"id":"4294967296","params":{}})", "field 'id' must be a decimal string", ""},
      {Op::kConfirm, R"({"id":-1,"params":{}})", "field 'id' must be a decimal string", ""},
      {Op::kConfirm, R"({"id":"","params":{}})", "field 'id' must be a decimal string", ""},
      {Op::kConfirm, R"({"id":"1","version":1.0,"params":{}})", "field 'version' must be a string", "1"},
      {Op::kConfirm, R"({"id":"1"})", "field 'params' is required", "1"},
      {Op::kConfirm, R"({"id":"1","params":[]})", "field 'params' must be an object", "1"},
      {Op::kConfirm, R"({"id":"1","params":{"productKey":"pk"}})", "params: field 'deviceName' is required", "1"},
      {Op::kCancel, R"({"id":"1","params":{"productKey":5,"deviceName":"d1"}})",
       "params: field 'productKey' must be a string", "1"},
      {Op::kCancel, R"({"id":"1","params":{"productKey":"","deviceName":"d1"}})",
       "params: field 'productKey' must be 1 to 128 bytes long", "1"},
      {Op::kCancel, too_long.c_str(), "params: field 'deviceName' must be 1 to 128 bytes long", "1"},
      {Op::kPendingFirmware, R"({"id":"1","params":"all"})", "field 'params' must be an object", "1"},
      {Op::kProgressList, R"({"id":"1","params":{}})", "params: field 'devices' is required", "1"},
      {Op::kProgressList, R"({"id":"1","params":{"devices":{}}})", "params: field 'devices' must be an array", "1"},
      {Op::kProgressList, R"({"id":"1","params":{"devices":[]}})",
       "params: field 'devices' must name 1 to 100 devices", "1"},
      {Op::kProgressList, many.c_str(), "params: field 'devices' must name 1 to 100 devices", "1"},
      {Op::kProgressList, R"({"id":"1","params":{"devices":["d1"]}})",
       "params: devices[0]: must be an object {\"productKey\",\"deviceName\"}", "1"},
      {Op::kProgressList, R"({"id":"1","params":{"devices":[{"productKey":"pk","deviceName":"d1"},{"productKey":"pk"}]}})",
       "params: devices[1]: field 'deviceName' is required", "1"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.payload);
    ParsedRequest p = parse_request(c.op, c.payload);
    EXPECT_FALSE(p.ok);
    EXPECT_EQ(p.error.rfind(c.error, 0), 0u) << p.error;
    EXPECT_EQ(p.request.id, c.id);
    EXPECT_TRUE(p.request.devices.empty() || c.op == Op::kProgressList);
  }
}

TEST(LivingCodec, RepliesInAlibabasShape) {
  json_t* data = json_object();
  json_object_set_new(data, "devices", json_array());
  EXPECT_EQ(encode_reply("42", kOk, data, "success"),
            R"({"id":"42","code":200,"data":{"devices":[]},"message":"success"})");
  EXPECT_EQ(encode_reply("", kBadRequest, nullptr, "payload is not a JSON object"),
            R"({"code":400,"data":{},"message":"payload is not a JSON object"})");
}

}  // namespace
}  // namespace ota::living
