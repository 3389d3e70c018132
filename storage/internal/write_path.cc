// The write path: Write (prepare in the caller's thread), the writer thread (dedupe, group
// commit of payload pages, append to open blocks) and restart replay.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "storage/internal/block_sealer.h"
#include "storage/internal/record_codec.h"
#include "storage/internal/record_pack.h"
#include "storage/internal/span_hash.h"
#include "storage/internal/store_impl.h"
#include "storage/key_codec.h"

namespace roost {
namespace {

using internal::RowData;

constexpr const char* kNextSeqKey = "next_seq";

uint32_t ClampTokens(int64_t t) {
  return static_cast<uint32_t>(std::clamp<int64_t>(t, 0, UINT32_MAX));
}

// The analytic fields of a span (dictionary ids are filled by the writer).
RowData RowOf(const Span& s) {
  RowData r;
  r.start = s.start_unix_nano;
  r.duration = s.duration_nanos();
  r.kind = static_cast<uint8_t>(s.kind);
  r.status = static_cast<uint8_t>(s.status_code);
  r.prompt_tokens = ClampTokens(s.prompt_tokens);
  r.completion_tokens = ClampTokens(s.completion_tokens);
  r.total_tokens = ClampTokens(s.total_tokens);
  r.cache_read_tokens = ClampTokens(s.cache_read_tokens);
  r.cache_write_tokens = ClampTokens(s.cache_write_tokens);
  r.prompt_audio_tokens = ClampTokens(s.prompt_audio_tokens);
  r.reasoning_tokens = ClampTokens(s.reasoning_tokens);
  r.completion_audio_tokens = ClampTokens(s.completion_audio_tokens);
  r.cost_micros = s.cost_usd ? static_cast<int64_t>(std::llround(*s.cost_usd * 1e6)) : -1;
  r.trace = s.trace_id.bytes;
  r.span = s.span_id.bytes;
  if (s.parent_span_id) r.parent = s.parent_span_id->bytes;
  r.hash = internal::SpanHash(r.trace, r.span);
  return r;
}

// Pages of fewer rows than this are left to the writer, which packs the rows of small writes
// together (a page per tiny write would compress poorly).
constexpr uint32_t kMinCallerPageRows = 32;
// The most spans one Write takes (and one commit holds): with duplicates, a commit's pages are
// at most its callers' pages plus one writer's page per 256 rows, under 2^16 in all.
constexpr size_t kMaxWriteSpans = size_t{1} << 20;

// The payload pages of one commit, numbered in order. A caller's page whose every row is stored
// goes in as the caller compressed it; the stored rows of the others (small writes, pages holding
// duplicates) are repacked into the commit's own pages, so every stored record is stored once.
class CommitPages {
 public:
  struct Place {
    uint32_t page;
    uint32_t slot;  // record number in the page
  };

  explicit CommitPages(int compression_level) : level_(compression_level) {}

  // Takes `caller` as it is; its records keep their slots. REQUIRES: caller.stored is set.
  uint32_t TakeWhole(const CallerPage& caller) {
    pages_.push_back(Page{caller.pack, &caller.stored, {}});
    return static_cast<uint32_t>(pages_.size() - 1);
  }

  // Copies `record` (of a span starting in hour `bucket`) into the commit's own page.
  Place Repack(std::string_view record, uint32_t bucket) {
    if (own_.count() == 0) {
      own_page_ = static_cast<uint32_t>(pages_.size());
      pages_.emplace_back();
    }
    own_.Add(record);
    own_tag_ = std::max(own_tag_, bucket);
    const Place place{own_page_, static_cast<uint32_t>(own_.count() - 1)};
    if (own_.count() == keys::kPayloadPageRows) FinishOwn();
    return place;
  }

  // Compresses the commit's last own page. Call once, after the last Repack.
  void Finish() {
    if (own_.count() > 0) FinishOwn();
  }

  size_t size() const { return pages_.size(); }
  const std::string& stored(size_t i) const { return *pages_[i].stored; }
  const std::shared_ptr<const std::string>& pack(size_t i) const { return pages_[i].pack; }

 private:
  struct Page {
    std::shared_ptr<const std::string> pack;
    const std::string* stored = nullptr;  // a caller's CallerPage::stored, or `owned`
    std::string owned;
  };

