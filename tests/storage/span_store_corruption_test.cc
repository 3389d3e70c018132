// Damaged data dirs: stored values overwritten behind the store's back through the RocksDB
// handles of internal::StoreDb. Reads fail with kCorruption naming the block, never crash.

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "storage/internal/column_chunk.h"
#include "storage/internal/store_db.h"
#include "storage/key_codec.h"
#include "storage/span_store.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

using internal::Family;

constexpr size_t kSeedSpans = 300;

// One key and value of a family.
struct Entry {
  std::string key;
  std::string value;
};

class RawDb {
 public:
  explicit RawDb(const StoreOptions& options) {
    Result<std::unique_ptr<internal::StoreDb>> db =
        internal::StoreDb::Open(options, std::make_shared<internal::RetentionCutoff>());
    EXPECT_THAT(db, IsOk());
    if (db.ok()) db_ = std::move(*db);
  }
  bool ok() const { return db_ != nullptr; }

  // The first entry of `family` whose key passes `pick`.
  std::optional<Entry> Find(Family family, const std::function<bool(std::string_view)>& pick) {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(family)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      if (pick(key)) return Entry{std::string(key), it->value().ToString()};
    }
    return std::nullopt;
  }

  void Put(Family family, const std::string& key, const std::string& value) {
    EXPECT_TRUE(db_->db()->Put(rocksdb::WriteOptions(), db_->cf(family), key, value).ok());
  }
  void Delete(Family family, const std::string& key) {
    EXPECT_TRUE(db_->db()->Delete(rocksdb::WriteOptions(), db_->cf(family), key).ok());
  }

 private:
  std::unique_ptr<internal::StoreDb> db_;
};

std::string Garbage(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// "block N (project ...": how the store names a sealed block in messages.
std::string BlockName(std::string_view key) {
  return "block " + std::to_string(keys::DecodeBlockKey(key).block) + " (project";
}

std::function<bool(std::string_view)> ColumnKey(Column column) {
  return [column](std::string_view key) {
    return key.size() == keys::kBlockKeySize + 1 &&
           static_cast<uint8_t>(key.back()) == static_cast<uint8_t>(column);
  };
}

bool AnyKey(std::string_view) { return true; }

// Writes and seals 300 spans of ten traces into one block, then closes the store.
void SeedSealedBlock(const StoreOptions& options) {
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
  ASSERT_THAT(store, IsOk());
  std::vector<Span> spans;
  for (size_t i = 0; i < kSeedSpans; ++i) {
    Span s = MakeSpan(i % 10 + 1, i + 1, kBaseTime + static_cast<int64_t>(i) * kSecond);
    s.session_id.assign(1, 's');
    spans.push_back(s);
  }
  Result<WriteResult> r = (*store)->Write(spans);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->stored, kSeedSpans);
  ASSERT_THAT((*store)->Flush(), IsOk());
}

// Scans every column of project "default".
Status ScanAllColumns(const SpanStore& store) {
  ScanRequest request;
  request.columns = ColumnSet::All();
  return store.Scan(request, [](const ColumnView&) { return Status::OK(); });
}

// Scans and reads every span of project "default".
Status ScanAndReadSpans(const SpanStore& store) {
  ScanRequest request;
  request.columns = {Column::kSpanId};
  return store.Scan(request, [&](const ColumnView& v) {
    std::vector<uint32_t> rows(v.rows);
    for (uint32_t r = 0; r < v.rows; ++r) rows[r] = r;
    return store.ReadSpans(v, rows).status();
  });
}

struct ChunkDamage {
  const char* what;
  Column column;
  std::function<std::string(const std::string&)> damage;
  const char* reason;
};

std::vector<ChunkDamage> ChunkDamages() {
  return {
      {"garbage", Column::kTraceId, [](const std::string& v) { return Garbage(v.size(), 1); },
       "fails verification"},
      {"truncated", Column::kDuration,
       [](const std::string& v) { return v.substr(0, v.size() / 2); }, "fails verification"},
      {"empty", Column::kSpanId, [](const std::string&) { return std::string(); },
       "fails verification"},
      {"one row short", Column::kStart,
       [](const std::string&) {
         std::vector<int64_t> starts(kSeedSpans - 1, kBaseTime);
         return internal::EncodeColumnChunk(Column::kStart, starts.data(), kSeedSpans - 1);
       },
       "block meta says 300"},
      {"another column's chunk", Column::kPromptTokens,
       [](const std::string&) {
         std::vector<uint32_t> tokens(kSeedSpans, 1);
         return internal::EncodeColumnChunk(Column::kTotalTokens, tokens.data(), kSeedSpans);
       },
       "holds another column"},
  };
}

