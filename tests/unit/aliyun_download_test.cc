// The MQTT block download codec (dialects/aliyun_download.h) against what
// Alibaba's device SDK 4.x sends and expects (aiot_mqtt_download_api.c).
#include "dialects/aliyun_download.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>

namespace ota {
namespace {

const DeviceKey kDevice{"a1B2c3D4e5F", "dev-1"};

BlockRequest parse_ok(std::string_view payload) {
  BlockRequest r;
  std::string error;
  EXPECT_TRUE(parse_block_request(kDevice, payload, &r, &error)) << error << "\n" << payload;
  return r;
}

std::string parse_error(std::string_view payload) {
  BlockRequest r;
  std::string error;
  EXPECT_FALSE(parse_block_request(kDevice, payload, &r, &error)) << payload;
  return error;
}

// The SDK's CRC in its own form: a 256-entry table of the reflected
// polynomial, folded in one byte at a time from crc 0.
uint16_t crc_by_sdk_table(std::string_view bytes) {
  std::array<uint16_t, 256> table{};
  for (int i = 0; i < 256; ++i) {
    uint16_t c = static_cast<uint16_t>(i);
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ 0xA001 : c >> 1;
    table[i] = c;
  }
  // Spot checks against the table printed in the SDK's source.
  EXPECT_EQ(table[1], 0xc0c1);
  EXPECT_EQ(table[2], 0xc181);
  EXPECT_EQ(table[128], 0xa001);
  EXPECT_EQ(table[255], 0x4040);
  uint16_t crc = 0;
  for (unsigned char b : bytes) crc = (crc >> 8) ^ table[(crc ^ b) & 0xff];
  return crc;
}

TEST(AliyunDownload, Crc16IbmCheckValue) {
  // The catalogue check value of CRC-16/ARC (= CRC-16/IBM).
  EXPECT_EQ(crc16_ibm("123456789"), 0xBB3D);
  EXPECT_EQ(crc16_ibm(""), 0);
  EXPECT_EQ(crc16_ibm(std::string(1, '\0')), 0);
  EXPECT_EQ(crc16_ibm("A"), 0x30C0);
}

TEST(AliyunDownload, Crc16MatchesTheSdkTableForm) {
  std::mt19937 rng(5);
  for (size_t size : {1u, 2u, 7u, 100u, 5120u, 65536u}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    EXPECT_EQ(crc16_ibm(bytes), crc_by_sdk_table(bytes)) << size;
  }
}

TEST(AliyunDownload, RequestTopic) {
  EXPECT_EQ(match_block_request_topic("/sys/pk/dn/thing/file/download"),
            (DeviceKey{"pk", "dn"}));
  EXPECT_FALSE(match_block_request_topic("/sys/pk/dn/thing/file/download_reply"));
  EXPECT_FALSE(match_block_request_topic("/sys/pk/thing/file/download"));
  EXPECT_FALSE(match_block_request_topic("/sys/pk/a/b/thing/file/download"));
  EXPECT_FALSE(match_block_request_topic("/sys//dn/thing/file/download"));
  EXPECT_FALSE(match_block_request_topic("/sys/thing/file/download"));
  EXPECT_FALSE(match_block_request_topic("/sys/pk/dn/thing/ota/firmware/get"));
  EXPECT_EQ(block_reply_topic({"pk", "dn"}), "/sys/pk/dn/thing/file/download_reply");
}

// Byte for byte what _md_send_request writes, trailing comma included.
TEST(AliyunDownload, ParsesTheSdkRequest) {
  BlockRequest r = parse_ok(
      R"({"id":"3","version":"1.0","params":{"fileToken":"default","fileInfo":)"
      R"({"streamId":27367,"fileId":1,},"fileBlock":{"size":5120,"offset":10240}}})");
  EXPECT_EQ(r.device, kDevice);
  EXPECT_EQ(r.message_id, "3");
  EXPECT_EQ(r.file_token, "default");
  EXPECT_EQ(r.stream_id, 27367u);
  EXPECT_EQ(r.file_id, 1u);
  EXPECT_EQ(r.size, 5120u);
  EXPECT_EQ(r.offset, 10240u);
}

TEST(AliyunDownload, ParsesLooserForms) {
  // Numbers as strings, no token, a numeric id, no Alink version.
  BlockRequest r = parse_ok(
      R"({"id":7,"params":{"fileInfo":{"streamId":"9","fileId":"1"},)"
      R"("fileBlock":{"size":"100","offset":"0"}}})");
  EXPECT_EQ(r.message_id, "7");
  EXPECT_EQ(r.file_token, "");
  EXPECT_EQ(r.stream_id, 9u);
  EXPECT_EQ(r.size, 100u);
  // Whitespace before a trailing comma's brace; commas inside strings stay.
  r = parse_ok(R"({"params":{"fileToken":"a,}","fileInfo":{"streamId":1,"fileId":1 , } ,)"
               R"("fileBlock":{"size":1,"offset":0},}})");
  EXPECT_EQ(r.file_token, "a,}");
  EXPECT_EQ(r.message_id, "");
}

TEST(AliyunDownload, RejectsMalformedRequests) {
  const std::string info = R"("fileInfo":{"streamId":1,"fileId":1})";
  const std::string block = R"("fileBlock":{"size":10,"offset":0})";
  EXPECT_NE(parse_error("").find("payload"), std::string::npos);
  EXPECT_NE(parse_error("[1]").find("payload"), std::string::npos);
  EXPECT_NE(parse_error(R"({"id":"1"})").find("params"), std::string::npos);
  EXPECT_NE(parse_error(R"({"params":{)" + block + "}}").find("fileInfo"), std::string::npos);
  EXPECT_NE(parse_error(R"({"params":{)" + info + "}}").find("fileBlock"), std::string::npos);
  EXPECT_NE(parse_error(R"({"params":{"fileInfo":{"fileId":1},)" + block + "}}")
                .find("streamId"), std::string::npos);
  EXPECT_NE(parse_error(R"({"params":{"fileInfo":{"streamId":1.5,"fileId":1},)" + block + "}}")
                .find("streamId"), std::string::npos);
  EXPECT_NE(parse_error(R"({"params":{)" + info + R"(,"fileBlock":{"size":0,"offset":0}}})")
                .find("size"), std::string::npos);
  EXPECT_NE(parse_error(R"({"params":{)" + info + R"(,"fileBlock":{"size":10,"offset":-1}}})")
                .find("offset"), std::string::npos);
  EXPECT_NE(parse_error(R"({"params":{)" + info +
                        R"(,"fileBlock":{"size":10,"offset":4294967296}}})")
                .find("offset"), std::string::npos);
  EXPECT_NE(parse_error(R"({"params":{"fileToken":5,)" + info + "," + block + "}}")
                .find("fileToken"), std::string::npos);
  EXPECT_NE(parse_error(R"({"params":{"fileToken":")" + std::string(200, 't') + "\"," + info +
                        "," + block + "}}")
                .find("fileToken"), std::string::npos);
  EXPECT_NE(parse_error(R"({"id":")" + std::string(65, '1') + R"(","params":{)" + info + "," +
                        block + "}}")
                .find("'id'"), std::string::npos);
  // Only one trailing comma is forgiven, not an empty element.
  parse_error(R"({"params":{)" + info + "," + block + ",,}}");
}

