#include "tests/ingest/test_spans.h"

#include <string>

#include "ingest/semantic_conventions.h"

namespace roost::testing {

std::string Hex(char c, size_t n) { return std::string(n, c); }

Span MakeLlmSpan(int i, const std::string& project) {
  Span s;
  s.trace_id = *TraceId::FromHex("0af7651916cd43dd8448eb211c80319c");
  s.span_id.bytes = {1, 2, 3, 4, 5, 6, 7, static_cast<uint8_t>(i + 1)};
  if (i > 0) s.parent_span_id = SpanId{{1, 2, 3, 4, 5, 6, 7, 1}};
  s.name = "ChatCompletion " + std::to_string(i);
  s.otel_kind = OtelSpanKind::kInternal;
  s.start_unix_nano = 1'700'000'000'000'000'000 + i * 1'000'000LL;
  s.end_unix_nano = s.start_unix_nano + 250'000'000;
  s.status_code = StatusCode::kOk;
  s.attributes = {
      {"openinference.span.kind", std::string("LLM")},
      {"llm.model_name", std::string("gpt-4o-mini")},
      {"llm.provider", std::string("openai")},
      {"llm.token_count.prompt", int64_t{120 + i}},
      {"llm.token_count.completion", int64_t{30}},
      {"llm.token_count.total", int64_t{150 + i}},
      {"llm.cost.total", 0.00042},
      {"session.id", std::string("session-7")},
      {"user.id", std::string("user-3")},
      {"input.value", std::string("What is the capital of France? Answer briefly.")},
      {"output.value", std::string("Paris.")},
  };
  s.events.push_back({"first_token", s.start_unix_nano + 1000, {{"token", std::string("Par")}}});
  s.resource_attributes = {{"service.name", std::string("chat-app")},
                           {"openinference.project.name", project}};
  s.scope = {"openinference.instrumentation.openai", "0.1.18", {}};
  ingest::ApplySemanticConventions("", &s);
  return s;
}

Span MakeFullSpan() {
  Span s;
  s.trace_id = *TraceId::FromHex("5b8efff798038103d269b633813fc60c");
  s.span_id = *SpanId::FromHex("eee19b7ec3c1b174");
  s.parent_span_id = *SpanId::FromHex("eee19b7ec3c1b173");
  s.trace_state = "rojo=00f067aa0ba902b7";
  s.name = "agent step \"quoted\" \\ \n\t\x01 caf\xc3\xa9 \xe2\x9c\x93";
  s.otel_kind = OtelSpanKind::kClient;
  s.status_code = StatusCode::kError;
  s.status_message = "rate limited";
  s.start_unix_nano = 1'700'000'000'123'456'789;
  s.end_unix_nano = 1'700'000'001'987'654'321;
  s.attributes = {
      {"openinference.span.kind", std::string("AGENT")},
      {"str", std::string("hello")},
      {"empty.str", std::string()},
      {"bool.true", true},
      {"bool.false", false},
      {"int.max", int64_t{INT64_MAX}},
      {"int.min", int64_t{INT64_MIN}},
      {"double.frac", 0.1},
      {"double.big", 1.5e300},
      {"double.whole", 3.0},
      {"double.negzero", -0.0},
      {"strs", std::vector<std::string>{"a", "", "c\"d"}},
      {"strs.empty", std::vector<std::string>{}},
      {"bools", std::vector<bool>{true, false, true}},
      {"ints", std::vector<int64_t>{1, -2, INT64_MAX}},
      {"doubles", std::vector<double>{0.5, -1.25, 1e-300}},
      {"unset", std::monostate{}},
  };
  s.events = {
      {"exception", 1'700'000'001'000'000'000, {{"exception.message", std::string("boom")}}},
      {"retry", 1'700'000'001'500'000'000, {}},
  };
  s.links = {
      {*TraceId::FromHex("00000000000000000000000000000001"),
       *SpanId::FromHex("0000000000000002"),
       "k=v",
       {{"link.kind", std::string("follows")}}},
      {*TraceId::FromHex("ffffffffffffffffffffffffffffffff"),
       *SpanId::FromHex("ffffffffffffffff"),
       "",
       {}},
  };
  s.resource_attributes = {{"service.name", std::string("agent")},
                           {"service.instance", int64_t{4}},
                           {"openinference.project.name", std::string("full")}};
  s.scope = {"my.scope", "1.2.3", {{"scope.attr", true}}};
  ingest::ApplySemanticConventions("", &s);
  return s;
}

}  // namespace roost::testing
