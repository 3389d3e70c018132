// The wire decoder (DecodeProtobufWire) against the libprotobuf reference (DecodeProtobufMessages):
// whenever the wire path takes a body it must give exactly the reference's batch, and the public
// DecodeProtobuf must always give exactly the reference's outcome. The tests also check that the
// fast path really handles what exporters send, and really bails on what it should leave to
// libprotobuf.

#include "ingest/internal/otlp_wire_decoder.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/protobuf_decoder.h"
#include "ingest/protobuf_encoder.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "tests/ingest/test_protobuf_paths.h"
#include "tests/ingest/test_spans.h"

namespace roost::ingest {
namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_trace = opentelemetry::proto::trace::v1;
using ::roost::testing::Compare;
using ::roost::testing::DiffBatch;
using ::roost::testing::DiffSpan;
using ::roost::testing::Literal;
using ::roost::testing::MakeFullSpan;
using ::roost::testing::MakeLlmSpan;
using ::roost::testing::Outcome;
using ::roost::testing::Show;

// Checks DecodeProtobuf (public) against DecodeProtobufMessages (reference): both OK or both not;
// the same status when not, the same spans, `rejected` and `rejected_count` when OK. And when
// DecodeProtobufWire returns a batch, the reference must be OK with the very same batch.
// Returns whether the wire path took the body.
bool ExpectSame(std::string_view body, const DecodeOptions& options = {}) {
  const Outcome outcome = Compare(body, options);
  EXPECT_EQ(outcome.mismatch, "") << "body (" << body.size() << " bytes): " << Literal(body);
  return outcome.wire_took;
}

// A smaller body on which the paths still disagree (greedy chunk removal, bounded).
std::string Minimize(std::string body, const DecodeOptions& options) {
  int budget = 4000;
  for (size_t chunk = std::max<size_t>(body.size() / 2, 1); chunk >= 1 && budget > 0; chunk /= 2) {
    for (size_t pos = 0; pos + chunk <= body.size() && budget-- > 0;) {
      std::string candidate = body.substr(0, pos) + body.substr(pos + chunk);
      if (!Compare(candidate, options).mismatch.empty()) {
        body = std::move(candidate);
      } else {
        pos += chunk;
      }
    }
    if (chunk == 1) break;
  }
  return body;
}

// ---------------------------------------------------------------------------------------------
// Writing protobuf wire data by hand, to control field order, duplicates and encodings.

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5
};

std::string Varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  s.push_back(static_cast<char>(v));
  return s;
}
std::string Tag(uint32_t field, WireType type) { return Varint((uint64_t{field} << 3) | type); }
std::string VarintField(uint32_t field, uint64_t v) { return Tag(field, kVarint) + Varint(v); }
std::string Fixed64Field(uint32_t field, uint64_t v) {
  std::string s = Tag(field, kFixed64);
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}
std::string Fixed32Field(uint32_t field, uint32_t v) {
  std::string s = Tag(field, kFixed32);
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}
std::string DoubleField(uint32_t field, double v) {
  return Fixed64Field(field, std::bit_cast<uint64_t>(v));
}
std::string LenField(uint32_t field, std::string_view v) {
  return Tag(field, kLen) + Varint(v.size()) + std::string(v);
}
template <typename... T>
std::string Cat(const T&... parts) {
  std::string s;
  (s.append(parts), ...);
  return s;
}
std::string Join(const std::vector<std::string>& parts) {
  std::string s;
  for (const std::string& p : parts) s += p;
  return s;
}

// Field numbers of the OTLP trace protos.
namespace fld {
constexpr uint32_t kResourceSpans = 1;  // ExportTraceServiceRequest
constexpr uint32_t kRsResource = 1, kRsScopeSpans = 2, kRsSchemaUrl = 3;
constexpr uint32_t kResAttributes = 1, kResDropped = 2;
constexpr uint32_t kSsScope = 1, kSsSpans = 2, kSsSchemaUrl = 3;
constexpr uint32_t kScopeName = 1, kScopeVersion = 2, kScopeAttributes = 3, kScopeDropped = 4;
constexpr uint32_t kTraceId = 1, kSpanId = 2, kTraceState = 3, kParent = 4, kName = 5, kKind = 6,
                   kStart = 7, kEnd = 8, kAttributes = 9, kDroppedAttributes = 10, kEvents = 11,
                   kDroppedEvents = 12, kLinks = 13, kDroppedLinks = 14, kStatus = 15, kFlags = 16;
constexpr uint32_t kEventTime = 1, kEventName = 2, kEventAttributes = 3, kEventDropped = 4;
constexpr uint32_t kLinkTraceId = 1, kLinkSpanId = 2, kLinkTraceState = 3, kLinkAttributes = 4,
                   kLinkDropped = 5, kLinkFlags = 6;
constexpr uint32_t kStatusMessage = 2, kStatusCode = 3;
constexpr uint32_t kAnyString = 1, kAnyBool = 2, kAnyInt = 3, kAnyDouble = 4, kAnyArray = 5,
                   kAnyKvlist = 6, kAnyBytes = 7;
constexpr uint32_t kValues = 1;  // ArrayValue and KeyValueList
constexpr uint32_t kKey = 1, kValue = 2;
constexpr uint32_t kMaxFieldNumber = (1u << 29) - 1;
}  // namespace fld

// One unknown field of each wire type (varint, fixed64, length-delimited, fixed32), numbered from
// `first` (>= 17, above every known field), and one with the largest field number.
std::string Unknowns(uint32_t first) {
  return Cat(VarintField(first, 0xffffffffffffffffULL),
             Fixed64Field(first + 1, 0x0123456789abcdefULL),
             LenField(first + 2, std::string("\xff\x00junk", 6)),
             Fixed32Field(first + 3, 0xdeadbeef), VarintField(fld::kMaxFieldNumber, 1));
}

std::string Kv(std::string_view key, std::string_view any_value) {
  return Cat(LenField(fld::kKey, key), LenField(fld::kValue, any_value));
}
std::string AnyStr(std::string_view s) { return LenField(fld::kAnyString, s); }
std::string AnyBool(uint64_t raw) { return VarintField(fld::kAnyBool, raw); }
std::string AnyInt(int64_t v) { return VarintField(fld::kAnyInt, static_cast<uint64_t>(v)); }
std::string AnyDouble(double v) { return DoubleField(fld::kAnyDouble, v); }
std::string AnyBytes(std::string_view b) { return LenField(fld::kAnyBytes, b); }
std::string AnyArray(const std::vector<std::string>& any_values) {
  std::string body;
  for (const std::string& v : any_values) body += LenField(fld::kValues, v);
  return LenField(fld::kAnyArray, body);
}
std::string AnyKvlist(const std::vector<std::string>& key_values) {
  std::string body;
  for (const std::string& kv : key_values) body += LenField(fld::kValues, kv);
  return LenField(fld::kAnyKvlist, body);
}
std::string Attr(std::string_view key, std::string_view any_value) {
  return LenField(fld::kAttributes, Kv(key, any_value));
}

std::string B(std::initializer_list<uint8_t> b) { return std::string(b.begin(), b.end()); }
const std::string kTraceIdBytes = B({0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48,
                                     0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c});
std::string SpanIdBytes(uint8_t id) { return B({1, 2, 3, 4, 5, 6, 7, id}); }
constexpr uint64_t kStart = 1'700'000'000'000'000'000;
constexpr uint64_t kEnd = 1'700'000'000'500'000'000;

// A valid span (its fields only, no enclosing tag), followed by `extra`.
std::string BasicSpan(uint8_t id, std::string_view extra = "") {
  return Cat(LenField(fld::kTraceId, kTraceIdBytes), LenField(fld::kSpanId, SpanIdBytes(id)),
             LenField(fld::kName, "span"), Fixed64Field(fld::kStart, kStart),
             Fixed64Field(fld::kEnd, kEnd), std::string(extra));
}
// A request of one resource, one scope and these spans (each given by its fields).
std::string RequestOf(const std::vector<std::string>& spans) {
  std::string scope_spans;
  for (const std::string& s : spans) scope_spans += LenField(fld::kSsSpans, s);
  return LenField(fld::kResourceSpans, LenField(fld::kRsScopeSpans, scope_spans));
}

std::string Encode(const std::vector<Span>& spans) { return EncodeProtobuf(spans); }

std::vector<Span> LlmBatch(int n, int projects) {
  std::vector<Span> spans;
  for (int i = 0; i < n; ++i)
    spans.push_back(MakeLlmSpan(i, "proj" + std::to_string(i % projects)));
  return spans;
}

// ---------------------------------------------------------------------------------------------
// A request that uses every field of the trace protos, in unusual orders.

std::string GeneratedSpan() {
  pb_trace::Span s;
  s.set_trace_id(kTraceIdBytes);
  s.set_span_id(SpanIdBytes(10));
  s.set_parent_span_id(SpanIdBytes(1));
  s.set_trace_state("congo=t61rcWkgMzE");
  s.set_name("generated");
  s.set_kind(pb_trace::Span::SPAN_KIND_PRODUCER);
  s.set_start_time_unix_nano(kStart);
  s.set_end_time_unix_nano(kEnd);
  s.set_flags(0x301);
  s.set_dropped_attributes_count(1);
  s.set_dropped_events_count(2);
  s.set_dropped_links_count(3);
  auto add = [&s](const std::string& key) {
    pb_common::KeyValue* kv = s.add_attributes();
    kv->set_key(key);
    return kv->mutable_value();
  };
  add("openinference.span.kind")->set_string_value("LLM");
  add("llm.token_count.prompt")->set_int_value(12);
  add("llm.token_count.completion")->set_double_value(3);
  add("int.neg")->set_int_value(-7);
  add("double")->set_double_value(2.5);
  add("bool")->set_bool_value(true);
  add("bytes")->set_bytes_value(B({0xff, 0x00, 0x10, 'a'}));
  pb_common::ArrayValue* arr = add("array")->mutable_array_value();
  arr->add_values()->set_int_value(1);
  arr->add_values()->set_double_value(2.5);
  pb_common::KeyValueList* kvl = add("kvlist")->mutable_kvlist_value();
  pb_common::KeyValue* inner = kvl->add_values();
  inner->set_key("inner");
  inner->mutable_value()->mutable_array_value()->add_values()->set_string_value("x");
  s.add_attributes()->set_key("no.value");
  pb_trace::Span::Event* e = s.add_events();
  e->set_time_unix_nano(kStart + 5);
  e->set_name("ev");
  pb_common::KeyValue* ea = e->add_attributes();
  ea->set_key("ev.attr");
  ea->mutable_value()->set_bool_value(false);
  e->set_dropped_attributes_count(4);
  s.add_events()->set_name("bare event");
  pb_trace::Span::Link* l = s.add_links();
  l->set_trace_id(std::string(16, '\x42'));
  l->set_span_id(std::string(8, '\x43'));
  l->set_trace_state("x=y");
  pb_common::KeyValue* la = l->add_attributes();
  la->set_key("link.attr");
  la->mutable_value()->set_int_value(9);
  l->set_dropped_attributes_count(5);
  l->set_flags(0x100);
  s.mutable_status()->set_code(pb_trace::Status::STATUS_CODE_OK);
  s.mutable_status()->set_message("ok");
  return s.SerializeAsString();
}