  void FinishOwn() {
    Page& page = pages_[own_page_];
    page.pack = std::make_shared<const std::string>(own_.Finish(own_tag_));
    page.owned = internal::CompressPack(*page.pack, level_);
    page.stored = &page.owned;
    own_tag_ = 0;
  }

  const int level_;
  std::deque<Page> pages_;  // a deque: `stored` may point at an element's `owned`
  internal::RecordPackBuilder own_{keys::kPayloadPageRows};
  uint32_t own_page_ = 0;
  uint32_t own_tag_ = 0;
};

// Interns a commit's strings, remembering each kind's last value and the newest hour it was noted
// for: consecutive rows mostly share their project, session and user (the spans of a trace come
// together), which then cost a comparison instead of a locked hash lookup.
class CommitInterner {
 public:
  CommitInterner(internal::Dictionary& dict, rocksdb::WriteBatch* batch,
                 rocksdb::ColumnFamilyHandle* cf)
      : dict_(dict), batch_(batch), cf_(cf) {}

  // `value` must outlive the interner. `hour`: the hour bucket of the row that uses it.
  uint32_t operator()(DictKind kind, std::string_view value, uint32_t hour) {
    Last& last = last_[static_cast<size_t>(kind)];
    if (last.known && last.value == value &&
        (hour <= last.hour || !internal::Dictionary::Collectable(kind))) {
      return last.id;
    }
    last = Last{value, dict_.Intern(kind, value, hour, batch_, cf_), hour, true};
    return last.id;
  }

 private:
  struct Last {
    std::string_view value;
    uint32_t id = 0;
    uint32_t hour = 0;  // the dictionary's last hour for `id` is at least this
    bool known = false;
  };
  internal::Dictionary& dict_;
  rocksdb::WriteBatch* batch_;
  rocksdb::ColumnFamilyHandle* cf_;
  std::array<Last, kDictKindCount> last_{};
};

PreparedRow Prepare(Span&& s, size_t index) {
  PreparedRow p;
  p.row = RowOf(s);
  p.project = std::move(s.project);
  p.name = std::move(s.name);
  p.model = std::move(s.model_name);
  p.session = std::move(s.session_id);
  p.user = std::move(s.user_id);
  p.index = index;
  return p;
}

}  // namespace

Result<WriteResult> SpanStore::Impl::Write(std::vector<Span> spans,
                                           const WriteOptions& write_options) {
  if (db_->read_only()) return Status::Unavailable("store is open read-only");
  // One commit addresses its records with 24 bits (keys::MakeRecordRef); see WriterLoop.
  if (spans.size() > kMaxWriteSpans) {
    return Status::InvalidArgument("a batch holds at most " + std::to_string(kMaxWriteSpans) +
                                   " spans, got " + std::to_string(spans.size()));
  }
  auto pending = std::make_shared<PendingWrite>();
  pending->rows.reserve(spans.size());
  internal::RecordPackBuilder pack(keys::kPayloadPageRows);
  uint32_t page_tag = 0;
  const auto finish_page = [&] {
    CallerPage page;
    page.rows = static_cast<uint32_t>(pack.count());
    for (size_t k = pending->rows.size() - page.rows; k < pending->rows.size(); ++k) {
      page_tag = std::max(page_tag, keys::BucketOf(pending->rows[k].row.start));
    }
    page.pack = std::make_shared<const std::string>(pack.Finish(page_tag));
    if (page.rows >= kMinCallerPageRows) {
      page.stored = internal::CompressPack(*page.pack, options_.page_compression_level);
    }
    pending->pages.push_back(std::move(page));
    page_tag = 0;
  };
  const uint32_t cutoff = cutoff_->bucket.load(std::memory_order_relaxed);
  for (size_t i = 0; i < spans.size(); ++i) {
    Status valid = write_options.validated ? Status::OK() : ValidateSpan(spans[i], options_.limits);
    if (valid.ok() && keys::BucketOf(spans[i].start_unix_nano) < cutoff) {
      valid = Status::InvalidArgument("span starts before the retention period");
    }
    if (!valid.ok()) {
      pending->result.rejected.push_back(RejectedSpan{i, valid.message()});
      continue;
    }
    // The record is encoded (and its page compressed) here, in parallel across callers; the
    // single writer thread only copies pages into the commit.
    pack.AddSpan(spans[i]);
    pending->rows.push_back(Prepare(std::move(spans[i]), i));
    pending->rows.back().page = static_cast<uint32_t>(pending->pages.size());
    pending->rows.back().slot = static_cast<uint32_t>(pack.count() - 1);
    if (pack.count() == keys::kPayloadPageRows) finish_page();
  }
  if (pack.count() > 0) finish_page();
  rejected_spans_ += pending->result.rejected.size();
  if (pending->rows.empty()) return std::move(pending->result);
  std::future<Result<WriteResult>> done = pending->done.get_future();
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return Status::Unavailable("store is closing");
    if (queued_spans_ > 0 && queued_spans_ + pending->rows.size() > options_.max_queued_spans) {
      return Status::Unavailable("write queue is full (" + std::to_string(queued_spans_) +
                                 " spans waiting); retry later");
    }
    queued_spans_ += pending->rows.size();
    // The queue shares the pending write: the writer drops its reference when done, and the
    // rows are freed here, in the caller's thread, not on the single writer thread.
    queue_.push_back(pending);
  }
  queue_cv_.notify_one();
  return done.get();
}

