#include "tools/workload/span_generator.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span.h"

namespace roost::workload {
namespace {

using ::testing::AllOf;
using ::testing::Ge;
using ::testing::Le;

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kNanosPerHour = 3600 * kNanosPerSecond;
constexpr int64_t kNanosPerDay = 24 * kNanosPerHour;
constexpr int64_t kEnd = 1'730'000'000 * kNanosPerSecond;  // 2024-10-27
constexpr uint64_t kSampleSpans = 20'000;

MATCHER(IsOk, "is OK") {
  *result_listener << arg.ToString();
  return arg.ok();
}

GeneratorOptions Options(uint64_t total_spans, uint64_t seed = 7) {
  GeneratorOptions options;
  options.seed = seed;
  options.end_unix_nano = kEnd;
  options.days = 1.0;
  options.project = "acme";
  options.total_spans = total_spans;
  return options;
}

// Drains a bounded generator in batches of `batch`.
std::vector<Span> Generate(const GeneratorOptions& options, size_t batch = 1000) {
  SpanGenerator generator(options);
  std::vector<Span> spans;
  for (uint64_t i = 0; i <= options.total_spans; ++i) {
    if (generator.Next(batch, &spans) == 0) {
      break;
    }
  }
  return spans;
}

std::string_view StringAttr(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  const auto* s = v == nullptr ? nullptr : std::get_if<std::string>(v);
  return s == nullptr ? std::string_view() : std::string_view(*s);
}

std::optional<int64_t> IntAttr(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  const auto* i = v == nullptr ? nullptr : std::get_if<int64_t>(v);
  return i == nullptr ? std::nullopt : std::optional<int64_t>(*i);
}

size_t AttributeBytes(const Attributes& attributes) {
  size_t bytes = 0;
  for (const Attribute& a : attributes) {
    const auto* s = std::get_if<std::string>(&a.value);
    bytes += a.key.size() + (s != nullptr ? s->size() : 8);
  }
  return bytes;
}

// Roughly what the span costs to store uncompressed: fixed fields, strings and attributes.
size_t ApproxSpanBytes(const Span& span) {
  size_t bytes = 16 + 8 + 8 + 2 * 8 + 3 * 8;  // ids, times, token counts
  for (const std::string* s :
       {&span.name, &span.status_message, &span.project, &span.session_id, &span.user_id,
        &span.model_name, &span.provider, &span.scope.name, &span.scope.version}) {
    bytes += s->size();
  }
  bytes += AttributeBytes(span.attributes) + AttributeBytes(span.resource_attributes);
  for (const SpanEvent& e : span.events) {
    bytes += e.name.size() + 8 + AttributeBytes(e.attributes);
  }
  return bytes;
}

double Quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(q * static_cast<double>(values.size() - 1))];
}

std::vector<const Span*> OfKind(const std::vector<Span>& spans, SpanKind kind) {
  std::vector<const Span*> out;
  for (const Span& s : spans) {
    if (s.kind == kind) {
      out.push_back(&s);
    }
  }
  return out;
}

class SpanGeneratorTest : public ::testing::Test {
 protected:
  // 20k spans shared by the statistical tests.
  static const std::vector<Span>& Sample() {
    static const std::vector<Span> sample = Generate(Options(kSampleSpans));
    return sample;
  }
};

TEST_F(SpanGeneratorTest, EverySpanPassesValidateSpan) {
  ASSERT_EQ(Sample().size(), kSampleSpans);
  for (const Span& span : Sample()) {
    ASSERT_THAT(ValidateSpan(span), IsOk());
  }
}

TEST_F(SpanGeneratorTest, SameOptionsGiveIdenticalSpans) {
  const std::vector<Span> a = Generate(Options(5000));
  const std::vector<Span> b = Generate(Options(5000));
  ASSERT_EQ(a.size(), 5000u);
  EXPECT_TRUE(a == b);
}

TEST_F(SpanGeneratorTest, DifferentSeedGivesDifferentSpans) {
  const std::vector<Span> a = Generate(Options(2000, 1));
  const std::vector<Span> b = Generate(Options(2000, 2));
  ASSERT_EQ(a.size(), b.size());
  size_t same_start = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NE(a[i].span_id, b[i].span_id);
    same_start += a[i].start_unix_nano == b[i].start_unix_nano;
  }
  EXPECT_LT(same_start, a.size() / 100);
}