TEST(AliyunDownload, MalformedRequestKeepsWhatTheReplyEchoes) {
  BlockRequest r;
  std::string error;
  ASSERT_FALSE(parse_block_request(
      kDevice, R"({"id":"42","params":{"fileToken":"tok","fileInfo":{}}})", &r, &error));
  EXPECT_EQ(r.device, kDevice);
  EXPECT_EQ(r.message_id, "42");
  EXPECT_EQ(r.file_token, "tok");
}

TEST(AliyunDownload, RefusesOverlongNames) {
  BlockRequest r;
  std::string error;
  EXPECT_FALSE(parse_block_request({std::string(129, 'p'), "d"}, "{}", &r, &error));
  EXPECT_NE(error.find("at most"), std::string::npos);
}

TEST(AliyunDownload, EncodesTheBlockReplyLayout) {
  BlockRequest r;
  r.message_id = "3";
  r.file_token = "default";
  const std::string block("\x01\x02\x00\xff" "abc", 7);
  const std::string reply = encode_block_reply(r, 1024, block, 4096);
  const std::string header =
      R"({"id":"3","code":200,"data":{"bSize":7,"bOffset":1024,"fileLength":4096,"fileToken":"default"}})";
  ASSERT_EQ(reply.size(), 2 + header.size() + block.size() + 2);
  // Header length, big-endian.
  EXPECT_EQ(static_cast<unsigned char>(reply[0]), header.size() >> 8);
  EXPECT_EQ(static_cast<unsigned char>(reply[1]), header.size() & 0xff);
  EXPECT_EQ(reply.substr(2, header.size()), header);
  EXPECT_EQ(reply.substr(2 + header.size(), block.size()), block);
  // CRC of the block only, low byte first.
  const uint16_t crc = crc16_ibm(block);
  EXPECT_EQ(static_cast<unsigned char>(reply[reply.size() - 2]), crc & 0xff);
  EXPECT_EQ(static_cast<unsigned char>(reply[reply.size() - 1]), crc >> 8);

  std::optional<DecodedBlockReply> d = decode_block_reply(reply);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->code, 200);
  EXPECT_EQ(d->header_json, header);
  EXPECT_EQ(d->block, block);
  EXPECT_EQ(d->crc, crc);
}

