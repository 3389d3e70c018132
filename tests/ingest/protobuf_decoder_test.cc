#include "ingest/protobuf_decoder.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "tests/ingest/status_matchers.h"

namespace roost::ingest {
namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_trace = opentelemetry::proto::trace::v1;
using Request = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using ::roost::testing::IsInvalidArgument;
using ::roost::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<uint8_t> b) { return std::string(b.begin(), b.end()); }
const std::string kTraceId = Bytes({0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48,
                                    0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c});
const std::string kSpanId = Bytes({0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31});

// Adds a valid span to the first scope of the first resource of `r`.
pb_trace::Span* AddSpan(Request* r, uint8_t id = 1) {
  if (r->resource_spans_size() == 0) r->add_resource_spans()->add_scope_spans();
  pb_trace::Span* s = r->mutable_resource_spans(0)->mutable_scope_spans(0)->add_spans();
  s->set_trace_id(kTraceId);
  s->set_span_id(Bytes({1, 2, 3, 4, 5, 6, 7, id}));
  s->set_name("span");
  s->set_start_time_unix_nano(1'700'000'000'000'000'000);
  s->set_end_time_unix_nano(1'700'000'000'500'000'000);
  return s;
}

pb_common::AnyValue* AddAttribute(pb_trace::Span* s, const std::string& key) {
  pb_common::KeyValue* kv = s->add_attributes();
  kv->set_key(key);
  return kv->mutable_value();
}

Result<DecodedBatch> Decode(const Request& r, const DecodeOptions& options = {}) {
  return DecodeProtobuf(r.SerializeAsString(), options);
}

// Decodes a request of one span and returns it; fails the test if it is not accepted.
Span DecodeOne(const Request& r) {
  Result<DecodedBatch> batch = Decode(r);
  EXPECT_THAT(batch, IsOk());
  if (!batch.ok() || batch->spans.size() != 1) {
    ADD_FAILURE() << "expected one accepted span";
    return Span{};
  }
  return batch->spans[0];
}

TEST(DecodeProtobufTest, EmptyBodyIsAValidEmptyRequest) {
  Result<DecodedBatch> batch = DecodeProtobuf("", {});
  ASSERT_THAT(batch, IsOk());
  EXPECT_TRUE(batch->spans.empty());
  EXPECT_EQ(batch->rejected_count, 0u);
}

