#include "query/cost_query.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "query/pricing.h"
#include "storage/span_store.h"
#include "tests/query/query_test_util.h"
#include "tests/storage/test_util.h"

namespace roost::query {
namespace {

using ::roost::test::CostMicrosOf;
using ::roost::test::IsError;
using ::roost::test::IsOk;

CostFigures Reference(const std::vector<const Span*>& spans, const PricingTable& table) {
  CostFigures f;
  int64_t nanos = 0;
  for (const Span* s : spans) {
    f.spans++;
    f.prompt_tokens += static_cast<uint64_t>(s->prompt_tokens);
    f.completion_tokens += static_cast<uint64_t>(s->completion_tokens);
    f.total_tokens += static_cast<uint64_t>(s->total_tokens);
    bool unpriced = false;
    nanos += test::ReferenceNanos(*s, table, &unpriced);
    f.unpriced_spans += unpriced ? 1 : 0;
  }
  f.cost_usd = static_cast<double>(nanos) / 1e9;
  return f;
}

void ExpectFigures(const CostFigures& got, const CostFigures& want) {
  EXPECT_EQ(got.spans, want.spans);
  EXPECT_EQ(got.prompt_tokens, want.prompt_tokens);
  EXPECT_EQ(got.completion_tokens, want.completion_tokens);
  EXPECT_EQ(got.total_tokens, want.total_tokens);
  EXPECT_EQ(got.cost_usd, want.cost_usd);
  EXPECT_EQ(got.unpriced_spans, want.unpriced_spans);
}

void ExpectBuckets(const std::vector<CostBucket>& got, const std::vector<const Span*>& spans,
                   int64_t step, const PricingTable& table) {
  if (step == 0) {
    EXPECT_TRUE(got.empty());
    return;
  }
  auto buckets = test::BucketSpans(spans, step);
  ASSERT_EQ(got.size(), buckets.size());
  size_t b = 0;
  for (const auto& [start, in_bucket] : buckets) {
    EXPECT_EQ(got[b].start_unix_nano, start);
    ExpectFigures(got[b].figures, Reference(in_bucket, table));
    ++b;
  }
}

void ExpectMatchesBruteForce(const std::vector<Span>& spans, const CostRequest& req,
                             const CostResult& got) {
  // The reference prices with the request's table, or the built-in one as RunCost does.
  const PricingTable& table = req.pricing != nullptr ? *req.pricing : BuiltInPricing();
  auto groups = test::GroupSpans(spans, req.filter, req.group_by, req.group_attribute);
  ASSERT_EQ(got.groups.size(), groups.size());
  std::vector<const Span*> all;
  size_t i = 0;
  for (const auto& [key, members] : groups) {
    const CostGroup& g = got.groups[i++];
    ASSERT_EQ(g.key, key);
    ExpectFigures(g.figures, Reference(members, table));
    ExpectBuckets(g.buckets, members, req.step_nanos, table);
    all.insert(all.end(), members.begin(), members.end());
  }
  ExpectFigures(got.total, Reference(all, table));
  ExpectBuckets(got.total_buckets, all, req.step_nanos, table);
}

class CostQueryTest : public ::roost::test::SpanStoreTest {
 protected:
  void SetUp() override {
    store_ = OpenStore(Options());
    ASSERT_NE(store_, nullptr);
  }
  void WriteCorpus() {
    spans_ = test::CorpusSpans();
    WriteResult w = WriteOk(*store_, spans_);
    ASSERT_TRUE(w.rejected.empty());
  }
  // Random filters, group-bys, steps and pricing (built-in, none at all, or a file pricing some
  // models with detail rates), each answer compared with the brute-force reference.
  void CheckRandomQueries(uint64_t seed, int rounds) {
    PricingTable empty;
    PricingTable custom;
    ASSERT_THAT(custom.MergeJson(R"({"models": {
        "/claude/": {"input_per_million_tokens": 3, "output_per_million_tokens": 15,
                     "cache_read_per_million_tokens": 0.3},
        "gpt-4o": {"input_per_million_tokens": 2.5, "output_per_million_tokens": 10,
                   "cache_read_per_million_tokens": 1.25, "reasoning_per_million_tokens": 12},
        "hand-model": {"input_per_million_tokens": 1, "output_per_million_tokens": 2,
                       "cache_write_per_million_tokens": 1.5,
                       "audio_input_per_million_tokens": 30,
                       "audio_output_per_million_tokens": 60}}})",
                                 "custom"),
                IsOk());
    const PricingTable* tables[] = {nullptr, &empty, &custom};
    std::mt19937_64 rng(seed);
    uint64_t matched = 0;
    uint64_t unpriced = 0;
    for (int round = 0; round < rounds; ++round) {
      CostRequest req;
      req.filter = test::RandomFilter(rng, spans_);
      req.group_by = test::RandomGroupBy(rng);
      if (req.group_by == GroupBy::kAttribute)
        req.group_attribute = test::RandomGroupAttribute(rng);
      req.step_nanos = test::RandomStep(rng);
      req.pricing = tables[rng() % 3];
      SCOPED_TRACE("round " + std::to_string(round));
      Result<CostResult> got = RunCost(*store_, req);
      ASSERT_THAT(got, IsOk());
      ExpectMatchesBruteForce(spans_, req, *got);
      matched += got->total.spans;
      unpriced += got->total.unpriced_spans;
    }
    EXPECT_GT(matched, spans_.size());
    EXPECT_GT(unpriced, 0u);
  }

  std::unique_ptr<SpanStore> store_;
  std::vector<Span> spans_;
};

