// The token-type detail fields (cache read/write, prompt and completion audio, reasoning): kept
// in records and in their own columns, before and after sealing; blocks sealed before those
// columns existed read as zeros.

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "storage/internal/store_db.h"
#include "storage/key_codec.h"
#include "storage/span_store.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

constexpr uint64_t kSpans = 500;

// Span i carries distinct detail counts derived from i (0 for every fifth span).
std::vector<Span> DetailSpans() {
  std::vector<Span> spans = MakeSpans(kSpans, 5);
  for (uint64_t i = 0; i < kSpans; ++i) {
    Span& s = spans[i];
    s.prompt_tokens = 10000 + static_cast<int64_t>(i);
    s.completion_tokens = 5000;
    s.total_tokens = s.prompt_tokens + s.completion_tokens;
    if (i % 5 != 0) {
      s.cache_read_tokens = static_cast<int64_t>(i) * 3;
      s.cache_write_tokens = static_cast<int64_t>(i) * 2 + 1;
      s.prompt_audio_tokens = static_cast<int64_t>(i % 17);
      s.reasoning_tokens = static_cast<int64_t>(i) * 5;
      s.completion_audio_tokens = static_cast<int64_t>(i % 11);
    }
  }
  return spans;
}

// The five detail counts of a span, or of a row, in column order.
using Details = std::array<uint64_t, 5>;
Details DetailsOf(const Span& s) {
  return {uint64_t(s.cache_read_tokens), uint64_t(s.cache_write_tokens),
          uint64_t(s.prompt_audio_tokens), uint64_t(s.reasoning_tokens),
          uint64_t(s.completion_audio_tokens)};
}
Details DetailsOf(const ColumnView& v, size_t r) {
  return {v.cache_read_tokens[r], v.cache_write_tokens[r], v.prompt_audio_tokens[r],
          v.reasoning_tokens[r], v.completion_audio_tokens[r]};
}

constexpr ColumnSet kDetailColumns = {Column::kSpanId,           Column::kCacheReadTokens,
                                      Column::kCacheWriteTokens, Column::kPromptAudioTokens,
                                      Column::kReasoningTokens,  Column::kCompletionAudioTokens};

// Scans every row of "default": the detail columns by span id, and each row's whole span as
// ReadSpans returns it. `zero_columns` expects every detail column to read 0.
void CheckDetails(const SpanStore& store, const std::vector<Span>& spans, bool zero_columns) {
  std::map<SpanId, const Span*> by_id;
  for (const Span& s : spans) by_id[s.span_id] = &s;
  size_t rows = 0;
  ScanRequest request;
  request.columns = kDetailColumns;
  Status st = store.Scan(request, [&](const ColumnView& v) {
    std::vector<uint32_t> all(v.rows);
    for (uint32_t r = 0; r < v.rows; ++r) all[r] = r;
    Result<std::vector<Span>> read = store.ReadSpans(v, all);
    EXPECT_THAT(read, IsOk());
    for (uint32_t r = 0; r < v.rows; ++r) {
      SpanId id;
      std::memcpy(id.bytes.data(), v.span_id + 8 * r, 8);
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        ADD_FAILURE() << "unknown span " << id.ToHex();
        continue;
      }
      const Details want = zero_columns ? Details{} : DetailsOf(*it->second);
      EXPECT_EQ(DetailsOf(v, r), want) << id.ToHex();
      if (read.ok()) {
        EXPECT_EQ((*read)[r], *it->second);  // records keep the details
      }
      ++rows;
    }
    return Status::OK();
  });
  EXPECT_THAT(st, IsOk());
  EXPECT_EQ(rows, spans.size());
}

class TokenDetailsTest : public SpanStoreTest {};

TEST_F(TokenDetailsTest, RoundTripBeforeAndAfterSealing) {
  std::unique_ptr<SpanStore> store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = DetailSpans();
  ASSERT_EQ(WriteOk(*store, spans).stored, kSpans);
  CheckDetails(*store, spans, /*zero_columns=*/false);  // open blocks
  ASSERT_THAT(store->Flush(), IsOk());
  CheckDetails(*store, spans, /*zero_columns=*/false);  // sealed blocks
  store.reset();
  store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  CheckDetails(*store, spans, /*zero_columns=*/false);  // from disk after a restart
}

TEST_F(TokenDetailsTest, RestartReplaysDetailsIntoOpenBlocks) {
  const std::vector<Span> spans = DetailSpans();
  {
    std::unique_ptr<SpanStore> store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(WriteOk(*store, spans).stored, kSpans);
    // Closing without a Flush: on reopen the rows come back from the records.
  }
  std::unique_ptr<SpanStore> store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  CheckDetails(*store, spans, /*zero_columns=*/false);
}

TEST_F(TokenDetailsTest, BlocksWithoutDetailChunksReadAsZeros) {
  const std::vector<Span> spans = DetailSpans();
  {
    std::unique_ptr<SpanStore> store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(WriteOk(*store, spans).stored, kSpans);
    ASSERT_THAT(store->Flush(), IsOk());
  }
  // Make the sealed blocks look like ones sealed before the detail columns existed.
  size_t deleted = 0;
  {
    Result<std::unique_ptr<internal::StoreDb>> db =
        internal::StoreDb::Open(Options(), std::make_shared<internal::RetentionCutoff>());
    ASSERT_THAT(db, IsOk());
    rocksdb::DB* raw = (*db)->db();
    auto* cols = (*db)->cf(internal::kCols);
    std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions(), cols));
    std::vector<std::string> doomed;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const uint8_t column = static_cast<uint8_t>(it->key()[it->key().size() - 1]);
      if (column >= static_cast<uint8_t>(kFirstOptionalColumn))
        doomed.push_back(it->key().ToString());
    }
    for (const std::string& k : doomed) {
      ASSERT_TRUE(raw->Delete(rocksdb::WriteOptions(), cols, k).ok());
    }
    deleted = doomed.size();
  }
  EXPECT_GE(deleted, 5u);
  std::unique_ptr<SpanStore> store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  CheckDetails(*store, spans, /*zero_columns=*/true);
}

}  // namespace
}  // namespace roost::test