TEST_F(SpanGeneratorTest, IdSaltChangesIdsButNotTheTraffic) {
  GeneratorOptions salted = Options(3000);
  salted.id_salt = 42;
  const std::vector<Span> a = Generate(Options(3000));
  std::vector<Span> b = Generate(salted);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NE(a[i].trace_id, b[i].trace_id);
    EXPECT_NE(a[i].span_id, b[i].span_id);
    b[i].trace_id = a[i].trace_id;
    b[i].span_id = a[i].span_id;
    b[i].parent_span_id = a[i].parent_span_id;
    ASSERT_TRUE(a[i] == b[i]) << "span " << i;
  }
}

TEST_F(SpanGeneratorTest, BatchSizeDoesNotChangeTheSpans) {
  const std::vector<Span> one_at_a_time = Generate(Options(3000), 1);
  const std::vector<Span> batched = Generate(Options(3000), 777);
  EXPECT_TRUE(one_at_a_time == batched);
}

TEST_F(SpanGeneratorTest, ProducesExactlyTotalSpans) {
  SpanGenerator generator(Options(12345));
  std::vector<Span> spans;
  for (int i = 0; i < 100 && generator.Next(1000, &spans) > 0; ++i) {
  }
  EXPECT_EQ(spans.size(), 12345u);
  EXPECT_EQ(generator.generated(), 12345u);
  EXPECT_EQ(generator.Next(1000, &spans), 0u);
  EXPECT_EQ(spans.size(), 12345u);
}

TEST_F(SpanGeneratorTest, BatchesStartWithATraceRoot) {
  SpanGenerator generator(Options(5000));
  std::vector<Span> batch;
  for (int i = 0; i < 1000; ++i) {
    batch.clear();
    const size_t n = generator.Next(50, &batch);
    if (n == 0) {
      break;
    }
    ASSERT_EQ(batch.size(), n);
    ASSERT_LE(n, 50u);
    EXPECT_FALSE(batch.front().parent_span_id.has_value()) << "batch " << i;
  }
  EXPECT_EQ(generator.generated(), 5000u);
}

TEST_F(SpanGeneratorTest, UnboundedGeneratorKeepsGoing) {
  SpanGenerator generator(Options(0));
  std::vector<Span> spans;
  for (int i = 0; i < 5; ++i) {
    const size_t n = generator.Next(1000, &spans);
    EXPECT_THAT(n, AllOf(Ge(990u), Le(1000u)));
  }
  EXPECT_EQ(generator.generated(), spans.size());
}

TEST_F(SpanGeneratorTest, ChildrenHangOffTheRootOfTheirTrace) {
  std::map<TraceId, const Span*> roots;
  TraceId current;
  for (const Span& span : Sample()) {
    if (!span.parent_span_id) {
      ASSERT_TRUE(roots.emplace(span.trace_id, &span).second) << "two roots in a trace";
      current = span.trace_id;
      continue;
    }
    ASSERT_EQ(span.trace_id, current) << "traces are contiguous, root first";
    const Span& root = *roots.at(span.trace_id);
    EXPECT_EQ(*span.parent_span_id, root.span_id);
    EXPECT_GE(span.start_unix_nano, root.start_unix_nano);
    EXPECT_LE(span.end_unix_nano, root.end_unix_nano);
    EXPECT_EQ(span.session_id, root.session_id);
  }
}

TEST_F(SpanGeneratorTest, ChildrenRunOneAfterAnother) {
  const Span* previous = nullptr;
  for (const Span& span : Sample()) {
    if (previous != nullptr && span.parent_span_id && previous->parent_span_id) {
      EXPECT_GE(span.start_unix_nano, previous->end_unix_nano);
    }
    previous = &span;
  }
}

TEST_F(SpanGeneratorTest, SpanIdsAreUnique) {
  std::set<SpanId> ids;
  for (const Span& span : Sample()) {
    EXPECT_TRUE(ids.insert(span.span_id).second);
  }
}

