#include "query/quantile.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <span>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace roost::query {
namespace {

struct QuantileCase {
  std::vector<double> values;
  double q;
  double expected;  // computed by hand: rank q * (n - 1), linear between neighbours
};

class ExactQuantilesTableTest : public ::testing::TestWithParam<QuantileCase> {};

TEST_P(ExactQuantilesTableTest, MatchesHandComputedValue) {
  const QuantileCase& c = GetParam();
  std::vector<double> scratch = c.values;
  std::vector<double> qs = {c.q};
  std::vector<double> got = ExactQuantiles(scratch, qs);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_DOUBLE_EQ(got[0], c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    HandComputed, ExactQuantilesTableTest,
    ::testing::Values(
        // One value: every quantile is that value.
        QuantileCase{{7}, 0, 7}, QuantileCase{{7}, 0.5, 7}, QuantileCase{{7}, 1, 7},
        // Two values: rank q.
        QuantileCase{{10, 20}, 0, 10}, QuantileCase{{20, 10}, 0.5, 15},
        QuantileCase{{10, 20}, 0.25, 12.5}, QuantileCase{{10, 20}, 0.9, 19},
        QuantileCase{{10, 20}, 1, 20},
        // Odd count: q = 0.5 is the middle element (rank 2).
        QuantileCase{{5, 1, 4, 2, 3}, 0.5, 3}, QuantileCase{{5, 1, 4, 2, 3}, 0.1, 1.4},
        QuantileCase{{5, 1, 4, 2, 3}, 0.99, 4.96},
        // Even count: rank 1.5 between 2 and 3.
        QuantileCase{{4, 3, 2, 1}, 0.5, 2.5}, QuantileCase{{4, 3, 2, 1}, 0.9, 3.7},
        // Ties: interpolating between equal neighbours gives the tied value.
        QuantileCase{{2, 2, 2, 2}, 0.37, 2}, QuantileCase{{1, 2, 2, 2, 9}, 0.5, 2},
        QuantileCase{{1, 2, 2, 2, 9}, 0.8, 3.4},
        // q = 0 is the minimum, q = 1 the maximum.
        QuantileCase{{3, -1, 8, 0.5}, 0, -1}, QuantileCase{{3, -1, 8, 0.5}, 1, 8}));

TEST(ExactQuantilesTest, EmptyInputGivesNaN) {
  std::vector<double> values;
  std::vector<double> qs = {0, 0.5, 1};
  for (double v : ExactQuantiles(values, qs)) EXPECT_TRUE(std::isnan(v));
}

TEST(ExactQuantilesTest, AnswersInRequestOrderForUnsortedAndRepeatedQuantiles) {
  std::vector<double> values = {4, 1, 3, 2, 5};
  std::vector<double> qs = {1, 0.5, 0, 0.5, 0.625};
  EXPECT_THAT(ExactQuantiles(values, qs), ::testing::ElementsAre(5, 3, 1, 3, 3.5));
}

// numpy 'linear' over a sorted copy: the reference the selection must reproduce bit for bit.
double SortedReference(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double rank = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = static_cast<size_t>(std::ceil(rank));
  const double t = rank - static_cast<double>(lo);
  if (t == 0) return v[lo];
  const double d = v[hi] - v[lo];
  return t >= 0.5 ? v[hi] - d * (1 - t) : v[lo] + d * t;
}

TEST(ExactQuantilesTest, MatchesSortBasedReferenceOnRandomData) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 300; ++round) {
    const size_t n = 1 + rng() % (round < 100 ? 10 : 2000);
    std::vector<double> values(n);
    const bool ties = rng() % 3 == 0;
    for (double& v : values) {
      v = ties ? static_cast<double>(rng() % 7) : std::lognormal_distribution<>(0, 2)(rng);
    }
    std::vector<double> qs(1 + rng() % 6);
    for (double& q : qs) q = rng() % 4 == 0 ? static_cast<double>(rng() % 2) : (rng() % 1001) / 1e3;
    std::vector<double> scratch = values;
    std::vector<double> got = ExactQuantiles(scratch, qs);
    for (size_t i = 0; i < qs.size(); ++i) {
      EXPECT_EQ(got[i], SortedReference(values, qs[i])) << "n=" << n << " q=" << qs[i];
    }
  }
}

