#include "storage/internal/block_reader.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>

#include <flatbuffers/flatbuffers.h>

#include "storage/internal/aligned_value.h"
#include "storage/internal/block_rollup.h"
#include "storage/internal/record_codec.h"
#include "storage/internal/record_pack.h"
#include "storage/internal/span_hash.h"
#include "storage/schema/roost_generated.h"

namespace roost::internal {
namespace {

std::string BlockName(const keys::BlockKey& k) {
  return "block " + std::to_string(k.block) + " (project " + std::to_string(k.project) +
         ", hour bucket " + std::to_string(k.bucket) + ")";
}

// Whether a and b (a <= b) lie in one slot of width g since the epoch; always when g <= 0.
bool InOneSlot(int64_t a, int64_t b, int64_t g) {
  if (g <= 0) return true;
  auto slot = [g](int64_t t) { return t / g - (t % g < 0 ? 1 : 0); };
  return slot(a) == slot(b);
}

}  // namespace

Result<BlockInfo> DecodeBlockInfo(const keys::BlockKey& key, std::string_view value) {
  AlignedValue aligned(value);
  flatbuffers::Verifier verifier(aligned.data(), aligned.size());
  if (!verifier.VerifyBuffer<fb::BlockMeta>(nullptr)) {
    return Status::Corruption("meta of " + BlockName(key) + " fails verification");
  }
  const auto* m = flatbuffers::GetRoot<fb::BlockMeta>(aligned.data());
  BlockInfo info;
  info.key = key;
  info.rows = m->rows();
  info.min_start = m->min_start();
  info.max_start = m->max_start();
  if (info.rows == 0 || info.min_start > info.max_start) {
    return Status::Corruption("meta of " + BlockName(key) + " is inconsistent");
  }
  return info;
}

rocksdb::ReadOptions BlockReader::Options() const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot_;
  return ro;
}

Status BlockReader::ForEachBlock(
    uint32_t project, int64_t from, int64_t to, ColumnSet columns,
    const std::unordered_set<uint64_t>& skip,
    const std::function<Status(const BlockInfo&, const ColumnView&)>& fn) const {
  return ForEachBlockOrRollup({project, from, to, columns}, skip, fn, nullptr);
}

Status BlockReader::ForEachBlockOrRollup(
    const BlockScan& scan, const std::unordered_set<uint64_t>& skip,
    const std::function<Status(const BlockInfo&, const ColumnView&)>& fn,
    const std::function<Status(const BlockRollup&)>& on_rollup) const {
  const int64_t from = scan.from;
  const int64_t to = scan.to;
  if (from >= to) return Status::OK();
  const uint32_t first_bucket = from < 0 ? 0 : keys::BucketOf(from);
  const uint32_t last_bucket =
      to <= 0 ? 0 : keys::BucketOf(std::min<int64_t>(to - 1, INT64_MAX - 1));
  std::string lower = keys::EncodeProjectBucketPrefix(scan.project, first_bucket);
  std::optional<std::string> upper =
      keys::PrefixSuccessor(keys::EncodeProjectBucketPrefix(scan.project, last_bucket));
  rocksdb::ReadOptions ro = Options();
  rocksdb::Slice upper_slice;
  if (upper) {
    upper_slice = *upper;
    ro.iterate_upper_bound = &upper_slice;
  }
  const uint32_t shards = std::max<uint32_t>(scan.shards, 1);
  std::unique_ptr<rocksdb::Iterator> it(db_.db()->NewIterator(ro, db_.cf(kBlockMeta)));
  std::vector<std::shared_ptr<const ColumnChunkData>> keep;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    if (it->key().size() != keys::kBlockKeySize) {
      return Status::Corruption("block meta key of unexpected size");
    }
    keys::BlockKey key = keys::DecodeBlockKey(std::string_view(it->key().data(), it->key().size()));
    if (key.block % shards != scan.shard || skip.count(key.block) != 0) continue;
    Result<BlockInfo> info =
        DecodeBlockInfo(key, std::string_view(it->value().data(), it->value().size()));
    if (!info.ok()) return info.status();
    if (info->max_start < from || info->min_start >= to) continue;
    if (on_rollup && info->min_start >= from && info->max_start < to &&
        InOneSlot(info->min_start, info->max_start, scan.rollup_granularity)) {
      Result<std::shared_ptr<const BlockRollup>> rollup = ReadRollup(*info);
      if (!rollup.ok()) return rollup.status();
      if (*rollup && (!scan.accept_rollup || scan.accept_rollup(**rollup))) {
        if (Status s = on_rollup(**rollup); !s.ok()) return s;
        continue;
      }
    }
    ColumnView view;
    keep.clear();
    if (Status s = ReadColumns(*info, scan.columns, &view, &keep); !s.ok()) return s;
    if (Status s = fn(*info, view); !s.ok()) return s;
  }
  return FromRocks(it->status(), "scanning block metas");
}

