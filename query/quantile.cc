#include "query/quantile.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>

namespace roost::query {
namespace {

// From this many values on, order statistics come from a histogram of the values' top key bits
// (two passes over the data, then selection inside the few buckets holding the ranks) instead of
// nth_element over everything.
constexpr size_t kHistogramMin = size_t{1} << 16;
constexpr int kBucketBits = 16;

// Maps a double (not NaN) to an unsigned key with the same order.
inline uint64_t OrderKey(double d) {
  const auto bits = std::bit_cast<uint64_t>(d);
  return (bits >> 63) != 0 ? ~bits : bits | (uint64_t{1} << 63);
}

// The order statistics at `ranks` (each < values.size()), by histogram: exact.
std::vector<double> OrderStatisticsByHistogram(std::span<const double> values,
                                               const std::vector<size_t>& ranks) {
  constexpr size_t kBuckets = size_t{1} << kBucketBits;
  std::vector<uint64_t> counts(kBuckets, 0);
  for (double v : values) counts[OrderKey(v) >> (64 - kBucketBits)]++;
  // For each rank: its bucket and its offset inside the bucket.
  std::vector<std::pair<size_t, size_t>> where(ranks.size());
  std::vector<int32_t> slot(kBuckets, -1);
  std::vector<std::vector<double>> gathered;
  for (size_t i = 0; i < ranks.size(); ++i) {
    size_t before = 0;
    size_t b = 0;
    while (before + counts[b] <= ranks[i]) before += counts[b++];
    if (slot[b] < 0) {
      slot[b] = static_cast<int32_t>(gathered.size());
      gathered.emplace_back().reserve(counts[b]);
    }
    where[i] = {static_cast<size_t>(slot[b]), ranks[i] - before};
  }
  for (double v : values) {
    const int32_t s = slot[OrderKey(v) >> (64 - kBucketBits)];
    if (s >= 0) gathered[static_cast<size_t>(s)].push_back(v);
  }
  std::vector<double> out(ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) {
    std::vector<double>& g = gathered[where[i].first];
    std::nth_element(g.begin(), g.begin() + static_cast<ptrdiff_t>(where[i].second), g.end());
    out[i] = g[where[i].second];
  }
  return out;
}

std::vector<double> ExactQuantilesByHistogram(std::span<const double> values,
                                              std::span<const double> qs) {
  const size_t n = values.size();
  std::vector<size_t> ranks;
  ranks.reserve(2 * qs.size());
  for (double q : qs) {
    assert(q >= 0 && q <= 1);
    const double rank = q * static_cast<double>(n - 1);
    const size_t lo = std::min(static_cast<size_t>(std::floor(rank)), n - 1);
    ranks.push_back(lo);
    ranks.push_back(std::min(lo + 1, n - 1));
  }
  const std::vector<double> stats = OrderStatisticsByHistogram(values, ranks);
  std::vector<double> out(qs.size());
  for (size_t i = 0; i < qs.size(); ++i) {
    const double t = qs[i] * static_cast<double>(n - 1) - static_cast<double>(ranks[2 * i]);
    out[i] = t > 0 ? NumpyLerp(stats[2 * i], stats[2 * i + 1], t) : stats[2 * i];
  }
  return out;
}

}  // namespace

std::vector<double> ExactQuantiles(std::span<double> values, std::span<const double> qs) {
  std::vector<double> out(qs.size(), std::numeric_limits<double>::quiet_NaN());
  const size_t n = values.size();
  if (n == 0) return out;
  if (n >= kHistogramMin) return ExactQuantilesByHistogram(values, qs);

  // Visit the requested quantiles in increasing order so that each selection runs on the part of
  // `values` right of the previous one. Invariant: every element before `first` is <= every
  // element from `first` on.
  std::vector<size_t> order(qs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return qs[a] < qs[b]; });

  size_t first = 0;
  for (size_t i : order) {
    const double q = qs[i];
    assert(q >= 0 && q <= 1);
    const double rank = q * static_cast<double>(n - 1);
    const size_t lo = std::min(static_cast<size_t>(std::floor(rank)), n - 1);
    const size_t hi = std::min(lo + 1, n - 1);
    const double t = rank - static_cast<double>(lo);
    if (lo >= first) {
      std::nth_element(values.begin() + first, values.begin() + lo, values.end());
      first = lo;
    }  // else lo == first - 1 (a repeated rank): values[lo] is already in place.
    double lo_value = values[lo];
    double hi_value = lo_value;
    if (t > 0 && hi != lo) {
      // Everything right of lo is >= values[lo]; the next order statistic is their minimum.
      auto min_it = std::min_element(values.begin() + hi, values.end());
      std::iter_swap(values.begin() + hi, min_it);
      hi_value = values[hi];
      first = hi;
    }
    out[i] = t > 0 ? NumpyLerp(lo_value, hi_value, t) : lo_value;
  }
  return out;
}

}  // namespace roost::query