// Every field of a span, in reverse field-number order, with unknown fields, and name, start
// time and span id given twice (the last one counts).
std::string ReversedSpan() {
  const std::string link1 =
      Cat(Unknowns(30), VarintField(fld::kLinkDropped, 1), Fixed32Field(fld::kLinkFlags, 0x301),
          LenField(fld::kLinkAttributes, Kv("l", AnyStr("v"))),
          LenField(fld::kLinkTraceState, "a=1"), LenField(fld::kLinkSpanId, std::string(8, '\x05')),
          LenField(fld::kLinkTraceId, std::string(16, '\x06')));
  const std::string link2 = Cat(LenField(fld::kLinkSpanId, std::string(8, '\x07')),
                                LenField(fld::kLinkTraceId, std::string(16, '\x08')));
  const std::string event1 =
      Cat(VarintField(fld::kEventDropped, 9), LenField(fld::kEventAttributes, Kv("e", AnyInt(-1))),
          LenField(fld::kEventName, "overridden"), LenField(fld::kEventName, "event one"),
          Fixed64Field(fld::kEventTime, kStart + 1), Unknowns(40));
  const std::string event2 = Cat(Fixed64Field(fld::kEventTime, kStart + 2));
  return Cat(Unknowns(200),
             LenField(fld::kStatus,
                      Cat(Unknowns(20), LenField(fld::kStatusMessage, "fine"),
                          VarintField(fld::kStatusCode, 2), VarintField(fld::kStatusCode, 1))),
             Fixed32Field(fld::kFlags, 0x101), VarintField(fld::kDroppedLinks, 7),
             LenField(fld::kLinks, link1), LenField(fld::kLinks, link2),
             VarintField(fld::kDroppedEvents, 3), LenField(fld::kEvents, event1),
             LenField(fld::kEvents, event2), VarintField(fld::kDroppedAttributes, 2),
             Attr("b.attr", AnyInt(-42)), Attr("a.attr", AnyStr("x")),
             Fixed64Field(fld::kEnd, kEnd), Fixed64Field(fld::kStart, 1),
             Fixed64Field(fld::kStart, kStart), VarintField(fld::kKind, 3),
             VarintField(fld::kKind, 2), LenField(fld::kName, "first name"),
             LenField(fld::kName, "span b"), LenField(fld::kParent, std::string(8, '\0')),
             LenField(fld::kParent, SpanIdBytes(1)), LenField(fld::kTraceState, "ts=1"),
             LenField(fld::kSpanId, "bad"), LenField(fld::kSpanId, SpanIdBytes(11)),
             LenField(fld::kTraceId, kTraceIdBytes));
}

// Every kind of attribute value, with unknown fields inside KeyValue, AnyValue, ArrayValue and
// KeyValueList.
std::string AttributeZooSpan() {
  const double inf = std::numeric_limits<double>::infinity();
  return BasicSpan(
      12,
      Cat(Attr("neg", AnyInt(-1)), Attr("neg.min", AnyInt(INT64_MIN)),
          Attr("int.max", AnyInt(INT64_MAX)), Attr("dbl", AnyDouble(-0.125)),
          Attr("dbl.inf", AnyDouble(inf)), Attr("dbl.negzero", AnyDouble(-0.0)),
          Attr("bool.two", AnyBool(2)), Attr("bool.zero", AnyBool(0)),
          Attr("bytes", AnyBytes(std::string("\x00\xff\x10"
                                             "a",
                                             4))),
          Attr("bytes.empty", AnyBytes("")), Attr("empty.any", ""),
          LenField(fld::kAttributes, LenField(fld::kKey, "no.value")),
          Attr("str.empty", AnyStr("")), Attr("str.nul", AnyStr(std::string("a\0b", 3))),
          Attr("arr.nested", AnyArray({AnyInt(1), AnyArray({AnyStr("in"), AnyBool(1)}),
                                       AnyKvlist({Kv("k", AnyDouble(1.5))}), "", AnyBytes("\x01"),
                                       AnyArray({})})),
          Attr("arr.ints", AnyArray({AnyInt(1), AnyInt(-2)})),
          Attr("arr.mixednum", AnyArray({AnyInt(1), AnyDouble(0.5), AnyInt(-3)})),
          Attr("arr.bools", AnyArray({AnyBool(1), AnyBool(2), AnyBool(0)})),
          Attr("arr.strs", AnyArray({AnyStr("a"), AnyStr("")})),
          Attr("arr.doubles", AnyArray({AnyDouble(0.1), AnyDouble(-inf)})),
          Attr("arr.mixed", AnyArray({AnyStr("s"), AnyInt(7), AnyBool(1), AnyDouble(0.25)})),
          Attr("arr.empty", AnyArray({})),
          Attr("kv", AnyKvlist({Kv("a", AnyInt(1)),
                                Kv("b", AnyKvlist({Kv("c", AnyStr("deep")),
                                                   Kv("d", AnyArray({AnyInt(3)}))})),
                                Kv("e", AnyKvlist({})), LenField(fld::kKey, "f.no.value")})),
          Attr("kv.empty", AnyKvlist({})),
          LenField(fld::kAttributes, Cat(Unknowns(40), LenField(fld::kKey, "unknowns"),
                                         LenField(fld::kValue, Cat(Unknowns(50), AnyInt(5))))),
          Attr("arr.unknowns",
               LenField(fld::kAnyArray, Cat(Unknowns(60), LenField(fld::kValues, AnyInt(1)),
                                            Unknowns(70), LenField(fld::kValues, AnyStr("x"))))),
          Attr("kv.unknowns", LenField(fld::kAnyKvlist,
                                       Cat(Unknowns(80), LenField(fld::kValues, Kv("z", AnyInt(2))),
                                           Unknowns(90))))));
}

std::string CustomOrderedRequest() {
  // A span that is rejected: a span id of 5 bytes; and unknown enum values.
  const std::string rejected =
      Cat(LenField(fld::kSpanId, "short"), LenField(fld::kTraceId, kTraceIdBytes),
          VarintField(fld::kKind, 42), LenField(fld::kStatus, VarintField(fld::kStatusCode, 9)),
          Fixed64Field(fld::kStart, kStart), Fixed64Field(fld::kEnd, kEnd));
  const std::string unknown_enums =
      BasicSpan(13, Cat(VarintField(fld::kKind, 42),
                        LenField(fld::kStatus, Cat(VarintField(fld::kStatusCode, 9),
                                                   LenField(fld::kStatusMessage, "odd")))));
  const std::string late_scope =
      Cat(Unknowns(20), VarintField(fld::kScopeDropped, 1), LenField(fld::kScopeVersion, "2.0"),
          LenField(fld::kScopeAttributes, Kv("scope.attr", AnyBool(1))),
          LenField(fld::kScopeName, "late.scope"));
  // Scope spans whose scope comes after the spans.
  const std::string scope_spans_a =
      Cat(LenField(fld::kSsSpans, GeneratedSpan() + Unknowns(100)),
          LenField(fld::kSsSchemaUrl, "https://opentelemetry.io/schemas/1.21.0"), Unknowns(20),
          LenField(fld::kSsSpans, ReversedSpan()), LenField(fld::kSsScope, late_scope));
  // Scope spans without a scope.
  const std::string scope_spans_b =
      Cat(LenField(fld::kSsSpans, rejected), LenField(fld::kSsSpans, unknown_enums),
          LenField(fld::kSsSpans, AttributeZooSpan()));
  const std::string late_resource =
      Cat(Unknowns(20), LenField(fld::kResAttributes, Kv("service.name", AnyStr("svc"))),
          VarintField(fld::kResDropped, 3),
          LenField(fld::kResAttributes, Kv("openinference.project.name", AnyStr("custom"))));
  // A resource whose resource comes after its scope spans.
  const std::string resource_spans_1 =
      Cat(Unknowns(1000), LenField(fld::kRsScopeSpans, scope_spans_a),
          LenField(fld::kRsSchemaUrl, "https://opentelemetry.io/schemas/1.4.0"),
          LenField(fld::kRsScopeSpans, scope_spans_b), LenField(fld::kRsResource, late_resource));
  // Resource first, an empty scope and a scope with no spans.
  const std::string resource_spans_2 = Cat(
      LenField(fld::kRsResource, LenField(fld::kResAttributes, Kv("service.name", AnyStr("two")))),
      LenField(fld::kRsScopeSpans, Cat(LenField(fld::kSsScope, ""),
                                       LenField(fld::kSsSpans, BasicSpan(14, Unknowns(17))))),
      LenField(fld::kRsScopeSpans,
               LenField(fld::kSsScope, LenField(fld::kScopeName, "no spans here"))));
  // An empty resource spans, and one with an empty resource.
  const std::string resource_spans_3 = "";
  const std::string resource_spans_4 =
      Cat(LenField(fld::kRsResource, ""),
          LenField(fld::kRsScopeSpans, LenField(fld::kSsSpans, BasicSpan(15))));
  return Cat(Unknowns(30), LenField(fld::kResourceSpans, resource_spans_1), Unknowns(40),
             LenField(fld::kResourceSpans, resource_spans_2),
             LenField(fld::kResourceSpans, resource_spans_3),
             LenField(fld::kResourceSpans, resource_spans_4), Unknowns(50));
}

// ---------------------------------------------------------------------------------------------
// Tests.