void SpanStore::Impl::WriterLoop() {
  std::vector<std::shared_ptr<PendingWrite>> group;
  // A commit's records are addressed with 24 bits (keys::MakeRecordRef): 16 for the page and 8
  // for the record in it. Callers' pages hold at least kMinCallerPageRows rows and the writer's
  // hold 256, so these bounds keep a commit under 2^16 pages.
  const size_t max_commit = std::min(options_.max_commit_spans, kMaxWriteSpans);
  constexpr size_t kMaxCallerPages = 1 << 15;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      const auto ready = [&] { return stopping_ || !queue_.empty(); };
      if (!unsynced_since_ || options_.sync) {
        queue_cv_.wait(lock, ready);
      } else if (!queue_cv_.wait_until(lock, *unsynced_since_ + options_.wal_sync_interval,
                                       ready)) {
        lock.unlock();
        SyncWal();  // no commit came to carry the sync
        continue;
      }
      if (queue_.empty()) return;  // stopping, and nothing left to commit
      size_t spans = 0;
      size_t pages = 0;
      while (!queue_.empty() &&
             (group.empty() || (spans + queue_.front()->rows.size() <= max_commit &&
                                pages + queue_.front()->pages.size() <= kMaxCallerPages))) {
        spans += queue_.front()->rows.size();
        pages += queue_.front()->pages.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_spans_ -= spans;
    }
    Commit(group);
    group.clear();
  }
}

bool SpanStore::Impl::WalSyncDue(std::chrono::steady_clock::time_point now) const {
  return unsynced_since_ && options_.wal_sync_interval.count() > 0 &&
         now - *unsynced_since_ >= options_.wal_sync_interval;
}

void SpanStore::Impl::NoteWalWrite(bool synced) {
  if (synced) {
    unsynced_since_.reset();
  } else if (!unsynced_since_ && options_.wal_sync_interval.count() > 0) {
    unsynced_since_ = std::chrono::steady_clock::now();
  }
}

void SpanStore::Impl::SyncWal() {
  // A WAL write with sync syncs everything the WAL holds before it. This goes through RocksDB's
  // write path rather than DB::SyncWAL(), which Debian's RocksDB turns into an abort (an assertion
  // in WritableFileWriter) when it meets a WAL whose last write failed, as on a full disk.
  rocksdb::WriteBatch batch;
  std::string next;
  keys::PutU64(&next, next_seq_);
  batch.Put(db_->cf(internal::kMeta), kNextSeqKey, next).PermitUncheckedError();
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (db_->Write(wo, &batch, "syncing the write-ahead log").ok()) {
    unsynced_since_.reset();
  } else {
    unsynced_since_ = std::chrono::steady_clock::now();  // tried again an interval later
  }
}