TEST_F(SpanGeneratorTest, KindsAndNamesFollowOpenInference) {
  const std::set<std::string> tools = {"search_docs", "web_search",  "fetch_url",   "create_ticket",
                                       "run_sql",     "list_tables", "get_weather", "book_flight"};
  for (const Span& span : Sample()) {
    EXPECT_EQ(StringAttr(span, "openinference.span.kind"), SpanKindName(span.kind));
    EXPECT_EQ(span.project, "acme");
    if (!span.parent_span_id) {
      EXPECT_EQ(span.kind, SpanKind::kChain);
      EXPECT_EQ(span.name, "conversation");
      EXPECT_FALSE(StringAttr(span, "agent.name").empty());
    } else if (span.kind == SpanKind::kLlm) {
      EXPECT_EQ(span.name, "ChatCompletion");
    } else {
      ASSERT_EQ(span.kind, SpanKind::kTool);
      EXPECT_TRUE(tools.contains(span.name)) << span.name;
      EXPECT_EQ(StringAttr(span, "tool.name"), span.name);
      EXPECT_EQ(StringAttr(span, "tool.parameters").front(), '{');
    }
  }
}

TEST_F(SpanGeneratorTest, TracesHoldOneToFourLlmCallsAndUpToTwoTools) {
  std::map<TraceId, std::pair<int, int>> counts;  // LLM, TOOL
  for (const Span& span : Sample()) {
    auto& [llm, tool] = counts[span.trace_id];
    llm += span.kind == SpanKind::kLlm;
    tool += span.kind == SpanKind::kTool;
  }
  counts.erase(Sample().back().trace_id);  // may be cut
  std::set<int> llm_counts;
  for (const auto& [id, c] : counts) {
    EXPECT_THAT(c.first, AllOf(Ge(1), Le(4)));
    EXPECT_THAT(c.second, AllOf(Ge(0), Le(2)));
    llm_counts.insert(c.first);
  }
  EXPECT_EQ(llm_counts.size(), 4u);
}

TEST_F(SpanGeneratorTest, StartTimesFillThePeriod) {
  const int64_t period_start = kEnd - kNanosPerDay;
  int64_t first = kEnd;
  int64_t last = 0;
  for (const Span& span : Sample()) {
    EXPECT_GE(span.start_unix_nano, period_start);
    EXPECT_LE(span.end_unix_nano, kEnd + 6 * kNanosPerHour);
    first = std::min(first, span.start_unix_nano);
    last = std::max(last, span.start_unix_nano);
  }
  EXPECT_LT(first, period_start + kNanosPerHour);
  EXPECT_GT(last, kEnd - 3 * kNanosPerHour);
}

TEST_F(SpanGeneratorTest, SessionsComeInOrderOfStart) {
  std::set<std::string> seen;
  int64_t previous_start = 0;
  for (const Span& span : Sample()) {
    if (!seen.insert(span.session_id).second) {
      continue;
    }
    EXPECT_GE(span.start_unix_nano, previous_start);
    previous_start = span.start_unix_nano;
  }
}

TEST_F(SpanGeneratorTest, LlmLatencyIsLognormalAroundTwoSeconds) {
  std::vector<double> seconds;
  for (const Span* span : OfKind(Sample(), SpanKind::kLlm)) {
    seconds.push_back(static_cast<double>(span->duration_nanos()) / kNanosPerSecond);
  }
  ASSERT_GT(seconds.size(), 5000u);
  EXPECT_THAT(Quantile(seconds, 0.5), AllOf(Ge(1.6), Le(2.5)));
  EXPECT_THAT(Quantile(seconds, 0.05), AllOf(Ge(0.7), Le(1.4)));
  EXPECT_THAT(Quantile(seconds, 0.95), AllOf(Ge(3.0), Le(6.0)));
  EXPECT_GE(Quantile(seconds, 0.0), 0.3);
  EXPECT_LE(Quantile(seconds, 1.0), 20.0);
}

TEST_F(SpanGeneratorTest, ToolLatencyIsFiftyToEightHundredMillis) {
  for (const Span* span : OfKind(Sample(), SpanKind::kTool)) {
    EXPECT_THAT(span->duration_nanos(), AllOf(Ge(50'000'000), Le(800'000'000)));
  }
}

