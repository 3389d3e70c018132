#include "storage/dd_sketch.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace roost {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Keys stay far inside int32: at kMinRelativeAccuracy the largest double maps to ~3.6e8 and
// kMinIndexableValue to ~-1.1e7. Decoded keys outside this bound are corrupt.
constexpr int64_t kMaxAbsKey = int64_t{1} << 30;

// When bins_ must grow, it grows by at least this many bins (or half its width) on the growing
// side, so a stream of values that widens the range reallocates only logarithmically often.
constexpr int64_t kMinGrowSlack = 64;

constexpr int kMaxVarintBytes = 10;

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutDouble(std::string& out, double d) {
  const uint64_t bits = std::bit_cast<uint64_t>(d);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Bounds-checked cursor over untrusted bytes. Every failure names the field and byte offset.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  size_t remaining() const { return bytes_.size() - pos_; }
  // REQUIRES: n <= remaining()
  void Skip(size_t n) { pos_ += n; }

  Result<uint64_t> Varint(const char* field) {
    uint64_t v = 0;
    for (int i = 0; i < kMaxVarintBytes; ++i) {
      if (pos_ >= bytes_.size()) return Error("truncated varint", field);
      const auto byte = static_cast<uint8_t>(bytes_[pos_++]);
      // The 10th byte holds bit 63 only.
      if (i == kMaxVarintBytes - 1 && byte > 1) return Error("varint overflows 64 bits", field);
      v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) return v;
    }
    return Error("varint overflows 64 bits", field);
  }

  Result<double> Double(const char* field) {
    if (remaining() < 8) return Error("truncated double", field);
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) {
      bits |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[pos_ + i])) << (8 * i);
    }
    pos_ += 8;
    return std::bit_cast<double>(bits);
  }

  Status Error(std::string_view problem, const char* field) const {
    return Status::Corruption("DdSketch: " + std::string(problem) + " in " + field + " at byte " +
                              std::to_string(pos_));
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

// Everything but the bins, as decoded and range-checked.
struct Summary {
  uint64_t count = 0;
  uint64_t zero_count = 0;
  uint64_t dropped = 0;
  double min = 0.0;  // min, max and sum only when count > 0.
  double max = 0.0;
  double sum = 0.0;
};

Result<Summary> ReadSummary(Reader& in) {
  Summary summary;
  Result<uint64_t> count = in.Varint("count");
  if (!count.ok()) return count.status();
  Result<uint64_t> zero_count = in.Varint("zero-bucket count");
  if (!zero_count.ok()) return zero_count.status();
  Result<uint64_t> dropped = in.Varint("dropped count");
  if (!dropped.ok()) return dropped.status();
  summary.count = *count;
  summary.zero_count = *zero_count;
  summary.dropped = *dropped;
  if (summary.count == 0) return summary;

  Result<double> min = in.Double("min");
  if (!min.ok()) return min.status();
  Result<double> max = in.Double("max");
  if (!max.ok()) return max.status();
  Result<double> sum = in.Double("sum");
  if (!sum.ok()) return sum.status();
  // Finite, non-negative and ordered; +0.0 only (Add canonicalizes -0.0).
  if (!(*min >= 0.0 && *min <= *max && *max <= std::numeric_limits<double>::max()) ||
      std::signbit(*min)) {
    return in.Error("out-of-range or unordered values", "min/max");
  }
  if (!(*sum >= 0.0)) return in.Error("negative or NaN value", "sum");
  summary.min = *min;
  summary.max = *max;
  summary.sum = *sum;
  return summary;
}

// A dense run of bins, as decoded and range-checked.
struct DenseBins {
  int32_t first_key = 0;
  std::vector<uint64_t> counts;  // Empty, or non-zero at both ends.
  uint64_t total = 0;            // Sum of counts; does not overflow.
};

Result<DenseBins> ReadBins(Reader& in) {
  DenseBins bins;
  Result<uint64_t> num_bins = in.Varint("bin count");
  if (!num_bins.ok()) return num_bins.status();
  // Each bin takes at least one byte, which bounds the allocation by the input size too.
  if (*num_bins > static_cast<uint64_t>(DdSketch::kMaxBins) || *num_bins > in.remaining()) {
    return in.Error("declared size too large", "bin count");
  }
  if (*num_bins == 0) return bins;
  Result<uint64_t> zigzag = in.Varint("first bin key");
  if (!zigzag.ok()) return zigzag.status();
  const int64_t first = UnZigZag(*zigzag);
  if (first < -kMaxAbsKey || first > kMaxAbsKey - static_cast<int64_t>(*num_bins)) {
    return in.Error("out-of-range key", "first bin key");
  }
  bins.first_key = static_cast<int32_t>(first);
  bins.counts.resize(*num_bins);
  for (uint64_t i = 0; i < *num_bins; ++i) {
    Result<uint64_t> n = in.Varint("bin");
    if (!n.ok()) return n.status();
    if ((i == 0 || i + 1 == *num_bins) && *n == 0) return in.Error("empty edge bin", "bin");
    if (*n > std::numeric_limits<uint64_t>::max() - bins.total) {
      return in.Error("overflow", "bin");
    }
    bins.total += *n;
    bins.counts[i] = *n;
  }
  return bins;
}

// Converts a non-negative integral rank to an index, saturating at max_index (a double rank
// near 2^64 would otherwise overflow the conversion).
uint64_t RankToIndex(double rank, uint64_t max_index) {
  if (rank >= static_cast<double>(max_index)) return max_index;
  return static_cast<uint64_t>(rank);
}

// numpy's _lerp: interpolating from the nearer end keeps the result monotone in t and exact at
// t = 0 and t = 1, so it never overshoots b.
double Lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

}  // namespace

