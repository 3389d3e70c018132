#include "query/cost_query.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span_store.h"
#include "tests/query/query_test_util.h"
#include "tests/storage/test_util.h"

namespace roost::query {
namespace {

using ::roost::test::CostMicrosOf;
using ::roost::test::IsError;
using ::roost::test::IsOk;

CostFigures Reference(const std::vector<const Span*>& spans) {
  CostFigures f;
  int64_t micros = 0;
  for (const Span* s : spans) {
    f.spans++;
    f.prompt_tokens += static_cast<uint64_t>(s->prompt_tokens);
    f.completion_tokens += static_cast<uint64_t>(s->completion_tokens);
    f.total_tokens += static_cast<uint64_t>(s->total_tokens);
    if (s->cost_usd) micros += CostMicrosOf(*s);
  }
  f.cost_usd = static_cast<double>(micros) / 1e6;
  return f;
}

void ExpectFigures(const CostFigures& got, const CostFigures& want) {
  EXPECT_EQ(got.spans, want.spans);
  EXPECT_EQ(got.prompt_tokens, want.prompt_tokens);
  EXPECT_EQ(got.completion_tokens, want.completion_tokens);
  EXPECT_EQ(got.total_tokens, want.total_tokens);
  EXPECT_EQ(got.cost_usd, want.cost_usd);
}

void ExpectBuckets(const std::vector<CostBucket>& got, const std::vector<const Span*>& spans,
                   int64_t step) {
  if (step == 0) {
    EXPECT_TRUE(got.empty());
    return;
  }
  auto buckets = test::BucketSpans(spans, step);
  ASSERT_EQ(got.size(), buckets.size());
  size_t b = 0;
  for (const auto& [start, in_bucket] : buckets) {
    EXPECT_EQ(got[b].start_unix_nano, start);
    ExpectFigures(got[b].figures, Reference(in_bucket));
    ++b;
  }
}

void ExpectMatchesBruteForce(const std::vector<Span>& spans, const CostRequest& req,
                             const CostResult& got) {
  auto groups = test::GroupSpans(spans, req.filter, req.group_by, req.group_attribute);
  ASSERT_EQ(got.groups.size(), groups.size());
  std::vector<const Span*> all;
  size_t i = 0;
  for (const auto& [key, members] : groups) {
    const CostGroup& g = got.groups[i++];
    ASSERT_EQ(g.key, key);
    ExpectFigures(g.figures, Reference(members));
    ExpectBuckets(g.buckets, members, req.step_nanos);
    all.insert(all.end(), members.begin(), members.end());
  }
  ExpectFigures(got.total, Reference(all));
  ExpectBuckets(got.total_buckets, all, req.step_nanos);
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
  void CheckRandomQueries(uint64_t seed, int rounds) {
    std::mt19937_64 rng(seed);
    uint64_t matched = 0;
    for (int round = 0; round < rounds; ++round) {
      CostRequest req;
      req.filter = test::RandomFilter(rng, spans_);
      req.group_by = test::RandomGroupBy(rng);
      if (req.group_by == GroupBy::kAttribute)
        req.group_attribute = test::RandomGroupAttribute(rng);
      req.step_nanos = test::RandomStep(rng);
      SCOPED_TRACE("round " + std::to_string(round));
      Result<CostResult> got = RunCost(*store_, req);
      ASSERT_THAT(got, IsOk());
      ExpectMatchesBruteForce(spans_, req, *got);
      matched += got->total.spans;
    }
    EXPECT_GT(matched, spans_.size());
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
