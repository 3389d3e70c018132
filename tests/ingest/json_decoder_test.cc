#include "ingest/json_decoder.h"

#include <cmath>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/ingest/status_matchers.h"

namespace roost::ingest {
namespace {

using ::roost::testing::IsInvalidArgument;
using ::roost::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kTrace[] = "5b8efff798038103d269b633813fc60c";

// A valid span object with `extra` fields appended (each starting with a comma).
std::string SpanJson(const std::string& span_id = "eee19b7ec3c1b174",
                     const std::string& extra = "") {
  return R"({"traceId":")" + std::string(kTrace) + R"(","spanId":")" + span_id +
         R"(","name":"s","startTimeUnixNano":"1700000000000000000",)" +
         R"("endTimeUnixNano":"1700000000500000000")" + extra + "}";
}

std::string RequestJson(const std::string& spans, const std::string& resource_attributes = "") {
  return R"({"resourceSpans":[{"resource":{"attributes":[)" + resource_attributes +
         R"(]},"scopeSpans":[{"scope":{"name":"sc"},"spans":[)" + spans + "]}]}]}";
}

Span DecodeOne(const std::string& body, const DecodeOptions& options = {}) {
  Result<DecodedBatch> batch = DecodeJson(body, options);
  EXPECT_THAT(batch, IsOk());
  if (!batch.ok() || batch->spans.size() != 1) {
    ADD_FAILURE() << "expected one accepted span; rejected: "
                  << (batch.ok() && !batch->rejected.empty() ? batch->rejected[0].reason : "");
    return Span{};
  }
  return batch->spans[0];
}

// The single rejection of a one-span request.
std::string RejectionOf(const std::string& body) {
  Result<DecodedBatch> batch = DecodeJson(body, {});
  EXPECT_THAT(batch, IsOk());
  if (!batch.ok() || batch->rejected.size() != 1 || !batch->spans.empty()) {
    ADD_FAILURE() << "expected exactly one rejected span";
    return "";
  }
  return batch->rejected[0].reason;
}

// The attributes of a one-span request whose span carries `attributes` (a JSON array body).
Attributes AttributesOf(const std::string& attributes) {
  return DecodeOne(
             RequestJson(SpanJson("eee19b7ec3c1b174", R"(,"attributes":[)" + attributes + "]")))
      .attributes;
}

TEST(DecodeJsonTest, EmptyBodyIsRejected) {
  EXPECT_THAT(DecodeJson("", {}), IsInvalidArgument("JSON body is empty"));
}

TEST(DecodeJsonTest, EmptyObjectIsAnEmptyRequest) {
  Result<DecodedBatch> batch = DecodeJson(" {} ", {});
  ASSERT_THAT(batch, IsOk());
  EXPECT_TRUE(batch->spans.empty());
  EXPECT_THAT(DecodeJson(R"({"resourceSpans":[]})", {}), IsOk());
}

