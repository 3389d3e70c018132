#include "storage/internal/column_chunk.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/storage/test_util.h"

namespace roost::internal {
namespace {

using test::IsError;
using test::IsOk;

// Where a filled view keeps `column`'s bytes.
const void* ColumnBytes(const ColumnView& v, Column column) {
  switch (column) {
    case Column::kStart:
      return v.start.bytes();
    case Column::kDuration:
      return v.duration.bytes();
    case Column::kKind:
      return v.kind.bytes();
    case Column::kStatus:
      return v.status.bytes();
    case Column::kName:
      return v.name.bytes();
    case Column::kModel:
      return v.model.bytes();
    case Column::kSession:
      return v.session.bytes();
    case Column::kPromptTokens:
      return v.prompt_tokens.bytes();
    case Column::kCompletionTokens:
      return v.completion_tokens.bytes();
    case Column::kTotalTokens:
      return v.total_tokens.bytes();
    case Column::kCostMicros:
      return v.cost_micros.bytes();
    case Column::kSpanHash:
      return v.span_hash.bytes();
    case Column::kTraceId:
      return v.trace_id;
    case Column::kSpanId:
      return v.span_id;
    case Column::kParentSpanId:
      return v.parent_span_id;
    case Column::kUser:
      return v.user.bytes();
    case Column::kRecordRef:
      return v.record_ref.bytes();
    case Column::kCacheReadTokens:
      return v.cache_read_tokens.bytes();
    case Column::kCacheWriteTokens:
      return v.cache_write_tokens.bytes();
    case Column::kPromptAudioTokens:
      return v.prompt_audio_tokens.bytes();
    case Column::kReasoningTokens:
      return v.reasoning_tokens.bytes();
    case Column::kCompletionAudioTokens:
      return v.completion_audio_tokens.bytes();
  }
  return nullptr;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

TEST(ColumnChunkTest, EveryColumnRoundTrips) {
  constexpr uint32_t kRows = 300;
  for (int c = 0; c < kColumnCount; ++c) {
    const auto column = static_cast<Column>(c);
    SCOPED_TRACE("column " + std::to_string(c));
    const std::string values = RandomBytes(kRows * RowWidth(column), c);
    const std::string encoded = EncodeColumnChunk(column, values.data(), kRows);
    // RocksDB values sit at any address: decode from an odd one.
    const std::string shifted = "x" + encoded;
    auto chunk = ColumnChunkData::Decode(std::string_view(shifted).substr(1), column, kRows, "b");
    ASSERT_THAT(chunk, IsOk());
    ColumnView view;
    (*chunk)->Fill(&view);
    const void* got = ColumnBytes(view, column);
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(std::memcmp(got, values.data(), values.size()), 0);
  }
}

TEST(ColumnChunkTest, ZeroRowChunkDecodes) {
  const std::string encoded = EncodeColumnChunk(Column::kStart, nullptr, 0);
  EXPECT_THAT(ColumnChunkData::Decode(encoded, Column::kStart, 0, "b"), IsOk());
}

TEST(ColumnChunkTest, RowCountOrColumnMismatchIsCorruptionNamingWhere) {
  std::vector<int64_t> starts(10, 5);
  const std::string encoded = EncodeColumnChunk(Column::kStart, starts.data(), 10);
  EXPECT_THAT(ColumnChunkData::Decode(encoded, Column::kStart, 11, "block 7"),
              IsError(Status::Code::kCorruption, "column 0 of block 7: has 10 rows"));
  EXPECT_THAT(ColumnChunkData::Decode(encoded, Column::kDuration, 10, "block 7"),
              IsError(Status::Code::kCorruption, "holds another column"));
}

TEST(ColumnChunkTest, DamagedChunksDecodeOrFailButNeverCrash) {
  std::vector<uint64_t> hashes(64);
  for (size_t i = 0; i < hashes.size(); ++i) hashes[i] = i * 0x9e3779b97f4a7c15ULL;
  const std::string encoded = EncodeColumnChunk(Column::kSpanHash, hashes.data(), 64);
  std::mt19937 rng(23);
  int failed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string damaged = encoded;
    if (i % 3 == 0) damaged.resize(rng() % damaged.size());
    for (uint32_t k = 0, n = 1 + rng() % 3; k < n && !damaged.empty(); ++k) {
      damaged[rng() % damaged.size()] = static_cast<char>(rng());
    }
    auto chunk = ColumnChunkData::Decode(damaged, Column::kSpanHash, 64, "b");
    if (!chunk.ok()) {
      EXPECT_THAT(chunk, IsError(Status::Code::kCorruption, "column 11 of b"));
      ++failed;
      continue;
    }
    ColumnView view;
    (*chunk)->Fill(&view);
    uint64_t sum = 0;
    for (size_t r = 0; r < view.span_hash.size(); ++r) sum += view.span_hash[r];
    EXPECT_EQ(view.span_hash.size(), 64u) << sum;
  }
  EXPECT_GT(failed, 0);
}

}  // namespace
}  // namespace roost::internal
