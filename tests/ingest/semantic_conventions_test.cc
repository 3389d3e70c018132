#include "ingest/semantic_conventions.h"

#include <optional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace roost::ingest {
namespace {

Span WithAttributes(Attributes attributes) {
  Span span;
  span.attributes = std::move(attributes);
  ApplySemanticConventions("", &span);
  return span;
}

TEST(ApplySemanticConventionsTest, ProjectPrefersHeaderThenResourceThenDefault) {
  struct Row {
    std::string header;
    Attributes resource;
    std::string expected;
  };
  const Row rows[] = {
      {"", {}, "default"},
      {"", {{"openinference.project.name", std::string("res")}}, "res"},
      {"", {{"openinference.project.name", std::string("")}}, "default"},
      {"", {{"openinference.project.name", int64_t{5}}}, "default"},
      {"hdr", {{"openinference.project.name", std::string("res")}}, "hdr"},
      {"hdr", {}, "hdr"},
  };
  for (const Row& row : rows) {
    Span span;
    span.project = "stale";
    span.resource_attributes = row.resource;
    span.attributes = {{"openinference.project.name", std::string("span-level-ignored")}};
    ApplySemanticConventions(row.header, &span);
    EXPECT_EQ(span.project, row.expected) << row.header;
  }
}

TEST(ApplySemanticConventionsTest, MapsOpenInferenceAttributes) {
  const Span span = WithAttributes({
      {"openinference.span.kind", std::string("retriever")},
      {"session.id", std::string("s1")},
      {"user.id", int64_t{42}},
      {"llm.model_name", std::string("claude")},
      {"llm.provider", std::string("anthropic")},
      {"llm.token_count.prompt", int64_t{100}},
      {"llm.token_count.completion", 20.6},
      {"llm.token_count.total", std::string("125")},
      {"llm.cost.total", std::string("0.5")},
  });
  EXPECT_EQ(span.kind, SpanKind::kRetriever);
  EXPECT_EQ(span.session_id, "s1");
  EXPECT_EQ(span.user_id, "42");
  EXPECT_EQ(span.model_name, "claude");
  EXPECT_EQ(span.provider, "anthropic");
  EXPECT_EQ(span.prompt_tokens, 100);
  EXPECT_EQ(span.completion_tokens, 21);
  EXPECT_EQ(span.total_tokens, 125);
  EXPECT_EQ(span.cost_usd, 0.5);
}

TEST(ApplySemanticConventionsTest, MapsTokenTypeDetails) {
  const Span span = WithAttributes({
      {"llm.token_count.prompt_details.cache_read", int64_t{300}},
      {"llm.token_count.prompt_details.cache_write", std::string("40")},
      {"llm.token_count.prompt_details.audio", 12.4},
      {"llm.token_count.completion_details.reasoning", int64_t{77}},
      {"llm.token_count.completion_details.audio", int64_t{-5}},  // negative: 0
      {"llm.token_count.prompt_details.image", int64_t{9}},       // not a column: ignored
  });
  EXPECT_EQ(span.cache_read_tokens, 300);
  EXPECT_EQ(span.cache_write_tokens, 40);
  EXPECT_EQ(span.prompt_audio_tokens, 12);
  EXPECT_EQ(span.reasoning_tokens, 77);
  EXPECT_EQ(span.completion_audio_tokens, 0);
  const Span none = WithAttributes({{"llm.token_count.prompt", int64_t{5}}});
  EXPECT_EQ(none.cache_read_tokens + none.cache_write_tokens + none.prompt_audio_tokens +
                none.reasoning_tokens + none.completion_audio_tokens,
            0);
}

TEST(ApplySemanticConventionsTest, MapsGenAiAttributes) {
  const Span span = WithAttributes({
      {"gen_ai.operation.name", std::string("embeddings")},
      {"gen_ai.conversation.id", std::string("conv")},
      {"gen_ai.request.model", std::string("req-model")},
      {"gen_ai.response.model", std::string("resp-model")},
      {"gen_ai.system", std::string("old-system")},
      {"gen_ai.provider.name", std::string("new-provider")},
      {"gen_ai.usage.input_tokens", int64_t{7}},
      {"gen_ai.usage.output_tokens", int64_t{3}},
  });
  EXPECT_EQ(span.kind, SpanKind::kEmbedding);
  EXPECT_EQ(span.session_id, "conv");
  EXPECT_EQ(span.model_name, "resp-model");
  EXPECT_EQ(span.provider, "new-provider");
  EXPECT_EQ(span.prompt_tokens, 7);
  EXPECT_EQ(span.completion_tokens, 3);
  EXPECT_EQ(span.total_tokens, 10);
  EXPECT_FALSE(span.cost_usd.has_value());
}

TEST(ApplySemanticConventionsTest, OpenInferenceWinsOverGenAi) {
  const Span span = WithAttributes({
      {"gen_ai.operation.name", std::string("chat")},
      {"gen_ai.response.model", std::string("gen-model")},
      {"gen_ai.provider.name", std::string("gen-provider")},
      {"gen_ai.conversation.id", std::string("gen-session")},
      {"gen_ai.usage.input_tokens", int64_t{1}},
      {"gen_ai.usage.output_tokens", int64_t{2}},
      {"openinference.span.kind", std::string("TOOL")},
      {"llm.model_name", std::string("oi-model")},
      {"llm.system", std::string("oi-system")},
      {"session.id", std::string("oi-session")},
      {"llm.token_count.prompt", int64_t{10}},
      {"llm.token_count.completion", int64_t{20}},
  });
  EXPECT_EQ(span.kind, SpanKind::kTool);
  EXPECT_EQ(span.model_name, "oi-model");
  EXPECT_EQ(span.provider, "oi-system");
  EXPECT_EQ(span.session_id, "oi-session");
  EXPECT_EQ(span.prompt_tokens, 10);
  EXPECT_EQ(span.completion_tokens, 20);
  EXPECT_EQ(span.total_tokens, 30);
}

TEST(ApplySemanticConventionsTest, UnusableOpenInferenceValuesFallBackToGenAi) {
  const Span span = WithAttributes({
      {"openinference.span.kind", std::string("NOT_A_KIND")},
      {"llm.model_name", std::string("")},
      {"llm.token_count.prompt", std::string("many")},
      {"gen_ai.operation.name", std::string("invoke_agent")},
      {"gen_ai.request.model", std::string("m")},
      {"gen_ai.usage.input_tokens", int64_t{9}},
  });
  EXPECT_EQ(span.kind, SpanKind::kAgent);
  EXPECT_EQ(span.model_name, "m");
  EXPECT_EQ(span.prompt_tokens, 9);
}

TEST(ApplySemanticConventionsTest, GenAiOperationNamesMapToKinds) {
  const std::pair<const char*, SpanKind> rows[] = {
      {"chat", SpanKind::kLlm},
      {"text_completion", SpanKind::kLlm},
      {"generate_content", SpanKind::kLlm},
      {"embeddings", SpanKind::kEmbedding},
      {"execute_tool", SpanKind::kTool},
      {"invoke_agent", SpanKind::kAgent},
      {"create_agent", SpanKind::kAgent},
      {"something_else", SpanKind::kUnknown},
  };
  for (const auto& [op, kind] : rows) {
    EXPECT_EQ(WithAttributes({{"gen_ai.operation.name", std::string(op)}}).kind, kind) << op;
  }
}

TEST(ApplySemanticConventionsTest, ProviderFallsBackInOrder) {
  EXPECT_EQ(WithAttributes({{"llm.system", std::string("a")}, {"llm.provider", std::string("b")}})
                .provider,
            "b");
  EXPECT_EQ(WithAttributes({{"gen_ai.system", std::string("c")}, {"llm.system", std::string("a")}})
                .provider,
            "a");
  EXPECT_EQ(WithAttributes({{"gen_ai.system", std::string("c")}}).provider, "c");
}

TEST(ApplySemanticConventionsTest, CountsAcceptIntsDoublesAndNumericStrings) {
  struct Row {
    AttributeValue value;
    int64_t expected;
  };
  const Row rows[] = {
      {int64_t{5}, 5},       {4.5, 5},  {std::string("12"), 12}, {std::string("12.4"), 12},
      {std::string("x"), 0}, {true, 0}, {1e30, INT64_MAX},       {-3.0, -3},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(WithAttributes({{"llm.token_count.prompt", row.value}}).prompt_tokens, row.expected);
  }
}

TEST(ApplySemanticConventionsTest, TotalIsTheSumWhenAbsent) {
  const Span span = WithAttributes(
      {{"llm.token_count.prompt", int64_t{INT64_MAX}}, {"llm.token_count.completion", int64_t{1}}});
  EXPECT_EQ(span.total_tokens, INT64_MAX);  // saturates; ValidateSpan rejects it
  EXPECT_EQ(WithAttributes({}).total_tokens, 0);
}

TEST(ApplySemanticConventionsTest, FirstOfDuplicateKeysWins) {
  EXPECT_EQ(WithAttributes({{"llm.model_name", std::string("first")},
                            {"llm.model_name", std::string("second")}})
                .model_name,
            "first");
}

TEST(ApplySemanticConventionsTest, OverwritesStaleDerivedFields) {
  Span span;
  span.model_name = "stale";
  span.kind = SpanKind::kLlm;
  span.cost_usd = 3;
  span.total_tokens = 9;
  ApplySemanticConventions("", &span);
  EXPECT_EQ(span.model_name, "");
  EXPECT_EQ(span.kind, SpanKind::kUnknown);
  EXPECT_FALSE(span.cost_usd.has_value());
  EXPECT_EQ(span.total_tokens, 0);
}

}  // namespace
}  // namespace roost::ingest