TEST(DecodeJsonTest, MapsEveryOtlpField) {
  const std::string body =
      RequestJson(SpanJson("eee19b7ec3c1b174",
                           R"(,"parentSpanId":"EEE19B7EC3C1B173","traceState":"a=b","kind":3,)"
                           R"("status":{"code":2,"message":"bad"},)"
                           R"("attributes":[{"key":"k","value":{"stringValue":"v"}}],)"
                           R"("events":[{"timeUnixNano":"1700000000100000000","name":"ev",)"
                           R"("attributes":[{"key":"e","value":{"boolValue":true}}]}],)"
                           R"("links":[{"traceId":"00000000000000000000000000000001",)"
                           R"("spanId":"0000000000000002","traceState":"x=y",)"
                           R"("attributes":[{"key":"l","value":{"intValue":"3"}}]}])"),
                  R"({"key":"service.name","value":{"stringValue":"svc"}})");
  const Span span = DecodeOne(body);
  EXPECT_EQ(span.trace_id.ToHex(), kTrace);
  EXPECT_EQ(span.span_id.ToHex(), "eee19b7ec3c1b174");
  ASSERT_TRUE(span.parent_span_id.has_value());
  EXPECT_EQ(span.parent_span_id->ToHex(), "eee19b7ec3c1b173");
  EXPECT_EQ(span.trace_state, "a=b");
  EXPECT_EQ(span.name, "s");
  EXPECT_EQ(span.otel_kind, OtelSpanKind::kClient);
  EXPECT_EQ(span.status_code, StatusCode::kError);
  EXPECT_EQ(span.status_message, "bad");
  EXPECT_EQ(span.start_unix_nano, 1'700'000'000'000'000'000);
  EXPECT_EQ(span.end_unix_nano, 1'700'000'000'500'000'000);
  EXPECT_THAT(span.attributes, ElementsAre(Attribute{"k", std::string("v")}));
  EXPECT_THAT(span.events, ElementsAre(SpanEvent{"ev", 1'700'000'000'100'000'000, {{"e", true}}}));
  ASSERT_EQ(span.links.size(), 1u);
  EXPECT_EQ(span.links[0].trace_id.ToHex(), "00000000000000000000000000000001");
  EXPECT_EQ(span.links[0].span_id.ToHex(), "0000000000000002");
  EXPECT_EQ(span.links[0].trace_state, "x=y");
  EXPECT_THAT(span.links[0].attributes, ElementsAre(Attribute{"l", int64_t{3}}));
  EXPECT_THAT(span.resource_attributes, ElementsAre(Attribute{"service.name", std::string("svc")}));
  EXPECT_EQ(span.scope.name, "sc");
}

TEST(DecodeJsonTest, AcceptsSnakeCaseKeys) {
  const std::string body =
      R"({"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":")" + std::string(kTrace) +
      R"(","span_id":"eee19b7ec3c1b174","parent_span_id":"eee19b7ec3c1b173",)"
      R"("trace_state":"t","start_time_unix_nano":1700000000000000000,)"
      R"("end_time_unix_nano":1700000000000000001,"status":{"code":1},)"
      R"("events":[{"time_unix_nano":"1700000000000000000","name":"e"}],)"
      R"("attributes":[{"key":"a","value":{"int_value":"7"}},{"key":"b","value":{"string_value":"x"}},)"
      R"({"key":"c","value":{"double_value":1.5}},{"key":"d","value":{"bool_value":false}},)"
      R"({"key":"e","value":{"array_value":{"values":[{"int_value":1}]}}},)"
      R"({"key":"f","value":{"kvlist_value":{"values":[{"key":"g","value":{"bytes_value":"AQI="}}]}}}]}]}]}]})";
  const Span span = DecodeOne(body);
  EXPECT_EQ(span.trace_state, "t");
  EXPECT_EQ(span.end_unix_nano, 1'700'000'000'000'000'001);
  EXPECT_EQ(span.status_code, StatusCode::kOk);
  EXPECT_EQ(span.events.size(), 1u);
  EXPECT_THAT(
      span.attributes,
      ElementsAre(Attribute{"a", int64_t{7}}, Attribute{"b", std::string("x")}, Attribute{"c", 1.5},
                  Attribute{"d", false}, Attribute{"e", std::vector<int64_t>{1}},
                  Attribute{"f.g", std::string("AQI=")}));
}

TEST(DecodeJsonTest, Int64AcceptsStringsAndNumbers) {
  const Span span =
      DecodeOne(RequestJson(R"({"traceId":")" + std::string(kTrace) +
                            R"(","spanId":"eee19b7ec3c1b174",)"
                            R"("startTimeUnixNano":1700000000000000000,)"
                            R"("endTimeUnixNano":"1700000000000000009",)"
                            R"("attributes":[{"key":"a","value":{"intValue":-3}},)"
                            R"({"key":"b","value":{"intValue":"-9223372036854775808"}},)"
                            R"({"key":"c","value":{"intValue":4e3}}]})"));
  EXPECT_EQ(span.start_unix_nano, 1'700'000'000'000'000'000);
  EXPECT_EQ(span.end_unix_nano, 1'700'000'000'000'000'009);
  EXPECT_THAT(span.attributes,
              ElementsAre(Attribute{"a", int64_t{-3}}, Attribute{"b", int64_t{INT64_MIN}},
                          Attribute{"c", int64_t{4000}}));
}

