// Every class of bad request against a real server: each answers a 4xx with a JSON error naming
// the problem, stores nothing, and leaves the server serving.

#include <ostream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/api/test_compression.h"
#include "tests/api/test_export.h"
#include "tests/api/test_server.h"
#include "tests/api/test_spans.h"

namespace roost::api {
namespace {

using testing::ClientResponse;
using testing::CountAllSpans;
using ::testing::HasSubstr;
using testing::TestClient;
using testing::Wire;

constexpr size_t kMaxDecompressed = size_t{16} << 20;

std::string ValidProtobuf() {
  return testing::EncodeSpans(testing::MakeTrace(1, 20, "bad"), Wire::kProtobuf);
}

// One bad request and what the server must answer.
struct BadInputCase {
  const char* name;
  const char* method;
  const char* target;
  const char* content_type;      // "" for none
  const char* content_encoding;  // "" for none
  std::string (*body)();         // built in the test, not at static initialization (the gzip bomb)
  int status;
  const char* error;  // a substring of the "error" message
};

// Names the case in test listings (instead of its bytes).
void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name; }

class BadInputTest : public testing::ServerFixture,
                     public ::testing::WithParamInterface<BadInputCase> {};

TEST_P(BadInputTest, AnswersJsonErrorStoresNothingAndKeepsServing) {
  const BadInputCase& c = GetParam();
  AppOptions app;
  app.ingest.max_decompressed_bytes = kMaxDecompressed;
  StartServer(testing::SmallServerOptions(), app);
  std::map<std::string, std::string> headers;
  if (*c.content_type != '\0') headers["Content-Type"] = c.content_type;
  if (*c.content_encoding != '\0') headers["Content-Encoding"] = c.content_encoding;
  {
    TestClient client = Client();
    ClientResponse r = client.Send(c.method, c.target, c.body(), headers);
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/json");
    nlohmann::json body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(body.is_object()) << r.body;
    ASSERT_TRUE(body.contains("error") && body["error"].is_string()) << r.body;
    EXPECT_THAT(body["error"].get<std::string>(), HasSubstr(c.error));
    if (c.status == 405) {
      EXPECT_EQ(r.headers["allow"], "POST");
    }
  }
  EXPECT_EQ(CountAllSpans(store()), 0u);
  TestClient fresh = Client();
  ClientResponse health = fresh.Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health.error;
  // And it still ingests.
  ClientResponse ok = testing::PostSpans(fresh, testing::MakeTrace(9, 2, "after"), Wire::kJson);
  EXPECT_EQ(ok.status, 200) << ok.error << ok.body;
}

// A protobuf body whose first field (resource_spans, length-delimited) has a varint length of
// eleven bytes: longer than any varint may be.
std::string HugeVarint() { return std::string("\x0a") + std::string(10, '\xff') + "\x01"; }
// A length-delimited field claiming 2 GiB - 1 bytes, followed by a few.
std::string HugeLength() { return std::string("\x0a\xff\xff\xff\xff\x07", 6) + "abc"; }

std::string InvalidUtf8Name() {
  std::vector<Span> spans = testing::MakeTrace(1, 3, "bad");
  spans[1].name = "bad \xff\xfe name";
  return testing::EncodeSpans(spans, Wire::kProtobuf);
}

std::string TruncatedGzip() {
  std::string gz = testing::Compress(ValidProtobuf(), testing::Framing::kGzip);
  return gz.substr(0, gz.size() / 2);
}

std::string Json(const char* text) { return text; }

const BadInputCase kBadInputs[] = {
    {"UndecodableProtobuf", "POST", "/v1/traces", "application/x-protobuf", "",
     [] { return std::string("this is not protobuf \xff\xff\xff"); }, 400,
     "not a valid ExportTraceServiceRequest"},
    {"TruncatedProtobuf", "POST", "/v1/traces", "application/x-protobuf", "",
     [] {
       std::string body = ValidProtobuf();
       return body.substr(0, body.size() / 2);
     },
     400, "not a valid ExportTraceServiceRequest"},
    {"HugeVarint", "POST", "/v1/traces", "application/x-protobuf", "", HugeVarint, 400,
     "not a valid ExportTraceServiceRequest"},
    {"HugeLength", "POST", "/v1/traces", "application/x-protobuf", "", HugeLength, 400,
     "not a valid ExportTraceServiceRequest"},
    {"InvalidUtf8InProtobufString", "POST", "/v1/traces", "application/x-protobuf", "",
     InvalidUtf8Name, 400, "UTF-8"},
    {"JsonSyntax", "POST", "/v1/traces", "application/json", "",
     [] { return Json(R"({"resourceSpans": [{"scopeSpans": [)"); }, 400, "JSON"},
    {"JsonResourceSpansNumber", "POST", "/v1/traces", "application/json", "",
     [] { return Json(R"({"resourceSpans": 5})"); }, 400, "resourceSpans"},
    {"JsonSpansNotArray", "POST", "/v1/traces", "application/json", "",
     [] { return Json(R"({"resourceSpans": [{"scopeSpans": [{"spans": {"a": 1}}]}]})"); }, 400,
     "spans"},
    {"JsonTopLevelArray", "POST", "/v1/traces", "application/json", "", [] { return Json("[]"); },
     400, "object"},
    {"EmptyJsonBody", "POST", "/v1/traces", "application/json", "", [] { return Json(""); }, 400,
     "empty"},
    {"GzipBomb", "POST", "/v1/traces", "application/x-protobuf", "gzip",
     [] { return testing::GzipZeros(size_t{300} << 20); }, 413, "limit"},
    {"TruncatedGzip", "POST", "/v1/traces", "application/x-protobuf", "gzip", TruncatedGzip, 400,
     "gzip"},
    {"NotGzip", "POST", "/v1/traces", "application/x-protobuf", "gzip", ValidProtobuf, 400, "gzip"},
    {"CorruptDeflate", "POST", "/v1/traces", "application/json", "deflate",
     [] { return Json("{\"resourceSpans\": []}"); }, 400, "deflate"},
    {"TextPlain", "POST", "/v1/traces", "text/plain", "", ValidProtobuf, 415, "Content-Type"},
    {"NoContentType", "POST", "/v1/traces", "", "", ValidProtobuf, 415, "Content-Type"},
    {"UnknownContentEncoding", "POST", "/v1/traces", "application/x-protobuf", "br", ValidProtobuf,
     415, "Content-Encoding"},
    {"EncodingList", "POST", "/v1/traces", "application/x-protobuf", "gzip, br", ValidProtobuf, 415,
     "Content-Encoding"},
    {"GetTraces", "GET", "/v1/traces", "", "", [] { return std::string(); }, 405, "POST"},
    {"PutTraces", "PUT", "/v1/traces", "application/x-protobuf", "", ValidProtobuf, 405, "POST"},
    {"UnknownPath", "POST", "/v1/logs", "application/x-protobuf", "", ValidProtobuf, 404,
     "/v1/logs"},
};

INSTANTIATE_TEST_SUITE_P(Requests, BadInputTest, ::testing::ValuesIn(kBadInputs),
                         [](const ::testing::TestParamInfo<BadInputCase>& param_info) {
                           return param_info.param.name;
                         });

class BadInputServerTest : public testing::ServerFixture {};

// A span with an id that is not hex is rejected by itself (partial success), never stored.
TEST_F(BadInputServerTest, BadHexIdsAreRejectedSpansAndNotStored) {
  StartServer();
  const std::string body = R"({"resourceSpans":[{"scopeSpans":[{"spans":[
      {"traceId":"zz0102030405060708090a0b0c0d0e0f","spanId":"0102030405060708","name":"a",
       "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000"},
      {"traceId":"000102030405060708090a0b0c0d0e0f","spanId":"01020304","name":"b",
       "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000"}]}]}]})";
  TestClient client = Client();
  ClientResponse r = testing::PostBody(client, body, Wire::kJson);
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  testing::ExportResult result = testing::ParseExportResponse(r.body, Wire::kJson);
  ASSERT_TRUE(result.parsed) << r.body;
  EXPECT_EQ(result.rejected_spans, 2);
  EXPECT_THAT(result.error_message, HasSubstr("2 spans rejected"));
  EXPECT_EQ(CountAllSpans(store()), 0u);
}