bool SpanStore::Impl::IsSealedDuplicate(const RowData& row, SealedLookup* lookup) {
  if (lookup->last_spans != nullptr && lookup->last_trace == row.trace) {
    const SealedLookup::SpanIds& spans = *lookup->last_spans;
    return std::find(spans.begin(), spans.end(), row.span) != spans.end();
  }
  auto it = lookup->spans_of_trace.find(row.trace);
  if (it == lookup->spans_of_trace.end()) {
    std::vector<std::array<uint8_t, 8>> spans;
    // The trace index's prefix bloom answers "never seen" for new traces without reading blocks.
    if (lookup->trace_index == nullptr) {
      rocksdb::ReadOptions ro;
      ro.prefix_same_as_start = true;
      lookup->trace_index.reset(db_->db()->NewIterator(ro, db_->cf(internal::kTraceIdx)));
    }
    rocksdb::Iterator* idx = lookup->trace_index.get();
    const std::string prefix(reinterpret_cast<const char*>(row.trace.data()), 16);
    internal::BlockReader reader(*db_, &column_cache_, nullptr);
    for (idx->Seek(prefix); idx->Valid() && idx->key().starts_with(prefix); idx->Next()) {
      if (idx->key().size() != keys::kTraceIndexKeySize) continue;
      keys::BlockKey key = keys::DecodeBlockKey(std::string_view(idx->key().data() + 16, 16));
      Result<internal::BlockInfo> info = reader.ReadInfo(key);
      if (!info.ok()) continue;  // removed by retention
      ColumnView view;
      std::vector<std::shared_ptr<const internal::ColumnChunkData>> keep;
      if (!reader.ReadColumns(*info, {Column::kTraceId, Column::kSpanId}, &view, &keep).ok()) {
        spdlog::error("dedupe: cannot read {}; treating its spans as absent", key.block);
        continue;
      }
      for (size_t r = 0; r < view.rows; ++r) {
        if (std::memcmp(view.trace_id + 16 * r, row.trace.data(), 16) == 0) {
          std::array<uint8_t, 8> s;
          std::memcpy(s.data(), view.span_id + 8 * r, 8);
          spans.push_back(s);
        }
      }
    }
    it = lookup->spans_of_trace.emplace(row.trace, std::move(spans)).first;
  }
  lookup->last_trace = row.trace;
  lookup->last_spans = &it->second;  // map nodes stay where they are
  return std::find(it->second.begin(), it->second.end(), row.span) != it->second.end();
}