TEST(OtlpWireDecoderTest, EmptyBodyIsAnEmptyBatchOnTheFastPath) {
  EXPECT_TRUE(ExpectSame(""));
  const std::optional<DecodedBatch> wire = internal::DecodeProtobufWire("", {});
  ASSERT_TRUE(wire.has_value());
  EXPECT_TRUE(wire->spans.empty());
  EXPECT_TRUE(wire->rejected.empty());
  EXPECT_EQ(wire->rejected_count, 0u);
  const Result<DecodedBatch> decoded = DecodeProtobuf("", {});
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->spans.empty());
}

TEST(OtlpWireDecoderTest, EncodedSpansTakeTheFastPath) {
  EXPECT_TRUE(ExpectSame(Encode({MakeFullSpan()})));
  EXPECT_TRUE(ExpectSame(Encode({MakeLlmSpan(0)})));
  EXPECT_TRUE(ExpectSame(Encode({MakeFullSpan(), MakeLlmSpan(0), MakeLlmSpan(1), MakeFullSpan()})));
  for (int n : {2, 7, 50}) {
    for (int projects : {1, 3}) {
      SCOPED_TRACE(std::to_string(n) + " spans, " + std::to_string(projects) + " projects");
      std::vector<Span> spans = LlmBatch(n, projects);
      spans.push_back(MakeFullSpan());
      EXPECT_TRUE(ExpectSame(Encode(spans)));
    }
  }
  // And the spans come back as they were encoded.
  const std::vector<Span> spans = {MakeFullSpan(), MakeLlmSpan(3)};
  const std::optional<DecodedBatch> wire = internal::DecodeProtobufWire(Encode(spans), {});
  ASSERT_TRUE(wire.has_value());
  ASSERT_EQ(wire->spans.size(), 2u);
  EXPECT_EQ(DiffSpan(spans[0], wire->spans[0]), "");
  EXPECT_EQ(DiffSpan(spans[1], wire->spans[1]), "");
}

TEST(OtlpWireDecoderTest, OptionsAreAppliedAlike) {
  std::vector<Span> spans = LlmBatch(6, 2);
  spans.push_back(MakeFullSpan());
  spans[2].end_unix_nano = spans[2].start_unix_nano - 1;  // rejected
  spans[4].attributes.push_back({"big", std::string(200, 'x')});
  const std::string body = Encode(spans);
  DecodeOptions header;
  header.project_header = "from-header";
  EXPECT_TRUE(ExpectSame(body, header));
  DecodeOptions bad_header;
  bad_header.project_header = "caf\xe9";
  EXPECT_TRUE(ExpectSame(body, bad_header));
  DecodeOptions few_details;
  few_details.max_rejected_details = 1;
  few_details.span_limits.max_string_bytes = 100;
  EXPECT_TRUE(ExpectSame(body, few_details));
  DecodeOptions no_details;
  no_details.max_rejected_details = 0;
  no_details.span_limits.max_attributes = 3;
  EXPECT_TRUE(ExpectSame(body, no_details));
  DecodeOptions exact;
  exact.max_spans = spans.size();
  EXPECT_TRUE(ExpectSame(body, exact));
}

TEST(OtlpWireDecoderTest, CustomOrderedRequestTakesTheFastPath) {
  const std::string body = CustomOrderedRequest();
  EXPECT_TRUE(ExpectSame(body));

  // The request is what this test means it to be (checked on the reference).
  const Result<DecodedBatch> reference = internal::DecodeProtobufMessages(body, {});
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  ASSERT_EQ(reference->spans.size(), 6u) << Show(reference->rejected);
  EXPECT_EQ(reference->rejected_count, 1u);
  ASSERT_EQ(reference->rejected.size(), 1u);
  EXPECT_EQ(reference->rejected[0].index, 2u);
  EXPECT_EQ(reference->rejected[0].reason, "span id must be 8 bytes, got 5");
  const Span& generated = reference->spans[0];
  EXPECT_EQ(generated.name, "generated");
  EXPECT_EQ(generated.scope.name, "late.scope");
  EXPECT_EQ(generated.project, "custom");
  const Span& reversed = reference->spans[1];
  EXPECT_EQ(reversed.name, "span b");
  EXPECT_EQ(reversed.start_unix_nano, static_cast<int64_t>(kStart));
  EXPECT_EQ(reversed.otel_kind, OtelSpanKind::kServer);
  EXPECT_EQ(reversed.status_code, StatusCode::kOk);
  EXPECT_EQ(reversed.span_id.bytes[7], 11);
  EXPECT_EQ(reversed.events.size(), 2u);
  EXPECT_EQ(reversed.links.size(), 2u);
  const Span& unknown_enums = reference->spans[2];
  EXPECT_EQ(unknown_enums.otel_kind, OtelSpanKind::kUnspecified);
  EXPECT_EQ(unknown_enums.status_code, StatusCode::kUnset);
  EXPECT_EQ(unknown_enums.scope.name, "");
  EXPECT_EQ(reference->spans[4].resource_attributes.size(), 1u);
  EXPECT_EQ(reference->spans[4].project, "default");

  // Each part on its own, for a failure that says which.
  EXPECT_TRUE(ExpectSame(RequestOf({GeneratedSpan()})));
  EXPECT_TRUE(ExpectSame(RequestOf({ReversedSpan()})));
  EXPECT_TRUE(ExpectSame(RequestOf({AttributeZooSpan()})));
}

TEST(OtlpWireDecoderTest, LastValueWinsForRepeatedScalarFields) {
  const std::vector<std::string> spans = {
      // trace id: a wrong length first, then a good one.
      Cat(LenField(fld::kTraceId, "xyz"), BasicSpan(1)),
      // a good trace id, then a wrong one.
      Cat(BasicSpan(2), LenField(fld::kTraceId, "xyz")),
      // parent: a bad length, then empty (a root span).
      BasicSpan(3, Cat(LenField(fld::kParent, "p"), LenField(fld::kParent, ""))),
      // end time: before the start, then after.
      BasicSpan(4, Cat(Fixed64Field(fld::kEnd, 1), Fixed64Field(fld::kEnd, kEnd + 1))),
      // start time: out of range, then fine.
      BasicSpan(5, Cat(Fixed64Field(fld::kStart, ~uint64_t{0}), Fixed64Field(fld::kStart, kStart))),
      // kind, trace state and status code given twice.
      BasicSpan(6, Cat(VarintField(fld::kKind, 5), VarintField(fld::kKind, 0),
                       LenField(fld::kTraceState, "a"), LenField(fld::kTraceState, "b"),
                       LenField(fld::kStatus, Cat(VarintField(fld::kStatusCode, 2),
                                                  LenField(fld::kStatusMessage, "m1"),
                                                  LenField(fld::kStatusMessage, "m2"),
                                                  VarintField(fld::kStatusCode, 1))))),
      // a KeyValue key given twice; a link and an event with ids and times given twice.
      BasicSpan(7, Cat(LenField(fld::kAttributes,
                                Cat(LenField(fld::kKey, "first"), LenField(fld::kValue, AnyInt(1)),
                                    LenField(fld::kKey, "second"))),
                       LenField(fld::kLinks, Cat(LenField(fld::kLinkTraceId, "t"),
                                                 LenField(fld::kLinkTraceId, kTraceIdBytes),
                                                 LenField(fld::kLinkSpanId, SpanIdBytes(9)))),
                       LenField(fld::kEvents, Cat(Fixed64Field(fld::kEventTime, ~uint64_t{0}),
                                                  Fixed64Field(fld::kEventTime, kStart))))),
  };
  // Scope name and version given twice, inside one scope.
  const std::string scope =
      Cat(LenField(fld::kScopeName, "s1"), LenField(fld::kScopeName, "s2"),
          LenField(fld::kScopeVersion, "v1"), LenField(fld::kScopeVersion, "v2"));
  std::string scope_spans = LenField(fld::kSsScope, scope);
  for (const std::string& s : spans) scope_spans += LenField(fld::kSsSpans, s);
  const std::string body = LenField(
      fld::kResourceSpans, Cat(LenField(fld::kRsSchemaUrl, "a"), LenField(fld::kRsSchemaUrl, "b"),
                               LenField(fld::kRsScopeSpans, scope_spans)));
  EXPECT_TRUE(ExpectSame(body));
  const Result<DecodedBatch> reference = internal::DecodeProtobufMessages(body, {});
  ASSERT_TRUE(reference.ok());
  EXPECT_EQ(reference->rejected_count, 1u) << Show(reference->rejected);  // the second span
  for (const std::string& s : spans) EXPECT_TRUE(ExpectSame(RequestOf({s}))) << Literal(s);
}

TEST(OtlpWireDecoderTest, FirstProblemOfASpanIsReportedWhateverTheWireOrder) {
  // Fields in the order the reference reads them, each with a good and a bad version.
  struct Field {
    std::string good;
    std::string bad;
  };
  const std::vector<Field> fields = {
      {LenField(fld::kTraceId, kTraceIdBytes), LenField(fld::kTraceId, "abc")},
      {LenField(fld::kSpanId, SpanIdBytes(1)), LenField(fld::kSpanId, "abcd")},
      {LenField(fld::kParent, SpanIdBytes(2)), LenField(fld::kParent, "abcde")},
      {Fixed64Field(fld::kStart, kStart), Fixed64Field(fld::kStart, uint64_t{1} << 63)},
      {Fixed64Field(fld::kEnd, kEnd), Fixed64Field(fld::kEnd, ~uint64_t{0})},
      {LenField(fld::kEvents, Fixed64Field(fld::kEventTime, kStart)),
       LenField(fld::kEvents, Fixed64Field(fld::kEventTime, uint64_t{1} << 63))},
      {LenField(fld::kLinks, Cat(LenField(fld::kLinkTraceId, kTraceIdBytes),
                                 LenField(fld::kLinkSpanId, SpanIdBytes(3)))),
       LenField(fld::kLinks,
                Cat(LenField(fld::kLinkTraceId, "t"), LenField(fld::kLinkSpanId, SpanIdBytes(3))))},
      {LenField(fld::kLinks, Cat(LenField(fld::kLinkTraceId, kTraceIdBytes),
                                 LenField(fld::kLinkSpanId, SpanIdBytes(4)))),
       LenField(fld::kLinks,
                Cat(LenField(fld::kLinkSpanId, "s"), LenField(fld::kLinkTraceId, kTraceIdBytes)))},
      {Fixed64Field(fld::kEnd, kEnd), Fixed64Field(fld::kEnd, kStart - 1)},  // before the start
  };
  std::vector<std::string> spans;
  for (size_t i = 0; i < fields.size(); ++i) {
    for (size_t j = i + 1; j < fields.size(); ++j) {
      for (bool reversed : {false, true}) {
        std::vector<std::string> parts;
        for (size_t k = 0; k < fields.size(); ++k) {
          // The ninth field replaces the fifth (both are the end time).
          if (k == 4 && (i == 8 || j == 8)) continue;
          parts.push_back(k == i || k == j ? fields[k].bad : fields[k].good);
        }
        if (reversed) std::reverse(parts.begin(), parts.end());
        spans.push_back(Join(parts));
      }
    }
  }
  DecodeOptions options;
  options.max_rejected_details = 1000;
  EXPECT_TRUE(ExpectSame(RequestOf(spans), options));
  const Result<DecodedBatch> reference =
      internal::DecodeProtobufMessages(RequestOf(spans), options);
  ASSERT_TRUE(reference.ok());
  EXPECT_EQ(reference->rejected_count, spans.size());
  EXPECT_TRUE(reference->spans.empty());
}

