#include "ingest/protobuf_encoder.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/protobuf_decoder.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "tests/ingest/status_matchers.h"
#include "tests/ingest/test_spans.h"

namespace roost::ingest {
namespace {

using Request = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using ::roost::testing::IsOk;
using ::roost::testing::MakeFullSpan;
using ::roost::testing::MakeLlmSpan;

// Field by field first, for readable failures, then as a whole.
void ExpectSameSpan(const Span& got, const Span& want) {
  EXPECT_EQ(got.trace_id, want.trace_id);
  EXPECT_EQ(got.span_id, want.span_id);
  EXPECT_EQ(got.parent_span_id, want.parent_span_id);
  EXPECT_EQ(got.trace_state, want.trace_state);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.kind, want.kind);
  EXPECT_EQ(got.otel_kind, want.otel_kind);
  EXPECT_EQ(got.status_code, want.status_code);
  EXPECT_EQ(got.status_message, want.status_message);
  EXPECT_EQ(got.start_unix_nano, want.start_unix_nano);
  EXPECT_EQ(got.end_unix_nano, want.end_unix_nano);
  EXPECT_EQ(got.project, want.project);
  EXPECT_EQ(got.session_id, want.session_id);
  EXPECT_EQ(got.user_id, want.user_id);
  EXPECT_EQ(got.model_name, want.model_name);
  EXPECT_EQ(got.provider, want.provider);
  EXPECT_EQ(got.prompt_tokens, want.prompt_tokens);
  EXPECT_EQ(got.completion_tokens, want.completion_tokens);
  EXPECT_EQ(got.total_tokens, want.total_tokens);
  EXPECT_EQ(got.cost_usd, want.cost_usd);
  EXPECT_EQ(got.attributes, want.attributes);
  EXPECT_EQ(got.events, want.events);
  EXPECT_EQ(got.links, want.links);
  EXPECT_EQ(got.resource_attributes, want.resource_attributes);
  EXPECT_EQ(got.scope, want.scope);
  EXPECT_EQ(got, want);
}

std::vector<Span> SampleSpans() {
  std::vector<Span> spans = {MakeFullSpan()};
  for (int i = 0; i < 4; ++i) spans.push_back(MakeLlmSpan(i, i % 2 == 0 ? "even" : "odd"));
  return spans;
}

TEST(EncodeProtobufTest, RoundTripKeepsEveryField) {
  const std::vector<Span> spans = SampleSpans();
  Result<DecodedBatch> batch = DecodeProtobuf(EncodeProtobuf(spans), {});
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(batch->rejected_count, 0u);
  ASSERT_EQ(batch->spans.size(), spans.size());
  // Grouping reorders across resources: full, even (0, 2), odd (1, 3).
  const size_t order[] = {0, 1, 3, 2, 4};
  for (size_t i = 0; i < spans.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSameSpan(batch->spans[i], spans[order[i]]);
  }
}

TEST(EncodeProtobufTest, GroupsByResourceAndScopeInFirstAppearanceOrder) {
  std::vector<Span> spans = {MakeLlmSpan(0, "a"), MakeLlmSpan(1, "b"), MakeLlmSpan(2, "a"),
                             MakeLlmSpan(3, "a")};
  spans[3].scope.name = "other.scope";
  Request request;
  ASSERT_TRUE(request.ParseFromString(EncodeProtobuf(spans)));
  ASSERT_EQ(request.resource_spans_size(), 2);
  const auto& a = request.resource_spans(0);
  ASSERT_EQ(a.scope_spans_size(), 2);
  EXPECT_EQ(a.scope_spans(0).spans_size(), 2);
  EXPECT_EQ(a.scope_spans(0).spans(1).name(), "ChatCompletion 2");
  EXPECT_EQ(a.scope_spans(1).scope().name(), "other.scope");
  EXPECT_EQ(a.scope_spans(1).spans_size(), 1);
  EXPECT_EQ(request.resource_spans(1).scope_spans(0).spans(0).name(), "ChatCompletion 1");
}

TEST(EncodeProtobufTest, ProjectIsAddedToResourceWhenMissing) {
  Span span = MakeLlmSpan(0);
  span.resource_attributes = {{"service.name", std::string("svc")}};
  span.project = "from-header";
  Request request;
  ASSERT_TRUE(request.ParseFromString(EncodeProtobuf({&span, 1})));
  const auto& attrs = request.resource_spans(0).resource().attributes();
  ASSERT_EQ(attrs.size(), 2);
  EXPECT_EQ(attrs[1].key(), "openinference.project.name");
  EXPECT_EQ(attrs[1].value().string_value(), "from-header");
  Result<DecodedBatch> batch = DecodeProtobuf(request.SerializeAsString(), {});
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(batch->spans[0].project, "from-header");
}

TEST(EncodeProtobufTest, ProjectReplacesADifferentResourceProject) {
  Span span = MakeLlmSpan(0, "in-resource");
  span.project = "from-header";
  Result<DecodedBatch> batch = DecodeProtobuf(EncodeProtobuf({&span, 1}), {});
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(batch->spans[0].project, "from-header");
  EXPECT_EQ(batch->spans[0].resource_attributes.size(), 2u);
}

// The encoder writes the wire format by hand: its bytes must be libprotobuf's for the same
// message (re-serializing the parsed request gives them back), defaults and oneofs included.
TEST(EncodeProtobufTest, BytesAreWhatLibprotobufWrites) {
  std::vector<Span> spans = SampleSpans();
  Span bare = MakeLlmSpan(9, "bare");
  bare.otel_kind = OtelSpanKind::kUnspecified;
  bare.status_code = StatusCode::kUnset;
  bare.status_message = "only a message";
  bare.scope = {};
  bare.events = {{"", 0, {{"", std::string()}}}};
  bare.attributes.push_back({"long", std::string(300, 'x')});
  bare.attributes.push_back({"many", std::vector<int64_t>(100, -1)});
  spans.push_back(bare);
  const std::string body = EncodeProtobuf(spans);
  Request request;
  ASSERT_TRUE(request.ParseFromString(body));
  EXPECT_EQ(request.SerializeAsString(), body);
  EXPECT_EQ(request.resource_spans_size(), 4);
}

TEST(EncodeProtobufTest, EncodingIntoAUsedBufferReplacesItsContents) {
  const std::vector<Span> spans = SampleSpans();
  std::string buffer(100000, 'z');
  EncodeProtobuf(spans, &buffer);
  EXPECT_EQ(buffer, EncodeProtobuf(spans));
  EncodeProtobuf(std::span<const Span>(spans).first(1), &buffer);
  EXPECT_EQ(buffer, EncodeProtobuf(std::span<const Span>(spans).first(1)));
}

TEST(EncodeProtobufTest, NoSpansEncodeAnEmptyRequest) {
  const std::string body = EncodeProtobuf({});
  EXPECT_TRUE(body.empty());
  Result<DecodedBatch> batch = DecodeProtobuf(body, {});
  ASSERT_THAT(batch, IsOk());
  EXPECT_TRUE(batch->spans.empty());
}

}  // namespace
}  // namespace roost::ingest