TEST_F(SpanGeneratorTest, TokenCountsStayInRangeAndMirrorAttributes) {
  for (const Span* span : OfKind(Sample(), SpanKind::kLlm)) {
    EXPECT_THAT(span->prompt_tokens, AllOf(Ge(300), Le(4000)));
    if (span->status_code == StatusCode::kOk) {
      EXPECT_THAT(span->completion_tokens, AllOf(Ge(20), Le(800)));
    }
    EXPECT_EQ(span->total_tokens, span->prompt_tokens + span->completion_tokens);
    EXPECT_EQ(IntAttr(*span, "llm.token_count.prompt"), span->prompt_tokens);
    EXPECT_EQ(IntAttr(*span, "llm.token_count.completion"), span->completion_tokens);
    EXPECT_EQ(IntAttr(*span, "llm.token_count.total"), span->total_tokens);
    EXPECT_LE(IntAttr(*span, "llm.token_count.prompt_details.cache_read").value_or(0),
              span->prompt_tokens);
  }
}

TEST_F(SpanGeneratorTest, SomeLlmSpansReportCacheReads) {
  const std::vector<const Span*> llm = OfKind(Sample(), SpanKind::kLlm);
  const auto cached = std::count_if(llm.begin(), llm.end(), [](const Span* s) {
    return IntAttr(*s, "llm.token_count.prompt_details.cache_read").has_value();
  });
  EXPECT_GT(cached, static_cast<std::ptrdiff_t>(llm.size() / 20));
  EXPECT_LT(cached, static_cast<std::ptrdiff_t>(llm.size() / 2));
}

TEST_F(SpanGeneratorTest, AboutTenPercentOfLlmSpansCarryACost) {
  const std::vector<const Span*> llm = OfKind(Sample(), SpanKind::kLlm);
  size_t with_cost = 0;
  for (const Span* span : llm) {
    const AttributeValue* cost = FindAttribute(span->attributes, "llm.cost.total");
    ASSERT_EQ(cost != nullptr, span->cost_usd.has_value());
    if (cost == nullptr) {
      continue;
    }
    ++with_cost;
    EXPECT_EQ(std::get<double>(*cost), *span->cost_usd);
    EXPECT_GT(*span->cost_usd, 0.0);
  }
  EXPECT_THAT(static_cast<double>(with_cost) / static_cast<double>(llm.size()),
              AllOf(Ge(0.05), Le(0.15)));
}

TEST_F(SpanGeneratorTest, AboutTwoPercentOfLlmAndToolSpansFail) {
  size_t calls = 0;
  size_t errors = 0;
  for (const Span& span : Sample()) {
    if (span.kind == SpanKind::kChain) {
      EXPECT_EQ(span.status_code, StatusCode::kOk);
      continue;
    }
    ++calls;
    if (span.status_code == StatusCode::kOk) {
      EXPECT_TRUE(span.events.empty());
      continue;
    }
    ++errors;
    ASSERT_EQ(span.status_code, StatusCode::kError);
    EXPECT_FALSE(span.status_message.empty());
    ASSERT_EQ(span.events.size(), 1u);
    EXPECT_EQ(span.events[0].name, "exception");
    EXPECT_NE(FindAttribute(span.events[0].attributes, "exception.type"), nullptr);
    EXPECT_NE(FindAttribute(span.events[0].attributes, "exception.message"), nullptr);
  }
  EXPECT_THAT(static_cast<double>(errors) / static_cast<double>(calls), AllOf(Ge(0.01), Le(0.035)));
}

TEST_F(SpanGeneratorTest, SixModelsAppearWithTheirProviders) {
  const std::map<std::string, std::string> providers = {{"gpt-4o", "openai"},
                                                        {"gpt-4o-mini", "openai"},
                                                        {"claude-3-5-sonnet-20241022", "anthropic"},
                                                        {"claude-3-5-haiku-20241022", "anthropic"},
                                                        {"gemini-1.5-pro", "google"},
                                                        {"mistral-large-latest", "mistralai"}};
  std::map<std::string, int> calls;
  for (const Span* span : OfKind(Sample(), SpanKind::kLlm)) {
    ++calls[span->model_name];
    ASSERT_TRUE(providers.contains(span->model_name)) << span->model_name;
    EXPECT_EQ(span->provider, providers.at(span->model_name));
    EXPECT_EQ(StringAttr(*span, "llm.model_name"), span->model_name);
    EXPECT_EQ(StringAttr(*span, "llm.provider"), span->provider);
    EXPECT_FALSE(StringAttr(*span, "llm.system").empty());
    EXPECT_EQ(StringAttr(*span, "llm.invocation_parameters").front(), '{');
  }
  EXPECT_EQ(calls.size(), 6u);
  EXPECT_GT(calls["gpt-4o-mini"], 3 * calls["mistral-large-latest"]);
}

