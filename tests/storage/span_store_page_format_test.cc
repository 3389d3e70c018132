// Payload pages: how the store packs records into pages (callers' pages, the writer's repacking
// of small writes and duplicates), and data dirs whose pages hold the older FlatBuffers records
// (written before compact records) staying readable everywhere records are read.

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "storage/internal/flat_record_codec.h"
#include "storage/internal/record_codec.h"
#include "storage/internal/record_pack.h"
#include "storage/internal/store_db.h"
#include "storage/span_store.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

using internal::RecordFormat;

// Spans of `traces` traces of 4 spans each, ids from `first_trace`.
std::vector<Span> Traces(uint64_t first_trace, uint64_t traces) {
  std::vector<Span> spans;
  for (uint64_t t = first_trace; t < first_trace + traces; ++t) {
    for (uint64_t s = 0; s < 4; ++s) {
      spans.push_back(MakeFullSpan(t, t * 10 + s, kBaseTime + static_cast<int64_t>(t) * kSecond));
    }
  }
  return spans;
}

std::vector<Span> SortedById(std::vector<Span> spans) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return std::tie(a.trace_id, a.span_id) < std::tie(b.trace_id, b.span_id);
  });
  return spans;
}

// Every span of the store (all in MakeFullSpan's project), read through Scan + ReadSpans,
// sorted by id.
std::vector<Span> ReadAll(const SpanStore& store) {
  std::vector<Span> out;
  ScanRequest request;
  request.project = MakeFullSpan(1, 1, kBaseTime).project;
  request.columns = {Column::kSpanId};
  Status st = store.Scan(request, [&](const ColumnView& v) {
    std::vector<uint32_t> rows(v.rows);
    for (uint32_t r = 0; r < v.rows; ++r) rows[r] = r;
    Result<std::vector<Span>> spans = store.ReadSpans(v, rows);
    if (!spans.ok()) return spans.status();
    for (Span& s : *spans) out.push_back(std::move(s));
    return Status::OK();
  });
  EXPECT_THAT(st, IsOk());
  return SortedById(std::move(out));
}

// Every span in the outbox, sorted by id.
std::vector<Span> OutboxSpans(const SpanStore& store) {
  Result<std::vector<OutboxEntry>> entries = store.ReadOutbox(0, 1 << 20);
  EXPECT_THAT(entries, IsOk());
  std::vector<Span> out;
  if (!entries.ok()) return out;
  for (OutboxEntry& e : *entries) {
    for (Span& s : e.spans) out.push_back(std::move(s));
  }
  return SortedById(std::move(out));
}

struct PageCounts {
  size_t pages = 0;
  size_t records = 0;
  std::map<RecordFormat, size_t> by_format;
};

// Reads every payload page of a closed store's data dir, optionally rewriting each into a bare
// pack of FlatBuffers records with the same tag: the pages of a data dir written before compact
// records.
PageCounts InspectPages(const StoreOptions& options, bool rewrite_as_flat) {
  PageCounts counts;
  Result<std::unique_ptr<internal::StoreDb>> db =
      internal::StoreDb::Open(options, std::make_shared<internal::RetentionCutoff>());
  EXPECT_THAT(db, IsOk());
  if (!db.ok()) return counts;
  rocksdb::DB* raw = (*db)->db();
  auto* payload = (*db)->cf(internal::kPayload);
  std::vector<std::pair<std::string, std::string>> rewritten;
  std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions(), payload));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string scratch;
    const std::string_view value(it->value().data(), it->value().size());
    Result<std::string_view> pack = internal::OpenStoredPage(value, &scratch);
    EXPECT_THAT(pack, IsOk());
    if (!pack.ok()) continue;
    Result<internal::RecordPackReader> reader = internal::RecordPackReader::Open(*pack);
    EXPECT_THAT(reader, IsOk());
    if (!reader.ok()) continue;
    ++counts.pages;
    counts.records += reader->count();
    ++counts.by_format[reader->format()];
    if (!rewrite_as_flat) continue;
    internal::RecordPackBuilder flat(reader->count(), RecordFormat::kFlatBuffers);
    for (size_t k = 0; k < reader->count(); ++k) {
      Result<Span> span = internal::DecodeRecord(reader->format(), reader->Record(k));
      EXPECT_THAT(span, IsOk());
      if (span.ok()) flat.Add(internal::EncodeFlatSpanRecord(*span));
    }
    rewritten.emplace_back(it->key().ToString(),
                           flat.Finish(internal::RecordPackTag(value).value_or(0)));
  }
  EXPECT_THAT(internal::FromRocks(it->status(), "iterating"), IsOk());
  it.reset();
  for (const auto& [key, value] : rewritten) {
    EXPECT_TRUE(raw->Put(rocksdb::WriteOptions(), payload, key, value).ok());
  }
  return counts;
}

