// Interop with the official OpenTelemetry JS OTLP exporters: tests/interop/send_spans.mjs sends
// one OpenInference trace to an in-process server; every span must be stored exactly.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/span.h"
#include "tests/api/test_server.h"
#include "tests/api/test_spans.h"
#include "tests/api/test_subprocess.h"

#ifndef ROOST_INTEROP_SCRIPT
#error "ROOST_INTEROP_SCRIPT must name tests/interop/send_spans.mjs"
#endif
#ifndef ROOST_INTEROP_NODE_MODULES
#error "ROOST_INTEROP_NODE_MODULES must name tests/interop/node_modules"
#endif

namespace roost::api {
namespace {

using ::testing::HasSubstr;

// The script's fixed times: 1700000000.123456789 s plus whole milliseconds.
constexpr int64_t kBaseUnixNano = 1'700'000'000'123'456'789;
int64_t At(int64_t millis) { return kBaseUnixNano + millis * 1'000'000; }

// One span as the script reports it.
struct SentSpan {
  std::string name;
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;  // "" for the root
  int64_t start = 0;
  int64_t end = 0;
};

std::vector<SentSpan> ParseSent(const std::string& out, std::string* project) {
  nlohmann::json json = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  std::vector<SentSpan> sent;
  if (!json.is_object() || !json["spans"].is_array()) {
    ADD_FAILURE() << "unreadable script output: " << out;
    return sent;
  }
  *project = json.value("project", "");
  for (const nlohmann::json& s : json["spans"]) {
    sent.push_back({s.value("name", ""), s.value("traceId", ""), s.value("spanId", ""),
                    s.value("parentSpanId", ""), std::stoll(s.value("startTimeUnixNano", "0")),
                    std::stoll(s.value("endTimeUnixNano", "0"))});
  }
  return sent;
}

const AttributeValue* Find(const Span& span, const std::string& key) {
  return FindAttribute(span.attributes, key);
}

void ExpectRoot(const Span& s, const std::string& exporter) {
  EXPECT_EQ(s.kind, SpanKind::kChain);
  EXPECT_EQ(s.otel_kind, OtelSpanKind::kServer);
  EXPECT_FALSE(s.parent_span_id.has_value());
  EXPECT_EQ(s.start_unix_nano, At(0));
  EXPECT_EQ(s.end_unix_nano, At(2000));
  EXPECT_EQ(s.session_id, "session-" + exporter);
  EXPECT_EQ(s.model_name, "");
  EXPECT_EQ(s.total_tokens, 0);
  const AttributeValue* input = Find(s, "input.value");
  ASSERT_NE(input, nullptr);
  EXPECT_EQ(*input, AttributeValue(std::string("What is the capital of France?")));
}

void ExpectLlm(const Span& s, int i, const Span& root, const std::string& exporter) {
  SCOPED_TRACE("LLM span " + std::to_string(i));
  EXPECT_EQ(s.kind, SpanKind::kLlm);
  EXPECT_EQ(s.otel_kind, OtelSpanKind::kClient);
  EXPECT_EQ(s.status_code, StatusCode::kOk);
  ASSERT_TRUE(s.parent_span_id.has_value());
  EXPECT_EQ(*s.parent_span_id, root.span_id);
  EXPECT_EQ(s.start_unix_nano, At(10 + i * 500));
  EXPECT_EQ(s.end_unix_nano, At(10 + i * 500 + 420));
  EXPECT_EQ(s.model_name, "gpt-4o-mini");
  EXPECT_EQ(s.prompt_tokens, 321 + i);
  EXPECT_EQ(s.completion_tokens, 45);
  EXPECT_EQ(s.total_tokens, 366 + i);
  EXPECT_EQ(s.session_id, "session-" + exporter);
  const std::map<std::string, AttributeValue> expected = {
      {"openinference.span.kind", std::string("LLM")},
      {"llm.model_name", std::string("gpt-4o-mini")},
      {"llm.token_count.prompt", int64_t{321 + i}},
      {"llm.token_count.completion", int64_t{45}},
      {"llm.token_count.total", int64_t{366 + i}},
      {"llm.temperature", 0.25},
      {"llm.stream", true},
      {"session.id", "session-" + exporter},
      {"input.value", "Question " + std::to_string(i) + ": what is the capital of France?"},
      {"tags", std::vector<std::string>{"a", "b"}},
  };
  EXPECT_EQ(s.attributes.size(), expected.size()) << testing::AttributesText(s.attributes);
  for (const auto& [key, value] : expected) {
    const AttributeValue* got = Find(s, key);
    ASSERT_NE(got, nullptr) << key << " missing: " << testing::AttributesText(s.attributes);
    EXPECT_EQ(*got, value) << key << ": " << testing::AttributesText(s.attributes);
  }
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "first_token");
  EXPECT_EQ(s.events[0].time_unix_nano, At(10 + i * 500 + 100));
  EXPECT_EQ(s.events[0].attributes, (Attributes{{"token", std::string("Par")}}));
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].trace_id, root.trace_id);
  EXPECT_EQ(s.links[0].span_id, root.span_id);
  EXPECT_EQ(s.links[0].attributes, (Attributes{{"link.kind", std::string("follows")}}));
}