TEST_F(BadInputServerTest, EmptyProtobufBodyAnswers200AndStoresNothing) {
  StartServer();
  TestClient client = Client();
  ClientResponse r = testing::PostBody(client, "", Wire::kProtobuf);
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/x-protobuf");
  EXPECT_FALSE(testing::ParseExportResponse(r.body, Wire::kProtobuf).has_partial_success);
  EXPECT_EQ(CountAllSpans(store()), 0u);
}

TEST_F(BadInputServerTest, BodyOverMaxBodyIs413) {
  ServerOptions options = testing::SmallServerOptions();
  options.max_body_bytes = 1024;
  StartServer(options);
  const std::string body = testing::EncodeSpans(testing::MakeTrace(1, 10, "big"), Wire::kProtobuf);
  ASSERT_GT(body.size(), 1024u);
  TestClient client = Client();
  ClientResponse r = testing::PostBody(client, body, Wire::kProtobuf);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("--max-body"));
  EXPECT_EQ(CountAllSpans(store()), 0u);
  TestClient fresh = Client();
  EXPECT_EQ(fresh.Send("GET", "/healthz").status, 200);
}

// The client is still writing megabytes when the server refuses the body: it must read the 413,
// not a connection reset.
TEST_F(BadInputServerTest, LargeBodyOverMaxBodyStillReads413) {
  ServerOptions options = testing::SmallServerOptions();
  options.max_body_bytes = 1024;
  StartServer(options);
  TestClient client = Client();
  ClientResponse r = testing::PostBody(client, std::string(size_t{8} << 20, 'x'), Wire::kProtobuf);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("--max-body"));
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_EQ(CountAllSpans(store()), 0u);
}

}  // namespace
}  // namespace roost::api
