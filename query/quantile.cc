#include "query/quantile.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
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

// The order statistics at `ranks` (each < the number of values), by histogram: exact. `Count`
// holds a bucket's count (uint32_t below 2^32 values: the counts then fit in L2 cache).
template <typename Count>
std::vector<double> OrderStatisticsByHistogram(std::span<const std::span<double>> parts,
                                               const std::vector<size_t>& ranks) {
  constexpr size_t kBuckets = size_t{1} << kBucketBits;
  std::vector<Count> counts(kBuckets, 0);
  for (std::span<const double> part : parts) {
    for (double v : part) counts[OrderKey(v) >> (64 - kBucketBits)]++;
  }
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
  for (std::span<const double> part : parts) {
    for (double v : part) {
      const int32_t s = slot[OrderKey(v) >> (64 - kBucketBits)];
      if (s >= 0) gathered[static_cast<size_t>(s)].push_back(v);
    }
  }
  std::vector<double> out(ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) {
    std::vector<double>& g = gathered[where[i].first];
    std::nth_element(g.begin(), g.begin() + static_cast<ptrdiff_t>(where[i].second), g.end());
    out[i] = g[where[i].second];
  }
  return out;
}

// REQUIRES: n, the values in all parts, > 0.
std::vector<double> ExactQuantilesByHistogram(std::span<const std::span<double>> parts, size_t n,
                                              std::span<const double> qs) {
  std::vector<size_t> ranks;
  ranks.reserve(2 * qs.size());
  for (double q : qs) {
    assert(q >= 0 && q <= 1);
    const double rank = q * static_cast<double>(n - 1);
    const size_t lo = std::min(static_cast<size_t>(std::floor(rank)), n - 1);
    ranks.push_back(lo);
    ranks.push_back(std::min(lo + 1, n - 1));
  }
  const std::vector<double> stats = n <= std::numeric_limits<uint32_t>::max()
                                        ? OrderStatisticsByHistogram<uint32_t>(parts, ranks)
                                        : OrderStatisticsByHistogram<uint64_t>(parts, ranks);
  std::vector<double> out(qs.size());
  for (size_t i = 0; i < qs.size(); ++i) {
    const double t = qs[i] * static_cast<double>(n - 1) - static_cast<double>(ranks[2 * i]);
    out[i] = t > 0 ? NumpyLerp(stats[2 * i], stats[2 * i + 1], t) : stats[2 * i];
  }
  return out;
}

// Ranks within this many of either end, in at least kTailMinFactor times as many values, are
// selected by one pass keeping the extreme values in a small heap (predictable branches: most
// values are compared once and dropped) rather than by nth_element.
constexpr size_t kTailMax = 64;
constexpr size_t kTailMinFactor = 8;

// The `k` smallest values (by `less`) of `values`, in order.
template <typename Less>
std::vector<double> Smallest(std::span<const double> values, size_t k, Less less) {
  std::vector<double> heap(values.begin(), values.begin() + static_cast<ptrdiff_t>(k));
  std::make_heap(heap.begin(), heap.end(), less);  // the largest kept on top
  for (size_t i = k; i < values.size(); ++i) {
    if (less(values[i], heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), less);
      heap.back() = values[i];
      std::push_heap(heap.begin(), heap.end(), less);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), less);
  return heap;
}

// The quantiles when every rank they need lies near one end of `values` (see kTailMax), else
// nullopt.
std::optional<std::vector<double>> TailQuantiles(std::span<const double> values,
                                                 std::span<const double> qs) {
  const size_t n = values.size();
  if (qs.empty() || n < kTailMax * kTailMinFactor) return std::nullopt;
  size_t min_rank = n - 1;
  size_t max_rank = 0;
  for (double q : qs) {
    const auto lo =
        std::min(static_cast<size_t>(std::floor(q * static_cast<double>(n - 1))), n - 1);
    min_rank = std::min(min_rank, lo);
    max_rank = std::max(max_rank, std::min(lo + 1, n - 1));
  }
  std::vector<double> order;  // order statistics from `base` on
  size_t base = 0;
  if (n - min_rank <= kTailMax) {
    order = Smallest(values, n - min_rank, std::greater<double>());
    std::reverse(order.begin(), order.end());
    base = min_rank;
  } else if (max_rank < kTailMax) {
    order = Smallest(values, max_rank + 1, std::less<double>());
  } else {
    return std::nullopt;
  }
  std::vector<double> out(qs.size());
  for (size_t i = 0; i < qs.size(); ++i) {
    const double rank = qs[i] * static_cast<double>(n - 1);
    const size_t lo = std::min(static_cast<size_t>(std::floor(rank)), n - 1);
    const size_t hi = std::min(lo + 1, n - 1);
    const double t = rank - static_cast<double>(lo);
    out[i] = t > 0 ? NumpyLerp(order[lo - base], order[hi - base], t) : order[lo - base];
  }
  return out;
}

}  // namespace

std::vector<double> ExactQuantiles(std::span<double> values, std::span<const double> qs) {
  std::vector<double> out(qs.size(), std::numeric_limits<double>::quiet_NaN());
  const size_t n = values.size();
  if (n == 0) return out;
  if (n >= kHistogramMin) {
    const std::span<double> whole[] = {values};
    return ExactQuantilesByHistogram(whole, n, qs);
  }
  if (std::optional<std::vector<double>> tail = TailQuantiles(values, qs)) return *tail;

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

std::vector<double> ExactQuantilesOfParts(std::span<const std::span<double>> parts,
                                          std::span<const double> qs) {
  size_t n = 0;
  for (std::span<const double> part : parts) n += part.size();
  if (parts.size() == 1) return ExactQuantiles(parts[0], qs);
  if (n >= kHistogramMin) return ExactQuantilesByHistogram(parts, n, qs);
  std::vector<double> values;  // few: concatenate
  values.reserve(n);
  for (std::span<const double> part : parts) values.insert(values.end(), part.begin(), part.end());
  return ExactQuantiles(values, qs);
}

}  // namespace roost::query
