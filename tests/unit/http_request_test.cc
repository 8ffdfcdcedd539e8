// The download server's own HTTP/1.x request parser and response heads.
#include "delivery/http_request.h"

#include <gtest/gtest.h>

namespace ota {
namespace {

HttpParse parse(const std::string& s) { return parse_http_request(s); }

TEST(HttpRequest, ParsesAGetWithRangeAndKeepAlive) {
  const std::string text =
      "GET /fw/abc?d=prod1%2Fdev%201&e=5 HTTP/1.1\r\nHost: x\r\nRange: bytes=5-\r\n\r\nGET /next";
  HttpParse p = parse(text);
  ASSERT_EQ(p.kind, HttpParse::Kind::kRequest) << p.error;
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_EQ(p.request.target, "/fw/abc?d=prod1%2Fdev%201&e=5");
  EXPECT_TRUE(p.request.http11);
  EXPECT_TRUE(p.request.keep_alive);
  EXPECT_EQ(p.request.range, "bytes=5-");
  EXPECT_FALSE(p.request.upgrade);
  EXPECT_FALSE(p.request.has_body);
  EXPECT_EQ(text.substr(p.consumed), "GET /next");
}

TEST(HttpRequest, WaitsForTheBlankLine) {
  EXPECT_EQ(parse("").kind, HttpParse::Kind::kIncomplete);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\n").kind, HttpParse::Kind::kIncomplete);
  EXPECT_EQ(parse("GET / HT").kind, HttpParse::Kind::kIncomplete);
}

TEST(HttpRequest, ConnectionRules) {
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").request.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n").request.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n").request.upgrade);
  EXPECT_TRUE(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc").request.has_body);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").request.has_body);
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").request.has_body);
  // A bare LF is tolerated.
  EXPECT_EQ(parse("GET / HTTP/1.1\nHost: x\n\n").kind, HttpParse::Kind::kRequest);
  // Empty lines before the request line are skipped (RFC 9112 §2.2).
  EXPECT_EQ(parse("\r\nGET / HTTP/1.1\r\n\r\n").kind, HttpParse::Kind::kRequest);
}

TEST(HttpRequest, NormalizesThePathLikeLwsDid) {
  EXPECT_EQ(parse("GET //fw//./abc?x=1 HTTP/1.1\r\n\r\n").request.target, "/fw/abc?x=1");
  EXPECT_EQ(parse("GET /fw/abc/../../etc HTTP/1.1\r\n\r\n").request.target, "/etc");
  EXPECT_EQ(parse("GET /%2e%2e/%2e%2e/etc HTTP/1.1\r\n\r\n").request.target, "/etc");
  EXPECT_EQ(normalize_path("/"), "/");
  EXPECT_EQ(normalize_path("/.."), "/");
  EXPECT_EQ(normalize_path("/a/"), "/a/");
}

struct BadCase {
  std::string request;
  int status;
};

class HttpBadRequest : public ::testing::TestWithParam<BadCase> {};

TEST_P(HttpBadRequest, IsRefusedWithItsStatus) {
  HttpParse p = parse(GetParam().request);
  ASSERT_EQ(p.kind, HttpParse::Kind::kBad) << GetParam().request;
  EXPECT_EQ(p.status, GetParam().status) << p.error;
  EXPECT_FALSE(p.error.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HttpBadRequest,
    ::testing::Values(BadCase{"garbage\r\n\r\n", 400}, BadCase{"GET /\r\n\r\n", 400},
                      BadCase{"GET  / HTTP/1.1\r\n\r\n", 400},
                      BadCase{"GET / HTTP/1.1 x\r\n\r\n", 400},
                      BadCase{"GET /a%00b HTTP/1.1\r\n\r\n", 400},
                      BadCase{"GET /a?x=%00 HTTP/1.1\r\n\r\n", 400},
                      BadCase{"GET /a%zz HTTP/1.1\r\n\r\n", 400},
                      BadCase{"GET a HTTP/1.1\r\n\r\n", 400},
                      BadCase{"GET /\x01 HTTP/1.1\r\n\r\n", 400},
                      BadCase{"GET /\xc3\xa9 HTTP/1.1\r\n\r\n", 400},
                      BadCase{"G(T / HTTP/1.1\r\n\r\n", 400},
                      BadCase{"GET / HTTP/2.0\r\n\r\n", 505},
                      BadCase{"GET / HTTQ/1.1\r\n\r\n", 400},
                      BadCase{"GET / HTTP/1.1\r\nno colon\r\n\r\n", 400},
                      BadCase{"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
                      BadCase{"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},
                      BadCase{"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
                      BadCase{"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400},
                      BadCase{"GET /" + std::string(kMaxRequestHeadBytes, 'a'), 431}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      return "Case" + std::to_string(info.index);
    });

TEST(HttpResponseHead, IsCanonicalAndByteExact) {
  HttpResponseHead h;
  h.status = 206;
  h.content_type = "application/octet-stream";
  h.content_length = 10;
  h.accept_ranges = true;
  h.etag = "abc";
  h.content_range = "bytes 5-14/15";
  EXPECT_EQ(compose_response_head(h),
            "HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\n"
            "Content-Length: 10\r\nAccept-Ranges: bytes\r\nETag: \"abc\"\r\n"
            "Content-Range: bytes 5-14/15\r\n\r\n");
  HttpResponseHead e;
  e.status = 405;
  e.content_length = 23;
  e.allow = "GET, HEAD";
  e.close = true;
  EXPECT_EQ(compose_response_head(e),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\n"
            "Content-Length: 23\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace ota