TEST(OtlpWireDecoderTest, UnknownEnumValuesReadAsUnspecified) {
  for (uint64_t kind : {uint64_t{6}, uint64_t{42}, uint64_t{0x7fffffff}}) {
    for (uint64_t code : {uint64_t{3}, uint64_t{9}, uint64_t{1000}}) {
      SCOPED_TRACE("kind " + std::to_string(kind) + " code " + std::to_string(code));
      const std::string body = RequestOf(
          {BasicSpan(1, Cat(VarintField(fld::kKind, kind),
                            LenField(fld::kStatus, VarintField(fld::kStatusCode, code))))});
      EXPECT_TRUE(ExpectSame(body));
      const std::optional<DecodedBatch> wire = internal::DecodeProtobufWire(body, {});
      ASSERT_TRUE(wire.has_value());
      ASSERT_EQ(wire->spans.size(), 1u);
      EXPECT_EQ(wire->spans[0].otel_kind, OtelSpanKind::kUnspecified);
      EXPECT_EQ(wire->spans[0].status_code, StatusCode::kUnset);
    }
  }
}

// Valid protobuf that no exporter writes: the wire path may take it or leave it, but whatever it
// gives must be the reference's.
TEST(OtlpWireDecoderTest, ExoticButValidEncodingsMatchTheReference) {
  struct Case {
    const char* name;
    std::string body;
    bool must_take;  // what exporters do send
  };
  const std::string ten_ff = std::string(9, '\xff');
  const std::vector<Case> cases = {
      {"negative kind (10-byte varint)",
       RequestOf({BasicSpan(1, VarintField(fld::kKind, ~uint64_t{0}))}), false},
      {"kind 2^32 + 2 (an int32 enum keeps the low bits)",
       RequestOf({BasicSpan(1, VarintField(fld::kKind, (uint64_t{1} << 32) + 2))}), false},
      {"status code 2^32 + 1",
       RequestOf({BasicSpan(
           1, LenField(fld::kStatus, VarintField(fld::kStatusCode, (uint64_t{1} << 32) + 1)))}),
       false},
      {"negative status code",
       RequestOf(
           {BasicSpan(1, LenField(fld::kStatus, VarintField(fld::kStatusCode, ~uint64_t{0})))}),
       false},
      {"bool 2^32", RequestOf({BasicSpan(1, Attr("b", AnyBool(uint64_t{1} << 32)))}), false},
      {"bool 2^63", RequestOf({BasicSpan(1, Attr("b", AnyBool(uint64_t{1} << 63)))}), false},
      {"bool in array 2^35",
       RequestOf({BasicSpan(1, Attr("b", AnyArray({AnyBool(uint64_t{1} << 35), AnyBool(1)})))}),
       false},
      {"10-byte varint with high bits in the last byte",
       RequestOf({BasicSpan(1, Attr("i", Cat(Tag(fld::kAnyInt, kVarint), ten_ff + "\x7f")))}),
       false},
      {"10-byte varint ending in 0x01",
       RequestOf({BasicSpan(1, Attr("i", Cat(Tag(fld::kAnyInt, kVarint), ten_ff + "\x01")))}),
       false},
      {"non-minimal varint value",
       RequestOf({BasicSpan(
           1, Attr("i", Cat(Tag(fld::kAnyInt, kVarint), std::string("\x85\x80\x80\x00", 4))))}),
       false},
      {"non-minimal length", Cat(Tag(fld::kResourceSpans, kLen), std::string("\x80\x00", 2)),
       false},
      {"non-minimal length of a span name",
       RequestOf({Cat(BasicSpan(1), Tag(fld::kName, kLen), std::string("\x82\x80\x00", 3), "hi")}),
       false},
      {"non-minimal tag",
       RequestOf({Cat(BasicSpan(1), std::string("\xaa\x80\x00", 3), Varint(2), "hi")}), false},
      {"dropped counts of 2^40 (uint32 fields)",
       RequestOf({BasicSpan(1, Cat(VarintField(fld::kDroppedAttributes, uint64_t{1} << 40),
                                   VarintField(fld::kDroppedEvents, ~uint64_t{0})))}),
       false},
      {"dropped counts of 2^32 - 1",
       RequestOf({BasicSpan(1, Cat(VarintField(fld::kDroppedAttributes, 0xffffffff),
                                   VarintField(fld::kDroppedLinks, 0xffffffff)))}),
       true},
      {"flags as varint (wrong wire type, an unknown field)",
       RequestOf({BasicSpan(1, VarintField(fld::kFlags, 1))}), false},
      {"largest field number, every wire type",
       RequestOf({BasicSpan(
           1, Cat(VarintField(fld::kMaxFieldNumber, 1), Fixed64Field(fld::kMaxFieldNumber, 2),
                  LenField(fld::kMaxFieldNumber, "x"), Fixed32Field(fld::kMaxFieldNumber, 3)))}),
       true},
      {"field number 2^29 (too large)",
       RequestOf({BasicSpan(1, VarintField(fld::kMaxFieldNumber + 1, 1))}), false},
      {"tag 0xffffffff", RequestOf({BasicSpan(1, "\xff\xff\xff\xff\x0f")}), false},
      {"tag beyond 32 bits", RequestOf({BasicSpan(1, "\x80\x80\x80\x80\x10\x01")}), false},
      {"empty status", RequestOf({BasicSpan(1, LenField(fld::kStatus, ""))}), true},
      {"empty span (rejected)", RequestOf({""}), true},
      {"all-zero ids (rejected)",
       RequestOf({Cat(LenField(fld::kTraceId, std::string(16, '\0')),
                      LenField(fld::kSpanId, std::string(8, '\0')),
                      Fixed64Field(fld::kStart, kStart), Fixed64Field(fld::kEnd, kEnd))}),
       true},
      {"parent of 16 bytes (rejected)",
       RequestOf({BasicSpan(1, LenField(fld::kParent, kTraceIdBytes))}), true},
      {"time 2^63 - 1", RequestOf({BasicSpan(1, Fixed64Field(fld::kEnd, uint64_t{INT64_MAX}))}),
       true},
      {"time 2^63 (rejected)",
       RequestOf({BasicSpan(1, Fixed64Field(fld::kEnd, uint64_t{1} << 63))}), true},
      {"empty resource, scope and ids",
       LenField(
           fld::kResourceSpans,
           Cat(LenField(fld::kRsResource, ""),
               LenField(fld::kRsScopeSpans,
                        Cat(LenField(fld::kSsScope, ""),
                            LenField(fld::kSsSpans, BasicSpan(1, LenField(fld::kParent, ""))))))),
       true},
      {"NaN double", RequestOf({BasicSpan(1, Attr("n", AnyDouble(std::nan("0x123"))))}), false},
      {"NaN cost", RequestOf({BasicSpan(1, Attr("llm.cost.total", AnyDouble(std::nan(""))))}),
       false},
      {"string token count",
       RequestOf({BasicSpan(1, Cat(Attr("llm.token_count.prompt", AnyStr("12")),
                                   Attr("llm.token_count.completion", AnyDouble(2.5)),
                                   Attr("llm.token_count.total", AnyInt(-1))))}),
       true},
      {"a KeyValue with neither key nor value (rejected: empty key)",
       RequestOf({BasicSpan(1, LenField(fld::kAttributes, ""))}), true},
      {"an event attribute with an empty key (rejected)",
       RequestOf({BasicSpan(
           1, LenField(fld::kEvents, LenField(fld::kEventAttributes, Kv("", AnyInt(1)))))}),
       true},
      {"many empty resource spans",
       Cat(LenField(fld::kResourceSpans, ""), LenField(fld::kResourceSpans, ""),
           LenField(fld::kResourceSpans, LenField(fld::kRsScopeSpans, ""))),
       true},
  };
  int took = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const bool taken = ExpectSame(c.body);
    if (c.must_take) {
      EXPECT_TRUE(taken);
    }
    took += taken;
  }
  std::printf("[          ] wire path took %d of %zu exotic encodings\n", took, cases.size());
}