TEST(DecodeJsonTest, EnumsAcceptNamesAndNumbers) {
  Span span = DecodeOne(RequestJson(
      SpanJson("eee19b7ec3c1b174",
               R"(,"kind":"SPAN_KIND_PRODUCER","status":{"code":"STATUS_CODE_ERROR"})")));
  EXPECT_EQ(span.otel_kind, OtelSpanKind::kProducer);
  EXPECT_EQ(span.status_code, StatusCode::kError);
  span = DecodeOne(RequestJson(SpanJson("eee19b7ec3c1b174", R"(,"kind":5,"status":{"code":1})")));
  EXPECT_EQ(span.otel_kind, OtelSpanKind::kConsumer);
  EXPECT_EQ(span.status_code, StatusCode::kOk);
  span = DecodeOne(RequestJson(
      SpanJson("eee19b7ec3c1b174", R"(,"kind":"SPAN_KIND_BOGUS","status":{"code":17})")));
  EXPECT_EQ(span.otel_kind, OtelSpanKind::kUnspecified);
  EXPECT_EQ(span.status_code, StatusCode::kUnset);
}

TEST(DecodeJsonTest, UnknownKeysAreIgnoredWithTheirValues) {
  const std::string body =
      R"({"future":{"a":[1,{"b":[[]]}]},"resourceSpans":[{"schemaUrl":"u","x":[{"y":{}}],)"
      R"("scopeSpans":[{"schemaUrl":"s","spans":[)" +
      SpanJson("eee19b7ec3c1b174",
               R"(,"flags":257,"droppedAttributesCount":3,"newField":{"spans":"not an array"},)"
               R"("attributes":[{"key":"k","value":{"stringValue":"v","other":[1]},"z":null}])") +
      "]}]}]}";
  const Span span = DecodeOne(body);
  EXPECT_THAT(span.attributes, ElementsAre(Attribute{"k", std::string("v")}));
}

TEST(DecodeJsonTest, NullMeansUnset) {
  const Span span = DecodeOne(RequestJson(SpanJson(
      "eee19b7ec3c1b174",
      R"(,"parentSpanId":null,"status":null,"kind":null,"attributes":[{"key":"k","value":null}])")));
  EXPECT_FALSE(span.parent_span_id.has_value());
  EXPECT_EQ(span.status_code, StatusCode::kUnset);
  EXPECT_THAT(span.attributes, ElementsAre(Attribute{"k", std::monostate{}}));
}

TEST(DecodeJsonTest, ResourceAfterScopeSpansStillApplies) {
  const std::string body =
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" + SpanJson() +
      R"(],"scope":{"name":"late"}}],"resource":{"attributes":[{"key":"openinference.project.name",)"
      R"("value":{"stringValue":"p"}}]}}]})";
  const Span span = DecodeOne(body);
  EXPECT_EQ(span.project, "p");
  EXPECT_EQ(span.scope.name, "late");
}

TEST(DecodeJsonTest, DoubleValuesAcceptNumbersAndSpecialStrings) {
  const Attributes attrs = AttributesOf(
      R"({"key":"a","value":{"doubleValue":2}},{"key":"b","value":{"doubleValue":"NaN"}},)"
      R"({"key":"c","value":{"doubleValue":"-Infinity"}},{"key":"d","value":{"doubleValue":"0.25"}})");
  ASSERT_EQ(attrs.size(), 4u);
  EXPECT_EQ(std::get<double>(attrs[0].value), 2.0);
  EXPECT_TRUE(std::isnan(std::get<double>(attrs[1].value)));
  EXPECT_EQ(std::get<double>(attrs[2].value), -HUGE_VAL);
  EXPECT_EQ(std::get<double>(attrs[3].value), 0.25);
}

TEST(DecodeJsonTest, BytesValuesAreNormalizedToStandardBase64) {
  EXPECT_THAT(AttributesOf(R"({"key":"a","value":{"bytesValue":"_-8"}})"),
              ElementsAre(Attribute{"a", std::string("/+8=")}));
}