TEST(DecodeProtobufTest, MapsEveryOtlpField) {
  Request r;
  pb_trace::ResourceSpans* rs = r.add_resource_spans();
  pb_common::KeyValue* res = rs->mutable_resource()->add_attributes();
  res->set_key("service.name");
  res->mutable_value()->set_string_value("svc");
  pb_trace::ScopeSpans* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("scope");
  ss->mutable_scope()->set_version("1.0");
  pb_trace::Span* s = AddSpan(&r);
  s->set_parent_span_id(Bytes({9, 9, 9, 9, 9, 9, 9, 9}));
  s->set_trace_state("a=b");
  s->set_kind(pb_trace::Span::SPAN_KIND_SERVER);
  s->mutable_status()->set_code(pb_trace::Status::STATUS_CODE_ERROR);
  s->mutable_status()->set_message("bad");
  AddAttribute(s, "n")->set_int_value(-5);
  pb_trace::Span::Event* e = s->add_events();
  e->set_name("ev");
  e->set_time_unix_nano(1'700'000'000'100'000'000);
  pb_trace::Span::Link* l = s->add_links();
  l->set_trace_id(kTraceId);
  l->set_span_id(kSpanId);
  l->set_trace_state("x=y");

  const Span span = DecodeOne(r);
  EXPECT_EQ(span.trace_id.ToHex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(span.span_id.ToHex(), "0102030405060701");
  ASSERT_TRUE(span.parent_span_id.has_value());
  EXPECT_EQ(span.parent_span_id->ToHex(), "0909090909090909");
  EXPECT_EQ(span.trace_state, "a=b");
  EXPECT_EQ(span.name, "span");
  EXPECT_EQ(span.otel_kind, OtelSpanKind::kServer);
  EXPECT_EQ(span.status_code, StatusCode::kError);
  EXPECT_EQ(span.status_message, "bad");
  EXPECT_EQ(span.start_unix_nano, 1'700'000'000'000'000'000);
  EXPECT_EQ(span.end_unix_nano, 1'700'000'000'500'000'000);
  EXPECT_THAT(span.attributes, ElementsAre(Attribute{"n", int64_t{-5}}));
  EXPECT_THAT(span.events, ElementsAre(SpanEvent{"ev", 1'700'000'000'100'000'000, {}}));
  ASSERT_EQ(span.links.size(), 1u);
  EXPECT_EQ(span.links[0].span_id.ToHex(), "b7ad6b7169203331");
  EXPECT_EQ(span.links[0].trace_state, "x=y");
  EXPECT_THAT(span.resource_attributes, ElementsAre(Attribute{"service.name", std::string("svc")}));
  EXPECT_EQ(span.scope.name, "scope");
  EXPECT_EQ(span.scope.version, "1.0");
  EXPECT_EQ(span.project, "default");
}

TEST(DecodeProtobufTest, AllZeroOrEmptyParentMeansRoot) {
  Request r;
  AddSpan(&r, 1)->set_parent_span_id(std::string(8, '\0'));
  AddSpan(&r, 2);
  Result<DecodedBatch> batch = Decode(r);
  ASSERT_THAT(batch, IsOk());
  ASSERT_EQ(batch->spans.size(), 2u);
  EXPECT_FALSE(batch->spans[0].parent_span_id.has_value());
  EXPECT_FALSE(batch->spans[1].parent_span_id.has_value());
}

TEST(DecodeProtobufTest, KvlistValuesAreFlattenedToDottedKeys) {
  Request r;
  pb_common::KeyValueList* outer = AddAttribute(AddSpan(&r), "a")->mutable_kvlist_value();
  pb_common::KeyValue* b = outer->add_values();
  b->set_key("b");
  b->mutable_value()->set_int_value(1);
  pb_common::KeyValue* c = outer->add_values();
  c->set_key("c");
  pb_common::KeyValue* d = c->mutable_value()->mutable_kvlist_value()->add_values();
  d->set_key("d");
  d->mutable_value()->set_string_value("x");
  EXPECT_THAT(DecodeOne(r).attributes,
              ElementsAre(Attribute{"a.b", int64_t{1}}, Attribute{"a.c.d", std::string("x")}));
}

TEST(DecodeProtobufTest, BytesValuesBecomeBase64Strings) {
  Request r;
  AddAttribute(AddSpan(&r), "blob")->set_bytes_value(Bytes({0xff, 0x00, 0x10, 'a'}));
  EXPECT_THAT(DecodeOne(r).attributes, ElementsAre(Attribute{"blob", std::string("/wAQYQ==")}));
}

TEST(DecodeProtobufTest, ArraysBecomeHomogeneous) {
  Request r;
  pb_trace::Span* s = AddSpan(&r);
  pb_common::ArrayValue* mixed_numbers = AddAttribute(s, "nums")->mutable_array_value();
  mixed_numbers->add_values()->set_int_value(1);
  mixed_numbers->add_values()->set_double_value(2.5);
  pb_common::ArrayValue* mixed = AddAttribute(s, "mixed")->mutable_array_value();
  mixed->add_values()->set_string_value("s");
  mixed->add_values()->set_bool_value(true);
  mixed->add_values()->set_int_value(7);
  mixed->add_values()->mutable_array_value()->add_values()->set_string_value("in");
  mixed->add_values();  // unset
  AddAttribute(s, "empty")->mutable_array_value();
  EXPECT_THAT(
      DecodeOne(r).attributes,
      ElementsAre(Attribute{"nums", std::vector<double>{1.0, 2.5}},
                  Attribute{"mixed", std::vector<std::string>{"s", "true", "7", R"(["in"])", ""}},
                  Attribute{"empty", std::vector<std::string>{}}));
}

TEST(DecodeProtobufTest, UnsetValueBecomesMonostate) {
  Request r;
  pb_trace::Span* s = AddSpan(&r);
  s->add_attributes()->set_key("no.value");
  AddAttribute(s, "empty.value");
  EXPECT_THAT(DecodeOne(r).attributes, ElementsAre(Attribute{"no.value", std::monostate{}},
                                                   Attribute{"empty.value", std::monostate{}}));
}

TEST(DecodeProtobufTest, UnknownAndUnkeptFieldsAreIgnored) {
  Request r;
  pb_trace::Span* s = AddSpan(&r);
  s->set_flags(0x301);
  s->set_dropped_attributes_count(3);
  s->set_dropped_events_count(4);
  r.mutable_resource_spans(0)->set_schema_url("https://opentelemetry.io/schemas/1.21.0");
  // Field 99 (varint 1) and field 100 (length-delimited "xy"), unknown to the schema.
  const std::string body = r.SerializeAsString() + "\x98\x06\x01\xa2\x06\x02xy";
  Result<DecodedBatch> batch = DecodeProtobuf(body, {});
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(batch->spans.size(), 1u);
}

TEST(DecodeProtobufTest, UnknownEnumValuesReadAsUnspecified) {
  Request r;
  pb_trace::Span* s = AddSpan(&r);
  s->set_kind(static_cast<pb_trace::Span::SpanKind>(42));
  s->mutable_status()->set_code(static_cast<pb_trace::Status::StatusCode>(9));
  const Span span = DecodeOne(r);
  EXPECT_EQ(span.otel_kind, OtelSpanKind::kUnspecified);
  EXPECT_EQ(span.status_code, StatusCode::kUnset);
}

TEST(DecodeProtobufTest, BadSpanIsRejectedWithReasonAndTheRestKept) {
  Request r;
  AddSpan(&r, 1);
  AddSpan(&r, 2)->set_span_id("short");
  pb_trace::Span* backwards = AddSpan(&r, 3);
  backwards->set_end_time_unix_nano(backwards->start_time_unix_nano() - 1);
  AddSpan(&r, 4)->set_trace_id(std::string(16, '\0'));
  AddSpan(&r, 5)->add_links()->set_trace_id("x");
  AddSpan(&r, 6);
  Result<DecodedBatch> batch = Decode(r);
  ASSERT_THAT(batch, IsOk());
  ASSERT_EQ(batch->spans.size(), 2u);
  EXPECT_EQ(batch->spans[0].span_id.bytes[7], 1);
  EXPECT_EQ(batch->spans[1].span_id.bytes[7], 6);
  EXPECT_EQ(batch->rejected_count, 4u);
  const std::string trace = "0af7651916cd43dd8448eb211c80319c";
  EXPECT_THAT(batch->rejected,
              ElementsAre(RejectedSpan{1, trace, "span id must be 8 bytes, got 5"},
                          RejectedSpan{2, trace, "end time is before start time"},
                          RejectedSpan{3, "", "trace id is missing or all zero"},
                          RejectedSpan{4, trace, "link trace id must be 16 bytes, got 1"}));
}

TEST(DecodeProtobufTest, RejectionDetailsAreCappedButAllCounted) {
  Request r;
  for (uint8_t i = 0; i < 10; ++i) AddSpan(&r, i)->set_end_time_unix_nano(1);
  DecodeOptions options;
  options.max_rejected_details = 3;
  Result<DecodedBatch> batch = Decode(r, options);
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(batch->rejected.size(), 3u);
  EXPECT_EQ(batch->rejected_count, 10u);
}

TEST(DecodeProtobufTest, UndecodableBodyIsRejected) {
  EXPECT_THAT(DecodeProtobuf("this is not protobuf", {}),
              IsInvalidArgument("not a valid ExportTraceServiceRequest"));
  EXPECT_THAT(DecodeProtobuf(R"({"resourceSpans":[]})", {}),
              IsInvalidArgument("not a valid ExportTraceServiceRequest"));
}

TEST(DecodeProtobufTest, TruncatedBodyIsRejected) {
  Request r;
  AddSpan(&r);
  const std::string body = r.SerializeAsString();
  for (size_t cut : {body.size() - 1, body.size() / 2, size_t{1}}) {
    EXPECT_THAT(DecodeProtobuf(body.substr(0, cut), {}), IsInvalidArgument("byte")) << cut;
  }
}

TEST(DecodeProtobufTest, HugeLengthsAndVarintsAreRejected) {
  // resource_spans (field 1, length-delimited) claiming 2^64 - 1 bytes.
  EXPECT_THAT(DecodeProtobuf("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", {}),
              IsInvalidArgument("runs past the end"));
  // ... claiming 2^40 bytes.
  EXPECT_THAT(DecodeProtobuf(std::string("\x0a\x80\x80\x80\x80\x80\x20", 7), {}),
              IsInvalidArgument("runs past the end"));
  // A tag varint of 11 bytes.
  EXPECT_THAT(DecodeProtobuf("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", {}),
              IsInvalidArgument("truncated field tag"));
}

TEST(DecodeProtobufTest, InvalidUtf8StringIsRejectedNamingTheField) {
  Request r;
  AddSpan(&r)->set_name("MARKER");
  std::string body = r.SerializeAsString();
  body.replace(body.find("MARKER"), 6,
               "ab\xff\xfe"
               "cd");
  EXPECT_THAT(DecodeProtobuf(body, {}),
              IsInvalidArgument("opentelemetry.proto.trace.v1.Span.name at byte"));
  EXPECT_THAT(DecodeProtobuf(body, {}), IsInvalidArgument("not valid UTF-8"));
}

TEST(DecodeProtobufTest, NestingDeeperThanTheLimitIsRejected) {
  Request r;
  pb_common::AnyValue* v = AddAttribute(AddSpan(&r), "deep");
  for (int i = 0; i < 40; ++i) v = v->mutable_array_value()->add_values();  // 80 messages deep
  v->set_int_value(1);
  EXPECT_THAT(Decode(r), IsInvalidArgument("nested deeper than 64"));
  DecodeOptions options;
  options.max_nesting_depth = 100;
  EXPECT_THAT(Decode(r, options), IsOk());
}

TEST(DecodeProtobufTest, TooManySpansIsRejected) {
  Request r;
  for (uint8_t i = 0; i < 5; ++i) AddSpan(&r, i);
  DecodeOptions options;
  options.max_spans = 4;
  EXPECT_THAT(Decode(r, options), IsInvalidArgument("limit of 4 spans"));
  options.max_spans = 5;
  EXPECT_THAT(Decode(r, options), IsOk());
}

TEST(DecodeProtobufTest, SpansKeepRequestOrderAcrossResourcesAndScopes) {
  Request r;
  for (int res = 0; res < 2; ++res) {
    pb_trace::ResourceSpans* rs = r.add_resource_spans();
    for (int sc = 0; sc < 2; ++sc) {
      pb_trace::ScopeSpans* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name("scope" + std::to_string(res) + std::to_string(sc));
      for (int i = 0; i < 2; ++i) {
        pb_trace::Span* s = ss->add_spans();
        s->set_trace_id(kTraceId);
        s->set_span_id(
            Bytes({1, 1, 1, 1, 1, 1, 1, static_cast<uint8_t>(res * 4 + sc * 2 + i + 1)}));
        s->set_start_time_unix_nano(1'700'000'000'000'000'000);
        s->set_end_time_unix_nano(res == 1 && sc == 0 && i == 1 ? 1 : 1'700'000'000'000'000'001);
      }
    }
  }
  Result<DecodedBatch> batch = Decode(r);
  ASSERT_THAT(batch, IsOk());
  ASSERT_EQ(batch->spans.size(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    const uint8_t expected = static_cast<uint8_t>(i < 5 ? i + 1 : i + 2);
    EXPECT_EQ(batch->spans[i].span_id.bytes[7], expected);
  }
  EXPECT_EQ(batch->spans[6].scope.name, "scope11");
  ASSERT_EQ(batch->rejected.size(), 1u);
  EXPECT_EQ(batch->rejected[0].index, 5u);
}

TEST(DecodeProtobufTest, LargeThenSmallRequestsDecodeOnOneThread) {
  Request big;
  for (int i = 0; i < 2000; ++i) {
    AddAttribute(AddSpan(&big, static_cast<uint8_t>(i % 200 + 1)), "input.value")
        ->set_string_value(std::string(2000, 'x'));
  }
  Request small;
  AddSpan(&small);
  for (int round = 0; round < 3; ++round) {
    Result<DecodedBatch> b = Decode(big);
    ASSERT_THAT(b, IsOk());
    EXPECT_EQ(b->spans.size(), 2000u);
    EXPECT_EQ(std::get<std::string>(b->spans[1999].attributes[0].value), std::string(2000, 'x'));
    Result<DecodedBatch> s = Decode(small);
    ASSERT_THAT(s, IsOk());
    EXPECT_EQ(s->spans.size(), 1u);
  }
}

TEST(DecodeProtobufTest, ProjectComesFromHeaderThenResourceThenDefault) {
  Request r;
  AddSpan(&r);
  EXPECT_EQ(DecodeOne(r).project, "default");
  pb_common::KeyValue* p = r.mutable_resource_spans(0)->mutable_resource()->add_attributes();
  p->set_key("openinference.project.name");
  p->mutable_value()->set_string_value("from-resource");
  EXPECT_EQ(DecodeOne(r).project, "from-resource");
  DecodeOptions options;
  options.project_header = "from-header";
  Result<DecodedBatch> batch = Decode(r, options);
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(batch->spans[0].project, "from-header");
}

TEST(DecodeProtobufTest, ProjectHeaderThatIsNotUtf8RejectsEverySpanNamingIt) {
  Request r;
  AddSpan(&r, 1);
  AddSpan(&r, 2);
  DecodeOptions options;
  options.project_header = "caf\xe9";
  Result<DecodedBatch> batch = Decode(r, options);
  ASSERT_THAT(batch, IsOk());
  EXPECT_TRUE(batch->spans.empty());
  EXPECT_EQ(batch->rejected_count, 2u);
  ASSERT_EQ(batch->rejected.size(), 2u);
  EXPECT_EQ(batch->rejected[1].index, 1u);
  EXPECT_EQ(batch->rejected[1].reason, "project (x-project-name header) is not valid UTF-8");
}

TEST(DecodeProtobufTest, OpenInferenceAttributesAreMapped) {
  Request r;
  pb_trace::Span* s = AddSpan(&r);
  AddAttribute(s, "openinference.span.kind")->set_string_value("LLM");
  AddAttribute(s, "llm.model_name")->set_string_value("gpt-4o");
  AddAttribute(s, "llm.token_count.prompt")->set_int_value(10);
  AddAttribute(s, "llm.token_count.completion")->set_double_value(5);
  const Span span = DecodeOne(r);
  EXPECT_EQ(span.kind, SpanKind::kLlm);
  EXPECT_EQ(span.model_name, "gpt-4o");
  EXPECT_EQ(span.prompt_tokens, 10);
  EXPECT_EQ(span.completion_tokens, 5);
  EXPECT_EQ(span.total_tokens, 15);
}

TEST(DecodeProtobufTest, SpanLimitsAreApplied) {
  Request r;
  AddAttribute(AddSpan(&r), "big")->set_string_value(std::string(100, 'x'));
  DecodeOptions options;
  options.span_limits.max_string_bytes = 50;
  Result<DecodedBatch> batch = Decode(r, options);
  ASSERT_THAT(batch, IsOk());
  EXPECT_TRUE(batch->spans.empty());
  ASSERT_EQ(batch->rejected.size(), 1u);
  EXPECT_THAT(batch->rejected[0].reason, HasSubstr("longer than 50 bytes"));
}

}  // namespace
}  // namespace roost::ingest