DdSketch::DdSketch(double relative_accuracy) : min_(kInfinity), max_(-kInfinity) {
  assert(relative_accuracy >= kMinRelativeAccuracy && relative_accuracy <= kMaxRelativeAccuracy);
  if (!(relative_accuracy >= kMinRelativeAccuracy)) relative_accuracy = kMinRelativeAccuracy;
  relative_accuracy_ = std::min(relative_accuracy, kMaxRelativeAccuracy);
  gamma_ = (1.0 + relative_accuracy_) / (1.0 - relative_accuracy_);
  // log1p keeps precision for gamma close to 1.
  log_gamma_ = std::log1p(2.0 * relative_accuracy_ / (1.0 - relative_accuracy_));
  inv_log_gamma_ = 1.0 / log_gamma_;
}

double DdSketch::min() const { return count_ == 0 ? kNaN : min_; }
double DdSketch::max() const { return count_ == 0 ? kNaN : max_; }

int32_t DdSketch::KeyOf(double value) const {
  // value in [kMinIndexableValue, DBL_MAX], so the key is within +-kMaxAbsKey (see above).
  return static_cast<int32_t>(std::ceil(std::log(value) * inv_log_gamma_));
}

double DdSketch::EstimateOfKey(int32_t key) const {
  return 2.0 * std::exp(static_cast<double>(key) * log_gamma_) / (gamma_ + 1.0);
}

void DdSketch::Add(double value, uint64_t count) {
  if (count == 0) return;
  if (!(value >= 0.0 && value <= std::numeric_limits<double>::max())) {
    dropped_ += count;
    return;
  }
  value += 0.0;  // -0.0 becomes +0.0, so min() and Serialize() are canonical.
  count_ += count;
  sum_ += count == 1 ? value : value * static_cast<double>(count);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  if (value < kMinIndexableValue) {
    zero_count_ += count;
    return;
  }
  AddToBin(KeyOf(value), count);
}

void DdSketch::AddToBin(int32_t key, uint64_t count) {
  if (min_key_ <= key && key <= max_key_) {  // The common case: no allocation.
    bins_[key - offset_] += count;
    return;
  }
  AddToBinSlow(key, count);
}

