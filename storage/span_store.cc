#include "storage/span_store.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <unordered_map>

#include <rocksdb/db.h>
#include <spdlog/spdlog.h>

#include "storage/internal/record_codec.h"
#include "storage/internal/span_hash.h"
#include "storage/internal/store_impl.h"
#include "storage/key_codec.h"

namespace roost {

using internal::BlockInfo;
using internal::BlockReader;

namespace {
// Decoded block rollups kept for approximate queries (a 10M-span month is ~1k blocks).
constexpr size_t kRollupCacheBytes = size_t{64} << 20;
}  // namespace

SpanStore::Impl::Impl(const StoreOptions& options, std::unique_ptr<internal::StoreDb> db,
                      std::shared_ptr<internal::RetentionCutoff> cutoff)
    : options_(options),
      max_block_rows_(
          std::clamp<size_t>(options.max_block_rows, 1, internal::OpenBlock::kCapacity)),
      db_(std::move(db)),
      cutoff_(std::move(cutoff)),
      column_cache_(options.column_cache_bytes),
      rollup_cache_(kRollupCacheBytes) {}

SpanStore::Impl::~Impl() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  seal_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (sealer_.joinable()) sealer_.join();
}

Status SpanStore::Impl::Start() {
  if (Status s = dict_.Load(db_->db(), db_->cf(internal::kDict)); !s.ok()) return s;
  if (Status s = Replay(); !s.ok()) return s;
  if (Status s = UpgradeDictionary(); !s.ok()) return s;
  if (Status s = LoadOutbox(); !s.ok()) return s;
  if (db_->read_only()) return Status::OK();
  writer_ = std::thread([this] { WriterLoop(); });
  if (options_.background_sealing) sealer_ = std::thread([this] { SealerLoop(); });
  return Status::OK();
}

Status SpanStore::Impl::UpgradeDictionary() {
  if (db_->read_only() || dict_.unknown_hours() == 0) return Status::OK();
  // The newest hour of any stored row: the current one, or a later one a skewed clock wrote.
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  uint32_t newest = keys::BucketOf(now);
  {
    std::shared_lock lock(state_mu_);
    for (const auto& [key, block] : open_) newest = std::max(newest, key.second);
  }
  const uint32_t projects = dict_.max_id(DictKind::kProject);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(internal::kBlockMeta)));
  for (uint32_t p = 1; p <= projects; ++p) {
    it->SeekForPrev(keys::EncodeProjectBucketPrefix(p, UINT32_MAX));
    if (!it->Valid() || it->key().size() < 8 || keys::GetU32(it->key().data()) != p) continue;
    newest = std::max(newest, keys::GetU32(it->key().data() + 4));
  }
  if (Status s = internal::FromRocks(it->status(), "reading block metas"); !s.ok()) return s;
  rocksdb::WriteBatch batch;
  const size_t n = dict_.ResolveUnknownHours(newest, &batch, db_->cf(internal::kDict));
  if (n == 0) return Status::OK();
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (Status s = db_->Write(wo, &batch, "recording the last hour of dictionary strings"); !s.ok()) {
    return s;
  }
  spdlog::info(
      "dictionary: {} session and user ids from before format version 3 are kept until retention "
      "removes hour bucket {}",
      n, newest);
  return Status::OK();
}

ReadView SpanStore::Impl::TakeView() const {
  ReadView view;
  std::shared_lock lock(state_mu_);
  view.snapshot = db_->db()->GetSnapshot();
  for (const auto& [key, block] : open_) view.blocks.emplace_back(block, block->rows());
  for (const auto& [block, seq] : frozen_) {
    view.blocks.emplace_back(block, block->rows());
    view.skip.insert(seq);
  }
  return view;
}

void SpanStore::Impl::ReleaseView(ReadView* view) const {
  if (view->snapshot != nullptr) db_->db()->ReleaseSnapshot(view->snapshot);
  view->snapshot = nullptr;
}