void SpanStore::Impl::Commit(std::vector<std::shared_ptr<PendingWrite>>& group) {
  std::unique_lock dedupe_lock(dedupe_mu_);
  internal::U64HashSet in_group;
  SealedLookup sealed_cache;
  rocksdb::WriteBatch batch;
  CommitPages pages(options_.page_compression_level);
  struct Accepted {
    RowData row;
    uint32_t project;
    uint32_t page;  // in `pages`
    uint32_t slot;  // record number in that page
  };
  std::vector<Accepted> accepted;
  CommitInterner intern(dict_, &batch, db_->cf(internal::kDict));
  const uint64_t seq = next_seq_;
  // Checked again here, where retention cannot interleave (it holds dedupe_mu_ to drop open rows
  // and collect dictionary strings): a span validated before the cutoff moved would otherwise
  // land in an hour retention already removed, naming strings it may collect.
  const uint32_t cutoff = cutoff_->bucket.load(std::memory_order_relaxed);
  uint64_t expired = 0;
  std::vector<bool> stored_row;
  for (auto& pending : group) {
    stored_row.assign(pending->rows.size(), false);
    for (size_t i = 0; i < pending->rows.size(); ++i) {
      const RowData& r = pending->rows[i].row;
      if (keys::BucketOf(r.start) < cutoff) {
        pending->result.rejected.push_back(
            RejectedSpan{pending->rows[i].index, "span starts before the retention period"});
        ++expired;
        continue;
      }
      if (in_group.Contains(r.hash) || pending_hashes_.Contains(r.hash) ||
          IsSealedDuplicate(r, &sealed_cache)) {
        pending->result.duplicates++;
        continue;
      }
      in_group.Insert(r.hash);
      stored_row[i] = true;
      pending->result.stored++;
    }
    // Rows come in page order, each page's rows together.
    for (size_t begin = 0, p = 0; p < pending->pages.size(); begin += pending->pages[p].rows, ++p) {
      const CallerPage& caller = pending->pages[p];
      const size_t end = begin + caller.rows;
      const bool whole =
          !caller.stored.empty() &&
          std::all_of(stored_row.begin() + static_cast<ptrdiff_t>(begin),
                      stored_row.begin() + static_cast<ptrdiff_t>(end), [](bool b) { return b; });
      std::optional<internal::RecordPackReader> reader;
      uint32_t whole_page = 0;
      if (whole) {
        whole_page = pages.TakeWhole(caller);
      } else {
        Result<internal::RecordPackReader> opened = internal::RecordPackReader::Open(*caller.pack);
        assert(opened.ok());
        reader = *opened;
      }
      for (size_t i = begin; i < end; ++i) {
        if (!stored_row[i]) continue;
        PreparedRow& pr = pending->rows[i];
        RowData& r = pr.row;
        const uint32_t hour = keys::BucketOf(r.start);
        r.name = intern(DictKind::kName, pr.name, hour);
        r.model = intern(DictKind::kModel, pr.model, hour);
        r.session = intern(DictKind::kSession, pr.session, hour);
        r.user = intern(DictKind::kUser, pr.user, hour);
        const uint32_t project = intern(DictKind::kProject, pr.project, hour);
        const CommitPages::Place at = whole ? CommitPages::Place{whole_page, pr.slot}
                                            : pages.Repack(reader->Record(pr.slot), hour);
        r.ref = keys::MakeRecordRef(seq, at.page * keys::kPayloadPageRows + at.slot);
        accepted.push_back(Accepted{r, project, at.page, at.slot});
      }
    }
  }
  pages.Finish();
  rejected_spans_ += expired;
  Status status;
  if (!accepted.empty()) {
    for (size_t i = 0; i < pages.size(); ++i) {
      batch
          .Put(db_->cf(internal::kPayload), keys::EncodePayloadKey(seq, static_cast<uint32_t>(i)),
               pages.stored(i))
          .PermitUncheckedError();
    }
    if (options_.outbox) {
      int64_t min_start = accepted.front().row.start;
      for (const Accepted& a : accepted) min_start = std::min(min_start, a.row.start);
      std::string value;
      keys::PutU32(&value, static_cast<uint32_t>(accepted.size()));
      keys::PutU64(&value, static_cast<uint64_t>(min_start));
      batch.Put(db_->cf(internal::kOutbox), keys::EncodeSeqKey(seq), value).PermitUncheckedError();
    }
    std::string next;
    keys::PutU64(&next, seq + 1);
    batch.Put(db_->cf(internal::kMeta), kNextSeqKey, next).PermitUncheckedError();
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync || WalSyncDue(std::chrono::steady_clock::now());
    status = db_->Write(wo, &batch, "committing spans");
    if (status.ok()) NoteWalWrite(wo.sync);
  }
  if (!status.ok()) {
    dict_.Abort();  // StoreDb::Write logged the failure
    for (auto& pending : group) pending->done.set_value(status);
    return;
  }
  dict_.Commit();
  bool want_seal = false;
  if (!accepted.empty()) {
    next_seq_ = seq + 1;
    if (options_.outbox) NoteOutboxCommit(seq, accepted.size());
    std::vector<internal::RecordPackReader> readers;
    for (size_t i = 0; i < pages.size(); ++i) {
      Result<internal::RecordPackReader> reader = internal::RecordPackReader::Open(*pages.pack(i));
      assert(reader.ok());
      readers.push_back(*reader);
    }
    std::unique_lock state_lock(state_mu_);
    for (Accepted& a : accepted) {
      a.row.record = readers[a.page].Record(a.slot);
      AppendLocked(a.project, a.row, seq, pages.pack(a.page));
      pending_hashes_.Insert(a.row.hash);
    }
    size_t page_bytes = 0;
    for (size_t i = 0; i < pages.size(); ++i) page_bytes += pages.pack(i)->size();
    NoteOpenPagesLocked(seq, page_bytes);
    for (auto& [key, block] : open_) block->Publish();
    want_seal = open_rows_ > options_.max_open_rows ||
                open_page_bytes_total_ > options_.max_open_page_bytes || !frozen_.empty();
  }
  dedupe_lock.unlock();
  for (auto& pending : group) {
    committed_spans_ += pending->result.stored;
    duplicate_spans_ += pending->result.duplicates;
    pending->done.set_value(std::move(pending->result));
  }
  if (want_seal && options_.background_sealing) {
    {
      std::lock_guard lock(queue_mu_);
      seal_wanted_ = true;
    }
    seal_cv_.notify_one();
  }
}

