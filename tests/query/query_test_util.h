#pragma once

// Shared by the query tests: a store filled with generated traffic plus hand-made edge cases,
// random query parameters, and brute-force references computed from the spans themselves.

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "query/internal/span_matcher.h"
#include "query/pricing.h"
#include "query/query_types.h"
#include "storage/span.h"
#include "tests/storage/test_util.h"
#include "tools/workload/span_generator.h"

namespace roost::query::test {

using ::roost::test::kBaseTime;
using ::roost::test::kHour;
using ::roost::test::kSecond;

inline constexpr int64_t kMinute = 60 * kSecond;
inline constexpr int64_t kDay = 24 * kHour;

// Edge cases the generator does not make: no model, no session, empty name, zero durations,
// ties, a cost, another project, a start on a bucket boundary.
inline std::vector<Span> HandMadeSpans() {
  std::vector<Span> spans;
  const int64_t day_start = kBaseTime / kDay * kDay;
  for (uint64_t i = 0; i < 40; ++i) {
    Span s = ::roost::test::MakeSpan(900000 + i / 4, 900000 + i, day_start + int64_t(i) * kMinute);
    s.end_unix_nano = s.start_unix_nano + int64_t(i % 5) * 1'000'000;  // ties, zero
    s.name = i % 7 == 0 ? "" : "handmade";
    s.kind = static_cast<SpanKind>(i % kSpanKindCount);
    s.status_code = static_cast<StatusCode>(i % 3);
    if (i % 3 == 0) s.model_name = "hand-model";
    if (i % 4 == 0) s.session_id = "hand-session-" + std::to_string(i % 8);
    s.prompt_tokens = int64_t(i) * 10;
    s.completion_tokens = int64_t(i);
    s.total_tokens = s.prompt_tokens + s.completion_tokens;
    if (i % 2 == 0) s.cost_usd = 0.000125 * double(i);
    if (i % 10 == 9) s.project = "other";
    spans.push_back(std::move(s));
  }
  return spans;
}

// LLM spans without a cost that carry every token-type detail (the generator only makes
// cache reads), some with a total above prompt + completion; one model is priced nowhere.
inline std::vector<Span> DetailSpans() {
  const char* models[] = {"hand-model", "gpt-4o", "claude-3-5-sonnet-20241022", "unpriced-model"};
  std::vector<Span> spans;
  for (uint64_t i = 0; i < 60; ++i) {
    Span s = ::roost::test::MakeSpan(950000 + i / 3, 950000 + i, kBaseTime - int64_t(i) * kMinute);
    s.name = "ChatCompletion";
    s.kind = SpanKind::kLlm;
    s.model_name = models[i % 4];
    s.prompt_tokens = 1000 + int64_t(i) * 7;
    s.completion_tokens = 200 + int64_t(i);
    s.total_tokens = s.prompt_tokens + s.completion_tokens + (i % 5 == 0 ? 50 : 0);
    s.cache_read_tokens = int64_t(i) * 3;
    s.cache_write_tokens = int64_t(i) * 2;
    s.prompt_audio_tokens = int64_t(i % 7);
    s.reasoning_tokens = int64_t(i % 9) * 10;
    s.completion_audio_tokens = int64_t(i % 4);
    spans.push_back(std::move(s));
  }
  return spans;
}

// 20000 generated spans over the two days before kBaseTime, then HandMadeSpans() and
// DetailSpans().
inline std::vector<Span> CorpusSpans() {
  workload::GeneratorOptions o;
  o.end_unix_nano = kBaseTime;
  o.days = 2;
  o.total_spans = 20000;
  workload::SpanGenerator gen(o);
  std::vector<Span> spans;
  while (gen.Next(1000, &spans) > 0) {
  }
  for (Span& s : HandMadeSpans()) spans.push_back(std::move(s));
  for (Span& s : DetailSpans()) spans.push_back(std::move(s));
  return spans;
}

// Random filter, with values drawn from what `spans` hold plus a few never stored.
inline QueryFilter RandomFilter(std::mt19937_64& rng, const std::vector<Span>& spans) {
  auto pick = [&]() -> const Span& { return spans[rng() % spans.size()]; };
  QueryFilter f;
  if (rng() % 5 == 0) f.project = rng() % 2 ? "other" : "nowhere";
  if (rng() % 2) {
    f.from = pick().start_unix_nano;
    f.to = rng() % 4 == 0 ? f.from - kHour : pick().start_unix_nano;
    if (rng() % 3 == 0) f.to = std::numeric_limits<int64_t>::max();
  }
  if (rng() % 3 == 0) f.kind = pick().kind;
  if (rng() % 4 == 0) f.name = rng() % 5 ? pick().name : "no-such-name";
  if (rng() % 4 == 0) f.model = rng() % 5 ? pick().model_name : "no-such-model";
  if (rng() % 4 == 0) f.status = static_cast<StatusCode>(rng() % 3);
  if (rng() % 8 == 0) {
    const char* keys[] = {"agent.name", "llm.provider", "user.id", "no.such.key"};
    const Span& s = pick();
    const char* key = keys[rng() % 4];
    const AttributeValue* v = FindAttribute(s.attributes, key);
    std::optional<std::string> text = v ? AttributeText(*v) : std::nullopt;
    f.attributes.emplace_back(key, text ? *text : "absent-value");
  }
  if (rng() % 10 == 0) f.all_projects = true;
  return f;
}

// The attribute keys random attribute groupings use.
inline std::string RandomGroupAttribute(std::mt19937_64& rng) {
  const char* keys[] = {"agent.name", "llm.provider", "user.id", "no.such.key"};
  return keys[rng() % 4];
}

inline GroupBy RandomGroupBy(std::mt19937_64& rng) { return static_cast<GroupBy>(rng() % 7); }

inline int64_t RandomStep(std::mt19937_64& rng) {
  const int64_t steps[] = {0, kMinute, 5 * kMinute, kHour, kDay, 37 * kSecond + 123};
  return steps[rng() % 6];
}

// The text of a span's attribute: string values as they are (what the generator writes); other
// types as the engine's AttributeText documents.
inline std::optional<std::string> AttributeOf(const Span& s, const std::string& key) {
  const AttributeValue* v = FindAttribute(s.attributes, key);
  if (v == nullptr) return std::nullopt;
  if (const auto* text = std::get_if<std::string>(v)) return *text;
  return AttributeText(*v);
}

inline bool Matches(const QueryFilter& f, const Span& s) {
  for (const auto& [key, value] : f.attributes) {
    if (AttributeOf(s, key) != value) return false;  // the corpus holds string attributes only
  }
  return (f.all_projects || s.project == f.project) && s.start_unix_nano >= f.from &&
         s.start_unix_nano < f.to && (!f.kind || s.kind == *f.kind) &&
         (!f.name || s.name == *f.name) && (!f.model || s.model_name == *f.model) &&
         (!f.status || s.status_code == *f.status);
}

// The key a span's group shows, computed from the span itself.
inline std::optional<std::string> KeyOf(GroupBy g, const Span& s, const std::string& attr = "") {
  auto non_empty = [](const std::string& v) {
    return v.empty() ? std::nullopt : std::optional<std::string>(v);
  };
  switch (g) {
    case GroupBy::kNone:
      return std::nullopt;
    case GroupBy::kModel:
      return non_empty(s.model_name);
    case GroupBy::kName:
      return non_empty(s.name);
    case GroupBy::kKind:
      return std::string(SpanKindName(s.kind));
    case GroupBy::kSession:
      return non_empty(s.session_id);
    case GroupBy::kProject:
      return s.project;
    case GroupBy::kAttribute:
      return AttributeOf(s, attr);
  }
  return std::nullopt;
}

// A span's cost in nano-USD as the issue defines it, straight from the span's own fields:
// `llm.cost.total`, else for an LLM span naming a priced model its tokens at the model's rates.
// Sets *unpriced for an LLM span naming a model without a price and carrying no cost.
inline int64_t ReferenceNanos(const Span& s, const PricingTable& table, bool* unpriced) {
  *unpriced = false;
  if (s.cost_usd) return ::roost::test::CostMicrosOf(s) * 1000;
  if (s.kind != SpanKind::kLlm || s.model_name.empty()) return 0;
  const PriceEntry* e = table.Resolve(s.model_name);
  if (e == nullptr) {
    *unpriced = true;
    return 0;
  }
  const SpanTokens t{uint64_t(s.prompt_tokens),      uint64_t(s.completion_tokens),
                     uint64_t(s.total_tokens),       uint64_t(s.cache_read_tokens),
                     uint64_t(s.cache_write_tokens), uint64_t(s.prompt_audio_tokens),
                     uint64_t(s.reasoning_tokens),   uint64_t(s.completion_audio_tokens)};
  return std::llround(SpanCostUsd(e->rates, t) * 1e9);
}

// Orders keys like the engine: by string, null last.
struct NullLast {
  bool operator()(const std::optional<std::string>& a, const std::optional<std::string>& b) const {
    if (!a || !b) return a.has_value() && !b.has_value();
    return *a < *b;
  }
};

// Matching spans by group key (sorted like the engine's groups); kNone always has its group.
inline std::map<std::optional<std::string>, std::vector<const Span*>, NullLast> GroupSpans(
    const std::vector<Span>& spans, const QueryFilter& f, GroupBy g, const std::string& attr = "") {
  std::map<std::optional<std::string>, std::vector<const Span*>, NullLast> out;
  if (g == GroupBy::kNone) out[std::nullopt];
  for (const Span& s : spans) {
    if (Matches(f, s)) out[KeyOf(g, s, attr)].push_back(&s);
  }
  return out;
}

inline int64_t FloorToStep(int64_t t, int64_t step) {
  int64_t b = t / step * step;
  return b > t ? b - step : b;
}

// The spans of a group per bucket start.
inline std::map<int64_t, std::vector<const Span*>> BucketSpans(const std::vector<const Span*>& g,
                                                               int64_t step) {
  std::map<int64_t, std::vector<const Span*>> out;
  for (const Span* s : g) out[FloorToStep(s->start_unix_nano, step)].push_back(s);
  return out;
}

}  // namespace roost::query::test