Result<std::shared_ptr<const BlockRollup>> BlockReader::ReadRollup(const BlockInfo& info) const {
  if (rollup_cache_ != nullptr) {
    if (std::shared_ptr<const BlockRollup> cached = rollup_cache_->Get(info.key.block)) {
      return cached;
    }
  }
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_.db()->Get(Options(), db_.cf(kCols),
                                    keys::EncodeColumnKey(info.key, kRollupColumnByte), &value);
  if (s.IsNotFound()) return std::shared_ptr<const BlockRollup>();
  if (!s.ok()) return FromRocks(s, "reading the rollup of " + BlockName(info.key));
  Result<std::shared_ptr<const BlockRollup>> rollup =
      DecodeBlockRollup(std::string_view(value.data(), value.size()), info.key.project,
                        info.key.bucket, info.key.block, info.rows, info.min_start, info.max_start);
  if (!rollup.ok()) {
    return Status::Corruption(BlockName(info.key) + ": " + rollup.status().message());
  }
  if (rollup_cache_ != nullptr) rollup_cache_->Put(info.key.block, *rollup);
  return rollup;
}

Result<BlockInfo> BlockReader::ReadInfo(const keys::BlockKey& key) const {
  std::string value;
  rocksdb::Status s =
      db_.db()->Get(Options(), db_.cf(kBlockMeta), keys::EncodeBlockKey(key), &value);
  if (s.IsNotFound()) return Status::NotFound(BlockName(key) + " is gone");
  if (!s.ok()) return FromRocks(s, "reading meta of " + BlockName(key));
  return DecodeBlockInfo(key, value);
}

Status BlockReader::ReadColumns(const BlockInfo& info, ColumnSet columns, ColumnView* view,
                                std::vector<std::shared_ptr<const ColumnChunkData>>* keep) const {
  view->project = info.key.project;
  view->bucket = info.key.bucket;
  view->block = info.key.block;
  view->first_row = 0;
  view->rows = info.rows;
  std::vector<Column> missing;
  for (int c = 0; c < kColumnCount; ++c) {
    auto column = static_cast<Column>(c);
    if (!columns.Has(column)) continue;
    std::shared_ptr<const ColumnChunkData> chunk = cache_->Get(info.key.block, column);
    if (chunk) {
      chunk->Fill(view);
      keep->push_back(std::move(chunk));
    } else {
      missing.push_back(column);
    }
  }
  if (missing.empty()) return Status::OK();
  std::vector<std::string> key_bytes;
  key_bytes.reserve(missing.size());
  for (Column c : missing) {
    key_bytes.push_back(keys::EncodeColumnKey(info.key, static_cast<uint8_t>(c)));
  }
  std::vector<rocksdb::Slice> key_slices(key_bytes.begin(), key_bytes.end());
  std::vector<rocksdb::PinnableSlice> values(missing.size());
  std::vector<rocksdb::Status> statuses(missing.size());
  db_.db()->MultiGet(Options(), db_.cf(kCols), missing.size(), key_slices.data(), values.data(),
                     statuses.data(), /*sorted_input=*/true);
  const std::string where = BlockName(info.key);
  for (size_t i = 0; i < missing.size(); ++i) {
    if (statuses[i].IsNotFound() && missing[i] == Column::kSpanHash) {
      // Not stored since 2026-12 (it is a function of the id columns): derived, then cached.
      Result<std::shared_ptr<const ColumnChunkData>> derived = DeriveSpanHashes(info);
      if (!derived.ok()) return derived.status();
      (*derived)->Fill(view);
      cache_->Put(info.key.block, Column::kSpanHash, *derived);
      keep->push_back(std::move(*derived));
      continue;
    }
    if (statuses[i].IsNotFound() && missing[i] >= kFirstOptionalColumn) {
      // A block sealed before this column existed: its spans carried none of it.
      std::shared_ptr<const ColumnChunkData> zeros = ColumnChunkData::Zeros(missing[i], info.rows);
      zeros->Fill(view);
      cache_->Put(info.key.block, missing[i], zeros);
      keep->push_back(std::move(zeros));
      continue;
    }
    if (statuses[i].IsNotFound()) {
      return Status::Corruption("column " + std::to_string(static_cast<int>(missing[i])) + " of " +
                                where + " is missing");
    }
    if (!statuses[i].ok()) return FromRocks(statuses[i], "reading " + where);
    Result<std::shared_ptr<const ColumnChunkData>> chunk = ColumnChunkData::Decode(
        std::string_view(values[i].data(), values[i].size()), missing[i], info.rows, where);
    if (!chunk.ok()) return chunk.status();
    (*chunk)->Fill(view);
    cache_->Put(info.key.block, missing[i], *chunk);
    keep->push_back(std::move(*chunk));
  }
  return Status::OK();
}

