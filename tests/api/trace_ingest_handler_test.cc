#include "api/trace_ingest_handler.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ingest/semantic_conventions.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "storage/span_store.h"
#include "tests/api/test_compression.h"
#include "tests/api/test_export.h"
#include "tests/api/test_server.h"
#include "tests/api/test_spans.h"

namespace roost::api {
namespace {

using testing::CountAllSpans;
using testing::CountSpans;
using testing::EncodeSpans;
using testing::ExportResult;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::MakeTrace;
using testing::ParseExportResponse;
using testing::Wire;

// Handler-level tests: TraceIngestHandler::Handle on a real store, without a socket.
class TraceIngestHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options = testing::SmallStoreOptions();
    options.path = dir_.path() + "/data";
    Result<std::unique_ptr<SpanStore>> opened = SpanStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    handler_ = std::make_unique<TraceIngestHandler>(*store_, IngestOptions{});
  }

  Response Post(const std::string& body, const std::string& content_type,
                const std::map<std::string, std::string>& headers = {}) {
    Request request;
    request.method = "POST";
    request.target = request.path = "/v1/traces";
    request.headers["content-type"] = content_type;
    for (const auto& [k, v] : headers) request.headers[k] = v;
    request.body = body;
    return handler_->Handle(request);
  }
  Response Post(const std::vector<Span>& spans, Wire wire,
                const std::map<std::string, std::string>& headers = {}) {
    return Post(EncodeSpans(spans, wire), testing::ContentTypeOf(wire), headers);
  }

  testing::TempDir dir_;
  std::unique_ptr<SpanStore> store_;
  std::unique_ptr<TraceIngestHandler> handler_;
};

// The body of an ExportTraceServiceRequest without any resource attribute (so no project).
std::string WithoutResourceAttributes(const std::string& body) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  EXPECT_TRUE(request.ParseFromString(body));
  for (auto& rs : *request.mutable_resource_spans()) rs.mutable_resource()->clear_attributes();
  return request.SerializeAsString();
}

TEST_F(TraceIngestHandlerTest, ProtobufSuccessAnswersEmptyExportResponse) {
  Response r = Post(MakeTrace(1, 3, "p"), Wire::kProtobuf);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/x-protobuf");
  EXPECT_EQ(r.body, "");  // an ExportTraceServiceResponse with nothing set
  EXPECT_EQ(CountSpans(*store_, "p"), 3u);
}

TEST_F(TraceIngestHandlerTest, JsonSuccessAnswersEmptyObject) {
  Response r = Post(MakeTrace(1, 3, "p"), Wire::kJson);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(CountSpans(*store_, "p"), 3u);
}

TEST_F(TraceIngestHandlerTest, EndBeforeStartIsRejectedAlone) {
  std::vector<Span> spans = MakeTrace(1, 5, "p");
  spans[2].end_unix_nano = spans[2].start_unix_nano - 1;
  Response r = Post(spans, Wire::kProtobuf);
  ASSERT_EQ(r.status, 200) << r.body;
  ExportResult result = ParseExportResponse(r.body, Wire::kProtobuf);
  ASSERT_TRUE(result.parsed);
  EXPECT_TRUE(result.has_partial_success);
  EXPECT_EQ(result.rejected_spans, 1);
  EXPECT_THAT(result.error_message, HasSubstr("end time is before start time"));
  Result<std::vector<Span>> trace = store_->GetTrace(spans[0].trace_id);
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  ASSERT_EQ(trace->size(), 4u);
  for (const Span& s : *trace) EXPECT_NE(s.span_id, spans[2].span_id);
}

TEST_F(TraceIngestHandlerTest, ZeroSpanIdIsRejectedAloneInJson) {
  std::vector<Span> spans = MakeTrace(1, 5, "p");
  spans[3].span_id = SpanId{};
  Response r = Post(spans, Wire::kJson);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  ExportResult result = ParseExportResponse(r.body, Wire::kJson);
  ASSERT_TRUE(result.parsed) << r.body;
  EXPECT_TRUE(result.has_partial_success);
  EXPECT_EQ(result.rejected_spans, 1);
  EXPECT_THAT(result.error_message, HasSubstr("span id"));
  EXPECT_EQ(CountSpans(*store_, "p"), 4u);
}

