// The write path: Write (prepare in the caller's thread), the writer thread (dedupe, group
// commit of payload pages, append to open blocks) and restart replay.

#include <algorithm>
#include <chrono>
#include <cmath>

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

PreparedRow Prepare(Span&& s, size_t index) {
  PreparedRow p;
  p.row = RowOf(s);
  p.record = internal::EncodeSpanRecord(s);
  p.project = std::move(s.project);
  p.name = std::move(s.name);
  p.model = std::move(s.model_name);
  p.session = std::move(s.session_id);
  p.user = std::move(s.user_id);
  p.index = index;
  return p;
}

}  // namespace

Result<WriteResult> SpanStore::Impl::Write(std::vector<Span> spans) {
  if (db_->read_only()) return Status::Unavailable("store is open read-only");
  // One commit addresses its rows with 24 bits (keys::MakeRecordRef).
  if (spans.size() >= keys::kMaxCommitRows) {
    return Status::InvalidArgument("a batch holds at most " +
                                   std::to_string(keys::kMaxCommitRows - 1) + " spans, got " +
                                   std::to_string(spans.size()));
  }
  auto pending = std::make_shared<PendingWrite>();
  pending->rows.reserve(spans.size());
  const uint32_t cutoff = cutoff_->bucket.load(std::memory_order_relaxed);
  for (size_t i = 0; i < spans.size(); ++i) {
    Status valid = ValidateSpan(spans[i], options_.limits);
    if (valid.ok() && keys::BucketOf(spans[i].start_unix_nano) < cutoff) {
      valid = Status::InvalidArgument("span starts before the retention period");
    }
    if (!valid.ok()) {
      pending->result.rejected.push_back(RejectedSpan{i, valid.message()});
      continue;
    }
    pending->rows.push_back(Prepare(std::move(spans[i]), i));
  }
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
  // A commit's rows are addressed with 24 bits (keys::MakeRecordRef).
  const size_t max_commit = std::min<size_t>(options_.max_commit_spans, keys::kMaxCommitRows - 1);
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to commit
      size_t spans = 0;
      while (!queue_.empty() &&
             (group.empty() || spans + queue_.front()->rows.size() <= max_commit)) {
        spans += queue_.front()->rows.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_spans_ -= spans;
    }
    Commit(group);
    group.clear();
  }
}

bool SpanStore::Impl::IsSealedDuplicate(
    const RowData& row,
    std::map<std::array<uint8_t, 16>, std::vector<std::array<uint8_t, 8>>>* cache) {
  auto it = cache->find(row.trace);
  if (it == cache->end()) {
    std::vector<std::array<uint8_t, 8>> spans;
    // The trace index's prefix bloom answers "never seen" for new traces without reading blocks.
    rocksdb::ReadOptions ro;
    ro.prefix_same_as_start = true;
    std::unique_ptr<rocksdb::Iterator> idx(
        db_->db()->NewIterator(ro, db_->cf(internal::kTraceIdx)));
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
    it = cache->emplace(row.trace, std::move(spans)).first;
  }
  return std::find(it->second.begin(), it->second.end(), row.span) != it->second.end();
}