// Keeps the window [max_key_ - kMaxBins + 1, max_key_]: a value below it is counted in the
// window's lowest bin, and a new maximum moves the window up, folding the bins that fall out into
// the new lowest bin. A value of key k thus ends in bin max(k, final max_key_ - kMaxBins + 1)
// whatever the order of additions, which makes Add and Merge order-independent.
void DdSketch::AddToBinSlow(int32_t key, uint64_t count) {
  if (!HasBins()) {
    EnsureCovers(key, key);
    min_key_ = max_key_ = key;
  } else if (key > max_key_) {
    const int32_t lowest = key - kMaxBins + 1;
    uint64_t collapsed = 0;
    for (int32_t k = min_key_; k < lowest && k <= max_key_; ++k) {
      collapsed += bins_[k - offset_];
      bins_[k - offset_] = 0;
    }
    max_key_ = key;
    min_key_ = std::max(min_key_, lowest);
    EnsureCovers(min_key_, max_key_);
    bins_[min_key_ - offset_] += collapsed;
  } else {
    key = std::max(key, max_key_ - kMaxBins + 1);
    min_key_ = std::min(min_key_, key);
    EnsureCovers(min_key_, max_key_);
  }
  bins_[key - offset_] += count;
}

void DdSketch::EnsureCovers(int32_t lo, int32_t hi) {
  const int64_t old_lo = offset_;
  const int64_t old_hi = offset_ + static_cast<int64_t>(bins_.size()) - 1;
  if (!bins_.empty() && lo >= old_lo && hi <= old_hi) return;
  const int64_t slack = std::max<int64_t>(kMinGrowSlack, (int64_t{hi} - lo + 1) / 2);
  int64_t new_lo = lo;
  int64_t new_hi = hi;
  if (bins_.empty() || hi > old_hi) new_hi += slack;
  if (bins_.empty() || lo < old_lo) new_lo -= slack;
  new_lo = std::max(new_lo, -kMaxAbsKey);
  new_hi = std::min(new_hi, kMaxAbsKey);
  std::vector<uint64_t> grown(static_cast<size_t>(new_hi - new_lo + 1), 0);
  // Only zeros can fall outside the new range (non-zero bins lie in [lo, hi]).
  for (int64_t k = std::max(old_lo, new_lo); k <= std::min(old_hi, new_hi); ++k) {
    grown[static_cast<size_t>(k - new_lo)] = bins_[static_cast<size_t>(k - old_lo)];
  }
  bins_ = std::move(grown);
  offset_ = static_cast<int32_t>(new_lo);
}

Status DdSketch::Merge(const DdSketch& other) {
  if (other.relative_accuracy_ != relative_accuracy_) {
    return Status::InvalidArgument("DdSketch::Merge: relative accuracy " +
                                   std::to_string(other.relative_accuracy_) + " differs from " +
                                   std::to_string(relative_accuracy_));
  }
  if (&other == this) {  // Merging a sketch with itself doubles every count.
    count_ *= 2;
    zero_count_ *= 2;
    dropped_ *= 2;
    sum_ *= 2.0;
    for (uint64_t& n : bins_) n *= 2;
    return Status::OK();
  }
  count_ += other.count_;
  zero_count_ += other.zero_count_;
  dropped_ += other.dropped_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  if (!other.HasBins()) return Status::OK();
  const int32_t lo = HasBins() ? std::min(min_key_, other.min_key_) : other.min_key_;
  const int32_t hi = HasBins() ? std::max(max_key_, other.max_key_) : other.max_key_;
  if (int64_t{hi} - lo < kMaxBins) {
    // Nothing folds: add the other's bins as one run (the common case when merging rollups).
    // Bins outside [min_key_, max_key_] are zero, so widening the window keeps the counts.
    EnsureCovers(lo, hi);
    min_key_ = lo;
    max_key_ = hi;
    const uint64_t* src = other.bins_.data() + (other.min_key_ - other.offset_);
    uint64_t* dst = bins_.data() + (other.min_key_ - offset_);
    const int32_t n = other.max_key_ - other.min_key_ + 1;
    for (int32_t i = 0; i < n; ++i) dst[i] += src[i];
    return Status::OK();
  }
  // The maximum first: the window then moves at most once and the other bins never fold.
  AddToBin(other.max_key_, other.bins_[other.max_key_ - other.offset_]);
  for (int32_t k = other.min_key_; k < other.max_key_; ++k) {
    const uint64_t n = other.bins_[k - other.offset_];
    if (n != 0) AddToBin(k, n);
  }
  return Status::OK();
}

