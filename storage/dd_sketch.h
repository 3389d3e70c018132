#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result.h"
#include "storage/status.h"

namespace roost {

// A DDSketch (Masson, Rim, Lee, VLDB 2019) over non-negative doubles, used for approximate latency
// percentiles (durations in nanoseconds).
//
// Values are mapped to logarithmic bins: with gamma = (1 + a) / (1 - a) for relative accuracy a,
// value x goes to bin i = ceil(log(x) / log(gamma)), i.e. (gamma^(i-1), gamma^i], whose estimate
// 2 * gamma^i / (gamma + 1) is within a of every value in the bin. Values below
// kMinIndexableValue (including 0) are counted in a separate zero bucket whose estimate is 0.
//
// Bins are kept in a dense array that grows both ways. At most kMaxBins consecutive bins are
// kept: when a value would widen the bin range past that, the lowest bins are collapsed into the
// lowest kept bin, so the sketch keeps full accuracy for the top kMaxBins bins and overestimates
// values below them (at the default accuracy 8192 bins span a factor of about 1e35, so real
// latency data never collapses). The collapsed state depends only on the multiset of added values,
// so Add and Merge stay exact and order-independent.
//
// min(), max() and count() are exact; sum() is the floating-point sum of the added values (exact
// and order-independent when all values are whole numbers and the total is below 2^53).
//
// Thread-compatible: const methods may run concurrently; anything else needs external locking.
// Copyable and movable.
class DdSketch {
 public:
  static constexpr double kDefaultRelativeAccuracy = 0.005;
  // Smaller accuracies would make bin indexes overflow; with kMaxBins bins they would also
  // collapse almost any data set.
  static constexpr double kMinRelativeAccuracy = 1e-6;
  static constexpr double kMaxRelativeAccuracy = 0.1;
  // Values in [0, kMinIndexableValue) go to the zero bucket (for nanoseconds: below 1e-9 ns).
  static constexpr double kMinIndexableValue = 1e-9;
  // The most consecutive bins kept; see the class comment for what happens beyond.
  static constexpr int32_t kMaxBins = 8192;
  // First byte of Serialize(). On disk: never reuse a version number for another layout.
  static constexpr uint8_t kFormatVersion = 1;

  // REQUIRES: kMinRelativeAccuracy <= relative_accuracy <= kMaxRelativeAccuracy (asserted; in
  // release builds an out-of-range or NaN accuracy is clamped into that range).
  // The default 0.005 keeps every Quantile() answer within 0.5% (well inside 1%) of the exact
  // interpolated quantile, interpolation included.
  explicit DdSketch(double relative_accuracy = kDefaultRelativeAccuracy);

  // Adds `value` once. Values that are negative, NaN or infinite are ignored and counted in
  // dropped(). -0.0 is recorded as 0.0. Does not allocate unless the value widens the bin range.
  void Add(double value) { Add(value, 1); }
  // Adds `value` `count` times (a no-op when count == 0). Same rules as Add(value).
  void Add(double value, uint64_t count);

  // Adds every value of `other` to this sketch (counts, bins, zero bucket, dropped, sum, min,
  // max). Exact and order-independent: A.Merge(B) and B.Merge(A) give bin-for-bin equal sketches,
  // equal to adding all values to one sketch. `other` may be *this.
  // Returns kInvalidArgument, leaving this sketch unchanged, when the relative accuracies differ.
  [[nodiscard]] Status Merge(const DdSketch& other);

  // Number of values added (dropped values excluded).
  uint64_t count() const { return count_; }
  // Exact smallest / largest added value; NaN when count() == 0.
  double min() const;
  double max() const;
  // Sum of the added values; 0 when empty.
  double sum() const { return sum_; }
  // Number of values ignored by Add (negative, NaN or infinite).
  uint64_t dropped() const { return dropped_; }
  double relative_accuracy() const { return relative_accuracy_; }

  // The q-quantile with numpy's default 'linear' method applied to order-statistic estimates:
  // rank = q * (count() - 1), lo = floor(rank), hi = ceil(rank), and the result is
  // v(lo) + (rank - lo) * (v(hi) - v(lo)), where v(k) estimates the k-th smallest value (0-based):
  // v(0) = min() and v(count() - 1) = max() exactly; any other v(k) is the estimate of the bin
  // holding the k-th value, clamped to [min(), max()], and is within relative_accuracy() of the
  // true order statistic (values in the zero bucket are estimated by 0 before clamping; values
  // in collapsed bins are overestimated). So q = 0 gives min() and q = 1 gives max() exactly.
  // Returns NaN when count() == 0 or when q is NaN or outside [0, 1]. O(number of bins).
  double Quantile(double q) const;

  // Compact, versioned, little-endian encoding; equal sketches encode to equal bytes:
  //   u8      version (kFormatVersion)
  //   f64     relative accuracy (IEEE-754 bits, little-endian)
  //   varint  count, zero-bucket count, dropped
  //   f64 x3  min, max, sum            (present only when count > 0)
  //   varint  number of bins n         (0 <= n <= kMaxBins)
  //   zigzag varint  key of the first bin   (present only when n > 0)
  //   varint x n     bin counts for consecutive keys; first and last are non-zero
  // A sketch of 10k lognormal latencies (median 2e9 ns, sigma 0.8) encodes to about 700 bytes.
  std::string Serialize() const;

  // Decodes Serialize() output. Returns kCorruption, with a message naming the problem and its
  // byte offset, for unknown versions, truncated or trailing bytes, out-of-range fields and
  // inconsistent counts. Never trusts a declared size: at most kMaxBins bins are allocated, and
  // never more than the input could hold.
  static Result<DdSketch> Deserialize(std::string_view bytes);

 private:
  bool HasBins() const { return min_key_ <= max_key_; }
  int32_t KeyOf(double value) const;
  double EstimateOfKey(int32_t key) const;
  // Estimate of the k-th smallest value (0-based). REQUIRES: k < count_.
  double OrderStatistic(uint64_t k) const;
  // Adds `count` to bin `key`, collapsing the lowest bins to keep at most kMaxBins.
  void AddToBin(int32_t key, uint64_t count);
  void AddToBinSlow(int32_t key, uint64_t count);
  // Makes bins_ cover keys [lo, hi], keeping the existing non-zero bins.
  void EnsureCovers(int32_t lo, int32_t hi);

  double relative_accuracy_;
  double gamma_;
  double log_gamma_;
  double inv_log_gamma_;

  // bins_[i] counts values of key offset_ + i. Invariants: every non-zero bin lies in
  // [min_key_, max_key_], those two bins are non-zero, max_key_ - min_key_ < kMaxBins, and
  // [min_key_, max_key_] lies inside bins_. No bins when min_key_ > max_key_.
  std::vector<uint64_t> bins_;
  int32_t offset_ = 0;
  int32_t min_key_ = 0;
  int32_t max_key_ = -1;

  uint64_t zero_count_ = 0;  // values in [0, kMinIndexableValue)
  uint64_t count_ = 0;       // zero_count_ + sum of bins_
  uint64_t dropped_ = 0;
  double min_;  // +inf when empty
  double max_;  // -inf when empty
  double sum_ = 0.0;
};

}  // namespace roost