// Unusual input: the wire path must leave it to libprotobuf, and the outcome is libprotobuf's.
TEST(OtlpWireDecoderTest, UnusualInputFallsBackToTheReference) {
  struct Case {
    const char* name;
    std::string body;
    DecodeOptions options;
    bool must_bail = true;
  };
  const std::string request = RequestOf({BasicSpan(1, Attr("k", AnyStr("v")))});
  const std::string eleven_byte_varint = "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01";
  auto bad_utf8_in_rs_schema_url = [] {
    return LenField(fld::kResourceSpans,
                    Cat(LenField(fld::kRsScopeSpans, LenField(fld::kSsSpans, BasicSpan(1))),
                        LenField(fld::kRsSchemaUrl, "https://x/\xc3\x28")));
  };
  std::string deep = AnyInt(1);
  for (int i = 0; i < 40; ++i) deep = AnyArray({deep});  // 80 messages deep
  DecodeOptions small_depth;
  small_depth.max_nesting_depth = 6;
  DecodeOptions four_spans;
  four_spans.max_spans = 4;
  DecodeOptions no_spans;
  no_spans.max_spans = 0;
  std::vector<std::string> five;
  for (uint8_t i = 1; i <= 5; ++i) five.push_back(BasicSpan(i));

  std::vector<Case> cases = {
      {"status given twice (merged)",
       RequestOf({BasicSpan(1, Cat(LenField(fld::kStatus, VarintField(fld::kStatusCode, 2)),
                                   LenField(fld::kStatus, LenField(fld::kStatusMessage, "m"))))}),
       {}},
      {"resource given twice",
       LenField(fld::kResourceSpans,
                Cat(LenField(fld::kRsResource, LenField(fld::kResAttributes, Kv("a", AnyInt(1)))),
                    LenField(fld::kRsScopeSpans, LenField(fld::kSsSpans, BasicSpan(1))),
                    LenField(fld::kRsResource, LenField(fld::kResAttributes, Kv("b", AnyInt(2)))))),
       {}},
      {"scope given twice",
       LenField(fld::kResourceSpans,
                LenField(fld::kRsScopeSpans,
                         Cat(LenField(fld::kSsScope, LenField(fld::kScopeName, "a")),
                             LenField(fld::kSsSpans, BasicSpan(1)),
                             LenField(fld::kSsScope, LenField(fld::kScopeVersion, "v"))))),
       {}},
      {"KeyValue value given twice",
       RequestOf(
           {BasicSpan(1, LenField(fld::kAttributes,
                                  Cat(LenField(fld::kKey, "k"), LenField(fld::kValue, AnyInt(1)),
                                      LenField(fld::kValue, AnyStr("x")))))}),
       {}},
      {"KeyValue array value given twice (arrays merge)",
       RequestOf({BasicSpan(
           1, LenField(fld::kAttributes,
                       Cat(LenField(fld::kKey, "k"), LenField(fld::kValue, AnyArray({AnyInt(1)})),
                           LenField(fld::kValue, AnyArray({AnyInt(2)})))))}),
       {}},
      {"AnyValue with two members",
       RequestOf({BasicSpan(1, Attr("k", Cat(AnyInt(1), AnyStr("x"))))}),
       {}},
      {"AnyValue with a string then a kvlist",
       RequestOf({BasicSpan(1, Attr("k", Cat(AnyStr("x"), AnyKvlist({Kv("a", AnyInt(1))}))))}),
       {}},
      {"AnyValue array given twice (merged)",
       RequestOf({BasicSpan(1, Attr("k", Cat(AnyArray({AnyInt(1)}), AnyArray({AnyInt(2)}))))}),
       {}},
      {"AnyValue string given twice",
       RequestOf({BasicSpan(1, Attr("k", Cat(AnyStr("a"), AnyStr("b"))))}),
       {},
       /*must_bail=*/false},
      {"Span.name as a varint",
       RequestOf({Cat(LenField(fld::kTraceId, kTraceIdBytes),
                      LenField(fld::kSpanId, SpanIdBytes(1)), VarintField(fld::kName, 7),
                      Fixed64Field(fld::kStart, kStart), Fixed64Field(fld::kEnd, kEnd))}),
       {}},
      {"Span.start_time_unix_nano as a varint",
       RequestOf({BasicSpan(1, VarintField(fld::kStart, 5))}),
       {}},
      {"Span.attributes as fixed32",
       RequestOf({BasicSpan(1, Fixed32Field(fld::kAttributes, 5))}),
       {}},
      {"resource_spans as a varint", Cat(request, VarintField(fld::kResourceSpans, 5)), {}},
      {"AnyValue.int_value as fixed64",
       RequestOf({BasicSpan(1, Attr("k", Fixed64Field(fld::kAnyInt, 5)))}),
       {}},
      {"group in an unknown field of a span",
       RequestOf({BasicSpan(
           1, Cat(Tag(50, kStartGroup), VarintField(1, 5), LenField(2, "x"), Tag(50, kEndGroup)))}),
       {}},
      {"group at the top level", Cat(request, Tag(50, kStartGroup), Tag(50, kEndGroup)), {}},
      {"nested groups in an AnyValue",
       RequestOf({BasicSpan(1, Attr("k", Cat(AnyInt(3), Tag(60, kStartGroup), Tag(61, kStartGroup),
                                             Tag(61, kEndGroup), Tag(60, kEndGroup))))}),
       {}},
      {"end group without a start in a span", RequestOf({BasicSpan(1, Tag(50, kEndGroup))}), {}},
      {"end group without a start at the top level", Cat(request, Tag(50, kEndGroup)), {}},
      {"unterminated group", Cat(request, Tag(50, kStartGroup), VarintField(1, 1)), {}},
      {"wire type 6", RequestOf({BasicSpan(1, Cat(Varint((50 << 3) | 6), "x"))}), {}},
      {"wire type 7 at the top level", Cat(request, Varint((50 << 3) | 7)), {}},
      {"invalid UTF-8 in a span name",
       RequestOf({Cat(BasicSpan(1), LenField(fld::kName,
                                             "ab\xff\xfe"
                                             "cd"))}),
       {}},
      {"invalid UTF-8 in an attribute key",
       RequestOf({BasicSpan(1, Attr("k\xc0\xaf", AnyInt(1)))}),
       {}},
      {"invalid UTF-8 in ResourceSpans.schema_url", bad_utf8_in_rs_schema_url(), {}},
      {"invalid UTF-8 in ScopeSpans.schema_url",
       LenField(fld::kResourceSpans,
                LenField(fld::kRsScopeSpans, Cat(LenField(fld::kSsSpans, BasicSpan(1)),
                                                 LenField(fld::kSsSchemaUrl, "\xed\xa0\x80")))),
       {}},
      {"truncated by one byte", request.substr(0, request.size() - 1), {}},
      {"truncated in the middle", request.substr(0, request.size() / 2), {}},
      {"truncated to one byte", request.substr(0, 1), {}},
      {"truncated inside a fixed64",
       RequestOf({Cat(BasicSpan(1), Tag(fld::kStart, kFixed64), "\x01\x02")}),
       {}},
      {"a length running past the end",
       "\x0a\x05"
       "ab",
       {}},
      {"a length of 2^64 - 1", "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", {}},
      {"a length of 2^31", Cat(Tag(fld::kResourceSpans, kLen), Varint(uint64_t{1} << 31), "x"), {}},
      {"a sub-message running past its parent",
       Cat(LenField(fld::kResourceSpans, Cat(Tag(fld::kRsScopeSpans, kLen), Varint(12),
                                             LenField(fld::kSsSchemaUrl, "ab"))),
           std::string(12, '\0')),
       {}},
      {"an 11-byte varint as a tag", eleven_byte_varint, {}},
      {"an 11-byte varint as a kind",
       RequestOf({Cat(BasicSpan(1), Tag(fld::kKind, kVarint), eleven_byte_varint)}),
       {}},
      {"an 11-byte varint as a length",
       Cat(Tag(fld::kResourceSpans, kLen), eleven_byte_varint),
       {}},
      {"a varint cut off at the end",
       Cat(request, Tag(fld::kResourceSpans, kVarint), "\xff\xff"),
       {}},
      {"field number 0 at the top level", Cat(request, std::string("\x00\x01", 2)), {}},
      {"field number 0 at the start", Cat(std::string("\x02\x00", 2), request), {}},
      {"field number 0 in a span", RequestOf({BasicSpan(1, std::string("\x00\x01", 2))}), {}},
      {"field number 0, length-delimited, in a KeyValue",
       RequestOf({BasicSpan(
           1, LenField(fld::kAttributes, Cat(LenField(fld::kKey, "k"), LenField(0, "x"))))}),
       {}},
      {"80 nested arrays", RequestOf({BasicSpan(1, Attr("deep", deep))}), {}},
      {"max_nesting_depth 6, an LLM span", Encode({MakeLlmSpan(1)}), small_depth},
      {"max_nesting_depth 6, the full span", Encode({MakeFullSpan()}), small_depth},
      {"5 spans, max_spans 4", RequestOf(five), four_spans},
      {"5 spans in 5 resources, max_spans 4",
       Cat(RequestOf({five[0]}), RequestOf({five[1]}), RequestOf({five[2]}), RequestOf({five[3]}),
           RequestOf({five[4]})),
       four_spans},
      {"1 span, max_spans 0", RequestOf({five[0]}), no_spans},
      {"max_spans 4, 50 encoded spans", Encode(LlmBatch(50, 3)), four_spans},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const bool taken = ExpectSame(c.body, c.options);
    if (c.must_bail) {
      EXPECT_FALSE(taken) << "the wire path took: " << c.name;
    }
  }
}

TEST(OtlpWireDecoderTest, TooManySpansFallsBackButExactlyEnoughIsFast) {
  std::vector<std::string> spans;
  for (uint8_t i = 1; i <= 10; ++i) spans.push_back(BasicSpan(i));
  const std::string body = RequestOf(spans);
  for (size_t max_spans = 0; max_spans <= 12; ++max_spans) {
    SCOPED_TRACE("max_spans " + std::to_string(max_spans));
    DecodeOptions options;
    options.max_spans = max_spans;
    const bool taken = ExpectSame(body, options);
    EXPECT_EQ(taken, max_spans >= 10);
    EXPECT_EQ(DecodeProtobuf(body, options).ok(), max_spans >= 10);
  }
}

// Decodes `body` with every max_nesting_depth in [from, to]: "" when the paths agree at each,
// else the limits where they do not, the first disagreement and the body.
std::string SweepNestingLimits(std::string_view body, int from, int to) {
  std::string limits;
  std::string first;
  for (int limit = from; limit <= to; ++limit) {
    DecodeOptions options;
    options.max_nesting_depth = limit;
    const Outcome outcome = Compare(body, options);
    if (!outcome.mismatch.empty()) {
      limits += " " + std::to_string(limit);
      if (first.empty()) first = outcome.mismatch;
    }
  }
  if (limits.empty()) return "";
  return "disagree at max_nesting_depth" + limits + "; at the first: " + first +
         "body: " + Literal(body);
}