Result<std::shared_ptr<const ColumnChunkData>> BlockReader::DeriveSpanHashes(
    const BlockInfo& info) const {
  ColumnView ids;
  std::vector<std::shared_ptr<const ColumnChunkData>> keep;
  if (Status s = ReadColumns(info, {Column::kTraceId, Column::kSpanId}, &ids, &keep); !s.ok()) {
    return s;
  }
  std::vector<uint64_t> hashes(info.rows);
  std::array<uint8_t, 16> trace;
  std::array<uint8_t, 8> span;
  for (size_t r = 0; r < info.rows; ++r) {
    std::memcpy(trace.data(), ids.trace_id + 16 * r, 16);
    std::memcpy(span.data(), ids.span_id + 8 * r, 8);
    hashes[r] = SpanHash(trace, span);
  }
  return ColumnChunkData::Decode(EncodeColumnChunk(Column::kSpanHash, hashes.data(), info.rows),
                                 Column::kSpanHash, info.rows, BlockName(info.key));
}

Result<std::vector<Span>> BlockReader::ReadSpans(const BlockInfo& info,
                                                 const std::vector<uint32_t>& rows) const {
  ColumnView view;
  std::vector<std::shared_ptr<const ColumnChunkData>> keep;
  if (Status s = ReadColumns(info, {Column::kRecordRef}, &view, &keep); !s.ok()) return s;
  std::vector<uint64_t> refs;
  refs.reserve(rows.size());
  const std::string where = BlockName(info.key);
  for (uint32_t row : rows) {
    if (row >= info.rows) return Status::InvalidArgument("row out of range in " + where);
    refs.push_back(view.record_ref[row]);
  }
  return ReadRecords(refs, where);
}

Result<std::vector<Span>> BlockReader::ReadRecords(const std::vector<uint64_t>& refs,
                                                   const std::string& where) const {
  std::vector<Span> out;
  out.reserve(refs.size());
  // Records of one trace or session mostly share a page: read (and decompress) each page once.
  struct Page {
    std::string stored, unpacked;
    std::optional<RecordPackReader> reader;
  };
  std::map<std::pair<uint64_t, uint32_t>, Page> pages;
  // A page is decompressed only as far as its last wanted record.
  std::map<std::pair<uint64_t, uint32_t>, uint32_t> last_wanted;
  for (uint64_t ref : refs) {
    const uint32_t row = keys::RecordRefRow(ref);
    uint32_t& last = last_wanted[{keys::RecordRefSeq(ref), row / keys::kPayloadPageRows}];
    last = std::max(last, row % keys::kPayloadPageRows);
  }
  for (uint64_t ref : refs) {
    const uint64_t seq = keys::RecordRefSeq(ref);
    const uint32_t row = keys::RecordRefRow(ref);
    const uint32_t page_no = row / keys::kPayloadPageRows;
    auto [it, inserted] = pages.try_emplace({seq, page_no});
    Page& page = it->second;
    const auto page_name = [&] {
      return "payload page " + std::to_string(page_no) + " of commit " + std::to_string(seq) +
             " (read for " + where + ")";
    };
    if (inserted) {
      rocksdb::Status s = db_.db()->Get(Options(), db_.cf(kPayload),
                                        keys::EncodePayloadKey(seq, page_no), &page.stored);
      if (s.IsNotFound()) {
        return Status::Corruption(page_name() + " is missing");
      }
      if (!s.ok()) return FromRocks(s, "reading " + page_name());
      Result<RecordPackReader> reader =
          ReadStoredPageUpTo(page.stored, last_wanted[{seq, page_no}], &page.unpacked);
      if (!reader.ok()) return Status::Corruption(page_name() + ": " + reader.status().message());
      page.reader = *reader;
    }
    const uint32_t index = row % keys::kPayloadPageRows;
    if (index >= page.reader->count()) return Status::Corruption(page_name() + " is short");
    Result<Span> span = DecodeRecord(page.reader->format(), page.reader->Record(index));
    if (!span.ok()) {
      return Status::Corruption("record " + std::to_string(index) + " of " + page_name() + ": " +
                                span.status().message());
    }
    out.push_back(std::move(*span));
  }
  return out;
}

}  // namespace roost::internal
