#include "storage/key_codec.h"

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

namespace roost::keys {
namespace {

TEST(KeyCodecTest, BlockKeysSortAsTheirTuples) {
  std::mt19937_64 rng(7);
  std::vector<BlockKey> tuples;
  const uint32_t edge32[] = {0, 1, 255, 256, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff};
  const uint64_t edge64[] = {0, 1, 255, 256, 0xffffffffull, 0x100000000ull, ~0ull};
  for (uint32_t p : edge32) {
    for (uint32_t b : edge32) {
      for (uint64_t s : edge64) tuples.push_back({p, b, s});
    }
  }
  for (int i = 0; i < 2000; ++i) {
    tuples.push_back({static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()), rng()});
  }
  std::vector<std::pair<std::string, BlockKey>> encoded;
  for (const BlockKey& k : tuples) encoded.emplace_back(EncodeBlockKey(k), k);
  std::sort(encoded.begin(), encoded.end());
  for (size_t i = 1; i < encoded.size(); ++i) {
    EXPECT_LE(encoded[i - 1].second, encoded[i].second) << "at " << i;
  }
}

TEST(KeyCodecTest, BlockKeyRoundTrips) {
  BlockKey k{0xdeadbeef, 491234, 0x0102030405060708ull};
  EXPECT_EQ(DecodeBlockKey(EncodeBlockKey(k)), k);
  EXPECT_EQ(EncodeBlockKey(k).size(), kBlockKeySize);
}

TEST(KeyCodecTest, ColumnKeysOfABlockAreContiguousAndOrderedByColumn) {
  BlockKey a{1, 2, 3};
  BlockKey b{1, 2, 4};
  std::vector<std::string> ks;
  for (uint8_t c = 0; c < 16; ++c) ks.push_back(EncodeColumnKey(a, c));
  EXPECT_TRUE(std::is_sorted(ks.begin(), ks.end()));
  EXPECT_LT(ks.back(), EncodeColumnKey(b, 0));
  EXPECT_LT(EncodeBlockKey(a), ks.front());
}

TEST(KeyCodecTest, SessionAndAggKeysSortAsTheirTuples) {
  std::mt19937 rng(3);
  using SessionTuple = std::tuple<uint32_t, uint32_t, uint32_t, uint64_t>;
  std::vector<std::pair<std::string, SessionTuple>> sessions;
  using AggTuple = std::tuple<uint32_t, uint32_t, uint8_t, uint32_t>;
  std::vector<std::pair<std::string, AggTuple>> aggs;
  for (int i = 0; i < 3000; ++i) {
    uint32_t p = rng() % 3, s = rng() % 1000 * 997, b = rng() % 5 + 480000;
    uint64_t blk = rng() % 300;
    sessions.emplace_back(EncodeSessionIndexKey(p, s, b, blk), SessionTuple{p, s, b, blk});
    auto dim = static_cast<uint8_t>(rng() % 4);
    uint32_t id = rng() % 70000;
    aggs.emplace_back(EncodeAggKey(p, b, static_cast<AggDimension>(dim), id),
                      AggTuple{p, b, dim, id});
  }
  std::sort(sessions.begin(), sessions.end());
  std::sort(aggs.begin(), aggs.end());
  for (size_t i = 1; i < sessions.size(); ++i) {
    EXPECT_LE(sessions[i - 1].second, sessions[i].second);
    EXPECT_LE(aggs[i - 1].second, aggs[i].second);
  }
}

TEST(KeyCodecTest, TraceIndexKeysGroupByTrace) {
  std::array<uint8_t, 16> t1{}, t2{};
  t1[15] = 1;
  t2[0] = 1;
  std::string a = EncodeTraceIndexKey(t1, {9, 9, 9});
  std::string b = EncodeTraceIndexKey(t1, {0xffffffff, 0xffffffff, ~0ull});
  std::string c = EncodeTraceIndexKey(t2, {0, 0, 0});
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(a.size(), kTraceIndexKeySize);
  EXPECT_TRUE(b.starts_with(std::string(reinterpret_cast<const char*>(t1.data()), 16)));
}

TEST(KeyCodecTest, PrefixSuccessorBoundsEveryExtension) {
  EXPECT_EQ(PrefixSuccessor(std::string("\x01\x02", 2)), std::string("\x01\x03", 2));
  EXPECT_EQ(PrefixSuccessor(std::string("\x01\xff", 2)), std::string("\x02", 1));
  EXPECT_EQ(PrefixSuccessor(std::string("\xff\xff", 2)), std::nullopt);
  std::string prefix = EncodeProjectBucketPrefix(5, 0xffffffff);
  std::string succ = *PrefixSuccessor(prefix);
  EXPECT_LT(EncodeBlockKey({5, 0xffffffff, ~0ull}), succ);
  EXPECT_GE(EncodeBlockKey({6, 0, 0}), succ);
}

TEST(KeyCodecTest, BucketIsWholeHoursSinceEpoch) {
  EXPECT_EQ(BucketOf(0), 0u);
  EXPECT_EQ(BucketOf(kBucketNanos - 1), 0u);
  EXPECT_EQ(BucketOf(kBucketNanos), 1u);
  EXPECT_EQ(BucketStart(BucketOf(1'700'000'000'000'000'000)), 1'699'999'200'000'000'000);
}

}  // namespace
}  // namespace roost::keys
