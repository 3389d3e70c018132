#include "ingest/json_encoder.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ingest/json_decoder.h"
#include "ingest/protobuf_decoder.h"
#include "ingest/protobuf_encoder.h"
#include "tests/ingest/status_matchers.h"
#include "tests/ingest/test_spans.h"

namespace roost::ingest {
namespace {

using ::roost::testing::IsOk;
using ::roost::testing::MakeFullSpan;
using ::roost::testing::MakeLlmSpan;
using ::testing::HasSubstr;

TEST(EncodeJsonTest, RoundTripKeepsEveryField) {
  std::vector<Span> spans = {MakeFullSpan()};
  for (int i = 0; i < 4; ++i) spans.push_back(MakeLlmSpan(i, i % 2 == 0 ? "even" : "odd"));
  Result<DecodedBatch> batch = DecodeJson(EncodeJson(spans), {});
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(batch->rejected_count, 0u);
  ASSERT_EQ(batch->spans.size(), spans.size());
  const size_t order[] = {0, 1, 3, 2, 4};  // grouped by resource: full, even, odd
  for (size_t i = 0; i < spans.size(); ++i) {
    const Span& got = batch->spans[i];
    const Span& want = spans[order[i]];
    SCOPED_TRACE(i);
    EXPECT_EQ(got.trace_id, want.trace_id);
    EXPECT_EQ(got.span_id, want.span_id);
    EXPECT_EQ(got.parent_span_id, want.parent_span_id);
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.start_unix_nano, want.start_unix_nano);
    EXPECT_EQ(got.end_unix_nano, want.end_unix_nano);
    EXPECT_EQ(got.attributes, want.attributes);
    EXPECT_EQ(got.events, want.events);
    EXPECT_EQ(got.links, want.links);
    EXPECT_EQ(got.resource_attributes, want.resource_attributes);
    EXPECT_EQ(got.scope, want.scope);
    EXPECT_EQ(got.status_code, want.status_code);
    EXPECT_EQ(got.status_message, want.status_message);
    EXPECT_EQ(got, want);
  }
}

TEST(EncodeJsonTest, MatchesTheProtobufEncodingAfterDecoding) {
  std::vector<Span> spans = {MakeLlmSpan(0, "a"), MakeLlmSpan(1, "b"), MakeFullSpan()};
  spans[0].resource_attributes.pop_back();  // project comes from Span::project
  Result<DecodedBatch> from_json = DecodeJson(EncodeJson(spans), {});
  Result<DecodedBatch> from_proto = DecodeProtobuf(EncodeProtobuf(spans), {});
  ASSERT_THAT(from_json, IsOk());
  ASSERT_THAT(from_proto, IsOk());
  EXPECT_EQ(from_json->spans, from_proto->spans);
}

TEST(EncodeJsonTest, UsesOtlpJsonConventions) {
  const Span span = MakeFullSpan();
  const std::string json = EncodeJson({&span, 1});
  const nlohmann::json doc = nlohmann::json::parse(json);  // well-formed JSON
  const nlohmann::json& s = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(s["traceId"], "5b8efff798038103d269b633813fc60c");  // hex, not base64
  EXPECT_EQ(s["parentSpanId"], "eee19b7ec3c1b173");
  EXPECT_EQ(s["kind"], 3);                                   // enums as numbers
  EXPECT_EQ(s["startTimeUnixNano"], "1700000000123456789");  // int64 as strings
  EXPECT_EQ(s["status"]["code"], 2);
  EXPECT_THAT(json, HasSubstr(R"({"key":"int.min","value":{"intValue":"-9223372036854775808"}})"));
  EXPECT_THAT(json, HasSubstr(R"({"key":"double.whole","value":{"doubleValue":3.0}})"));
  EXPECT_THAT(json, HasSubstr(R"({"key":"unset","value":{}})"));
}

TEST(EncodeJsonTest, NoSpansEncodeAnEmptyRequest) {
  EXPECT_EQ(EncodeJson({}), R"({"resourceSpans":[]})");
}

}  // namespace
}  // namespace roost::ingest