namespace {

// Releases a ReadView's snapshot on every path.
class ViewGuard {
 public:
  ViewGuard(const std::function<void(ReadView*)>& release, ReadView* view)
      : release_(release), view_(view) {}
  ~ViewGuard() { release_(view_); }

 private:
  std::function<void(ReadView*)> release_;
  ReadView* view_;
};

}  // namespace

Status SpanStore::Impl::Scan(const ScanRequest& request,
                             const std::function<Status(const ColumnView&)>& fn) const {
  ReadView view = TakeView();
  ViewGuard guard([this](ReadView* v) { ReleaseView(v); }, &view);
  return ScanView(view, request, fn, nullptr);
}

std::shared_ptr<const ReadSnapshot> SpanStore::Impl::Snapshot() const {
  return std::make_shared<const ReadSnapshot>(this, TakeView());
}

ReadSnapshot::~ReadSnapshot() { impl_->ReleaseView(&view_); }

Status SpanStore::Impl::ScanView(const ReadView& view, const ScanRequest& request,
                                 const std::function<Status(const ColumnView&)>& on_rows,
                                 const std::function<Status(const BlockRollup&)>& on_rollup) const {
  if (request.shards == 0 || request.shard >= request.shards) {
    return Status::InvalidArgument("scan shard " + std::to_string(request.shard) + " of " +
                                   std::to_string(request.shards));
  }
  std::optional<uint32_t> project = dict_.Find(DictKind::kProject, request.project);
  if (!project || *project == 0) return Status::OK();
  const uint32_t first_bucket =
      request.from_unix_nano < 0 ? 0 : keys::BucketOf(request.from_unix_nano);
  const uint32_t last_bucket =
      request.to_unix_nano <= 0 ? 0 : keys::BucketOf(request.to_unix_nano - 1);
  if (request.from_unix_nano >= request.to_unix_nano) return Status::OK();
  for (size_t i = 0; i < view.blocks.size(); ++i) {
    const auto& [block, rows] = view.blocks[i];
    if (i % request.shards != request.shard || block->project() != *project ||
        block->bucket() < first_bucket || block->bucket() > last_bucket || rows == 0) {
      continue;
    }
    if (Status s = block->ForEachView(rows, request.columns, on_rows); !s.ok()) return s;
  }
  BlockReader reader(*db_, &column_cache_, view.snapshot, &rollup_cache_);
  BlockReader::BlockScan scan{
      *project,      request.from_unix_nano, request.to_unix_nano,       request.columns,
      request.shard, request.shards,         request.rollup_granularity, request.accept_rollup};
  return reader.ForEachBlockOrRollup(
      scan, view.skip, [&](const BlockInfo&, const ColumnView& v) { return on_rows(v); },
      on_rollup);
}

Result<std::vector<Span>> SpanStore::Impl::ReadSpans(const ColumnView& view,
                                                     const std::vector<uint32_t>& rows) const {
  std::vector<Span> out;
  if (view.open_block != nullptr) {
    const auto* block = static_cast<const internal::OpenBlock*>(view.open_block);
    for (uint32_t r : rows) {
      if (r >= view.rows) return Status::InvalidArgument("row out of range");
      Result<Span> span = internal::DecodeSpanRecord(block->Record(view.first_row + r));
      if (!span.ok()) return span.status();
      out.push_back(std::move(*span));
    }
    return out;
  }
  BlockReader reader(*db_, &column_cache_, nullptr);
  Result<BlockInfo> info = reader.ReadInfo({view.project, view.bucket, view.block});
  if (!info.ok()) return info.status();
  return reader.ReadSpans(*info, rows);
}

