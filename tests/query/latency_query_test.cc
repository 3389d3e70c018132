#include "query/latency_query.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
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

using ::roost::test::IsError;
using ::roost::test::IsOk;
using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::Pointwise;

// numpy 'linear' over a sorted copy.
double Reference(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double rank = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = static_cast<size_t>(std::ceil(rank));
  const double t = rank - static_cast<double>(lo);
  if (t == 0) return v[lo];
  const double d = v[hi] - v[lo];
  return t >= 0.5 ? v[hi] - d * (1 - t) : v[lo] + d * t;
}

std::vector<double> DurationsMs(const std::vector<const Span*>& spans) {
  std::vector<double> out;
  for (const Span* s : spans) out.push_back(static_cast<double>(s->duration_nanos()) / 1e6);
  return out;
}

// Checks count and quantiles against the spans: exact, or within 1% with `approx`.
void ExpectFigures(const std::vector<const Span*>& spans, const std::vector<double>& qs,
                   uint64_t count, const std::vector<double>& quantiles_ms, bool approx = false) {
  ASSERT_EQ(count, spans.size());
  ASSERT_EQ(quantiles_ms.size(), qs.size());
  std::vector<double> ms = DurationsMs(spans);
  for (size_t i = 0; i < qs.size(); ++i) {
    if (ms.empty()) {
      EXPECT_TRUE(std::isnan(quantiles_ms[i]));
    } else {
      const double want = Reference(ms, qs[i]);
      if (approx) {
        EXPECT_NEAR(quantiles_ms[i], want, 0.01 * want) << "q=" << qs[i];
      } else {
        EXPECT_EQ(quantiles_ms[i], want) << "q=" << qs[i];
      }
    }
  }
}

void ExpectMatchesBruteForce(const std::vector<Span>& spans, const LatencyRequest& req,
                             const std::vector<LatencyGroup>& got) {
  auto groups = test::GroupSpans(spans, req.filter, req.group_by, req.group_attribute);
  ASSERT_EQ(got.size(), groups.size());
  size_t i = 0;
  for (const auto& [key, members] : groups) {
    const LatencyGroup& g = got[i++];
    ASSERT_EQ(g.key, key);
    ExpectFigures(members, req.quantiles, g.count, g.quantiles_ms, req.approx);
    uint64_t errors = 0;
    int64_t max_ns = 0;
    double sum_ms = 0;
    for (const Span* s : members) {
      errors += s->status_code == StatusCode::kError;
      max_ns = std::max(max_ns, s->duration_nanos());
      sum_ms += static_cast<double>(s->duration_nanos()) / 1e6;
    }
    EXPECT_EQ(g.error_count, errors);
    EXPECT_EQ(g.max_ms, static_cast<double>(max_ns) / 1e6);
    const double mean = members.empty() ? 0 : sum_ms / static_cast<double>(members.size());
    EXPECT_NEAR(g.mean_ms, mean, 1e-9 * std::max(1.0, mean));
    if (req.step_nanos == 0) {
      EXPECT_TRUE(g.buckets.empty());
      continue;
    }
    auto buckets = test::BucketSpans(members, req.step_nanos);
    ASSERT_EQ(g.buckets.size(), buckets.size());
    size_t b = 0;
    for (const auto& [start, in_bucket] : buckets) {
      EXPECT_EQ(g.buckets[b].start_unix_nano, start);
      ExpectFigures(in_bucket, req.quantiles, g.buckets[b].count, g.buckets[b].quantiles_ms,
                    req.approx);
      ++b;
    }
  }
}

std::vector<double> RandomQuantiles(std::mt19937_64& rng) {
  std::vector<double> qs(rng() % 5);
  for (double& q : qs) q = rng() % 4 == 0 ? static_cast<double>(rng() % 2) : (rng() % 1000) / 1e3;
  return qs;
}