TEST_F(CostQueryTest, MatchesBruteForceOnRandomQueries) {
  WriteCorpus();
  CheckRandomQueries(3, 80);
}

TEST_F(CostQueryTest, SameAnswersAfterFlush) {
  WriteCorpus();
  CheckRandomQueries(4, 30);
  ASSERT_THAT(store_->Flush(), IsOk());
  CheckRandomQueries(4, 30);
}

TEST_F(CostQueryTest, HandMadeSpansSumByModel) {
  WriteOk(*store_, test::HandMadeSpans());
  CostRequest req;
  req.group_by = GroupBy::kModel;
  Result<CostResult> got = RunCost(*store_, req);
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->groups.size(), 2u);
  EXPECT_EQ(got->groups[0].key, "hand-model");
  EXPECT_EQ(got->groups[1].key, std::nullopt);  // spans without a model, last
  // Project "default" holds i % 10 != 9 of i < 40: 36 spans; prompt tokens 10 * sum(i).
  EXPECT_EQ(got->total.spans, 36u);
  EXPECT_EQ(got->total.prompt_tokens, 10u * (780 - (9 + 19 + 29 + 39)));
  // Even i carry 0.000125 * i USD: 0.000125 * (0 + 2 + ... + 38) = 0.000125 * 380.
  EXPECT_DOUBLE_EQ(got->total.cost_usd, 0.0475);
}

// Six spans priced by hand: the cost attribute beats the table, token details go at their own
// rates, an unknown model is unpriced, and neither a span without a model nor a non-LLM span
// is priced or unpriced.
TEST_F(CostQueryTest, CostAttributeTableDetailsAndUnpricedByHand) {
  PricingTable pricing;
  ASSERT_THAT(pricing.MergeJson(R"({"models": {"gpt-4o": {"input_per_million_tokens": 2.5,
      "output_per_million_tokens": 10, "cache_read_per_million_tokens": 1.25,
      "reasoning_per_million_tokens": 12}}})",
                                "test"),
              IsOk());
  std::vector<Span> spans;
  auto add = [&](const std::string& model, SpanKind kind, std::optional<double> cost) -> Span& {
    const uint64_t n = spans.size() + 1;
    Span& s = spans.emplace_back(::roost::test::MakeSpan(n, n, test::kBaseTime + int64_t(n)));
    s.model_name = model;
    s.kind = kind;
    s.cost_usd = cost;
    s.prompt_tokens = 1000;
    s.completion_tokens = 100;
    s.total_tokens = 1100;
    s.cache_read_tokens = 200;
    s.reasoning_tokens = 40;
    return s;
  };
  add("gpt-4o", SpanKind::kLlm, 0.5);             // the attribute, not the table
  add("gpt-4o", SpanKind::kLlm, std::nullopt);    // computed
  add("mystery", SpanKind::kLlm, std::nullopt);   // unpriced
  add("mystery", SpanKind::kLlm, 0.25);           // carries a cost: not unpriced
  add("", SpanKind::kLlm, std::nullopt);          // no model: nothing
  add("gpt-4o", SpanKind::kChain, std::nullopt);  // not an LLM span: nothing
  WriteOk(*store_, spans);
  // 800 prompt tokens at input, 200 cached, 60 completion at output, 40 reasoning.
  const double computed = 800 * 2.5e-6 + 200 * 1.25e-6 + 60 * 10e-6 + 40 * 12e-6;
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "open blocks" : "sealed");
    CostRequest req;
    req.group_by = GroupBy::kModel;
    req.pricing = &pricing;
    Result<CostResult> got = RunCost(*store_, req);
    ASSERT_THAT(got, IsOk());
    ASSERT_EQ(got->groups.size(), 3u);
    EXPECT_EQ(got->groups[0].key, "gpt-4o");
    EXPECT_NEAR(got->groups[0].figures.cost_usd, 0.5 + computed, 1e-12);
    EXPECT_EQ(got->groups[0].figures.unpriced_spans, 0u);
    EXPECT_EQ(got->groups[1].key, "mystery");
    EXPECT_NEAR(got->groups[1].figures.cost_usd, 0.25, 1e-12);
    EXPECT_EQ(got->groups[1].figures.unpriced_spans, 1u);
    EXPECT_EQ(got->groups[2].figures.cost_usd, 0);
    EXPECT_EQ(got->groups[2].figures.spans, 1u);
    EXPECT_NEAR(got->total.cost_usd, 0.75 + computed, 1e-12);
    EXPECT_EQ(got->total.unpriced_spans, 1u);
    EXPECT_EQ(got->total.spans, 6u);
    ASSERT_THAT(store_->Flush(), IsOk());
  }
}