TEST(AliyunDownload, ReplyWithoutIdOrToken) {
  const std::string reply = encode_block_reply(BlockRequest{}, 0, "x", 1);
  std::optional<DecodedBlockReply> d = decode_block_reply(reply);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->header_json,
            R"({"code":200,"data":{"bSize":1,"bOffset":0,"fileLength":1,"fileToken":""}})");
}

TEST(AliyunDownload, EncodesErrorReplyWithoutBlockOrTrailer) {
  BlockRequest r;
  r.message_id = "9";
  r.file_token = "default";
  const std::string reply = encode_block_error(r, kBlockOutOfRange, "offset 5 is past the end");
  const std::string header =
      R"({"id":"9","code":416,"message":"offset 5 is past the end","data":{"fileToken":"default"}})";
  ASSERT_EQ(reply.size(), 2 + header.size());
  EXPECT_EQ(static_cast<unsigned char>(reply[0]) << 8 | static_cast<unsigned char>(reply[1]),
            static_cast<int>(header.size()));
  EXPECT_EQ(reply.substr(2), header);
  std::optional<DecodedBlockReply> d = decode_block_reply(reply);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->code, 416);
  EXPECT_TRUE(d->block.empty());
  EXPECT_FALSE(d->crc);
}

TEST(AliyunDownload, ErrorReplyMessageIsBounded) {
  // "é" is two bytes: a cut at 256 bytes must not split one.
  const std::string long_reason(400, 'a');
  std::string utf8 = "x";
  for (int i = 0; i < 200; ++i) utf8 += "\xc3\xa9";
  for (const std::string& reason : {long_reason, utf8}) {
    std::optional<DecodedBlockReply> d =
        decode_block_reply(encode_block_error(BlockRequest{}, 460, reason));
    ASSERT_TRUE(d);
    const std::string want = reason.substr(0, reason == utf8 ? 255 : 256);
    EXPECT_NE(d->header_json.find("\"message\":\"" + want + "\""), std::string::npos)
        << d->header_json;
  }
}

TEST(AliyunDownload, DecodeRefusesBrokenFraming) {
  const std::string good = encode_block_reply(BlockRequest{}, 0, "abcd", 4);
  EXPECT_FALSE(decode_block_reply(""));
  EXPECT_FALSE(decode_block_reply("\x00"));
  EXPECT_FALSE(decode_block_reply(good.substr(0, good.size() - 1)));  // trailer cut
  EXPECT_FALSE(decode_block_reply(good + "x"));                         // extra byte
  EXPECT_FALSE(decode_block_reply(std::string("\x7b\x22", 2) + "code\":200}"));  // plain JSON
  EXPECT_FALSE(decode_block_reply(encode_block_error(BlockRequest{}, 403, "no") + "x"));
}

}  // namespace
}  // namespace ota