class PageFormatTest : public SpanStoreTest {
 protected:
  StoreOptions OutboxOptions() const {
    StoreOptions o = Options();
    o.outbox = true;
    return o;
  }
};

TEST_F(PageFormatTest, BigWritesKeepTheirPagesAndSmallWritesShareOne) {
  std::vector<Span> all;
  {
    std::unique_ptr<SpanStore> store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    all = Traces(1, 150);  // 600 spans in one write: caller pages of 256, 256 and 88
    ASSERT_EQ(WriteOk(*store, all).stored, all.size());
    for (uint64_t t = 1000; t < 1010; ++t) {  // 10 writes of 4: repacked by the writer
      std::vector<Span> small = Traces(t, 1);
      ASSERT_EQ(WriteOk(*store, small).stored, small.size());
      all.insert(all.end(), small.begin(), small.end());
    }
    // Half duplicates: the caller's page is repacked, holding only the 40 new spans' records.
    std::vector<Span> mixed = Traces(1, 10);
    std::vector<Span> fresh = Traces(2000, 10);
    mixed.insert(mixed.end(), fresh.begin(), fresh.end());
    WriteResult r = WriteOk(*store, mixed);
    EXPECT_EQ(r.stored, 40u);
    EXPECT_EQ(r.duplicates, 40u);
    all.insert(all.end(), fresh.begin(), fresh.end());
    EXPECT_EQ(ReadAll(*store), SortedById(all));  // open blocks
    ASSERT_THAT(store->Flush(), IsOk());
    EXPECT_EQ(ReadAll(*store), SortedById(all));  // sealed
  }
  PageCounts counts = InspectPages(Options(), /*rewrite_as_flat=*/false);
  // Every stored span's record is stored exactly once, in compact pages.
  EXPECT_EQ(counts.records, all.size());
  EXPECT_EQ(counts.by_format[RecordFormat::kCompact], counts.pages);
  // 3 pages for the big write, one per small write (each its own commit here, since each
  // waited for the last), one for the repacked mixed write.
  EXPECT_EQ(counts.pages, 3u + 10u + 1u);
}

TEST_F(PageFormatTest, FlatBuffersPagesStayReadableEverywhere) {
  const std::vector<Span> sealed = Traces(1, 100);
  const std::vector<Span> unsealed = Traces(500, 60);
  std::vector<Span> all = sealed;
  all.insert(all.end(), unsealed.begin(), unsealed.end());
  {
    std::unique_ptr<SpanStore> store = OpenStore(OutboxOptions());
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(WriteOk(*store, sealed).stored, sealed.size());
    ASSERT_THAT(store->Flush(), IsOk());
    ASSERT_EQ(WriteOk(*store, unsealed).stored, unsealed.size());
    // Closed without sealing `unsealed`: a reopen replays it from its pages.
  }
  PageCounts before = InspectPages(OutboxOptions(), /*rewrite_as_flat=*/true);
  EXPECT_EQ(before.records, all.size());
  PageCounts after = InspectPages(OutboxOptions(), /*rewrite_as_flat=*/false);
  ASSERT_EQ(after.by_format[RecordFormat::kFlatBuffers], after.pages);
  ASSERT_GE(after.pages, 2u);

  std::unique_ptr<SpanStore> store = OpenStore(OutboxOptions());
  ASSERT_NE(store, nullptr);
  // Sealed rows read their records from the old pages; replayed rows are in open blocks.
  EXPECT_EQ(ReadAll(*store), SortedById(all));
  Result<std::vector<Span>> trace = store->GetTrace(sealed.front().trace_id);
  ASSERT_THAT(trace, IsOk());
  EXPECT_EQ(SortedById(*trace), SortedById({sealed.begin(), sealed.begin() + 4}));
  trace = store->GetTrace(unsealed.back().trace_id);
  ASSERT_THAT(trace, IsOk());
  EXPECT_EQ(SortedById(*trace), SortedById({unsealed.end() - 4, unsealed.end()}));
  // Replication reads the old pages too.
  EXPECT_EQ(OutboxSpans(*store), SortedById(all));
  // Old records dedupe new writes, and sealing the replayed rows keeps them readable.
  WriteResult again = WriteOk(*store, all);
  EXPECT_EQ(again.stored, 0u);
  EXPECT_EQ(again.duplicates, all.size());
  ASSERT_THAT(store->Flush(), IsOk());
  EXPECT_EQ(ReadAll(*store), SortedById(all));
}

}  // namespace
}  // namespace roost::test