class LatencyQueryTest : public ::roost::test::SpanStoreTest {
 protected:
  void SetUp() override {
    store_ = OpenStore(Options());
    ASSERT_NE(store_, nullptr);
  }
  void WriteCorpus() {
    spans_ = test::CorpusSpans();
    for (size_t i = 0; i < spans_.size(); i += 2000) {
      std::vector<Span> batch(spans_.begin() + i,
                              spans_.begin() + std::min(spans_.size(), i + 2000));
      WriteResult w = WriteOk(*store_, std::move(batch));
      ASSERT_TRUE(w.rejected.empty());
      ASSERT_EQ(w.duplicates, 0u);
    }
  }
  void CheckRandomQueries(uint64_t seed, int rounds, bool approx = false) {
    std::mt19937_64 rng(seed);
    uint64_t matched = 0;  // guards against a generator of queries that match nothing
    for (int round = 0; round < rounds; ++round) {
      LatencyRequest req;
      req.filter = test::RandomFilter(rng, spans_);
      req.group_by = test::RandomGroupBy(rng);
      if (req.group_by == GroupBy::kAttribute)
        req.group_attribute = test::RandomGroupAttribute(rng);
      req.step_nanos = test::RandomStep(rng);
      if (rng() % 2) req.quantiles = RandomQuantiles(rng);
      req.approx = approx;
      SCOPED_TRACE("round " + std::to_string(round));
      Result<std::vector<LatencyGroup>> got = RunLatency(*store_, req);
      ASSERT_THAT(got, IsOk());
      ExpectMatchesBruteForce(spans_, req, *got);
      for (const LatencyGroup& g : *got) matched += g.count;
    }
    EXPECT_GT(matched, spans_.size());
  }

  std::unique_ptr<SpanStore> store_;
  std::vector<Span> spans_;
};

TEST_F(LatencyQueryTest, MatchesBruteForceOnRandomQueries) {
  WriteCorpus();
  CheckRandomQueries(1, 80);
}

TEST_F(LatencyQueryTest, SameAnswersAfterFlush) {
  WriteCorpus();
  CheckRandomQueries(2, 30);
  ASSERT_THAT(store_->Flush(), IsOk());
  CheckRandomQueries(2, 30);
}

TEST_F(LatencyQueryTest, ApproxWithinOnePercentOnRandomQueriesOpenAndSealed) {
  WriteCorpus();
  CheckRandomQueries(3, 40, /*approx=*/true);
  ASSERT_THAT(store_->Flush(), IsOk());  // now whole blocks come from their rollups
  CheckRandomQueries(3, 40, /*approx=*/true);
  CheckRandomQueries(4, 40, /*approx=*/true);
}

// Skewed (lognormal) and bimodal durations: every quantile of approx within 1% of exact, per
// group and per bucket, with the blocks sealed (rollups) and with some rows still open.
TEST_F(LatencyQueryTest, ApproxWithinOnePercentOnSkewedAndBimodalLatencies) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> skewed(std::log(3e8), 1.6);
  std::lognormal_distribution<double> fast(std::log(5e6), 0.3), slow(std::log(2e9), 0.4);
  std::vector<Span> spans;
  for (uint64_t i = 0; i < 30000; ++i) {
    Span s = ::roost::test::MakeSpan(
        i / 5 + 1, i + 1, test::kBaseTime + static_cast<int64_t>(rng() % (8 * test::kHour)));
    const bool bimodal = i % 2 == 0;
    s.model_name = bimodal ? "bimodal" : "skewed";
    const double ns = bimodal ? (rng() % 2 ? fast(rng) : slow(rng)) : skewed(rng);
    s.end_unix_nano = s.start_unix_nano + static_cast<int64_t>(ns) + 1;
    spans.push_back(std::move(s));
  }
  WriteOk(*store_, std::vector<Span>(spans.begin(), spans.begin() + 25000));
  ASSERT_THAT(store_->Flush(), IsOk());
  WriteOk(*store_, std::vector<Span>(spans.begin() + 25000, spans.end()));
  spans_ = spans;
  LatencyRequest req;
  req.approx = true;
  req.group_by = GroupBy::kModel;
  req.quantiles = {0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1};
  for (int64_t step : {int64_t{0}, test::kHour, 2 * test::kHour, 15 * test::kMinute}) {
    req.step_nanos = step;
    SCOPED_TRACE("step " + std::to_string(step));
    Result<std::vector<LatencyGroup>> got = RunLatency(*store_, req);
    ASSERT_THAT(got, IsOk());
    ASSERT_EQ(got->size(), 2u);
    ExpectMatchesBruteForce(spans_, req, *got);
  }
}