TEST_F(SpanStoreTest, ScanReportsDamagedColumnChunksNamingTheBlock) {
  ASSERT_NO_FATAL_FAILURE(SeedSealedBlock(Options()));
  for (const ChunkDamage& d : ChunkDamages()) {
    SCOPED_TRACE(d.what);
    std::optional<Entry> chunk;
    {
      RawDb raw(Options());
      ASSERT_TRUE(raw.ok());
      chunk = raw.Find(internal::kCols, ColumnKey(d.column));
      ASSERT_TRUE(chunk.has_value());
      raw.Put(internal::kCols, chunk->key, d.damage(chunk->value));
    }
    {
      auto store = OpenStore(Options());
      ASSERT_NE(store, nullptr);
      Status s = ScanAllColumns(*store);
      EXPECT_THAT(s, IsError(Status::Code::kCorruption, BlockName(chunk->key)));
      EXPECT_THAT(s, IsError(Status::Code::kCorruption, d.reason));
    }
    RawDb(Options()).Put(internal::kCols, chunk->key, chunk->value);  // repair for the next case
  }
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(ScanAllColumns(*store), IsOk());
}

TEST_F(SpanStoreTest, GetTraceReportsADamagedTraceIdChunkNamingTheBlock) {
  ASSERT_NO_FATAL_FAILURE(SeedSealedBlock(Options()));
  std::string key;
  {
    RawDb raw(Options());
    ASSERT_TRUE(raw.ok());
    std::optional<Entry> chunk = raw.Find(internal::kCols, ColumnKey(Column::kTraceId));
    ASSERT_TRUE(chunk.has_value());
    key = chunk->key;
    raw.Put(internal::kCols, key, chunk->value.substr(0, chunk->value.size() - 40));
  }
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->GetTrace(TraceIdOf(3)), IsError(Status::Code::kCorruption, BlockName(key)));
  // Columns the damage did not touch still read.
  ScanRequest request;
  request.columns = {Column::kStart, Column::kSession};
  EXPECT_THAT(store->Scan(request, [](const ColumnView&) { return Status::OK(); }), IsOk());
}

TEST_F(SpanStoreTest, ReadsReportADamagedPayloadPageNamingTheBlock) {
  ASSERT_NO_FATAL_FAILURE(SeedSealedBlock(Options()));
  const std::vector<std::pair<const char*, std::function<std::string(const std::string&)>>>
      damages = {
          {"garbage", [](const std::string& v) { return Garbage(v.size(), 2); }},
          {"truncated", [](const std::string& v) { return v.substr(0, v.size() / 3); }},
          {"header only", [](const std::string& v) { return v.substr(0, 8); }},
      };
  for (const auto& [what, damage] : damages) {
    SCOPED_TRACE(what);
    std::optional<Entry> page;
    std::optional<Entry> meta;
    {
      RawDb raw(Options());
      ASSERT_TRUE(raw.ok());
      page = raw.Find(internal::kPayload, AnyKey);
      ASSERT_TRUE(page.has_value());
      meta = raw.Find(internal::kBlockMeta, AnyKey);
      ASSERT_TRUE(meta.has_value());
      raw.Put(internal::kPayload, page->key, damage(page->value));
    }
    {
      auto store = OpenStore(Options());
      ASSERT_NE(store, nullptr);
      // Payload pages belong to commits; the error names the page and the block pointing at it.
      const std::string block = BlockName(meta->key);
      EXPECT_THAT(store->GetTrace(TraceIdOf(1)), IsError(Status::Code::kCorruption, block));
      EXPECT_THAT(store->GetSession("default", "s"), IsError(Status::Code::kCorruption, block));
      EXPECT_THAT(ScanAndReadSpans(*store), IsError(Status::Code::kCorruption, block));
      EXPECT_THAT(ScanAllColumns(*store), IsOk());  // columns are intact
    }
    RawDb(Options()).Put(internal::kPayload, page->key, page->value);
  }
}

TEST_F(SpanStoreTest, ReadsReportADamagedBlockMetaNamingTheBlock) {
  ASSERT_NO_FATAL_FAILURE(SeedSealedBlock(Options()));
  std::string key;
  {
    RawDb raw(Options());
    ASSERT_TRUE(raw.ok());
    std::optional<Entry> meta = raw.Find(internal::kBlockMeta, AnyKey);
    ASSERT_TRUE(meta.has_value());
    key = meta->key;
    raw.Put(internal::kBlockMeta, key, Garbage(meta->value.size(), 3));
  }
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::string block = "meta of " + BlockName(key);
  EXPECT_THAT(ScanAllColumns(*store), IsError(Status::Code::kCorruption, block));
  EXPECT_THAT(store->GetTrace(TraceIdOf(1)), IsError(Status::Code::kCorruption, block));
  EXPECT_THAT(store->ListProjects(), IsError(Status::Code::kCorruption, block));
}