namespace {

void SortByStart(std::vector<Span>* spans) {
  std::stable_sort(spans->begin(), spans->end(), [](const Span& a, const Span& b) {
    return a.start_unix_nano < b.start_unix_nano;
  });
}

// Appends the spans of open blocks in `view` whose row satisfies `match`, reading only `column`
// to decide (a column-wise scan: no per-row copies, so a lookup among hundreds of thousands of
// open rows stays well under a millisecond). `match(view, row)` tests one row of a view that has
// `column` filled, open and sealed rows alike.
template <typename RowMatch>
Status AppendOpenRows(const ReadView& view, Column column, const RowMatch& match,
                      std::vector<Span>* out) {
  for (const auto& [block, rows] : view.blocks) {
    const internal::OpenBlock& b = *block;
    Status s = b.ForEachView(rows, {column}, [&](const ColumnView& v) {
      for (uint32_t r = 0; r < v.rows; ++r) {
        if (!match(v, r)) continue;
        Result<Span> span = internal::DecodeSpanRecord(b.Record(v.first_row + r));
        if (!span.ok()) return span.status();
        out->push_back(std::move(*span));
      }
      return Status::OK();
    });
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// Appends the spans of sealed block `key` whose row satisfies `match`, reading `column` to
// decide. A block removed by retention meanwhile is skipped.
template <typename RowMatch>
Status AppendSealedRows(const BlockReader& reader, const keys::BlockKey& key, Column column,
                        const RowMatch& match, std::vector<Span>* out) {
  Result<BlockInfo> info = reader.ReadInfo(key);
  if (info.status().IsNotFound()) return Status::OK();
  if (!info.ok()) return info.status();
  ColumnView cols;
  std::vector<std::shared_ptr<const internal::ColumnChunkData>> keep;
  if (Status s = reader.ReadColumns(*info, {column}, &cols, &keep); !s.ok()) return s;
  std::vector<uint32_t> rows;
  for (uint32_t r = 0; r < cols.rows; ++r) {
    if (match(cols, r)) rows.push_back(r);
  }
  Result<std::vector<Span>> spans = reader.ReadSpans(*info, rows);
  if (!spans.ok()) return spans.status();
  for (Span& sp : *spans) out->push_back(std::move(sp));
  return Status::OK();
}

}  // namespace

Result<std::vector<Span>> SpanStore::Impl::GetTrace(const TraceId& trace_id) const {
  ReadView view = TakeView();
  ViewGuard guard([this](ReadView* v) { ReleaseView(v); }, &view);
  std::vector<Span> out;
  // Compares the id's two halves as integers: this runs over every row of the blocks read.
  uint64_t want[2];
  std::memcpy(want, trace_id.bytes.data(), 16);
  const auto same_trace = [&](const ColumnView& c, uint32_t r) {
    uint64_t have[2];
    std::memcpy(have, c.trace_id + 16 * size_t{r}, 16);
    return have[0] == want[0] && have[1] == want[1];
  };
  if (Status s = AppendOpenRows(view, Column::kTraceId, same_trace, &out); !s.ok()) return s;
  BlockReader reader(*db_, &column_cache_, view.snapshot);
  rocksdb::ReadOptions ro;
  ro.snapshot = view.snapshot;
  ro.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->cf(internal::kTraceIdx)));
  const std::string prefix(reinterpret_cast<const char*>(trace_id.bytes.data()), 16);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != keys::kTraceIndexKeySize) continue;
    keys::BlockKey key = keys::DecodeBlockKey(std::string_view(it->key().data() + 16, 16));
    if (view.skip.count(key.block) != 0) continue;
    Status s = AppendSealedRows(reader, key, Column::kTraceId, same_trace, &out);
    if (!s.ok()) return s;
  }
  if (Status s = internal::FromRocks(it->status(), "reading trace index"); !s.ok()) return s;
  if (out.empty()) return Status::NotFound("trace " + trace_id.ToHex() + " is not stored");
  SortByStart(&out);
  return out;
}