void SpanStore::Impl::Commit(std::vector<std::shared_ptr<PendingWrite>>& group) {
  std::unique_lock dedupe_lock(dedupe_mu_);
  internal::U64HashSet in_group;
  std::map<std::array<uint8_t, 16>, std::vector<std::array<uint8_t, 8>>> sealed_cache;
  rocksdb::WriteBatch batch;
  // Records go into payload pages of 256, written once, here; the tag is the newest hour bucket.
  auto pages = std::make_shared<std::vector<std::string>>();
  internal::RecordPackBuilder pack(keys::kPayloadPageRows);
  uint32_t page_tag = 0;
  struct Accepted {
    RowData row;
    uint32_t project;
  };
  std::vector<Accepted> accepted;
  auto* dict_cf = db_->cf(internal::kDict);
  const uint64_t seq = next_seq_;
  for (auto& pending : group) {
    for (PreparedRow& p : pending->rows) {
      RowData& r = p.row;
      if (in_group.Contains(r.hash) || pending_hashes_.Contains(r.hash) ||
          IsSealedDuplicate(r, &sealed_cache)) {
        pending->result.duplicates++;
        continue;
      }
      in_group.Insert(r.hash);
      r.name = dict_.Intern(DictKind::kName, p.name, &batch, dict_cf);
      r.model = dict_.Intern(DictKind::kModel, p.model, &batch, dict_cf);
      r.session = dict_.Intern(DictKind::kSession, p.session, &batch, dict_cf);
      r.user = dict_.Intern(DictKind::kUser, p.user, &batch, dict_cf);
      uint32_t project = dict_.Intern(DictKind::kProject, p.project, &batch, dict_cf);
      r.ref = keys::MakeRecordRef(seq, static_cast<uint32_t>(accepted.size()));
      accepted.push_back(Accepted{r, project});
      pack.Add(p.record);
      page_tag = std::max(page_tag, keys::BucketOf(r.start));
      if (pack.count() == keys::kPayloadPageRows) {
        pages->push_back(pack.Finish(page_tag));
        page_tag = 0;
      }
      pending->result.stored++;
    }
  }
  Status status;
  if (pack.count() > 0) pages->push_back(pack.Finish(page_tag));
  if (!accepted.empty()) {
    for (size_t i = 0; i < pages->size(); ++i) {
      batch
          .Put(db_->cf(internal::kPayload), keys::EncodePayloadKey(seq, static_cast<uint32_t>(i)),
               (*pages)[i])
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
    wo.sync = options_.sync;
    status = internal::FromRocks(db_->db()->Write(wo, &batch), "committing spans");
  }
  if (!status.ok()) {
    dict_.Abort();
    spdlog::error("{}", status.ToString());
    for (auto& pending : group) pending->done.set_value(status);
    return;
  }
  dict_.Commit();
  bool want_seal = false;
  if (!accepted.empty()) {
    next_seq_ = seq + 1;
    if (options_.outbox) NoteOutboxCommit(seq, accepted.size());
    std::vector<internal::RecordPackReader> readers;
    for (const std::string& page : *pages) {
      Result<internal::RecordPackReader> reader = internal::RecordPackReader::Open(page);
      assert(reader.ok());
      readers.push_back(*reader);
    }
    std::shared_ptr<const void> keep_alive = pages;
    std::unique_lock state_lock(state_mu_);
    for (size_t k = 0; k < accepted.size(); ++k) {
      accepted[k].row.record =
          readers[k / keys::kPayloadPageRows].Record(k % keys::kPayloadPageRows);
      AppendLocked(accepted[k].project, accepted[k].row, seq, keep_alive);
      pending_hashes_.Insert(accepted[k].row.hash);
    }
    for (auto& [key, block] : open_) block->Publish();
    want_seal = open_rows_ > options_.max_open_rows || !frozen_.empty();
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
  uint64_t replayed = 0;
  std::map<std::array<uint8_t, 16>, std::vector<std::array<uint8_t, 8>>> sealed_cache;
  std::unique_lock state_lock(state_mu_);
  for (it->Seek(keys::EncodePayloadKey(replay_from, 0)); it->Valid(); it->Next()) {
    if (it->key().size() != keys::kPayloadKeySize)
      return Status::Corruption("malformed payload key");
    const uint64_t seq = keys::GetU64(it->key().data());
    const uint32_t page_no = keys::GetU32(it->key().data() + 8);
    next_seq_ = std::max(next_seq_, seq + 1);
    auto pack = std::make_shared<const std::string>(it->value().data(), it->value().size());
    Result<internal::RecordPackReader> reader = internal::RecordPackReader::Open(*pack);
    if (!reader.ok()) {
      return Status::Corruption("payload page " + std::to_string(page_no) + " of commit " +
                                std::to_string(seq) + ": " + reader.status().message());
    }
    for (size_t k = 0; k < reader->count(); ++k) {
      Result<Span> span = internal::DecodeSpanRecord(reader->Record(k));
      if (!span.ok()) {
        return Status::Corruption("commit " + std::to_string(seq) + " record " + std::to_string(k) +
                                  ": " + span.status().message());
      }
      std::optional<uint32_t> project = dict_.Find(DictKind::kProject, span->project);
      if (!project) return Status::Corruption("stored span names an unknown project");
      RowData r = RowOf(*span);
      const uint32_t bucket = keys::BucketOf(r.start);
      if (bucket < cutoff) continue;
      auto st = sealed_through.find({*project, bucket});
      if (st != sealed_through.end() && seq < st->second) continue;
      // A commit can be split across two blocks of a (project, bucket) when the first fills up,
      // so rows of the sealed-through commit itself are sealed only if a sealed block holds them.
      if (st != sealed_through.end() && seq == st->second && IsSealedDuplicate(r, &sealed_cache)) {
        continue;
      }
      auto id = [&](DictKind kind, const std::string& v) -> Result<uint32_t> {
        std::optional<uint32_t> found = dict_.Find(kind, v);
        if (!found)
          return Status::Corruption("stored span uses a string missing from the dictionary");
        return *found;
      };
      Result<uint32_t> name = id(DictKind::kName, span->name);
      Result<uint32_t> model = id(DictKind::kModel, span->model_name);
      Result<uint32_t> session = id(DictKind::kSession, span->session_id);
      Result<uint32_t> user = id(DictKind::kUser, span->user_id);
      for (const auto* res : {&name, &model, &session, &user}) {
        if (!res->ok()) return res->status();
      }
      r.name = *name;
      r.model = *model;
      r.session = *session;
      r.user = *user;
      r.ref = keys::MakeRecordRef(seq, page_no * keys::kPayloadPageRows + static_cast<uint32_t>(k));
      r.record = reader->Record(k);
      AppendLocked(*project, r, seq, pack);
      pending_hashes_.Insert(r.hash);
      ++replayed;
    }
  }
  if (Status st = internal::FromRocks(it->status(), "replaying unsealed rows"); !st.ok()) return st;
  for (auto& [key, block] : open_) block->Publish();
  if (replayed > 0) spdlog::info("replayed {} unsealed spans", replayed);
  return Status::OK();
}

}  // namespace roost