TEST_F(SpanStoreTest, OpenRefusesADataDirOfANewerFormatVersion) {
  ASSERT_NO_FATAL_FAILURE(SeedSealedBlock(Options()));
  {
    RawDb raw(Options());
    ASSERT_TRUE(raw.ok());
    std::string version;
    keys::PutU32(&version, internal::kFormatVersion + 1);
    raw.Put(internal::kMeta, "format_version", version);
  }
  EXPECT_THAT(SpanStore::Open(Options()),
              IsError(Status::Code::kInvalidArgument,
                      "format version " + std::to_string(internal::kFormatVersion + 1)));
  StoreOptions read_only = Options();
  read_only.read_only = true;
  EXPECT_THAT(SpanStore::Open(read_only), IsError(Status::Code::kInvalidArgument, "upgrade"));
}

// A data dir of an older format is read as it is; a writable open raises its version before
// writing, so that older builds refuse it instead of misreading the new records.
TEST_F(SpanStoreTest, WritableOpenRaisesAnOlderFormatVersionAndReadOnlyOpenLeavesIt) {
  ASSERT_NO_FATAL_FAILURE(SeedSealedBlock(Options()));
  StoreOptions read_only = Options();
  read_only.read_only = true;
  const auto stored_version = [&] {
    RawDb raw(read_only);  // a writable one would raise the version itself
    std::optional<Entry> e =
        raw.Find(internal::kMeta, [](std::string_view k) { return k == "format_version"; });
    return e && e->value.size() == 4 ? keys::GetU32(e->value.data()) : 0u;
  };
  EXPECT_EQ(stored_version(), internal::kFormatVersion);
  {
    RawDb raw(Options());
    ASSERT_TRUE(raw.ok());
    std::string version;
    keys::PutU32(&version, 1);
    raw.Put(internal::kMeta, "format_version", version);
  }
  {
    auto store = SpanStore::Open(read_only);
    ASSERT_THAT(store, IsOk());
    EXPECT_THAT(ScanAllColumns(**store), IsOk());
  }
  EXPECT_EQ(stored_version(), 1u);
  {
    auto store = SpanStore::Open(Options());
    ASSERT_THAT(store, IsOk());
    EXPECT_THAT(ScanAllColumns(**store), IsOk());
  }
  EXPECT_EQ(stored_version(), internal::kFormatVersion);
}

TEST_F(SpanStoreTest, OpenRefusesAMalformedFormatVersion) {
  ASSERT_NO_FATAL_FAILURE(SeedSealedBlock(Options()));
  RawDb(Options()).Put(internal::kMeta, "format_version", "v1");
  EXPECT_THAT(SpanStore::Open(Options()), IsError(Status::Code::kCorruption, "format version"));
}

TEST_F(SpanStoreTest, OpenRefusesAMalformedRetentionMark) {
  ASSERT_NO_FATAL_FAILURE(SeedSealedBlock(Options()));
  RawDb(Options()).Put(internal::kMeta, "retention_applied", "abc");
  EXPECT_THAT(SpanStore::Open(Options()), IsError(Status::Code::kCorruption, "retention mark"));
}

// The dictionary's own entries (format version 3), damaged: named at open, never a crash.
TEST_F(SpanStoreTest, OpenRefusesMalformedDictionaryEntries) {
  ASSERT_NO_FATAL_FAILURE(SeedSealedBlock(Options()));
  const std::string session_hour = keys::EncodeDictHourKey(DictKind::kSession, 1);
  const struct {
    std::string key, value, message;
  } cases[] = {
      {keys::DictNextIdsKey(), "abc", "dictionary state entry is malformed"},
      {std::string("\0c", 2), "1234", "dictionary state entry is malformed"},
      {std::string("\0x", 2), "1234", "dictionary state entry is malformed"},
      {session_hour, "12345", "dictionary entry with kind 68 is malformed"},
      {session_hour + "x", "1234", "dictionary entry with kind 68 is malformed"},
      // Only session and user ids have a last hour.
      {keys::EncodeDictHourKey(DictKind::kModel, 1), "1234",
       "dictionary entry with kind 67 is malformed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    RawDb(Options()).Put(internal::kDict, c.key, c.value);
    EXPECT_THAT(SpanStore::Open(Options()), IsError(Status::Code::kCorruption, c.message));
    RawDb raw(Options());
    ASSERT_TRUE(raw.ok());
    raw.Delete(internal::kDict, c.key);
  }
  EXPECT_THAT(SpanStore::Open(Options()), IsOk());
}

}  // namespace
}  // namespace roost::test