TEST_F(SpanGeneratorTest, SessionsAverageAboutTwentyTurns) {
  std::map<std::string, int> turns;
  for (const Span& span : Sample()) {
    if (!span.parent_span_id) {
      ++turns[span.session_id];
    }
  }
  turns.erase(Sample().back().session_id);  // may be cut
  ASSERT_GT(turns.size(), 100u);
  double sum = 0;
  for (const auto& [id, n] : turns) {
    EXPECT_THAT(n, AllOf(Ge(5), Le(40))) << id;
    sum += n;
  }
  EXPECT_THAT(sum / static_cast<double>(turns.size()), AllOf(Ge(10.0), Le(30.0)));
}

TEST_F(SpanGeneratorTest, SpansAreSixHundredToTwelveHundredBytesOnAverage) {
  size_t bytes = 0;
  for (const Span& span : Sample()) {
    bytes += ApproxSpanBytes(span);
  }
  EXPECT_THAT(static_cast<double>(bytes) / static_cast<double>(Sample().size()),
              AllOf(Ge(600.0), Le(1200.0)));
}

TEST_F(SpanGeneratorTest, SpansCarryOpenInferenceSessionAndTextAttributes) {
  for (const Span& span : Sample()) {
    ASSERT_TRUE(span.session_id.starts_with("sess-"));
    EXPECT_FALSE(span.user_id.empty());
    EXPECT_EQ(StringAttr(span, "session.id"), span.session_id);
    EXPECT_EQ(StringAttr(span, "user.id"), span.user_id);
    EXPECT_GT(StringAttr(span, "input.value").size(), 20u);
    if (span.kind == SpanKind::kLlm) {
      EXPECT_EQ(StringAttr(span, "llm.input_messages.0.message.role"), "user");
      EXPECT_EQ(StringAttr(span, "llm.input_messages.0.message.content"),
                StringAttr(span, "input.value"));
    }
    if (span.status_code == StatusCode::kOk) {
      EXPECT_GT(StringAttr(span, "output.value").size(), 20u);
    }
    if (span.kind == SpanKind::kLlm && span.status_code == StatusCode::kOk) {
      EXPECT_EQ(StringAttr(span, "llm.output_messages.0.message.role"), "assistant");
    }
  }
}

TEST_F(SpanGeneratorTest, ResourceAndScopeNameTheProjectAndInstrumentation) {
  for (const Span& span : Sample()) {
    const Attributes& r = span.resource_attributes;
    ASSERT_NE(FindAttribute(r, "service.name"), nullptr);
    EXPECT_EQ(std::get<std::string>(*FindAttribute(r, "openinference.project.name")), "acme");
    EXPECT_EQ(std::get<std::string>(*FindAttribute(r, "telemetry.sdk.language")), "python");
    EXPECT_EQ(std::get<std::string>(*FindAttribute(r, "telemetry.sdk.name")), "opentelemetry");
    EXPECT_EQ(span.scope.name, "openinference.instrumentation.openai");
    EXPECT_TRUE(span.scope.version.starts_with("0.1."));
  }
}

TEST_F(SpanGeneratorTest, ValidateGeneratorOptionsAcceptsAPeriodEndingNow) {
  EXPECT_THAT(ValidateGeneratorOptions(Options(0)), IsOk());
}

TEST_F(SpanGeneratorTest, ValidateGeneratorOptionsRejectsAnUnsetEnd) {
  GeneratorOptions options = Options(0);
  options.end_unix_nano = 0;
  EXPECT_TRUE(ValidateGeneratorOptions(options).IsInvalidArgument());
}

TEST_F(SpanGeneratorTest, ValidateGeneratorOptionsRejectsBadDays) {
  for (double days : {0.0, -1.0, 1e9, std::numeric_limits<double>::quiet_NaN()}) {
    GeneratorOptions options = Options(0);
    options.days = days;
    EXPECT_TRUE(ValidateGeneratorOptions(options).IsInvalidArgument()) << days;
  }
}

TEST_F(SpanGeneratorTest, ValidateGeneratorOptionsRejectsAnEmptyProject) {
  GeneratorOptions options = Options(0);
  options.project.clear();
  EXPECT_TRUE(ValidateGeneratorOptions(options).IsInvalidArgument());
}

}  // namespace
}  // namespace roost::workload