Result<std::vector<Span>> SpanStore::Impl::GetSession(std::string_view project_name,
                                                      std::string_view session_id) const {
  std::vector<Span> out;
  std::optional<uint32_t> project = dict_.Find(DictKind::kProject, project_name);
  std::optional<uint32_t> session = dict_.Find(DictKind::kSession, session_id);
  if (!project || !session || *session == 0) return out;
  ReadView view = TakeView();
  ViewGuard guard([this](ReadView* v) { ReleaseView(v); }, &view);
  const auto same_session = [&](const ColumnView& c, uint32_t r) {
    return c.project == *project && c.session[r] == *session;
  };
  if (Status s = AppendOpenRows(view, Column::kSession, same_session, &out); !s.ok()) return s;
  BlockReader reader(*db_, &column_cache_, view.snapshot);
  rocksdb::ReadOptions ro;
  ro.snapshot = view.snapshot;
  const std::string prefix = keys::EncodeSessionPrefix(*project, *session);
  std::optional<std::string> upper = keys::PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice;
  if (upper) {
    upper_slice = *upper;
    ro.iterate_upper_bound = &upper_slice;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->cf(internal::kSessionIdx)));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    if (it->key().size() != keys::kSessionIndexKeySize) continue;
    const char* k = it->key().data();
    keys::BlockKey key{*project, keys::GetU32(k + 8), keys::GetU64(k + 12)};
    if (view.skip.count(key.block) != 0) continue;
    Status s = AppendSealedRows(reader, key, Column::kSession, same_session, &out);
    if (!s.ok()) return s;
  }
  if (Status s = internal::FromRocks(it->status(), "reading session index"); !s.ok()) return s;
  SortByStart(&out);
  return out;
}