void SpanStore::Impl::AppendLocked(uint32_t project, const RowData& row, uint64_t seq,
                                   const std::shared_ptr<const void>& pack) {
  const BlockKeyPair key{project, keys::BucketOf(row.start)};
  auto it = open_.find(key);
  if (it != open_.end() && it->second->appended() >= max_block_rows_) {
    it->second->Publish();
    FreezeLocked(key);
    it = open_.end();
  }
  if (it == open_.end()) {
    it =
        open_.emplace(key, std::make_shared<internal::OpenBlock>(key.first, key.second, seq)).first;
  }
  it->second->KeepAlive(pack);
  it->second->Append(row, seq);
  ++open_rows_;
}

void SpanStore::Impl::NoteOpenPagesLocked(uint64_t seq, size_t bytes) {
  if (!open_page_bytes_.empty() && open_page_bytes_.back().first == seq) {
    open_page_bytes_.back().second += bytes;
  } else {
    open_page_bytes_.emplace_back(seq, bytes);
  }
  open_page_bytes_total_ += bytes;
}

void SpanStore::Impl::PruneOpenPagesLocked() {
  uint64_t oldest = std::numeric_limits<uint64_t>::max();
  for (const auto& [key, block] : open_) oldest = std::min(oldest, block->first_seq());
  while (!open_page_bytes_.empty() && open_page_bytes_.front().first < oldest) {
    open_page_bytes_total_ -= open_page_bytes_.front().second;
    open_page_bytes_.pop_front();
  }
}