TEST(DecodeJsonTest, KvlistAndArrayValuesAreMapped) {
  EXPECT_THAT(
      AttributesOf(
          R"({"key":"m","value":{"kvlistValue":{"values":[{"key":"a","value":{"intValue":1}},)"
          R"({"key":"b","value":{"kvlistValue":{"values":[{"key":"c","value":{"boolValue":true}}]}}}]}}},)"
          R"({"key":"s","value":{"arrayValue":{"values":[{"stringValue":"x"},{"stringValue":"y"}]}}},)"
          R"({"key":"x","value":{"arrayValue":{"values":[{"stringValue":"x"},{"doubleValue":1.5},)"
          R"({"kvlistValue":{"values":[{"key":"q","value":{"stringValue":"\""}}]}}]}}},)"
          R"({"key":"e","value":{"arrayValue":{}}})"),
      ElementsAre(Attribute{"m.a", int64_t{1}}, Attribute{"m.b.c", true},
                  Attribute{"s", std::vector<std::string>{"x", "y"}},
                  Attribute{"x", std::vector<std::string>{"x", "1.5", R"({"q":"\""})"}},
                  Attribute{"e", std::vector<std::string>{}}));
}

TEST(DecodeJsonTest, BadIdsRejectTheSpan) {
  EXPECT_EQ(RejectionOf(RequestJson(SpanJson("eee19b7ec3c1b17g"))), "span id is not hex");
  EXPECT_EQ(RejectionOf(RequestJson(SpanJson("eee19b7ec3c1b1"))),
            "span id must be 16 hex digits, got 14");
  EXPECT_EQ(RejectionOf(RequestJson(SpanJson("7uGbfsPBsXQ="))),  // base64 is not accepted
            "span id must be 16 hex digits, got 12");
  EXPECT_EQ(RejectionOf(RequestJson(SpanJson("eee19b7ec3c1b174", R"(,"parentSpanId":"zz")"))),
            "parent span id must be 16 hex digits, got 2");
  EXPECT_EQ(
      RejectionOf(RequestJson(SpanJson(
          "eee19b7ec3c1b174", R"(,"links":[{"traceId":"abc","spanId":"0000000000000002"}])"))),
      "link trace id must be 32 hex digits, got 3");
  EXPECT_EQ(RejectionOf(RequestJson(SpanJson("0000000000000000"))),
            "span id is missing or all zero");
}

TEST(DecodeJsonTest, UnusableValuesRejectTheSpan) {
  EXPECT_EQ(RejectionOf(RequestJson(SpanJson(
                "eee19b7ec3c1b174", R"(,"attributes":[{"key":"a","value":{"intValue":"abc"}}])"))),
            "attribute intValue is not an int64");
  EXPECT_EQ(RejectionOf(RequestJson(SpanJson(
                "eee19b7ec3c1b174", R"(,"attributes":[{"key":"a","value":{"bytesValue":"!!"}}])"))),
            "attribute bytesValue is not base64");
  EXPECT_EQ(RejectionOf(RequestJson(R"({"traceId":")" + std::string(kTrace) +
                                    R"(","spanId":"eee19b7ec3c1b174","startTimeUnixNano":1.5})")),
            "startTimeUnixNano is not an int64");
  EXPECT_EQ(RejectionOf(RequestJson(R"({"traceId":")" + std::string(kTrace) +
                                    R"(","spanId":"eee19b7ec3c1b174",)"
                                    R"("startTimeUnixNano":"18446744073709551615"})")),
            "startTimeUnixNano is not an int64");
}

