#include "tests/api/test_spans.h"

#include <sstream>
#include <variant>

#include <gtest/gtest.h>

#include "ingest/semantic_conventions.h"

namespace roost::api::testing {
namespace {

constexpr int64_t kBaseUnixNano = 1'700'000'000'123'456'789;

void PutBigEndian(uint32_t v, uint8_t* out) {
  for (int b = 0; b < 4; ++b) out[b] = static_cast<uint8_t>(v >> (24 - 8 * b));
}

SpanId TestSpanId(uint32_t trace, uint32_t i) {
  SpanId id;
  PutBigEndian(trace, id.bytes.data());
  PutBigEndian(i + 1, id.bytes.data() + 4);
  return id;
}

template <typename T>
void AppendValue(const T& v, std::ostringstream& out) {
  out << v;
}
void AppendValue(const std::string& v, std::ostringstream& out) { out << '"' << v << '"'; }

struct ValueText {
  std::ostringstream& out;
  void operator()(std::monostate) const { out << "unset"; }
  void operator()(const std::string& v) const { out << "string:\"" << v << '"'; }
  void operator()(bool v) const { out << "bool:" << (v ? "true" : "false"); }
  void operator()(int64_t v) const { out << "int:" << v; }
  void operator()(double v) const { out << "double:" << v; }
  template <typename T>
  void operator()(const std::vector<T>& v) const {
    out << "array[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out << ',';
      AppendValue(static_cast<T>(v[i]), out);
    }
    out << ']';
  }
};

}  // namespace

TraceId TestTraceId(uint32_t trace) {
  TraceId id;
  id.bytes[0] = 0xa1;
  id.bytes[1] = 0x57;
  PutBigEndian(trace, id.bytes.data() + 12);
  return id;
}

Span MakeSpan(uint32_t trace, uint32_t i, const std::string& project) {
  Span s;
  s.trace_id = TestTraceId(trace);
  s.span_id = TestSpanId(trace, i);
  if (i > 0) s.parent_span_id = TestSpanId(trace, 0);
  s.trace_state = "roost=t" + std::to_string(trace);
  s.name = i == 0 ? "conversation" : "ChatCompletion " + std::to_string(i);
  s.otel_kind = i == 0 ? OtelSpanKind::kServer : OtelSpanKind::kClient;
  s.status_code = i % 7 == 3 ? StatusCode::kError : StatusCode::kOk;
  if (s.status_code == StatusCode::kError) s.status_message = "rate limited";
  s.start_unix_nano = kBaseUnixNano + int64_t{trace} * 1'000'000'000 + int64_t{i} * 1'000'000;
  s.end_unix_nano = s.start_unix_nano + 250'000'000 + i;
  s.attributes = {
      {"openinference.span.kind", std::string(i == 0 ? "CHAIN" : "LLM")},
      {"llm.model_name", std::string("gpt-4o-mini")},
      {"llm.provider", std::string("openai")},
      {"llm.token_count.prompt", int64_t{100 + i}},
      {"llm.token_count.completion", int64_t{20}},
      {"llm.token_count.total", int64_t{120 + i}},
      {"llm.cost.total", 0.00042},
      {"session.id", "session-" + std::to_string(trace % 5)},
      {"user.id", std::string("user-1")},
      {"input.value", "Question " + std::to_string(i) + ": the capital of France? caf\xc3\xa9"},
      {"llm.stream", i % 2 == 0},
      {"tags", std::vector<std::string>{"a", "", "c"}},
      {"flags", std::vector<bool>{true, false}},
      {"ints", std::vector<int64_t>{1, -2, INT64_MAX}},
      {"doubles", std::vector<double>{0.5, -1.25}},
  };
  s.events.push_back({"first_token",
                      s.start_unix_nano + 1000,
                      {{"token", std::string("Par")}, {"index", int64_t{i}}}});
  if (i > 0) {
    s.links.push_back(
        {s.trace_id, TestSpanId(trace, 0), "", {{"link.kind", std::string("follows")}}});
  }
  s.resource_attributes = {{"service.name", std::string("api-test")},
                           {"service.instance", int64_t{7}},
                           {std::string(ingest::kProjectNameAttribute), project}};
  s.scope = {"roost.api.test", "1.0.0", {{"scope.attr", true}}};
  ingest::ApplySemanticConventions("", &s);
  return s;
}

std::vector<Span> MakeTrace(uint32_t trace, size_t n, const std::string& project) {
  std::vector<Span> spans;
  spans.reserve(n);
  for (size_t i = 0; i < n; ++i)
    spans.push_back(MakeSpan(trace, static_cast<uint32_t>(i), project));
  return spans;
}

std::string AttributesText(const Attributes& attributes) {
  std::ostringstream out;
  out.precision(17);
  for (const Attribute& a : attributes) {
    out << a.key << '=';
    std::visit(ValueText{out}, a.value);
    out << "; ";
  }
  return out.str();
}

void ExpectSameSpan(const Span& got, const Span& want) {
  SCOPED_TRACE("span " + want.span_id.ToHex() + " '" + want.name + "'");
  EXPECT_EQ(got.trace_id.ToHex(), want.trace_id.ToHex());
  EXPECT_EQ(got.span_id.ToHex(), want.span_id.ToHex());
  EXPECT_EQ(got.parent_span_id.has_value(), want.parent_span_id.has_value());
  if (got.parent_span_id && want.parent_span_id) {
    EXPECT_EQ(got.parent_span_id->ToHex(), want.parent_span_id->ToHex());
  }
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
  EXPECT_EQ(AttributesText(got.attributes), AttributesText(want.attributes));
  ASSERT_EQ(got.events.size(), want.events.size());
  for (size_t e = 0; e < want.events.size(); ++e) {
    EXPECT_EQ(got.events[e].name, want.events[e].name) << "event " << e;
    EXPECT_EQ(got.events[e].time_unix_nano, want.events[e].time_unix_nano) << "event " << e;
    EXPECT_EQ(AttributesText(got.events[e].attributes), AttributesText(want.events[e].attributes))
        << "event " << e;
  }
  ASSERT_EQ(got.links.size(), want.links.size());
  for (size_t l = 0; l < want.links.size(); ++l) {
    EXPECT_EQ(got.links[l].trace_id.ToHex(), want.links[l].trace_id.ToHex()) << "link " << l;
    EXPECT_EQ(got.links[l].span_id.ToHex(), want.links[l].span_id.ToHex()) << "link " << l;
    EXPECT_EQ(got.links[l].trace_state, want.links[l].trace_state) << "link " << l;
    EXPECT_EQ(AttributesText(got.links[l].attributes), AttributesText(want.links[l].attributes))
        << "link " << l;
  }
  EXPECT_EQ(AttributesText(got.resource_attributes), AttributesText(want.resource_attributes));
  EXPECT_EQ(got.scope.name, want.scope.name);
  EXPECT_EQ(got.scope.version, want.scope.version);
  EXPECT_EQ(AttributesText(got.scope.attributes), AttributesText(want.scope.attributes));
  // Whatever the field-by-field checks above might miss.
  EXPECT_TRUE(got == want);
}

}  // namespace roost::api::testing