// The stored span with `want`'s id carries exactly the ids, name and times the exporter sent.
void ExpectStoredAsSent(const std::vector<Span>& stored, const SentSpan& want,
                        const std::string& project) {
  SCOPED_TRACE(want.name);
  const Span* got = nullptr;
  for (const Span& s : stored) {
    if (s.span_id.ToHex() == want.span_id) got = &s;
  }
  ASSERT_NE(got, nullptr) << "span " << want.span_id << " not stored";
  EXPECT_EQ(got->trace_id.ToHex(), want.trace_id);
  EXPECT_EQ(got->parent_span_id ? got->parent_span_id->ToHex() : "", want.parent_span_id);
  EXPECT_EQ(got->name, want.name);
  EXPECT_EQ(got->start_unix_nano, want.start);
  EXPECT_EQ(got->end_unix_nano, want.end);
  EXPECT_EQ(got->project, project);
  EXPECT_EQ(got->scope.name, "roost-interop-test");
  EXPECT_EQ(got->scope.version, "1.2.3");
  const AttributeValue* service = FindAttribute(got->resource_attributes, "service.name");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(*service, AttributeValue(std::string("roost-interop")));
}

class OtelJsInteropTest : public testing::ServerFixture,
                          public ::testing::WithParamInterface<const char*> {};

TEST_P(OtelJsInteropTest, ExporterSpansAreStoredExactly) {
  const std::string exporter = GetParam();
  ASSERT_TRUE(std::filesystem::exists(ROOST_INTEROP_NODE_MODULES "/@opentelemetry/api"))
      << "OpenTelemetry JS packages missing in " ROOST_INTEROP_NODE_MODULES
      << ": run `npm ci` in tests/interop (tools/test.sh does it before ctest)";
  StartServer();
  const std::string url = "http://127.0.0.1:" + std::to_string(port()) + "/v1/traces";
  std::string error;
  std::unique_ptr<testing::Subprocess> node =
      testing::Subprocess::Start({"node", ROOST_INTEROP_SCRIPT, url, exporter}, &error);
  ASSERT_NE(node, nullptr) << error << " (is node on PATH?)";
  std::optional<int> code = node->Wait(std::chrono::seconds(60));
  ASSERT_EQ(code, 0) << "node: " << node->err();

  std::string project;
  std::vector<SentSpan> sent = ParseSent(node->out(), &project);
  ASSERT_EQ(sent.size(), 3u) << node->out();
  EXPECT_EQ(project, "interop-" + exporter);
  EXPECT_EQ(testing::CountSpans(store(), project), 3u);
  Result<TraceId> trace_id = TraceId::FromHex(sent[0].trace_id);
  ASSERT_TRUE(trace_id.ok()) << sent[0].trace_id;
  Result<std::vector<Span>> stored = store().GetTrace(*trace_id);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->size(), 3u);  // start order: root, ChatCompletion 0, ChatCompletion 1
  const Span& root = (*stored)[0];
  for (const SentSpan& want : sent) ExpectStoredAsSent(*stored, want, project);
  ASSERT_EQ(root.name, "conversation");
  ExpectRoot(root, exporter);
  ExpectLlm((*stored)[1], 0, root, exporter);
  ExpectLlm((*stored)[2], 1, root, exporter);
}

INSTANTIATE_TEST_SUITE_P(Exporters, OtelJsInteropTest, ::testing::Values("proto", "http"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           return std::string(param_info.param);
                         });

}  // namespace
}  // namespace roost::api