Status SpanStore::Impl::Replay() {
  // Counters.
  std::string value;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), db_->cf(internal::kMeta), kNextSeqKey, &value);
  if (s.ok() && value.size() == 8) {
    next_seq_ = std::max<uint64_t>(next_seq_, keys::GetU64(value.data()));
  } else if (!s.ok() && !s.IsNotFound()) {
    return internal::FromRocks(s, "reading next_seq");
  }
  s = db_->db()->Get(rocksdb::ReadOptions(), db_->cf(internal::kMeta), internal::kNextBlockKey,
                     &value);
  if (s.ok() && value.size() == 8) {
    next_block_ = std::max<uint64_t>(next_block_, keys::GetU64(value.data()));
  } else if (!s.ok() && !s.IsNotFound()) {
    return internal::FromRocks(s, "reading next_block");
  }

  // What is sealed already, per (project, bucket).
  std::map<BlockKeyPair, uint64_t> sealed_through;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(internal::kMeta)));
    const std::string prefix = "sealed/";
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (it->key().size() != prefix.size() + 8 || it->value().size() != 8) {
        return Status::Corruption("malformed sealed-through entry");
      }
      const char* k = it->key().data() + prefix.size();
      sealed_through[{keys::GetU32(k), keys::GetU32(k + 4)}] = keys::GetU64(it->value().data());
    }
    if (Status st = internal::FromRocks(it->status(), "reading sealed marks"); !st.ok()) return st;
  }

  // Rows committed but not sealed go back into open blocks: every payload page from the replay
  // floor on, minus the rows whose (project, bucket) is sealed past their commit.
  uint64_t replay_from = 0;
  s = db_->db()->Get(rocksdb::ReadOptions(), db_->cf(internal::kMeta), internal::kReplayFromKey,
                     &value);
  if (s.ok() && value.size() == 8) {
    replay_from = keys::GetU64(value.data());
  } else if (!s.ok() && !s.IsNotFound()) {
    return internal::FromRocks(s, "reading replay floor");
  }
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(internal::kPayload)));
  const uint32_t cutoff = cutoff_->bucket.load();
  // Rows a retention pass removed stay removed, also when the store reopens with a longer
  // retention (or none): their records may remain, for replication, and their strings may be
  // gone from the dictionary.
  s = db_->db()->Get(rocksdb::ReadOptions(), db_->cf(internal::kMeta),
                     internal::kRetentionAppliedKey, &value);
  if (s.ok()) {
    std::optional<std::vector<internal::RetentionMark>> marks =
        internal::DecodeRetentionMarks(value);
    if (!marks) return Status::Corruption("retention mark is malformed");
    retention_marks_ = std::move(*marks);
  } else if (!s.IsNotFound()) {
    return internal::FromRocks(s, "reading retention mark");
  }
  const auto removed = [&](uint32_t bucket, uint64_t seq) {
    return std::any_of(retention_marks_.begin(), retention_marks_.end(),
                       [&](const internal::RetentionMark& m) { return m.Removed(bucket, seq); });
  };
  uint64_t replayed = 0;
  SealedLookup sealed_cache;
  std::unique_lock state_lock(state_mu_);
  for (it->Seek(keys::EncodePayloadKey(replay_from, 0)); it->Valid(); it->Next()) {
    if (it->key().size() != keys::kPayloadKeySize)
      return Status::Corruption("malformed payload key");
    const uint64_t seq = keys::GetU64(it->key().data());
    const uint32_t page_no = keys::GetU32(it->key().data() + 8);
    next_seq_ = std::max(next_seq_, seq + 1);
    std::string unpacked;
    Result<internal::RecordPackReader> reader = internal::ReadStoredPage(
        std::string_view(it->value().data(), it->value().size()), &unpacked);
    if (!reader.ok()) {
      return Status::Corruption("payload page " + std::to_string(page_no) + " of commit " +
                                std::to_string(seq) + ": " + reader.status().message());
    }
    // Open blocks hold compact records: a page of the older FlatBuffers records is re-encoded.
    internal::RecordPackBuilder converted(reader->count());
    std::vector<Span> spans(reader->count());
    for (size_t k = 0; k < reader->count(); ++k) {
      Status st = internal::DecodeRecordInto(reader->format(), reader->Record(k), &spans[k]);
      if (!st.ok()) {
        return Status::Corruption("commit " + std::to_string(seq) + " record " + std::to_string(k) +
                                  ": " + st.message());
      }
      if (reader->format() == internal::RecordFormat::kFlatBuffers) converted.AddSpan(spans[k]);
    }
    auto pack = std::make_shared<const std::string>(
        reader->format() == internal::RecordFormat::kCompact ? std::string(reader->bytes())
                                                             : converted.Finish());
    Result<internal::RecordPackReader> records = internal::RecordPackReader::Open(*pack);
    if (!records.ok()) return records.status();
    bool appended_from_page = false;
    for (size_t k = 0; k < spans.size(); ++k) {
      const Span* span = &spans[k];
      std::optional<uint32_t> project = dict_.Find(DictKind::kProject, span->project);
      if (!project) return Status::Corruption("stored span names an unknown project");
      RowData r = RowOf(*span);
      const uint32_t bucket = keys::BucketOf(r.start);
      if (bucket < cutoff || removed(bucket, seq)) continue;
      auto st = sealed_through.find({*project, bucket});
      if (st != sealed_through.end() && seq < st->second) continue;
      // A commit can be split across two blocks of a (project, bucket) when the first fills up,
      // so rows of the sealed-through commit itself are sealed only if a sealed block holds them.
      if (st != sealed_through.end() && seq == st->second && IsSealedDuplicate(r, &sealed_cache)) {
        continue;
      }
      std::optional<uint32_t> name = dict_.Find(DictKind::kName, span->name);
      std::optional<uint32_t> model = dict_.Find(DictKind::kModel, span->model_name);
      std::optional<uint32_t> session = dict_.Find(DictKind::kSession, span->session_id);
      std::optional<uint32_t> user = dict_.Find(DictKind::kUser, span->user_id);
      if (!name || !model || !session || !user) {
        return Status::Corruption("stored span uses a string missing from the dictionary");
      }
      r.name = *name;
      r.model = *model;
      r.session = *session;
      r.user = *user;
      r.ref = keys::MakeRecordRef(seq, page_no * keys::kPayloadPageRows + static_cast<uint32_t>(k));
      r.record = records->Record(k);
      AppendLocked(*project, r, seq, pack);
      pending_hashes_.Insert(r.hash);
      ++replayed;
      appended_from_page = true;
    }
    if (appended_from_page) NoteOpenPagesLocked(seq, pack->size());
  }
  if (Status st = internal::FromRocks(it->status(), "replaying unsealed rows"); !st.ok()) return st;
  for (auto& [key, block] : open_) block->Publish();
  if (replayed > 0) spdlog::info("replayed {} unsealed spans", replayed);
  return Status::OK();
}

}  // namespace roost
