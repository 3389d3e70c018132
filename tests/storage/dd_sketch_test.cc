#include "storage/dd_sketch.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/status.h"

namespace roost {
namespace {

using ::testing::HasSubstr;

MATCHER(IsOk, "is OK") { return arg.ok(); }
MATCHER(IsCorruption, "is kCorruption") {
  *result_listener << "status is " << arg.ToString();
  return arg.IsCorruption();
}

constexpr size_t kSampleSize = 10'000;
constexpr double kMaxRelativeError = 0.01;
constexpr double kQuantiles[] = {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999};

// Durations are whole nanoseconds, as in spans. That keeps every sum below 2^53 exact, so sum()
// and hence Serialize() do not depend on the order values were added or merged in.
double WholeNanos(double x) { return std::round(x); }

std::vector<double> Lognormal(double median, double sigma, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(std::log(median), sigma);
  std::vector<double> values(n);
  for (double& v : values) v = WholeNanos(dist(rng));
  return values;
}

std::vector<double> LognormalLatencies() { return Lognormal(2e9, 0.8, kSampleSize, 1); }

// Cache hits around 200 ms and misses around 8 s.
std::vector<double> BimodalLatencies() {
  std::vector<double> values = Lognormal(2e8, 0.2, kSampleSize * 6 / 10, 2);
  const std::vector<double> slow = Lognormal(8e9, 0.3, kSampleSize * 4 / 10, 3);
  values.insert(values.end(), slow.begin(), slow.end());
  return values;
}

std::vector<double> UniformLatencies() {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> dist(1e6, 5e9);
  std::vector<double> values(kSampleSize);
  for (double& v : values) v = WholeNanos(dist(rng));
  return values;
}

// Pareto with shape 1.1: a heavy tail spanning several decades.
std::vector<double> ParetoLatencies() {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> values(kSampleSize);
  for (double& v : values) v = WholeNanos(5e5 / std::pow(1.0 - unit(rng), 1.0 / 1.1));
  return values;
}

// 10% zero durations plus a very wide lognormal.
std::vector<double> ZeroHeavyLatencies() {
  std::vector<double> values = Lognormal(1e5, 2.0, kSampleSize * 9 / 10, 6);
  values.resize(kSampleSize, 0.0);
  return values;
}

struct Distribution {
  const char* name;
  std::vector<double> (*make)();
};

constexpr Distribution kDistributions[] = {
    {"lognormal", LognormalLatencies},  {"bimodal", BimodalLatencies},
    {"uniform", UniformLatencies},      {"pareto", ParetoLatencies},
    {"zero-heavy", ZeroHeavyLatencies},
};

// numpy.quantile(values, q) with the default method='linear'.
double ExactQuantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double rank = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const auto hi = static_cast<size_t>(std::ceil(rank));
  const double t = rank - static_cast<double>(lo);
  const double diff = values[hi] - values[lo];
  return t >= 0.5 ? values[hi] - diff * (1.0 - t) : values[lo] + diff * t;
}

double RelativeError(double estimate, double exact) {
  if (exact == 0.0) return estimate == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
  return std::abs(estimate - exact) / exact;
}

DdSketch SketchOf(const std::vector<double>& values,
                  double accuracy = DdSketch::kDefaultRelativeAccuracy) {
  DdSketch sketch(accuracy);
  for (double v : values) sketch.Add(v);
  return sketch;
}

// Bytes in the documented Serialize() layout, for building malformed inputs.
class Encoding {
 public:
  Encoding& Byte(uint8_t b) {
    bytes_.push_back(static_cast<char>(b));
    return *this;
  }
  Encoding& Varint(uint64_t v) {
    for (; v >= 0x80; v >>= 7) Byte(static_cast<uint8_t>((v & 0x7f) | 0x80));
    return Byte(static_cast<uint8_t>(v));
  }
  Encoding& Double(double d) {
    const auto bits = std::bit_cast<uint64_t>(d);
    for (int i = 0; i < 8; ++i) Byte(static_cast<uint8_t>(bits >> (8 * i)));
    return *this;
  }
  // Version, accuracy and counts of a sketch holding `count` values, none dropped.
  Encoding& Header(uint64_t count, uint64_t zero_count) {
    Byte(DdSketch::kFormatVersion).Double(0.005).Varint(count).Varint(zero_count).Varint(0);
    return count > 0 ? Double(1.0).Double(2.0).Double(3.0) : *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

TEST(DdSketchTest, EmptySketchHasNoQuantiles) {
  const DdSketch sketch;
  EXPECT_EQ(sketch.count(), 0u);
  EXPECT_EQ(sketch.sum(), 0.0);
  EXPECT_TRUE(std::isnan(sketch.min()));
  EXPECT_TRUE(std::isnan(sketch.max()));
  for (double q : {0.0, 0.5, 1.0}) EXPECT_TRUE(std::isnan(sketch.Quantile(q))) << q;
}

TEST(DdSketchTest, SingleValueIsEveryQuantile) {
  DdSketch sketch;
  sketch.Add(123456789.0);
  EXPECT_EQ(sketch.count(), 1u);
  for (double q : kQuantiles) EXPECT_EQ(sketch.Quantile(q), 123456789.0) << q;
  EXPECT_EQ(sketch.Quantile(0.0), 123456789.0);
  EXPECT_EQ(sketch.Quantile(1.0), 123456789.0);
}

TEST(DdSketchTest, TwoValuesInterpolateLinearly) {
  DdSketch sketch;
  sketch.Add(300.0);
  sketch.Add(100.0);
  EXPECT_DOUBLE_EQ(sketch.Quantile(0.25), 150.0);
  EXPECT_DOUBLE_EQ(sketch.Quantile(0.5), 200.0);
  EXPECT_DOUBLE_EQ(sketch.sum(), 400.0);
}

TEST(DdSketchTest, QuantileOutsideUnitIntervalIsNaN) {
  DdSketch sketch;
  sketch.Add(1.0);
  for (double q : {-0.1, 1.1, std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_TRUE(std::isnan(sketch.Quantile(q))) << q;
  }
}

TEST(DdSketchTest, ExtremeQuantilesAreExactMinAndMax) {
  for (const Distribution& d : kDistributions) {
    const std::vector<double> values = d.make();
    const DdSketch sketch = SketchOf(values);
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    EXPECT_EQ(sketch.min(), *lo) << d.name;
    EXPECT_EQ(sketch.max(), *hi) << d.name;
    EXPECT_EQ(sketch.Quantile(0.0), *lo) << d.name;
    EXPECT_EQ(sketch.Quantile(1.0), *hi) << d.name;
  }
}

TEST(DdSketchTest, QuantilesMatchNumpyLinearWithinOnePercent) {
  for (const Distribution& d : kDistributions) {
    const std::vector<double> values = d.make();
    const DdSketch sketch = SketchOf(values);
    ASSERT_EQ(sketch.count(), values.size());
    for (double q : kQuantiles) {
      const double exact = ExactQuantile(values, q);
      const double error = RelativeError(sketch.Quantile(q), exact);
      EXPECT_LE(error, kMaxRelativeError) << d.name << " q=" << q << " exact=" << exact;
      // The documented bound, interpolation included (slack for rounding in log/exp).
      EXPECT_LE(error, sketch.relative_accuracy() * (1 + 1e-9)) << d.name << " q=" << q;
    }
  }
}

TEST(DdSketchTest, CoarserAccuracyStaysWithinItsBound) {
  const std::vector<double> values = LognormalLatencies();
  const DdSketch sketch = SketchOf(values, 0.05);
  for (double q : kQuantiles) {
    EXPECT_LE(RelativeError(sketch.Quantile(q), ExactQuantile(values, q)), 0.05 * (1 + 1e-9)) << q;
  }
}

TEST(DdSketchTest, ZeroAndTinyValuesGoToZeroBucket) {
  DdSketch sketch;
  sketch.Add(-0.0);  // First, so min() would keep its sign if Add did not canonicalize it.
  sketch.Add(0.0, 5);
  sketch.Add(DdSketch::kMinIndexableValue / 2);
  sketch.Add(1000.0, 3);
  EXPECT_EQ(sketch.count(), 10u);
  EXPECT_EQ(sketch.min(), 0.0);
  EXPECT_FALSE(std::signbit(sketch.min()));
  EXPECT_EQ(sketch.Quantile(0.5), 0.0);  // rank 4.5: between two zero-bucket values.
  EXPECT_EQ(sketch.Quantile(1.0), 1000.0);
}

TEST(DdSketchTest, InvalidValuesAreDropped) {
  DdSketch sketch;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (double v : {-1.0, std::numeric_limits<double>::quiet_NaN(), kInf, -kInf}) sketch.Add(v);
  sketch.Add(-5.0, 10);
  EXPECT_EQ(sketch.dropped(), 14u);
  EXPECT_EQ(sketch.count(), 0u);
  EXPECT_TRUE(std::isnan(sketch.Quantile(0.5)));
}

TEST(DdSketchTest, AddWithCountEqualsRepeatedAdd) {
  DdSketch counted;
  DdSketch repeated;
  for (double v : {7.0, 7e3, 7e9}) {
    counted.Add(v, 4);
    for (int i = 0; i < 4; ++i) repeated.Add(v);
  }
  counted.Add(1.0, 0);  // A no-op.
  EXPECT_EQ(counted.Serialize(), repeated.Serialize());
}

TEST(DdSketchTest, MergeEqualsAddingAllValuesInEitherOrder) {
  for (const Distribution& d : kDistributions) {
    const std::vector<double> values = d.make();
    const auto third = static_cast<std::ptrdiff_t>(values.size() / 3);
    const DdSketch a = SketchOf({values.begin(), values.begin() + third});
    const DdSketch b = SketchOf({values.begin() + third, values.end()});
    DdSketch ab = a;
    ASSERT_THAT(ab.Merge(b), IsOk());
    DdSketch ba = b;
    ASSERT_THAT(ba.Merge(a), IsOk());
    const DdSketch all = SketchOf(values);
    EXPECT_EQ(ab.Serialize(), all.Serialize()) << d.name;
    EXPECT_EQ(ba.Serialize(), all.Serialize()) << d.name;
    for (double q : kQuantiles) EXPECT_EQ(ab.Quantile(q), all.Quantile(q)) << d.name << q;
  }
}

TEST(DdSketchTest, MergeWithEmptyAndWithItself) {
  const DdSketch values = SketchOf(LognormalLatencies());
  DdSketch merged;
  ASSERT_THAT(merged.Merge(values), IsOk());
  EXPECT_EQ(merged.Serialize(), values.Serialize());
  DdSketch doubled = values;
  ASSERT_THAT(doubled.Merge(values), IsOk());
  ASSERT_THAT(merged.Merge(merged), IsOk());
  EXPECT_EQ(merged.count(), 2 * values.count());
  EXPECT_EQ(merged.Serialize(), doubled.Serialize());
}

TEST(DdSketchTest, MergeOfDifferentAccuracyFails) {
  DdSketch fine(0.005);
  fine.Add(10.0);
  DdSketch coarse(0.01);
  coarse.Add(20.0);
  const Status s = fine.Merge(coarse);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(fine.count(), 1u);
  EXPECT_EQ(fine.max(), 10.0);
}

// At accuracy 1e-4, kMaxBins bins span only a factor of ~5, so [1, 1e6] must collapse.
TEST(DdSketchTest, CollapsesLowestBinsAndStaysOrderIndependent) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(0.0, 6.0);
  std::vector<double> values(kSampleSize);
  for (double& v : values) v = WholeNanos(std::pow(10.0, dist(rng)));
  constexpr double kAccuracy = 1e-4;
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const DdSketch ascending = SketchOf(sorted, kAccuracy);
  const DdSketch shuffled = SketchOf(values, kAccuracy);
  DdSketch high_then_low = SketchOf({sorted.begin() + 5000, sorted.end()}, kAccuracy);
  ASSERT_THAT(high_then_low.Merge(SketchOf({sorted.begin(), sorted.begin() + 5000}, kAccuracy)),
              IsOk());
  EXPECT_EQ(ascending.Serialize(), shuffled.Serialize());
  EXPECT_EQ(high_then_low.Serialize(), shuffled.Serialize());
  // The top bins keep full accuracy; collapsed low values are overestimated, never under.
  EXPECT_LE(RelativeError(shuffled.Quantile(0.99), ExactQuantile(values, 0.99)), kAccuracy * 1.01);
  EXPECT_GE(shuffled.Quantile(0.1), ExactQuantile(values, 0.1));
  EXPECT_LE(shuffled.Serialize().size(), 3u * DdSketch::kMaxBins);
}

TEST(DdSketchTest, SerializeRoundTripsExactly) {
  DdSketch zeros_only;
  zeros_only.Add(0.0, 3);
  DdSketch with_dropped = SketchOf(ParetoLatencies());
  with_dropped.Add(-1.0, 2);
  const DdSketch cases[] = {DdSketch(), zeros_only, SketchOf(LognormalLatencies(), 0.02),
                            with_dropped};
  for (const DdSketch& original : cases) {
    const std::string bytes = original.Serialize();
    EXPECT_EQ(static_cast<uint8_t>(bytes[0]), DdSketch::kFormatVersion);
    Result<DdSketch> decoded = DdSketch::Deserialize(bytes);
    ASSERT_THAT(decoded.status(), IsOk());
    EXPECT_EQ(decoded->Serialize(), bytes);
    EXPECT_EQ(decoded->relative_accuracy(), original.relative_accuracy());
    EXPECT_EQ(decoded->dropped(), original.dropped());
    EXPECT_EQ(decoded->count(), original.count());
    EXPECT_EQ(decoded->sum(), original.sum());
    for (double q : kQuantiles) {
      EXPECT_TRUE(decoded->Quantile(q) == original.Quantile(q) || std::isnan(original.Quantile(q)))
          << q;
    }
  }
}

TEST(DdSketchTest, SerializedLognormalSketchIsSmall) {
  const std::string bytes = SketchOf(LognormalLatencies()).Serialize();
  EXPECT_LT(bytes.size(), 1024u);
}

TEST(DdSketchTest, DeserializeRejectsEveryTruncatedPrefix) {
  DdSketch sketch = SketchOf(BimodalLatencies());
  sketch.Add(0.0);
  sketch.Add(-3.0);
  const std::string bytes = sketch.Serialize();
  for (size_t len = 0; len < bytes.size(); ++len) {
    EXPECT_THAT(DdSketch::Deserialize(bytes.substr(0, len)).status(), IsCorruption()) << len;
  }
}

TEST(DdSketchTest, DeserializeRejectsRandomGarbage) {
  std::mt19937_64 rng(8);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 80);
  for (int i = 0; i < 2000; ++i) {
    std::string garbage(length(rng), '\0');
    for (char& c : garbage) c = static_cast<char>(byte(rng));
    // Half the inputs get a valid version byte so decoding goes past the first check.
    if (i % 2 == 0 && !garbage.empty()) garbage[0] = static_cast<char>(DdSketch::kFormatVersion);
    EXPECT_THAT(DdSketch::Deserialize(garbage).status(), IsCorruption()) << i;
  }
}

// A flipped byte may still decode (e.g. inside min); it must never crash or break invariants.
TEST(DdSketchTest, DeserializeOfCorruptedBytesIsSafe) {
  const std::string good = SketchOf(ZeroHeavyLatencies()).Serialize();
  std::mt19937_64 rng(9);
  std::uniform_int_distribution<size_t> position(0, good.size() - 1);
  std::uniform_int_distribution<int> bit(0, 7);
  for (int i = 0; i < 2000; ++i) {
    std::string bad = good;
    const size_t at = position(rng);
    bad[at] = static_cast<char>(static_cast<uint8_t>(bad[at]) ^ (1u << bit(rng)));
    Result<DdSketch> decoded = DdSketch::Deserialize(bad);
    if (!decoded.ok()) {
      EXPECT_THAT(decoded.status(), IsCorruption());
      continue;
    }
    ASSERT_GT(decoded->count(), 0u);  // Any change to the counts breaks their consistency.
    const double median = decoded->Quantile(0.5);
    EXPECT_TRUE(median >= decoded->min() && median <= decoded->max()) << i;
    EXPECT_THAT(DdSketch::Deserialize(decoded->Serialize()).status(), IsOk());
  }
}

struct MalformedCase {
  const char* name;
  std::string bytes;
  const char* message;  // A substring of the Corruption message.
};

TEST(DdSketchTest, DeserializeRejectsMalformedInput) {
  constexpr uint64_t kHuge = uint64_t{1} << 62;
  const MalformedCase cases[] = {
      {"empty", "", "empty input"},
      {"version", Encoding().Byte(2).Double(0.005).bytes(), "version 2"},
      {"accuracy zero", Encoding().Byte(1).Double(0.0).bytes(), "relative accuracy"},
      {"accuracy NaN", Encoding().Byte(1).Double(std::numeric_limits<double>::quiet_NaN()).bytes(),
       "relative accuracy"},
      {"eleven-byte varint",
       Encoding().Byte(1).Double(0.005).bytes() + std::string(10, '\x80') + std::string(1, '\0'),
       "overflows"},
      {"varint bit 64",
       Encoding().Byte(1).Double(0.005).Varint(0).Varint(0).Varint(0).bytes() +
           std::string(9, '\xff') + "\x02",
       "overflows"},
      {"truncated varint", Encoding().Byte(1).Double(0.005).Byte(0x80).bytes(), "truncated"},
      {"huge bin count", Encoding().Header(5, 0).Varint(kHuge).Varint(0).Varint(5).bytes(),
       "declared size"},
      {"bins above cap",
       Encoding().Header(5, 0).Varint(DdSketch::kMaxBins + 1).bytes() + std::string(9000, '\1'),
       "declared size"},
      {"huge key", Encoding().Header(5, 0).Varint(1).Varint(kHuge).Varint(5).bytes(), "key"},
      {"count mismatch", Encoding().Header(5, 0).Varint(1).Varint(0).Varint(4).bytes(),
       "count differs"},
      {"count overflow",
       Encoding().Header(3, 2).Varint(2).Varint(0).Varint(~uint64_t{0}).Varint(1).bytes(),
       "overflow"},
      {"zero bucket overflow",
       Encoding().Header(1, ~uint64_t{0}).Varint(1).Varint(0).Varint(2).bytes(), "count differs"},
      {"empty edge bin", Encoding().Header(5, 0).Varint(2).Varint(0).Varint(5).Varint(0).bytes(),
       "edge bin"},
      {"negative min",
       Encoding()
           .Byte(1)
           .Double(0.005)
           .Varint(1)
           .Varint(1)
           .Varint(0)
           .Double(-1)
           .Double(2)
           .Double(3)
           .Varint(0)
           .bytes(),
       "min"},
      {"trailing bytes", Encoding().Header(2, 2).Varint(0).Byte(0).bytes(), "trailing"},
  };
  for (const MalformedCase& c : cases) {
    const Status s = DdSketch::Deserialize(c.bytes).status();
    EXPECT_THAT(s, IsCorruption()) << c.name;
    EXPECT_THAT(s.message(), HasSubstr(c.message)) << c.name;
  }
}

}  // namespace
}  // namespace roost