// LLM spans over six hours with random token counts of every type, a few carrying a cost, for
// models priced in whole nano-USD, in fractions of one, or not at all. So that some blocks are
// priced from rollups and some from rows: irregular spans only in hour 0, the sub-nano rates of
// gemini-2.0-flash-lite's cache reads used only in hour 4, and frac-model only in hour 5.
std::vector<Span> RandomTokenSpans(size_t n, uint64_t seed) {
  const char* models[] = {"gpt-4o",
                          "gpt-4o-mini",
                          "gemini-2.0-flash-lite",
                          "frac-model",
                          "claude-3-5-sonnet-20241022",
                          "unpriced-model",
                          ""};
  std::mt19937_64 rng(seed);
  std::vector<Span> spans;
  for (size_t i = 0; i < n; ++i) {
    const auto hour = static_cast<int64_t>(i % 6);
    const int64_t start =
        test::kBaseTime + hour * test::kHour + static_cast<int64_t>(rng() % test::kHour);
    Span s = ::roost::test::MakeSpan(970000 + i / 4, 970000 + i, start);
    s.kind = rng() % 8 == 0 ? SpanKind::kChain : SpanKind::kLlm;
    s.model_name = models[rng() % 7];
    if (s.model_name == "frac-model" && hour != 5) s.model_name = "gpt-4o";
    s.status_code = static_cast<StatusCode>(rng() % 3);
    s.prompt_tokens = static_cast<int64_t>(rng() % 9000);
    s.completion_tokens = static_cast<int64_t>(rng() % 2000);
    s.total_tokens = s.prompt_tokens + s.completion_tokens - (rng() % 4 == 0 ? 1 : 0);
    const int64_t p = s.prompt_tokens;
    const int64_t c = s.completion_tokens;
    if (rng() % 3 && (hour == 4 || s.model_name != "gemini-2.0-flash-lite")) {
      s.cache_read_tokens = p * static_cast<int64_t>(rng() % 60) / 100;
    }
    if (rng() % 6 == 0) s.cache_write_tokens = p * static_cast<int64_t>(rng() % 20) / 100;
    if (rng() % 9 == 0) s.prompt_audio_tokens = p * static_cast<int64_t>(rng() % 20) / 100;
    if (rng() % 4 == 0) s.reasoning_tokens = c * static_cast<int64_t>(rng() % 80) / 100;
    if (rng() % 9 == 0) s.completion_audio_tokens = c * static_cast<int64_t>(rng() % 20) / 100;
    if (hour == 0 && rng() % 10 == 0) s.total_tokens += 25;  // irregular
    if (hour == 0 && rng() % 10 == 0) s.reasoning_tokens = c + 1;
    if (rng() % 20 == 0) s.cost_usd = static_cast<double>(rng() % 100000) / 1e6;
    spans.push_back(std::move(s));
  }
  return spans;
}

// Sealed blocks are priced from their rollup cells where the sums give the row path's costs
// exactly; the answers must equal the per-span reference to the last bit, open or sealed.
TEST_F(CostQueryTest, RollupCellsGiveTheRowPathsCostsExactly) {
  PricingTable custom = PricingTable::BuiltIn();
  ASSERT_THAT(custom.MergeJson(R"({"models": {
      "frac-model": {"input_per_million_tokens": 0.3333, "output_per_million_tokens": 1.25,
                     "reasoning_per_million_tokens": 2.0005}}})",
                               "custom"),
              IsOk());
  spans_ = RandomTokenSpans(6000, 31);
  WriteOk(*store_, spans_);
  std::vector<CostResult> answers[2];
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "open blocks" : "sealed");
    for (int q = 0; q < 8; ++q) {
      CostRequest req;
      req.group_by = q % 2 == 0 ? GroupBy::kModel : GroupBy::kKind;
      req.step_nanos = (q / 2) % 2 == 0 ? 0 : test::kHour;
      req.pricing = q < 4 ? &custom : nullptr;
      Result<CostResult> got = RunCost(*store_, req);
      ASSERT_THAT(got, IsOk());
      ExpectMatchesBruteForce(spans_, req, *got);
      answers[pass].push_back(std::move(*got));
    }
    ASSERT_THAT(store_->Flush(), IsOk());
  }
  for (size_t q = 0; q < answers[0].size(); ++q) {
    EXPECT_EQ(answers[0][q].total.cost_usd, answers[1][q].total.cost_usd) << "query " << q;
  }
}

TEST_F(CostQueryTest, NoneGroupingGivesOneEmptyGroupWhenNothingMatches) {
  Result<CostResult> got = RunCost(*store_, CostRequest{});
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->groups.size(), 1u);
  EXPECT_EQ(got->groups[0].key, std::nullopt);
  EXPECT_EQ(got->groups[0].figures.spans, 0u);
  EXPECT_EQ(got->total.spans, 0u);
}

TEST_F(CostQueryTest, RejectsNegativeStep) {
  CostRequest req;
  req.step_nanos = -test::kHour;
  EXPECT_THAT(RunCost(*store_, req), IsError(Status::Code::kInvalidArgument, "step"));
}

}  // namespace
}  // namespace roost::query