Result<std::vector<SessionSummary>> SpanStore::Impl::ListSessions(std::string_view project) const {
  struct Acc {
    SessionSummary s;
    std::unordered_set<uint64_t> traces;
  };
  std::unordered_map<uint32_t, Acc> by_session;
  ScanRequest req;
  req.project = std::string(project);
  req.columns = {Column::kStart,        Column::kSession,          Column::kStatus,
                 Column::kPromptTokens, Column::kCompletionTokens, Column::kTotalTokens,
                 Column::kCostMicros,   Column::kTraceId};
  Status s = Scan(req, [&](const ColumnView& v) {
    for (size_t r = 0; r < v.rows; ++r) {
      uint32_t session = v.session[r];
      if (session == 0) continue;
      Acc& a = by_session[session];
      int64_t start = v.start[r];
      if (a.s.span_count == 0 || start < a.s.first_start) a.s.first_start = start;
      if (a.s.span_count == 0 || start > a.s.last_start) a.s.last_start = start;
      a.s.span_count++;
      a.s.prompt_tokens += v.prompt_tokens[r];
      a.s.completion_tokens += v.completion_tokens[r];
      a.s.total_tokens += v.total_tokens[r];
      if (v.cost_micros[r] > 0) a.s.cost_micros += v.cost_micros[r];
      if (v.status[r] == static_cast<uint8_t>(StatusCode::kError)) a.s.error_count++;
      std::array<uint8_t, 16> trace;
      std::memcpy(trace.data(), v.trace_id + 16 * r, 16);
      a.traces.insert(internal::TraceHash(trace));
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  std::vector<SessionSummary> out;
  out.reserve(by_session.size());
  for (auto& [id, acc] : by_session) {
    std::optional<std::string> session_id = dict_.Lookup(DictKind::kSession, id);
    // Collected by retention while this scan read the blocks it was removing.
    if (!session_id) continue;
    acc.s.session_id = std::move(*session_id);
    acc.s.trace_count = acc.traces.size();
    out.push_back(std::move(acc.s));
  }
  std::sort(out.begin(), out.end(), [](const SessionSummary& a, const SessionSummary& b) {
    return a.last_start != b.last_start ? a.last_start > b.last_start : a.session_id < b.session_id;
  });
  return out;
}

Result<std::vector<ProjectSummary>> SpanStore::Impl::ListProjects() const {
  std::vector<ProjectSummary> out;
  const uint32_t n = dict_.max_id(DictKind::kProject);
  for (uint32_t p = 1; p <= n; ++p) {
    ProjectSummary summary;
    summary.name = dict_.Lookup(DictKind::kProject, p).value_or("");
    ReadView view = TakeView();
    ViewGuard guard([this](ReadView* v) { ReleaseView(v); }, &view);
    auto add = [&](int64_t first, int64_t last, uint64_t rows) {
      if (summary.span_count == 0 || first < summary.first_start) summary.first_start = first;
      if (summary.span_count == 0 || last > summary.last_start) summary.last_start = last;
      summary.span_count += rows;
    };
    for (const auto& [block, rows] : view.blocks) {
      if (block->project() != p) continue;
      for (size_t r = 0; r < rows; ++r) {
        int64_t start = block->Row(r).start;
        add(start, start, 1);
      }
    }
    BlockReader reader(*db_, &column_cache_, view.snapshot);
    Status s = reader.ForEachBlock(p, std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max(), ColumnSet(), view.skip,
                                   [&](const BlockInfo& info, const ColumnView&) {
                                     add(info.min_start, info.max_start, info.rows);
                                     return Status::OK();
                                   });
    if (!s.ok()) return s;
    if (summary.span_count > 0) out.push_back(std::move(summary));
  }
  std::sort(out.begin(), out.end(),
            [](const ProjectSummary& a, const ProjectSummary& b) { return a.name < b.name; });
  return out;
}

StoreStats SpanStore::Impl::Stats() const {
  StoreStats s;
  {
    std::shared_lock lock(state_mu_);
    s.open_blocks = open_.size() + frozen_.size();
    for (const auto& [key, block] : open_) s.open_rows += block->rows();
    for (const auto& [block, seq] : frozen_) s.open_rows += block->rows();
    s.open_page_bytes = open_page_bytes_total_;
  }
  s.sealed_blocks = sealed_blocks_.load();
  s.sealed_rows = sealed_rows_.load();
  s.committed_spans = committed_spans_.load();
  s.duplicate_spans = duplicate_spans_.load();
  s.rejected_spans = rejected_spans_.load();
  s.direct_writes = db_->direct_writes();
  s.dictionary_strings = dict_.strings();
  s.writes_stopped = db_->WritesStopped();
  {
    std::lock_guard lock(queue_mu_);
    s.queued_spans = queued_spans_;
  }
  for (int f = 0; f < internal::kFamilyCount; ++f) {
    uint64_t bytes = 0;
    if (!db_->db()->GetIntProperty(db_->cf(static_cast<internal::Family>(f)),
                                   "rocksdb.live-sst-files-size", &bytes)) {
      continue;
    }
    s.live_data_bytes += bytes;
    switch (f) {
      case internal::kCols:
      case internal::kBlockMeta:
        s.column_bytes += bytes;
        break;
      case internal::kPayload:
        s.record_bytes += bytes;
        break;
      case internal::kOutbox:
        s.outbox_bytes += bytes;
        break;
      default:
        s.index_bytes += bytes;
        break;
    }
  }
  return s;
}

Status SpanStore::Impl::Compact() {
  if (db_->read_only()) return Status::OK();
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (int f = 0; f < internal::kFamilyCount; ++f) {
    auto* cf = db_->cf(static_cast<internal::Family>(f));
    if (Status s = internal::FromRocks(db_->db()->Flush(rocksdb::FlushOptions(), cf), "flushing");
        !s.ok()) {
      return s;
    }
    if (Status s =
            internal::FromRocks(db_->db()->CompactRange(co, cf, nullptr, nullptr), "compacting");
        !s.ok()) {
      return s;
    }
  }
  return Status::OK();
}

// The facade.

SpanStore::SpanStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SpanStore::~SpanStore() = default;

Result<std::unique_ptr<SpanStore>> SpanStore::Open(const StoreOptions& options) {
  auto cutoff = std::make_shared<internal::RetentionCutoff>();
  if (options.retention.count() > 0) {
    // Spans that fell out of retention while the store was closed are not replayed.
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const int64_t keep_from =
        now - std::chrono::duration_cast<std::chrono::nanoseconds>(options.retention).count();
    if (keep_from > 0) cutoff->bucket.store(keys::BucketOf(keep_from));
  }
  Result<std::unique_ptr<internal::StoreDb>> db = internal::StoreDb::Open(options, cutoff);
  if (!db.ok()) return db.status();
  auto impl = std::make_unique<Impl>(options, std::move(*db), cutoff);
  if (Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<SpanStore>(new SpanStore(std::move(impl)));
}

Result<WriteResult> SpanStore::Write(std::vector<Span> spans, const WriteOptions& options) {
  return impl_->Write(std::move(spans), options);
}
const SpanLimits& SpanStore::limits() const { return impl_->options().limits; }
Status SpanStore::Flush() { return impl_->Flush(); }
Status SpanStore::Scan(const ScanRequest& request,
                       const std::function<Status(const ColumnView&)>& fn) const {
  return impl_->Scan(request, fn);
}
std::shared_ptr<const ReadSnapshot> SpanStore::Snapshot() const { return impl_->Snapshot(); }
Status SpanStore::Scan(const ReadSnapshot& snapshot, const ScanRequest& request,
                       const std::function<Status(const ColumnView&)>& fn) const {
  if (snapshot.impl() != impl_.get()) {
    return Status::InvalidArgument("scan with a snapshot of another store");
  }
  return impl_->ScanView(snapshot.view(), request, fn, nullptr);
}
Status SpanStore::ScanRollups(const ReadSnapshot& snapshot, const ScanRequest& request,
                              const std::function<Status(const ColumnView&)>& on_rows,
                              const std::function<Status(const BlockRollup&)>& on_rollup) const {
  if (snapshot.impl() != impl_.get()) {
    return Status::InvalidArgument("scan with a snapshot of another store");
  }
  return impl_->ScanView(snapshot.view(), request, on_rows, on_rollup);
}
Result<std::vector<Span>> SpanStore::ReadSpans(const ColumnView& view,
                                               const std::vector<uint32_t>& rows) const {
  return impl_->ReadSpans(view, rows);
}
Result<std::vector<Span>> SpanStore::GetTrace(const TraceId& trace_id) const {
  return impl_->GetTrace(trace_id);
}
Result<std::vector<Span>> SpanStore::GetSession(std::string_view project,
                                                std::string_view session_id) const {
  return impl_->GetSession(project, session_id);
}
Result<std::vector<SessionSummary>> SpanStore::ListSessions(std::string_view project) const {
  return impl_->ListSessions(project);
}
Result<std::vector<ProjectSummary>> SpanStore::ListProjects() const {
  return impl_->ListProjects();
}
Result<std::string> SpanStore::DictionaryString(DictKind kind, uint32_t id) const {
  std::optional<std::string> s = impl_->dictionary().Lookup(kind, id);
  if (!s) return Status::NotFound("no dictionary entry " + std::to_string(id));
  return *s;
}
Result<uint32_t> SpanStore::DictionaryId(DictKind kind, std::string_view value) const {
  std::optional<uint32_t> id = impl_->dictionary().Find(kind, value);
  if (!id) return Status::NotFound("never seen: " + std::string(value));
  return *id;
}
Result<RetentionResult> SpanStore::ApplyRetention(int64_t now_unix_nano) {
  return impl_->ApplyRetention(now_unix_nano);
}
StoreStats SpanStore::Stats() const { return impl_->Stats(); }
Result<std::vector<OutboxEntry>> SpanStore::ReadOutbox(uint64_t after_seq, size_t max_spans) const {
  return impl_->ReadOutbox(after_seq, max_spans);
}
Status SpanStore::ReadOutbox(uint64_t after_seq, size_t max_spans, OutboxBatch* batch) const {
  return impl_->ReadOutbox(after_seq, max_spans, batch);
}
Status SpanStore::AckOutbox(uint64_t through_seq, const std::vector<DeadLetter>& dead_letters) {
  return impl_->AckOutbox(through_seq, dead_letters);
}
OutboxStats SpanStore::GetOutboxStats() const { return impl_->GetOutboxStats(); }
Result<std::vector<DeadLetter>> SpanStore::ListDeadLetters(size_t limit) const {
  return impl_->ListDeadLetters(limit);
}
Status SpanStore::Compact() { return impl_->Compact(); }

}  // namespace roost