// Nested arrays and kvlists in every place attributes go, ending in every kind of innermost
// value, decoded with the limits around their depth.
TEST(OtlpWireDecoderTest, NestingMatchesTheReferenceAtEveryLimit) {
  const std::vector<std::string> innermost = {AnyInt(1), AnyArray({}), AnyKvlist({}),
                                              AnyKvlist({LenField(fld::kKey, "no.value")}), ""};
  for (int place = 0; place < 4; ++place) {
    for (bool arrays : {true, false}) {
      for (size_t inner = 0; inner < innermost.size(); ++inner) {
        std::string value = innermost[inner];
        for (int levels = 0; levels <= 30; ++levels) {
          if (levels > 0) {
            value = arrays ? AnyArray({AnyStr("x"), value}) : AnyKvlist({Kv("k", value)});
          }
          const std::string kv = Kv("a", value);
          std::string body;
          switch (place) {
            case 0:
              body = RequestOf({BasicSpan(1, LenField(fld::kAttributes, kv))});
              break;
            case 1:
              body = RequestOf(
                  {BasicSpan(1, LenField(fld::kEvents, LenField(fld::kEventAttributes, kv)))});
              break;
            case 2:
              body = LenField(
                  fld::kResourceSpans,
                  Cat(LenField(fld::kRsResource, LenField(fld::kResAttributes, kv)),
                      LenField(fld::kRsScopeSpans, LenField(fld::kSsSpans, BasicSpan(1)))));
              break;
            default:
              body = LenField(
                  fld::kResourceSpans,
                  LenField(fld::kRsScopeSpans,
                           Cat(LenField(fld::kSsScope, LenField(fld::kScopeAttributes, kv)),
                               LenField(fld::kSsSpans, BasicSpan(1)))));
          }
          // The innermost message is about 6 + levels * (arrays ? 2 : 3) deep.
          const int depth = 6 + levels * (arrays ? 2 : 3);
          SCOPED_TRACE("place " + std::to_string(place) + (arrays ? ", arrays" : ", kvlists") +
                       ", innermost " + std::to_string(inner) + ", " + std::to_string(levels) +
                       " levels");
          if (levels <= 12) {
            EXPECT_EQ(SweepNestingLimits(body, std::max(-1, depth - 4), depth + 4), "");
          }
          const bool taken = ExpectSame(body);
          if (depth <= 50) {
            EXPECT_TRUE(taken);
          }
          if (HasFailure()) return;
        }
      }
    }
  }
  std::string deep = AnyInt(1);
  for (int i = 0; i < 40; ++i) deep = AnyArray({deep});  // 80 messages deep
  const std::string body = RequestOf({BasicSpan(1, Attr("deep", deep))});
  EXPECT_FALSE(ExpectSame(body));
  EXPECT_FALSE(DecodeProtobuf(body, {}).ok());
  DecodeOptions deeper;
  deeper.max_nesting_depth = 100;
  ExpectSame(body, deeper);
  EXPECT_TRUE(DecodeProtobuf(body, deeper).ok());
}

// Small limits reach the fixed levels of OTLP itself (a ResourceSpans is 1 message deep, a span
// 3, its events, links and status 4, their KeyValues 5), with or without an AnyValue in the body.
TEST(OtlpWireDecoderTest, SmallNestingLimitsMatchTheReference) {
  const std::string no_value = LenField(fld::kKey, "k");  // a KeyValue without an AnyValue
  struct Shape {
    const char* name;
    std::string body;
  };
  const std::vector<Shape> shapes = {
      {"resource spans only", LenField(fld::kResourceSpans, "")},
      {"empty scope spans", LenField(fld::kResourceSpans, LenField(fld::kRsScopeSpans, ""))},
      {"a span", RequestOf({BasicSpan(1)})},
      {"a span with a status",
       RequestOf({BasicSpan(1, LenField(fld::kStatus, VarintField(fld::kStatusCode, 2)))})},
      {"a span with an event", RequestOf({BasicSpan(1, LenField(fld::kEvents, ""))})},
      {"a span with a link",
       RequestOf({BasicSpan(1, LenField(fld::kLinks, LenField(fld::kLinkTraceState, "x")))})},
      {"a span attribute without a value",
       RequestOf({BasicSpan(1, LenField(fld::kAttributes, no_value))})},
      {"an event attribute without a value",
       RequestOf(
           {BasicSpan(1, LenField(fld::kEvents, LenField(fld::kEventAttributes, no_value)))})},
      {"a link attribute without a value",
       RequestOf({BasicSpan(1, LenField(fld::kLinks, LenField(fld::kLinkAttributes, no_value)))})},
      {"a resource attribute without a value",
       LenField(fld::kResourceSpans,
                Cat(LenField(fld::kRsResource, LenField(fld::kResAttributes, no_value)),
                    LenField(fld::kRsScopeSpans, LenField(fld::kSsSpans, BasicSpan(1)))))},
      {"a scope attribute without a value",
       LenField(fld::kResourceSpans,
                LenField(fld::kRsScopeSpans,
                         Cat(LenField(fld::kSsScope, LenField(fld::kScopeAttributes, no_value)),
                             LenField(fld::kSsSpans, BasicSpan(1)))))},
      {"a resource and a scope without attributes",
       LenField(fld::kResourceSpans,
                Cat(LenField(fld::kRsResource, ""),
                    LenField(fld::kRsScopeSpans,
                             Cat(LenField(fld::kSsScope, LenField(fld::kScopeName, "s")),
                                 LenField(fld::kSsSpans, BasicSpan(1))))))},
      {"a kvlist entry without a value",
       RequestOf({BasicSpan(1, Attr("k", AnyKvlist({no_value})))})},
      {"an event attribute",
       RequestOf({BasicSpan(
           1, LenField(fld::kEvents, LenField(fld::kEventAttributes, Kv("k", AnyInt(1)))))})},
      {"an LLM span", Encode({MakeLlmSpan(1)})},
      {"the full span", Encode({MakeFullSpan()})},
  };
  for (const Shape& shape : shapes) {
    SCOPED_TRACE(shape.name);
    EXPECT_EQ(SweepNestingLimits(shape.body, -1, 12), "");
    EXPECT_TRUE(ExpectSame(shape.body));
  }
}

// Every string field is checked for UTF-8 as protobuf checks it; bytes and unknown fields are not.
TEST(OtlpWireDecoderTest, Utf8IsCheckedInEveryStringField) {
  const std::vector<std::string> valid = {
      "",
      "plain",
      "caf\xc3\xa9",
      "\xe2\x9c\x93",
      "\xf0\x9f\x98\x80",
      "\xef\xbf\xbf",
      "\xf4\x8f\xbf\xbf",
      std::string("a\0b", 3),
      "\x7f",
      "\xc2\x80",
      "\xe0\xa0\x80",
      "\xf0\x90\x80\x80",
  };
  const std::vector<std::string> invalid = {
      "\xff",
      "\xfe",
      "\xc3",
      "\x80",
      "\xbf",
      "\xc0\x80",
      "\xc1\xbf",
      "\xe0\x80\x80",
      "\xe0\x9f\xbf",
      "\xed\xa0\x80",
      "\xed\xbf\xbf",
      "\xf0\x80\x80\x80",
      "\xf0\x8f\xbf\xbf",
      "\xf4\x90\x80\x80",
      "\xf5\x80\x80\x80",
      "\xf8\x88\x80\x80\x80",
      "ab\xe2\x9c",
      "\xe2\x9c"
      "ab",
      "\xc3\xa9\xa9",
  };
  // Builds a request with `s` in the string field number `where`.
  auto build = [](int where, const std::string& s) -> std::string {
    std::string span_extra, scope, ss_extra, rs_extra, resource;
    switch (where) {
      case 0:
        span_extra = LenField(fld::kName, s);
        break;
      case 1:
        span_extra = LenField(fld::kTraceState, s);
        break;
      case 2:
        span_extra = LenField(fld::kEvents, LenField(fld::kEventName, s));
        break;
      case 3:
        span_extra = LenField(fld::kLinks, Cat(LenField(fld::kLinkTraceId, kTraceIdBytes),
                                               LenField(fld::kLinkSpanId, SpanIdBytes(2)),
                                               LenField(fld::kLinkTraceState, s)));
        break;
      case 4:
        span_extra = LenField(fld::kStatus, LenField(fld::kStatusMessage, s));
        break;
      case 5:
        span_extra = Attr(s, AnyInt(1));
        break;
      case 6:
        span_extra = Attr("k", AnyStr(s));
        break;
      case 7:
        scope = LenField(fld::kScopeName, s);
        break;
      case 8:
        scope = LenField(fld::kScopeVersion, s);
        break;
      case 9:
        ss_extra = LenField(fld::kSsSchemaUrl, s);
        break;
      case 10:
        rs_extra = LenField(fld::kRsSchemaUrl, s);
        break;
      case 11:
        resource = LenField(fld::kResAttributes, Kv(s, AnyStr("v")));
        break;
      case 12:
        resource = LenField(fld::kResAttributes, Kv("openinference.project.name", AnyStr(s)));
        break;
      case 13:
        span_extra = Attr("k", AnyArray({AnyStr("a"), AnyStr(s)}));
        break;
      case 14:
        span_extra = Attr("k", AnyKvlist({Kv("a", AnyStr(s)), Kv(s, AnyInt(2))}));
        break;
      case 15:
        span_extra = LenField(fld::kEvents, LenField(fld::kEventAttributes, Kv("e", AnyStr(s))));
        break;
      case 16:
        scope = LenField(fld::kScopeAttributes, Kv(s, AnyBool(1)));
        break;
      // Not UTF-8 checked:
      case 17:
        span_extra = Attr("k", AnyBytes(s));
        break;
      case 18:
        span_extra = LenField(99, s);
        break;
      case 19:
        span_extra = Attr("k", Cat(LenField(99, s), AnyInt(1)));
        break;
      default:
        break;
    }
    return LenField(fld::kResourceSpans,
                    Cat(LenField(fld::kRsResource, resource),
                        LenField(fld::kRsScopeSpans,
                                 Cat(LenField(fld::kSsScope, scope),
                                     LenField(fld::kSsSpans, BasicSpan(1, span_extra)), ss_extra)),
                        rs_extra));
  };
  for (int where = 0; where <= 19; ++where) {
    const bool checked = where <= 16;
    for (const std::string& s : valid) {
      SCOPED_TRACE("field " + std::to_string(where) + " valid " + Show(s));
      EXPECT_TRUE(ExpectSame(build(where, s)));
    }
    for (const std::string& s : invalid) {
      SCOPED_TRACE("field " + std::to_string(where) + " invalid " + Show(s));
      const std::string body = build(where, s);
      const bool taken = ExpectSame(body);
      if (checked) {
        EXPECT_FALSE(taken);
        EXPECT_FALSE(DecodeProtobuf(body, {}).ok());
      } else {
        EXPECT_TRUE(taken);
      }
    }
  }
}