TEST_F(LatencyQueryTest, GroupsByAttributeAndProjectAndFiltersOnAttributes) {
  WriteCorpus();
  ASSERT_THAT(store_->Flush(), IsOk());
  LatencyRequest by_agent;
  by_agent.group_by = GroupBy::kAttribute;
  by_agent.group_attribute = "agent.name";
  Result<std::vector<LatencyGroup>> got = RunLatency(*store_, by_agent);
  ASSERT_THAT(got, IsOk());
  ASSERT_GE(got->size(), 3u);  // several agents and the spans without the attribute
  EXPECT_EQ(got->back().key, std::nullopt);
  ExpectMatchesBruteForce(spans_, by_agent, *got);

  LatencyRequest by_project;
  by_project.group_by = GroupBy::kProject;
  by_project.filter.all_projects = true;
  for (bool approx : {false, true}) {
    by_project.approx = approx;
    got = RunLatency(*store_, by_project);
    ASSERT_THAT(got, IsOk());
    ASSERT_EQ(got->size(), 2u);  // "default" and "other"
    ExpectMatchesBruteForce(spans_, by_project, *got);
  }

  LatencyRequest filtered;
  filtered.group_by = GroupBy::kModel;
  filtered.filter.attributes = {{"llm.provider", "anthropic"}};
  got = RunLatency(*store_, filtered);
  ASSERT_THAT(got, IsOk());
  ASSERT_FALSE(got->empty());
  ExpectMatchesBruteForce(spans_, filtered, *got);

  LatencyRequest missing_key;
  missing_key.group_by = GroupBy::kAttribute;
  EXPECT_THAT(RunLatency(*store_, missing_key),
              IsError(Status::Code::kInvalidArgument, "attribute"));
}

TEST_F(LatencyQueryTest, HandComputedFiguresPerModelAndHour) {
  std::vector<Span> spans;
  const int64_t durations_ms[] = {1, 2, 3, 4, 10};
  for (uint64_t i = 0; i < 5; ++i) {
    Span s = ::roost::test::MakeSpan(1, i + 1, test::kBaseTime / test::kHour * test::kHour);
    s.start_unix_nano += i < 4 ? 0 : test::kHour;  // the last one in the next hour
    s.end_unix_nano = s.start_unix_nano + durations_ms[i] * 1'000'000;
    s.model_name = "m";
    s.status_code = i == 1 ? StatusCode::kError : StatusCode::kOk;
    spans.push_back(s);
  }
  WriteOk(*store_, spans);
  LatencyRequest req;
  req.group_by = GroupBy::kModel;
  req.quantiles = {0, 0.5, 0.9, 1};
  req.step_nanos = test::kHour;
  Result<std::vector<LatencyGroup>> got = RunLatency(*store_, req);
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->size(), 1u);
  const LatencyGroup& g = (*got)[0];
  EXPECT_EQ(g.key, "m");
  EXPECT_EQ(g.count, 5u);
  EXPECT_EQ(g.error_count, 1u);
  EXPECT_DOUBLE_EQ(g.mean_ms, 4);
  EXPECT_EQ(g.max_ms, 10);
  EXPECT_THAT(g.quantiles_ms,
              Pointwise(DoubleEq(), {1.0, 3.0, 7.6, 10.0}));  // p90: rank 3.6, 4 + 0.6 * 6
  ASSERT_EQ(g.buckets.size(), 2u);
  EXPECT_EQ(g.buckets[0].count, 4u);
  EXPECT_THAT(g.buckets[0].quantiles_ms, Pointwise(DoubleEq(), {1.0, 2.5, 3.7, 4.0}));
  EXPECT_EQ(g.buckets[1].start_unix_nano - g.buckets[0].start_unix_nano, test::kHour);
  EXPECT_THAT(g.buckets[1].quantiles_ms, ElementsAre(10, 10, 10, 10));
}

TEST_F(LatencyQueryTest, NoneGroupingGivesOneEmptyGroupWhenNothingMatches) {
  LatencyRequest req;
  Result<std::vector<LatencyGroup>> got = RunLatency(*store_, req);
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].key, std::nullopt);
  EXPECT_EQ((*got)[0].count, 0u);
  EXPECT_EQ((*got)[0].quantiles_ms.size(), 3u);
}

TEST_F(LatencyQueryTest, UnknownModelAndInvertedRangeMatchNothing) {
  WriteOk(*store_, test::HandMadeSpans());
  LatencyRequest unknown;
  unknown.filter.model = "never-stored";
  unknown.group_by = GroupBy::kModel;
  Result<std::vector<LatencyGroup>> got = RunLatency(*store_, unknown);
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->empty());
  LatencyRequest inverted;
  inverted.filter.from = 10;
  inverted.filter.to = 10;
  inverted.group_by = GroupBy::kName;
  got = RunLatency(*store_, inverted);
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->empty());
}

TEST_F(LatencyQueryTest, RejectsBadParameters) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::vector<double> qs : {std::vector<double>{-0.01}, {1.01}, {0.5, nan}, {2, 0.5}}) {
    LatencyRequest req;
    req.quantiles = qs;
    EXPECT_THAT(RunLatency(*store_, req), IsError(Status::Code::kInvalidArgument, "quantile"));
  }
  LatencyRequest req;
  req.step_nanos = -1;
  EXPECT_THAT(RunLatency(*store_, req), IsError(Status::Code::kInvalidArgument, "step"));
}

}  // namespace
}  // namespace roost::query