TEST(DecodeJsonTest, BadResourceValueRejectsEverySpanOfThatResource) {
  const std::string body =
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"r","value":{"bytesValue":"%"}}]},)"
      R"("scopeSpans":[{"spans":[)" +
      SpanJson("0000000000000001") + "," + SpanJson("0000000000000002") +
      R"(]}]},{"scopeSpans":[{"spans":[)" + SpanJson("0000000000000003") + "]}]}]}";
  Result<DecodedBatch> batch = DecodeJson(body, {});
  ASSERT_THAT(batch, IsOk());
  ASSERT_EQ(batch->spans.size(), 1u);
  EXPECT_EQ(batch->spans[0].span_id.ToHex(), "0000000000000003");
  EXPECT_THAT(batch->rejected,
              ElementsAre(RejectedSpan{0, kTrace, "attribute bytesValue is not base64"},
                          RejectedSpan{1, kTrace, "attribute bytesValue is not base64"}));
}

TEST(DecodeJsonTest, BadSpanIsRejectedWithReasonAndTheRestKept) {
  const std::string backwards = R"({"traceId":")" + std::string(kTrace) +
                                R"(","spanId":"0000000000000002","startTimeUnixNano":"20",)"
                                R"("endTimeUnixNano":"10"})";
  Result<DecodedBatch> batch =
      DecodeJson(RequestJson(SpanJson("0000000000000001") + "," + backwards + "," +
                             SpanJson("0000000000000003")),
                 {});
  ASSERT_THAT(batch, IsOk());
  ASSERT_EQ(batch->spans.size(), 2u);
  EXPECT_EQ(batch->spans[1].span_id.ToHex(), "0000000000000003");
  EXPECT_EQ(batch->rejected_count, 1u);
  EXPECT_THAT(batch->rejected,
              ElementsAre(RejectedSpan{1, kTrace, "end time is before start time"}));
}

TEST(DecodeJsonTest, BadSyntaxIsRejected) {
  EXPECT_THAT(DecodeJson(R"({"resourceSpans":[)", {}), IsInvalidArgument("invalid JSON"));
  EXPECT_THAT(DecodeJson(R"({"resourceSpans":[]}x)", {}), IsInvalidArgument("invalid JSON"));
  EXPECT_THAT(DecodeJson(R"({'a':1})", {}),
              IsInvalidArgument("invalid JSON at byte 1: expected a string key"));
  EXPECT_THAT(DecodeJson("\x1f\x8b\x08\x00", {}), IsInvalidArgument("invalid JSON"));
}

TEST(DecodeJsonTest, InvalidUtf8IsRejected) {
  EXPECT_THAT(
      DecodeJson(RequestJson(SpanJson("eee19b7ec3c1b174", ",\"traceState\":\"a\xff\"")), {}),
      IsInvalidArgument("UTF-8"));
  EXPECT_THAT(DecodeJson(R"({"x":"\ud800"})", {}), IsInvalidArgument("surrogate"));
}

TEST(DecodeJsonTest, TopLevelMustBeAnObject) {
  EXPECT_THAT(DecodeJson("[]", {}), IsInvalidArgument("must be an object, got an array"));
  EXPECT_THAT(DecodeJson("42", {}), IsInvalidArgument("must be an object, got a number"));
  EXPECT_THAT(DecodeJson("null", {}), IsInvalidArgument("must be an object, got null"));
}

TEST(DecodeJsonTest, WrongJsonTypesAreRejected) {
  EXPECT_THAT(DecodeJson(R"({"resourceSpans":7})", {}),
              IsInvalidArgument("'resourceSpans' must be an array, got a number"));
  EXPECT_THAT(DecodeJson(R"({"resourceSpans":[{"scopeSpans":[{"spans":{}}]}]})", {}),
              IsInvalidArgument("'spans' must be an array, got an object"));
  EXPECT_THAT(DecodeJson(RequestJson(R"({"startTimeUnixNano":{}})"), {}),
              IsInvalidArgument("'startTimeUnixNano' must be an integer or a decimal string"));
  EXPECT_THAT(DecodeJson(RequestJson(R"({"name":5})"), {}),
              IsInvalidArgument("'name' must be a string, got a number"));
  EXPECT_THAT(DecodeJson(RequestJson(R"({"traceId":true})"), {}),
              IsInvalidArgument("'traceId' must be a string, got a boolean"));
  EXPECT_THAT(DecodeJson(RequestJson("1"), {}), IsInvalidArgument("elements of a JSON list"));
  EXPECT_THAT(DecodeJson(RequestJson(R"({"attributes":{}})"), {}),
              IsInvalidArgument("'attributes' must be an array"));
  EXPECT_THAT(
      DecodeJson(RequestJson(R"({"attributes":[{"key":"k","value":{"boolValue":1}}]})"), {}),
      IsInvalidArgument("'boolValue' must be a boolean"));
  EXPECT_THAT(DecodeJson(RequestJson(R"({"attributes":[{"key":"k","value":"v"}]})"), {}),
              IsInvalidArgument("'value' must be an object"));
  EXPECT_THAT(DecodeJson(RequestJson(R"({"kind":[]})"), {}),
              IsInvalidArgument("'kind' must be an enum number or name"));
}