// A bad byte at every offset of a longer string (word-at-a-time checks), and a good multibyte
// character straddling every offset.
TEST(OtlpWireDecoderTest, Utf8IsCheckedAtEveryOffset) {
  for (size_t length : {size_t{1}, size_t{7}, size_t{16}, size_t{33}, size_t{100}}) {
    for (size_t at = 0; at < length; ++at) {
      for (const std::string& bad : {std::string("\xff"), std::string("\x80"),
                                     std::string("\xe2\x9c"), std::string("\xed\xa0\x80")}) {
        std::string s(length, 'a');
        s.replace(at, std::min(bad.size(), length - at), bad.substr(0, length - at));
        if (s.size() > length) s.resize(length);
        SCOPED_TRACE("length " + std::to_string(length) + " at " + std::to_string(at) + " " +
                     Show(s));
        ExpectSame(RequestOf({BasicSpan(1, Attr("k", AnyStr(s)))}));
        ExpectSame(RequestOf({BasicSpan(1, Attr(s, AnyInt(1)))}));
      }
      std::string good(length, 'a');
      good.insert(at, "\xf0\x9f\x98\x80");
      SCOPED_TRACE("good " + Show(good));
      EXPECT_TRUE(ExpectSame(RequestOf({BasicSpan(1, Attr("k", AnyStr(good)))})));
      EXPECT_TRUE(ExpectSame(RequestOf({BasicSpan(1, LenField(fld::kName, good))})));
    }
  }
}

// Random short byte strings over the bytes where UTF-8's rules change, in a span name and in an
// attribute value: the wire path must refuse whatever libprotobuf refuses.
TEST(OtlpWireDecoderTest, RandomByteStringsMatchTheReference) {
  static constexpr std::array<uint8_t, 26> kBytes = {
      0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
      0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xff};
  std::mt19937_64 rng(0x07f8);
  int took = 0;
  int bailed = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string s(1 + rng() % 6, ' ');
    for (char& c : s) c = static_cast<char>(kBytes[rng() % kBytes.size()]);
    if (rng() % 2 == 0) s = std::string(rng() % 20, 'a') + s;  // not at the start
    const std::string body =
        RequestOf({BasicSpan(1, Cat(LenField(fld::kName, s), Attr("k", AnyStr(s))))});
    const Outcome outcome = Compare(body, {});
    took += outcome.wire_took;
    bailed += !outcome.wire_took;
    EXPECT_EQ(outcome.mismatch, "") << Show(s);
    if (HasFailure()) break;
  }
  std::printf("[          ] random byte strings: wire path took %d, bailed on %d\n", took, bailed);
  EXPECT_GT(took, 0);
  EXPECT_GT(bailed, 0);
}

// The comparison itself: it sees a difference in any one field, and treats a NaN as equal to the
// same NaN only.
TEST(OtlpWireDecoderTest, ComparisonSeesEveryDifference) {
  DecodedBatch a;
  a.spans = {MakeFullSpan(), MakeLlmSpan(1)};
  a.spans[1].attributes.push_back({"nan", std::nan("1")});
  a.spans[1].attributes.push_back({"nans", std::vector<double>{1.0, std::nan("2")}});
  a.rejected = {{3, "abc", "why"}};
  a.rejected_count = 4;
  EXPECT_EQ(DiffBatch(a, a), "");
  auto differs = [&a](auto change) {
    DecodedBatch b = a;
    change(b);
    return !DiffBatch(a, b).empty();
  };
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans.pop_back(); }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans[0].name += "x"; }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans[0].status_code = StatusCode::kOk; }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans[0].parent_span_id.reset(); }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans[0].cost_usd = 1.0; }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans[0].attributes[3].value = int64_t{1}; }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans[0].events[0].time_unix_nano++; }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans[0].links[1].trace_state = "t"; }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans[0].scope.version.clear(); }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans[1].resource_attributes.clear(); }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans[1].attributes[11].value = std::nan("3"); }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.spans[1].attributes[12].value = 0.0; }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.rejected[0].reason = "other"; }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.rejected.clear(); }));
  EXPECT_TRUE(differs([](DecodedBatch& b) { b.rejected_count = 5; }));
  EXPECT_EQ(Compare(Encode({MakeFullSpan()}), {}).mismatch, "");
}

TEST(OtlpWireDecoderTest, LargeRequestsTakeTheFastPath) {
  std::vector<std::string> spans;
  for (int i = 0; i < 500; ++i) {
    spans.push_back(BasicSpan(static_cast<uint8_t>(i % 250 + 1),
                              Attr("input.value", AnyStr(std::string(2000 + i, 'x')))));
  }
  EXPECT_TRUE(ExpectSame(RequestOf(spans)));
  // One big string: 1 MiB, exactly the default string limit, and one byte more (rejected).
  const size_t limit = SpanLimits{}.max_string_bytes;
  EXPECT_TRUE(ExpectSame(RequestOf({BasicSpan(1, Attr("big", AnyStr(std::string(limit, 'y'))))})));
  EXPECT_TRUE(
      ExpectSame(RequestOf({BasicSpan(1, Attr("big", AnyStr(std::string(limit + 1, 'y'))))})));
  EXPECT_TRUE(ExpectSame(Encode(LlmBatch(300, 4))));
}

// Random well-formed requests, fields in random order, with unknown fields and repeated scalars:
// all of it is what the fast path must handle.
class RandomRequests {
 public:
  explicit RandomRequests(uint64_t seed) : rng_(seed) {}

  std::string Request() {
    std::vector<std::string> fields;
    for (size_t i = Below(4); i > 0; --i)
      fields.push_back(LenField(fld::kResourceSpans, ResourceSpans()));
    MaybeUnknown(&fields);
    return Shuffled(std::move(fields));
  }

