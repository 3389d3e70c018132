#include "query/quantile.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>

namespace roost::query {

std::vector<double> ExactQuantiles(std::span<double> values, std::span<const double> qs) {
  std::vector<double> out(qs.size(), std::numeric_limits<double>::quiet_NaN());
  const size_t n = values.size();
  if (n == 0) return out;

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
