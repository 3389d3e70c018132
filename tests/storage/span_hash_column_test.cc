// The kSpanHash column: not stored in blocks sealed since 2026-12 but derived from the id columns
// on read; a block that stored it (sealed before) is read as stored.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "storage/internal/column_chunk.h"
#include "storage/internal/span_hash.h"
#include "storage/internal/store_db.h"
#include "storage/key_codec.h"
#include "storage/span_store.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

constexpr uint64_t kSpans = 300;

std::vector<Span> Spans() { return MakeSpans(kSpans, 3); }

// Every row's span hash, as Scan returns it, after checking it against the row's ids (or against
// `expected` when set).
size_t CheckHashes(const SpanStore& store, const uint64_t* expected = nullptr) {
  size_t rows = 0;
  ScanRequest request;
  request.columns = {Column::kSpanHash, Column::kTraceId, Column::kSpanId};
  Status s = store.Scan(request, [&](const ColumnView& v) {
    for (size_t r = 0; r < v.rows; ++r) {
      std::array<uint8_t, 16> trace;
      std::array<uint8_t, 8> span;
      std::memcpy(trace.data(), v.trace_id + 16 * r, 16);
      std::memcpy(span.data(), v.span_id + 8 * r, 8);
      EXPECT_EQ(v.span_hash[r], expected ? *expected : internal::SpanHash(trace, span));
      ++rows;
    }
    return Status::OK();
  });
  EXPECT_THAT(s, IsOk());
  return rows;
}

// The column bytes of every kSpanHash chunk key in the cols family.
std::vector<std::string> SpanHashKeys(const internal::StoreDb& db) {
  std::vector<std::string> keys;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(rocksdb::ReadOptions(), db.cf(internal::kCols)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto column = static_cast<uint8_t>(it->key()[it->key().size() - 1]);
    if (column == static_cast<uint8_t>(Column::kSpanHash)) keys.push_back(it->key().ToString());
  }
  return keys;
}

class SpanHashColumnTest : public SpanStoreTest {};

TEST_F(SpanHashColumnTest, SealedBlocksDeriveItFromTheIdColumnsAndDoNotStoreIt) {
  {
    std::unique_ptr<SpanStore> store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(WriteOk(*store, Spans()).stored, kSpans);
    EXPECT_EQ(CheckHashes(*store), kSpans);  // open blocks
    ASSERT_THAT(store->Flush(), IsOk());
    EXPECT_EQ(CheckHashes(*store), kSpans);  // sealed, derived
  }
  Result<std::unique_ptr<internal::StoreDb>> db =
      internal::StoreDb::Open(Options(), std::make_shared<internal::RetentionCutoff>());
  ASSERT_THAT(db, IsOk());
  EXPECT_THAT(SpanHashKeys(**db), testing::IsEmpty());
}

TEST_F(SpanHashColumnTest, BlocksThatStoredItAreReadAsStored) {
  std::map<keys::BlockKey, uint32_t> blocks;  // sealed blocks and their rows
  {
    std::unique_ptr<SpanStore> store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(WriteOk(*store, Spans()).stored, kSpans);
    ASSERT_THAT(store->Flush(), IsOk());
    ScanRequest request;
    request.columns = {Column::kStart};
    ASSERT_THAT(store->Scan(request,
                            [&](const ColumnView& v) {
                              EXPECT_NE(v.block, 0u) << "open block left after Flush";
                              uint32_t& rows = blocks[{v.project, v.bucket, v.block}];
                              rows = std::max(rows, static_cast<uint32_t>(v.first_row + v.rows));
                              return Status::OK();
                            }),
                IsOk());
  }
  ASSERT_FALSE(blocks.empty());
  // As a block sealed before 2026-12 has it; the values are marked so that a derived column
  // would differ.
  constexpr uint64_t kMark = 0x5eed5eed5eed5eedULL;
  {
    Result<std::unique_ptr<internal::StoreDb>> db =
        internal::StoreDb::Open(Options(), std::make_shared<internal::RetentionCutoff>());
    ASSERT_THAT(db, IsOk());
    for (const auto& [key, rows] : blocks) {
      const std::vector<uint64_t> marks(rows, kMark);
      ASSERT_TRUE((*db)
                      ->db()
                      ->Put(rocksdb::WriteOptions(), (*db)->cf(internal::kCols),
                            keys::EncodeColumnKey(key, static_cast<uint8_t>(Column::kSpanHash)),
                            internal::EncodeColumnChunk(Column::kSpanHash, marks.data(), rows))
                      .ok());
    }
    EXPECT_EQ(SpanHashKeys(**db).size(), blocks.size());
  }
  std::unique_ptr<SpanStore> store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(CheckHashes(*store, &kMark), kSpans);
}

}  // namespace
}  // namespace roost::test