TEST_F(TraceIngestHandlerTest, ProjectHeaderWinsOverResourceAttribute) {
  Response r =
      Post(MakeTrace(1, 3, "from-resource"), Wire::kProtobuf, {{"x-project-name", "from-header"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(CountSpans(*store_, "from-header"), 3u);
  EXPECT_EQ(CountSpans(*store_, "from-resource"), 0u);
  Result<std::vector<Span>> trace = store_->GetTrace(testing::TestTraceId(1));
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  for (const Span& s : *trace) EXPECT_EQ(s.project, "from-header");
}

TEST_F(TraceIngestHandlerTest, ResourceAttributeNamesTheProject) {
  ASSERT_EQ(Post(MakeTrace(1, 2, "from-resource"), Wire::kJson).status, 200);
  EXPECT_EQ(CountSpans(*store_, "from-resource"), 2u);
  EXPECT_EQ(CountSpans(*store_, std::string(ingest::kDefaultProject)), 0u);
}

TEST_F(TraceIngestHandlerTest, SpansWithoutProjectGoToDefault) {
  const std::string body =
      WithoutResourceAttributes(EncodeSpans(MakeTrace(1, 2, "x"), Wire::kProtobuf));
  Response r = Post(body, "application/x-protobuf");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(CountSpans(*store_, "default"), 2u);
  EXPECT_EQ(CountSpans(*store_, "x"), 0u);
}

TEST_F(TraceIngestHandlerTest, EmptyProtobufBodyIsAnEmptyRequest) {
  Response r = Post(std::string(), "application/x-protobuf");
  ASSERT_EQ(r.status, 200) << r.body;
  ExportResult result = ParseExportResponse(r.body, Wire::kProtobuf);
  EXPECT_TRUE(result.parsed);
  EXPECT_FALSE(result.has_partial_success);
  EXPECT_EQ(CountAllSpans(*store_), 0u);
}

TEST_F(TraceIngestHandlerTest, ContentTypeParametersAndCaseAreIgnored) {
  Response r =
      Post(EncodeSpans(MakeTrace(1, 2, "p"), Wire::kJson), "Application/JSON; charset=utf-8");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(CountSpans(*store_, "p"), 2u);
}

TEST_F(TraceIngestHandlerTest, UnsupportedContentTypeIs415) {
  for (const std::string type : {"text/plain", "", "application/grpc", "application/jsonx"}) {
    Response r = Post(EncodeSpans(MakeTrace(1, 2, "p"), Wire::kJson), type);
    EXPECT_EQ(r.status, 415) << "Content-Type '" << type << "'";
    nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_THAT(body.value("error", ""), HasSubstr("Content-Type"));
  }
  EXPECT_EQ(CountAllSpans(*store_), 0u);
}

TEST_F(TraceIngestHandlerTest, UnknownContentEncodingIs415) {
  Response r = Post(EncodeSpans(MakeTrace(1, 2, "p"), Wire::kProtobuf), "application/x-protobuf",
                    {{"content-encoding", "br"}});
  EXPECT_EQ(r.status, 415);
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_THAT(body.value("error", ""), HasSubstr("Content-Encoding 'br'"));
  EXPECT_EQ(CountAllSpans(*store_), 0u);
}

TEST_F(TraceIngestHandlerTest, DecompressedLimitIs413) {
  IngestOptions options;
  options.max_decompressed_bytes = 100;
  TraceIngestHandler small(*store_, options);
  Request request;
  request.method = "POST";
  request.target = request.path = "/v1/traces";
  request.headers["content-type"] = "application/x-protobuf";
  request.body = EncodeSpans(MakeTrace(1, 2, "p"), Wire::kProtobuf);
  ASSERT_GT(request.body.size(), 100u);
  Response r = small.Handle(request);
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("limit"));
  EXPECT_EQ(CountAllSpans(*store_), 0u);
}

TEST(ByteBudgetTest, HoldersShareTheLimitAndOneAloneMayPassIt) {
  ByteBudget budget(100);
  {
    ByteBudget::Lease a(budget);
    EXPECT_TRUE(a.Grow(150));  // alone: any amount
    EXPECT_EQ(budget.used(), 150u);
    ByteBudget::Lease b(budget);
    EXPECT_FALSE(b.Grow(1));  // others hold past the limit
    EXPECT_EQ(b.held(), 0u);
  }
  EXPECT_EQ(budget.used(), 0u);
  ByteBudget::Lease a(budget);
  ASSERT_TRUE(a.Grow(60));
  ByteBudget::Lease b(budget);
  EXPECT_FALSE(b.Grow(41));
  EXPECT_TRUE(b.Grow(40));  // exactly at the limit
  EXPECT_FALSE(b.Grow(1));
  EXPECT_FALSE(a.Grow(SIZE_MAX));  // no overflow
  EXPECT_EQ(budget.used(), 100u);
  {
    ByteBudget::Lease c(budget);
    EXPECT_FALSE(c.Grow(1));
  }
  EXPECT_EQ(budget.used(), 100u);
  ByteBudget alone(100);
  ByteBudget::Lease d(alone);
  EXPECT_TRUE(d.Grow(50));
  EXPECT_FALSE(d.Grow(SIZE_MAX));  // alone, but the count would wrap
  EXPECT_EQ(alone.used(), 50u);
}

// Requests being decoded share one bound on memory (inflated bodies and their spans): past it a
// request is told to retry (503) instead of growing the server's memory; one alone is always
// decoded, however large.
TEST_F(TraceIngestHandlerTest, DecodingPastTheSharedMemoryBoundIs503UntilOthersFinish) {
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzip" : "plain");
    auto budget = std::make_shared<ByteBudget>(size_t{64} << 10);
    IngestOptions options;
    options.decoding_budget = budget;
    TraceIngestHandler handler(*store_, options);
    const std::vector<Span> spans = MakeTrace(gzip ? 21 : 20, 40, "p");
    Request request;
    request.method = "POST";
    request.target = request.path = "/v1/traces";
    request.headers["content-type"] = "application/x-protobuf";
    request.body = EncodeSpans(spans, Wire::kProtobuf);
    ASSERT_GT(request.body.size(), size_t{4} << 10);
    if (gzip) {
      request.body = testing::Compress(request.body, testing::Framing::kGzip);
      request.headers["content-encoding"] = "gzip";
    }
    {
      ByteBudget::Lease other(*budget);  // another request being decoded
      ASSERT_TRUE(other.Grow(size_t{60} << 10));
      Response r = handler.Handle(request);
      EXPECT_EQ(r.status, 503);
      EXPECT_THAT(r.body, HasSubstr("bytes allowed for decoding"));
      EXPECT_THAT(r.headers, ::testing::Contains(std::pair<std::string, std::string>(
                                 "Retry-After", std::to_string(options.retry_after_seconds))));
      EXPECT_EQ(budget->used(), size_t{60} << 10);  // what the refused request took, it gave back
      EXPECT_TRUE(store_->GetTrace(spans[0].trace_id).status().IsNotFound());
    }
    Response r = handler.Handle(request);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(budget->used(), 0u);
    Result<std::vector<Span>> trace = store_->GetTrace(spans[0].trace_id);
    ASSERT_TRUE(trace.ok()) << trace.status().ToString();
    EXPECT_EQ(trace->size(), spans.size());
  }
}

TEST_F(TraceIngestHandlerTest, AllSpansRejectedStillAnswers200) {
  std::vector<Span> spans = MakeTrace(1, 2, "p");
  for (Span& s : spans) s.trace_id = TraceId{};
  Response r = Post(spans, Wire::kJson);
  ASSERT_EQ(r.status, 200) << r.body;
  ExportResult result = ParseExportResponse(r.body, Wire::kJson);
  EXPECT_EQ(result.rejected_spans, 2);
  EXPECT_THAT(result.error_message, HasSubstr("trace id"));
  EXPECT_THAT(store_->ListProjects().value(), IsEmpty());
}

// The decoders validate under the store's limits (the store then does not validate again), so a
// store configured with tighter limits rejects through the handler what it would reject itself.
TEST(TraceIngestHandlerLimitsTest, SpansAreValidatedUnderTheStoresLimits) {
  testing::TempDir dir;
  StoreOptions options = testing::SmallStoreOptions();
  options.path = dir.path() + "/data";
  options.limits.max_string_bytes = 64;
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  TraceIngestHandler handler(**store, IngestOptions{});
  for (Wire wire : {Wire::kProtobuf, Wire::kJson}) {
    std::vector<Span> spans = MakeTrace(wire == Wire::kProtobuf ? 1 : 2, 4, "p");
    spans[1].attributes.push_back({"input.value", std::string(100, 'v')});
    Request request;
    request.method = "POST";
    request.target = request.path = "/v1/traces";
    request.headers["content-type"] = testing::ContentTypeOf(wire);
    request.body = EncodeSpans(spans, wire);
    Response r = handler.Handle(request);
    ASSERT_EQ(r.status, 200) << r.body;
    ExportResult result = ParseExportResponse(r.body, wire);
    ASSERT_TRUE(result.parsed) << r.body;
    EXPECT_EQ(result.rejected_spans, 1);
    EXPECT_THAT(result.error_message, HasSubstr("span 1"));
    EXPECT_THAT(result.error_message, HasSubstr("longer than 64 bytes"));
    Result<std::vector<Span>> trace = (*store)->GetTrace(spans[0].trace_id);
    ASSERT_TRUE(trace.ok()) << trace.status().ToString();
    EXPECT_EQ(trace->size(), 3u);
    for (const Span& s : *trace) EXPECT_NE(s.span_id, spans[1].span_id);
  }
}

}  // namespace
}  // namespace roost::api
