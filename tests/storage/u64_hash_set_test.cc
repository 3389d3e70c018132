#include "storage/internal/u64_hash_set.h"

#include <random>
#include <unordered_set>

#include <gtest/gtest.h>

namespace roost::internal {
namespace {

TEST(U64HashSetTest, AgreesWithStdUnorderedSetUnderRandomOperations) {
  std::mt19937_64 rng(42);
  U64HashSet set;
  std::unordered_set<uint64_t> reference;
  // Small key space with clustered low bits, so probe runs collide and deletions shift entries.
  for (int i = 0; i < 200000; ++i) {
    uint64_t key = (rng() % 5000) << (rng() % 2 == 0 ? 0 : 20);
    switch (rng() % 3) {
      case 0:
        ASSERT_EQ(set.Insert(key), reference.insert(key).second) << "insert " << key;
        break;
      case 1:
        ASSERT_EQ(set.Erase(key), reference.erase(key) == 1) << "erase " << key;
        break;
      default:
        ASSERT_EQ(set.Contains(key), reference.count(key) == 1) << "contains " << key;
    }
    ASSERT_EQ(set.size(), reference.size());
  }
  for (uint64_t k : reference) EXPECT_TRUE(set.Contains(k));
}

TEST(U64HashSetTest, ZeroIsAnOrdinaryMember) {
  U64HashSet set;
  EXPECT_FALSE(set.Contains(0));
  EXPECT_TRUE(set.Insert(0));
  EXPECT_FALSE(set.Insert(0));
  EXPECT_TRUE(set.Contains(0));
  EXPECT_TRUE(set.Erase(0));
  EXPECT_FALSE(set.Contains(0));
  EXPECT_EQ(set.size(), 0u);
}

TEST(U64HashSetTest, GrowsAndShrinksWithoutLosingMembers) {
  U64HashSet set;
  for (uint64_t k = 1; k <= 100000; ++k) ASSERT_TRUE(set.Insert(k * 0x9e3779b97f4a7c15ULL));
  for (uint64_t k = 1; k <= 99000; ++k) ASSERT_TRUE(set.Erase(k * 0x9e3779b97f4a7c15ULL));
  EXPECT_EQ(set.size(), 1000u);
  for (uint64_t k = 99001; k <= 100000; ++k) EXPECT_TRUE(set.Contains(k * 0x9e3779b97f4a7c15ULL));
}

}  // namespace
}  // namespace roost::internal