double DdSketch::OrderStatistic(uint64_t k) const {
  assert(k < count_);
  if (k == 0) return min_;
  if (k >= count_ - 1) return max_;
  if (k < zero_count_) return std::clamp(0.0, min_, max_);
  uint64_t seen = zero_count_;
  for (int32_t key = min_key_; key <= max_key_; ++key) {
    seen += bins_[key - offset_];
    if (k < seen) return std::clamp(EstimateOfKey(key), min_, max_);
  }
  return max_;  // Unreachable while count_ == zero_count_ + sum of bins.
}

double DdSketch::Quantile(double q) const {
  if (count_ == 0 || !(q >= 0.0 && q <= 1.0)) return kNaN;
  const uint64_t last = count_ - 1;
  const double rank = q * static_cast<double>(last);
  const double lo_rank = std::floor(rank);
  const uint64_t lo = RankToIndex(lo_rank, last);
  const uint64_t hi = RankToIndex(std::ceil(rank), last);
  const double v_lo = OrderStatistic(lo);
  if (hi == lo) return v_lo;
  const double v_hi = OrderStatistic(hi);
  return Lerp(v_lo, v_hi, rank - lo_rank);
}

std::string DdSketch::Serialize() const {
  std::string out;
  const size_t num_bins = HasBins() ? static_cast<size_t>(max_key_ - min_key_ + 1) : 0;
  out.reserve(1 + 8 + 3 * kMaxVarintBytes + 24 + 2 * kMaxVarintBytes + 2 * num_bins);
  out.push_back(static_cast<char>(kFormatVersion));
  PutDouble(out, relative_accuracy_);
  PutVarint(out, count_);
  PutVarint(out, zero_count_);
  PutVarint(out, dropped_);
  if (count_ > 0) {
    PutDouble(out, min_);
    PutDouble(out, max_);
    PutDouble(out, sum_);
  }
  PutVarint(out, num_bins);
  if (num_bins > 0) {
    PutVarint(out, ZigZag(min_key_));
    for (int32_t k = min_key_; k <= max_key_; ++k) PutVarint(out, bins_[k - offset_]);
  }
  return out;
}

Result<DdSketch> DdSketch::Deserialize(std::string_view bytes) {
  Reader in(bytes);
  if (bytes.empty()) return in.Error("empty input", "version");
  const auto version = static_cast<uint8_t>(bytes[0]);
  if (version != kFormatVersion) {
    return Status::Corruption("DdSketch: unsupported format version " + std::to_string(version));
  }
  in.Skip(1);
  Result<double> accuracy = in.Double("relative accuracy");
  if (!accuracy.ok()) return accuracy.status();
  if (!(*accuracy >= kMinRelativeAccuracy && *accuracy <= kMaxRelativeAccuracy)) {
    return in.Error("out-of-range value", "relative accuracy");
  }
  Result<Summary> summary = ReadSummary(in);
  if (!summary.ok()) return summary.status();
  Result<DenseBins> bins = ReadBins(in);
  if (!bins.ok()) return bins.status();
  if (in.remaining() != 0) return in.Error("trailing bytes", "end of sketch");
  if (summary->zero_count > std::numeric_limits<uint64_t>::max() - bins->total ||
      summary->zero_count + bins->total != summary->count) {
    return in.Error("count differs from zero bucket plus bins", "count");
  }

  DdSketch sketch(*accuracy);
  sketch.count_ = summary->count;
  sketch.zero_count_ = summary->zero_count;
  sketch.dropped_ = summary->dropped;
  if (summary->count > 0) {
    sketch.min_ = summary->min;
    sketch.max_ = summary->max;
    sketch.sum_ = summary->sum;
  }
  if (!bins->counts.empty()) {
    sketch.offset_ = sketch.min_key_ = bins->first_key;
    sketch.max_key_ = bins->first_key + static_cast<int32_t>(bins->counts.size()) - 1;
    sketch.bins_ = std::move(bins->counts);
  }
  return sketch;
}

}  // namespace roost