TEST(DecodeJsonTest, NestingDeeperThanTheLimitIsRejected) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += '[';
  for (int i = 0; i < 100; ++i) deep += ']';
  EXPECT_THAT(DecodeJson(R"({"unknown":)" + deep + "}", {}),
              IsInvalidArgument("nested deeper than 64 levels"));
  DecodeOptions options;
  options.max_nesting_depth = 200;
  EXPECT_THAT(DecodeJson(R"({"unknown":)" + deep + "}", options), IsOk());
}

TEST(DecodeJsonTest, TooManySpansIsRejected) {
  DecodeOptions options;
  options.max_spans = 2;
  const std::string two = SpanJson("0000000000000001") + "," + SpanJson("0000000000000002");
  EXPECT_THAT(DecodeJson(RequestJson(two), options), IsOk());
  EXPECT_THAT(DecodeJson(RequestJson(two + "," + SpanJson("0000000000000003")), options),
              IsInvalidArgument("limit of 2 spans"));
}

TEST(DecodeJsonTest, ProjectComesFromHeaderThenResourceThenDefault) {
  const std::string with_project = RequestJson(
      SpanJson(), R"({"key":"openinference.project.name","value":{"stringValue":"r"}})");
  EXPECT_EQ(DecodeOne(RequestJson(SpanJson())).project, "default");
  EXPECT_EQ(DecodeOne(with_project).project, "r");
  DecodeOptions options;
  options.project_header = "h";
  EXPECT_EQ(DecodeOne(with_project, options).project, "h");
}

TEST(DecodeJsonTest, ProjectHeaderThatIsNotUtf8RejectsTheSpan) {
  DecodeOptions options;
  options.project_header = "\xc0\xaf";  // overlong '/'
  Result<DecodedBatch> batch = DecodeJson(RequestJson(SpanJson()), options);
  ASSERT_THAT(batch, IsOk());
  EXPECT_TRUE(batch->spans.empty());
  ASSERT_EQ(batch->rejected.size(), 1u);
  EXPECT_EQ(batch->rejected[0].reason, "project (x-project-name header) is not valid UTF-8");
}

TEST(DecodeJsonTest, GenAiAttributesAreMapped) {
  const Span span = DecodeOne(RequestJson(
      SpanJson("eee19b7ec3c1b174",
               R"(,"attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},)"
               R"({"key":"gen_ai.request.model","value":{"stringValue":"m"}},)"
               R"({"key":"gen_ai.usage.input_tokens","value":{"intValue":"11"}},)"
               R"({"key":"gen_ai.usage.output_tokens","value":{"intValue":4}}])")));
  EXPECT_EQ(span.kind, SpanKind::kLlm);
  EXPECT_EQ(span.model_name, "m");
  EXPECT_EQ(span.prompt_tokens, 11);
  EXPECT_EQ(span.completion_tokens, 4);
  EXPECT_EQ(span.total_tokens, 15);
}

TEST(DecodeJsonTest, ErrorMessagesArePrintable) {
  Result<DecodedBatch> batch = DecodeJson("{\"a\":\xff\xfe}", {});
  ASSERT_FALSE(batch.ok());
  const Status status = batch.status();
  for (char c : status.message()) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);
  }
}

}  // namespace
}  // namespace roost::ingest