// From 64Ki values on the histogram path answers: the same exact values, on skewed, bimodal,
// tied, negative and zero-heavy data.
TEST(ExactQuantilesTest, LargeInputsMatchSortBasedReference) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 8; ++round) {
    const size_t n = (size_t{1} << 16) + rng() % 200000;
    std::vector<double> values(n);
    for (double& v : values) {
      switch (round % 4) {
        case 0:
          v = std::lognormal_distribution<>(6, 1.5)(rng);
          break;
        case 1:
          v = rng() % 2 ? std::normal_distribution<>(5, 0.5)(rng)
                        : std::normal_distribution<>(2000, 10)(rng);
          break;
        case 2:
          v = static_cast<double>(rng() % 5);  // ties: few buckets hold everything
          break;
        default:
          v = rng() % 3 == 0 ? 0.0 : std::normal_distribution<>(0, 100)(rng);  // negatives too
      }
    }
    const std::vector<double> qs = {0, 0.001, 0.25, 0.5, 0.5, 0.9, 0.99, 0.999, 1};
    std::vector<double> scratch = values;
    std::vector<double> got = ExactQuantiles(scratch, qs);
    for (size_t i = 0; i < qs.size(); ++i) {
      EXPECT_EQ(got[i], SortedReference(values, qs[i])) << "n=" << n << " q=" << qs[i];
    }
  }
}

// Quantiles whose ranks all lie near one end (p99 of a bucket of a few thousand spans) are
// selected by a small heap: the same exact values, ties and duplicates included.
TEST(ExactQuantilesTest, TailQuantilesMatchSortBasedReference) {
  std::mt19937_64 rng(11);
  const std::vector<std::vector<double>> tails = {
      {0.99}, {0.999, 1}, {0, 0.01}, {0.995, 0.99, 0.999}, {0.001}, {1}, {0}};
  for (int round = 0; round < 200; ++round) {
    const size_t n = 400 + rng() % 6000;
    std::vector<double> values(n);
    const bool ties = rng() % 3 == 0;
    for (double& v : values) {
      v = ties ? static_cast<double>(rng() % 4) : std::lognormal_distribution<>(7, 1)(rng);
    }
    const std::vector<double>& qs = tails[static_cast<size_t>(round) % tails.size()];
    std::vector<double> scratch = values;
    std::vector<double> got = ExactQuantiles(scratch, qs);
    for (size_t i = 0; i < qs.size(); ++i) {
      EXPECT_EQ(got[i], SortedReference(values, qs[i])) << "n=" << n << " q=" << qs[i];
    }
  }
}

// Values split into parts (some empty) give the answers of the values together, below and
// above the histogram threshold.
TEST(ExactQuantilesTest, PartsGiveTheAnswersOfTheirConcatenation) {
  std::mt19937_64 rng(5);
  const std::vector<double> qs = {0, 0.5, 0.9, 0.99, 1, 0.25};
  for (int round = 0; round < 12; ++round) {
    const size_t n = round % 2 == 0 ? 1 + rng() % 3000 : (size_t{1} << 16) + rng() % 50000;
    std::vector<double> values(n);
    for (double& v : values) v = std::lognormal_distribution<>(5, 2)(rng);
    std::vector<std::vector<double>> parts(1 + rng() % 3);
    for (double v : values) parts[rng() % parts.size()].push_back(v);
    std::vector<std::span<double>> spans(parts.begin(), parts.end());
    std::vector<double> got = ExactQuantilesOfParts(spans, qs);
    for (size_t i = 0; i < qs.size(); ++i) {
      EXPECT_EQ(got[i], SortedReference(values, qs[i])) << "n=" << n << " q=" << qs[i];
    }
  }
}

}  // namespace
}  // namespace roost::query