 private:
  size_t Below(size_t n) { return static_cast<size_t>(rng_() % n); }
  bool Chance(int percent) { return Below(100) < static_cast<size_t>(percent); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }
  std::string Shuffled(std::vector<std::string> fields) {
    for (size_t i = fields.size(); i > 1; --i) std::swap(fields[i - 1], fields[Below(i)]);
    return Join(fields);
  }
  std::string RandomBytes(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(rng_()));
    return s;
  }
  void MaybeUnknown(std::vector<std::string>* fields) {
    while (Chance(15)) {
      const uint32_t field =
          Pick(std::vector<uint32_t>{17, 99, 1000, 2047, 2048, 123456, fld::kMaxFieldNumber});
      switch (Below(4)) {
        case 0:
          fields->push_back(VarintField(field, rng_() >> Below(64)));
          break;
        case 1:
          fields->push_back(Fixed64Field(field, rng_()));
          break;
        case 2:
          fields->push_back(LenField(field, RandomBytes(Below(12))));
          break;
        default:
          fields->push_back(Fixed32Field(field, static_cast<uint32_t>(rng_())));
          break;
      }
    }
  }
  std::string Str() {
    static const std::vector<std::string> kStrings = {"",
                                                      "a",
                                                      "name",
                                                      "caf\xc3\xa9",
                                                      "\xf0\x9f\x98\x80 emoji",
                                                      std::string(300, 'x'),
                                                      "LLM",
                                                      "AGENT",
                                                      "gpt-4o",
                                                      std::string("nul\0inside", 10),
                                                      "12",
                                                      "openai",
                                                      "proj-r"};
    return Pick(kStrings);
  }
  std::string Key() {
    static const std::vector<std::string> kKeys = {"k",
                                                   "a.b",
                                                   "",
                                                   "openinference.span.kind",
                                                   "llm.model_name",
                                                   "llm.provider",
                                                   "llm.token_count.prompt",
                                                   "llm.token_count.completion",
                                                   "llm.token_count.total",
                                                   "llm.token_count.prompt_details.cache_read",
                                                   "llm.cost.total",
                                                   "session.id",
                                                   "user.id",
                                                   "input.value",
                                                   "openinference.project.name",
                                                   "service.name"};
    return Chance(80) ? Pick(kKeys) : Str();
  }
  std::string AnyValue(int depth) {
    std::vector<std::string> fields;
    switch (Below(depth < 3 ? 9 : 7)) {
      case 0:
        fields.push_back(AnyStr(Str()));
        break;
      case 1:
        fields.push_back(AnyBool(Pick(std::vector<uint64_t>{0, 1, 1, 2})));
        break;
      case 2:
        fields.push_back(AnyInt(Pick(std::vector<int64_t>{0, 1, -1, 120, 30, INT64_MAX, INT64_MIN,
                                                          static_cast<int64_t>(rng_())})));
        break;
      case 3:
        fields.push_back(
            AnyDouble(Pick(std::vector<double>{0.0, -0.0, 1.5, 120.0, 1e300, -2.5, 0.00042, 3.0})));
        break;
      case 4:
        fields.push_back(AnyBytes(RandomBytes(Below(10))));
        break;
      case 5:
        break;  // unset
      case 6:
        fields.push_back(AnyStr(Str()));
        break;
      case 7: {
        std::vector<std::string> values;
        for (size_t i = Below(5); i > 0; --i) values.push_back(AnyValue(depth + 1));
        fields.push_back(AnyArray(values));
        break;
      }
      default: {
        std::vector<std::string> kvs;
        for (size_t i = Below(4); i > 0; --i) kvs.push_back(KeyValue(depth + 1));
        fields.push_back(AnyKvlist(kvs));
        break;
      }
    }
    MaybeUnknown(&fields);
    return Shuffled(std::move(fields));
  }
  std::string KeyValue(int depth) {
    std::vector<std::string> fields;
    if (Chance(5)) fields.push_back(LenField(fld::kKey, Key()));  // overwritten below
    std::string key = LenField(fld::kKey, Key());
    std::string value = Chance(90) ? LenField(fld::kValue, AnyValue(depth)) : "";
    MaybeUnknown(&fields);
    std::string rest = Shuffled(std::move(fields));
    // The key that counts comes after the one that does not.
    return Chance(50) ? Cat(rest, key, value) : Cat(rest, value, key);
  }
  std::string Attributes(uint32_t field, size_t max) {
    std::string out;
    for (size_t i = Below(max + 1); i > 0; --i) out += LenField(field, KeyValue(0));
    return out;
  }
  std::string Id(size_t n) {
    if (Chance(3)) return RandomBytes(Below(20));
    if (Chance(2)) return std::string(n, '\0');
    return RandomBytes(n);
  }
  uint64_t Time() {
    if (Chance(2)) return ~uint64_t{0} - Below(3);
    return kStart + Below(1'000'000'000'000);
  }
  std::string Span() {
    std::vector<std::string> fields;
    fields.push_back(LenField(fld::kTraceId, Chance(95) ? kTraceIdBytes : Id(16)));
    fields.push_back(LenField(fld::kSpanId, Id(8)));
    if (Chance(60)) fields.push_back(LenField(fld::kParent, Chance(10) ? "" : Id(8)));
    if (Chance(30)) fields.push_back(LenField(fld::kTraceState, Str()));
    fields.push_back(LenField(fld::kName, Str()));
    if (Chance(70)) fields.push_back(VarintField(fld::kKind, Below(8)));
    const uint64_t start = Time();
    fields.push_back(Fixed64Field(fld::kStart, start));
    fields.push_back(
        Fixed64Field(fld::kEnd, Chance(95) ? start + Below(1'000'000'000) : start - 1));
    for (size_t i = Below(6); i > 0; --i) fields.push_back(Attributes(fld::kAttributes, 1));
    if (Chance(20)) fields.push_back(VarintField(fld::kDroppedAttributes, Below(1000)));
    for (size_t i = Below(3); i > 0; --i) {
      std::vector<std::string> event = {Fixed64Field(fld::kEventTime, Time()),
                                        LenField(fld::kEventName, Str()),
                                        Attributes(fld::kEventAttributes, 2)};
      if (Chance(20)) event.push_back(VarintField(fld::kEventDropped, Below(10)));
      MaybeUnknown(&event);
      fields.push_back(LenField(fld::kEvents, Shuffled(std::move(event))));
    }
    if (Chance(20)) fields.push_back(VarintField(fld::kDroppedEvents, Below(10)));
    for (size_t i = Below(3); i > 0; --i) {
      std::vector<std::string> link = {LenField(fld::kLinkTraceId, Id(16)),
                                       LenField(fld::kLinkSpanId, Id(8)),
                                       Attributes(fld::kLinkAttributes, 2)};
      if (Chance(30)) link.push_back(LenField(fld::kLinkTraceState, Str()));
      if (Chance(20)) link.push_back(VarintField(fld::kLinkDropped, Below(10)));
      if (Chance(30)) link.push_back(Fixed32Field(fld::kLinkFlags, static_cast<uint32_t>(rng_())));
      MaybeUnknown(&link);
      fields.push_back(LenField(fld::kLinks, Shuffled(std::move(link))));
    }
    if (Chance(20)) fields.push_back(VarintField(fld::kDroppedLinks, Below(10)));
    if (Chance(50)) {
      std::vector<std::string> status;
      if (Chance(80)) status.push_back(VarintField(fld::kStatusCode, Below(4)));
      if (Chance(50)) status.push_back(LenField(fld::kStatusMessage, Str()));
      MaybeUnknown(&status);
      fields.push_back(LenField(fld::kStatus, Shuffled(std::move(status))));
    }
    if (Chance(30)) fields.push_back(Fixed32Field(fld::kFlags, static_cast<uint32_t>(rng_())));
    MaybeUnknown(&fields);
    std::string span = Shuffled(std::move(fields));
    // A scalar given again at the end overrides the first one.
    if (Chance(10)) span += LenField(fld::kName, Str());
    if (Chance(10)) span += Fixed64Field(fld::kStart, start);
    if (Chance(5)) span += LenField(fld::kSpanId, Id(8));
    return span;
  }
  std::string ScopeSpans() {
    std::vector<std::string> fields;
    if (Chance(70)) {
      std::vector<std::string> scope = {Attributes(fld::kScopeAttributes, 2)};
      if (Chance(80)) scope.push_back(LenField(fld::kScopeName, Str()));
      if (Chance(50)) scope.push_back(LenField(fld::kScopeVersion, Str()));
      if (Chance(10)) scope.push_back(VarintField(fld::kScopeDropped, Below(5)));
      MaybeUnknown(&scope);
      fields.push_back(LenField(fld::kSsScope, Shuffled(std::move(scope))));
    }
    for (size_t i = Below(4); i > 0; --i) fields.push_back(LenField(fld::kSsSpans, Span()));
    if (Chance(30)) fields.push_back(LenField(fld::kSsSchemaUrl, Str()));
    MaybeUnknown(&fields);
    return Shuffled(std::move(fields));
  }
  std::string ResourceSpans() {
    std::vector<std::string> fields;
    if (Chance(80)) {
      std::vector<std::string> resource = {Attributes(fld::kResAttributes, 3)};
      if (Chance(60)) {
        resource.push_back(
            LenField(fld::kResAttributes, Kv("openinference.project.name", AnyStr(Str()))));
      }
      if (Chance(10)) resource.push_back(VarintField(fld::kResDropped, Below(5)));
      MaybeUnknown(&resource);
      fields.push_back(LenField(fld::kRsResource, Shuffled(std::move(resource))));
    }
    for (size_t i = Below(3); i > 0; --i)
      fields.push_back(LenField(fld::kRsScopeSpans, ScopeSpans()));
    if (Chance(30)) fields.push_back(LenField(fld::kRsSchemaUrl, Str()));
    MaybeUnknown(&fields);
    return Shuffled(std::move(fields));
  }

  std::mt19937_64 rng_;
};

TEST(OtlpWireDecoderTest, RandomWellFormedRequestsTakeTheFastPath) {
  RandomRequests random(0x5eed0001);
  int spans = 0;
  int rejected = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string body = random.Request();
    SCOPED_TRACE("request " + std::to_string(i));
    EXPECT_TRUE(ExpectSame(body)) << Literal(body);
    const Result<DecodedBatch> reference = internal::DecodeProtobufMessages(body, {});
    ASSERT_TRUE(reference.ok()) << reference.status().ToString() << " " << Literal(body);
    spans += static_cast<int>(reference->spans.size());
    rejected += static_cast<int>(reference->rejected_count);
    if (HasFailure()) break;
  }
  // The generator makes both accepted and rejected spans.
  EXPECT_GT(spans, 100);
  EXPECT_GT(rejected, 10);
}

// Random mutations of valid bodies: whatever the wire path takes must be the reference's batch,
// and the public outcome is always the reference's. Both paths must get exercised.
TEST(OtlpWireDecoderTest, MutatedBodiesMatchTheReference) {
  std::vector<Span> llm = LlmBatch(3, 2);
  std::vector<Span> mixed = {MakeFullSpan(), MakeLlmSpan(0), MakeLlmSpan(1)};
  const std::vector<std::string> seeds = {Encode(mixed),
                                          Encode(llm),
                                          Encode({MakeFullSpan()}),
                                          CustomOrderedRequest(),
                                          RequestOf({AttributeZooSpan()}),
                                          RequestOf({ReversedSpan(), GeneratedSpan()}),
                                          RandomRequests(0x5eed0002).Request()};
  std::mt19937_64 rng(0xf022);
  auto below = [&rng](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  int took = 0;
  int bailed = 0;
  int reference_failed = 0;
  constexpr int kIterations = 3000;
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    const size_t seed = below(seeds.size());
    std::string body = seeds[seed];
    const size_t mutations = 1 + below(3);
    for (size_t m = 0; m < mutations && !body.empty(); ++m) {
      const size_t pos = below(body.size());
      switch (below(9)) {
        case 0:  // flip a bit
          body[pos] = static_cast<char>(body[pos] ^ (1 << below(8)));
          break;
        case 1:  // flip a byte
          body[pos] = static_cast<char>(~body[pos]);
          break;
        case 2:  // a random byte
          body[pos] = static_cast<char>(rng());
          break;
        case 3:  // an interesting byte
          body[pos] = static_cast<char>(
              std::array<uint8_t, 8>{0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x2a}[below(8)]);
          break;
        case 4:  // truncate
          body.resize(pos);
          break;
        case 5:  // delete a range
          body.erase(pos, 1 + below(16));
          break;
        case 6: {  // duplicate a range
          const std::string range = body.substr(pos, 1 + below(32));
          body.insert(below(body.size() + 1), range);
          break;
        }
        case 7: {  // insert random bytes
          std::string bytes;
          for (size_t i = 1 + below(8); i > 0; --i) bytes.push_back(static_cast<char>(rng()));
          body.insert(pos, bytes);
          break;
        }
        default:  // insert a tag of a known field with a random wire type
          body.insert(pos,
                      Tag(static_cast<uint32_t>(1 + below(16)), static_cast<WireType>(below(8))));
          break;
      }
    }
    DecodeOptions options;
    if (below(10) == 0) options.max_nesting_depth = static_cast<int>(4 + below(12));
    if (below(10) == 0) options.max_spans = below(6);
    const Outcome outcome = Compare(body, options);
    took += outcome.wire_took;
    bailed += !outcome.wire_took;
    reference_failed += !outcome.reference_ok;
    if (!outcome.mismatch.empty()) {
      const std::string small = Minimize(body, options);
      ADD_FAILURE() << "iteration " << iteration << ", seed body " << seed << ", max_nesting_depth "
                    << options.max_nesting_depth << ", max_spans " << options.max_spans << ": "
                    << outcome.mismatch << "\nbody (" << body.size() << " bytes): " << Literal(body)
                    << "\nminimized (" << small.size() << " bytes): " << Literal(small) << "\n"
                    << Compare(small, options).mismatch;
      break;
    }
  }
  std::printf("[          ] %d mutations: wire path took %d, bailed on %d; reference refused %d\n",
              kIterations, took, bailed, reference_failed);
  EXPECT_GT(took, 0);
  EXPECT_GT(bailed, 0);
  EXPECT_GT(reference_failed, 0);
}

TEST(OtlpWireDecoderTest, ConcurrentDecodesMatchTheReference) {
  std::vector<std::string> bodies = {Encode(LlmBatch(20, 2)), Encode({MakeFullSpan()}),
                                     CustomOrderedRequest(), RequestOf({AttributeZooSpan()}), ""};
  std::vector<std::optional<DecodedBatch>> expected;
  for (const std::string& body : bodies) {
    expected.push_back(internal::DecodeProtobufWire(body, {}));
    ASSERT_TRUE(expected.back().has_value());
  }
  std::vector<std::string> problems(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < problems.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 25 && problems[t].empty(); ++round) {
        const size_t i = (t + static_cast<size_t>(round)) % bodies.size();
        const std::optional<DecodedBatch> wire = internal::DecodeProtobufWire(bodies[i], {});
        if (!wire.has_value()) {
          problems[t] = "body " + std::to_string(i) + " not taken";
        } else if (const std::string d = DiffBatch(*expected[i], *wire); !d.empty()) {
          problems[t] = "body " + std::to_string(i) + ":" + d;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& p : problems) EXPECT_EQ(p, "");
}

}  // namespace
}  // namespace roost::ingest
