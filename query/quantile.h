#pragma once

#include <span>
#include <vector>

namespace roost::query {

// Exact quantiles with numpy's default 'linear' method: for q the virtual rank is q * (n - 1),
// and the answer interpolates between the order statistics at floor and ceil of that rank.
//
// `values` is used as scratch: it may be reordered (never resized). Up to 64Ki values, selection
// runs with std::nth_element on shrinking ranges, the ranks taken in increasing order, so several
// quantiles cost about as much as one selection over the data, not a sort. From 64Ki values on,
// a histogram of the values' top 16 order-key bits locates each rank's bucket in one pass, a
// second pass gathers only those buckets, and selection runs inside them (same exact answers).
//
// Returns one answer per entry of `qs`, in the order of `qs`. REQUIRES: every q in [0, 1] and
// not NaN (asserted); `values` free of NaN. With `values` empty every answer is NaN.
std::vector<double> ExactQuantiles(std::span<double> values, std::span<const double> qs);

// ExactQuantiles of the values of every part together, as if concatenated, without
// concatenating them from 64Ki values on (the histogram passes read the parts in turn). Parts
// may be reordered (never resized). Same requirements and answers as ExactQuantiles.
std::vector<double> ExactQuantilesOfParts(std::span<const std::span<double>> parts,
                                          std::span<const double> qs);

// The interpolation numpy uses (numpy/lib/function_base.py `_lerp`): lo + (hi - lo) * t, but
// hi - (hi - lo) * (1 - t) when t >= 0.5, so that the answer never passes hi.
inline double NumpyLerp(double lo, double hi, double t) {
  double diff = hi - lo;
  return t >= 0.5 ? hi - diff * (1 - t) : lo + diff * t;
}

}  // namespace roost::query
