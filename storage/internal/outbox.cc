// The replication outbox: reading pending commits back as spans, acknowledging them, dead
// letters, and the figures a status route shows.
//
// An outbox entry (key = commit seq) is written in the same WriteBatch as the commit's payload
// pages, so every acknowledged span is queued. Entries at or below the persisted cursor are
// deleted in the write that moves the cursor; reads seek past the cursor, so the tombstones of
// acknowledged entries are never iterated over.

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "storage/internal/record_codec.h"
#include "storage/internal/record_pack.h"
#include "storage/internal/store_impl.h"
#include "storage/key_codec.h"

namespace roost {
namespace {

constexpr const char* kCursorKey = "outbox_cursor";
constexpr const char* kReplicatedKey = "outbox_replicated";
constexpr const char* kDeadCountKey = "outbox_dead_letters";

struct OutboxValue {
  uint32_t rows = 0;
  std::optional<int64_t> min_start;
};

Result<OutboxValue> DecodeOutboxValue(const rocksdb::Slice& v) {
  if (v.size() != 4 && v.size() != 12) return Status::Corruption("malformed outbox entry");
  OutboxValue out;
  out.rows = keys::GetU32(v.data());
  if (v.size() == 12) out.min_start = static_cast<int64_t>(keys::GetU64(v.data() + 4));
  return out;
}

Result<uint64_t> GetU64Meta(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const char* key) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), cf, key, &value);
  if (s.IsNotFound()) return uint64_t{0};
  if (!s.ok()) return internal::FromRocks(s, std::string("reading ") + key);
  if (value.size() != 8) return Status::Corruption(std::string("malformed meta value ") + key);
  return keys::GetU64(value.data());
}

std::string U64Value(uint64_t v) {
  std::string out;
  keys::PutU64(&out, v);
  return out;
}

std::string EncodeDeadLetter(const DeadLetter& d) {
  std::string out(reinterpret_cast<const char*>(d.trace_id.bytes.data()), 16);
  out.append(reinterpret_cast<const char*>(d.span_id.bytes.data()), 8);
  keys::PutU64(&out, static_cast<uint64_t>(d.at_unix_nano));
  keys::PutU32(&out, static_cast<uint32_t>(d.project.size()));
  out += d.project;
  out += d.reason;
  return out;
}

Result<DeadLetter> DecodeDeadLetter(std::string_view v) {
  constexpr size_t kFixed = 16 + 8 + 8 + 4;
  if (v.size() < kFixed) return Status::Corruption("malformed dead letter");
  DeadLetter d;
  std::memcpy(d.trace_id.bytes.data(), v.data(), 16);
  std::memcpy(d.span_id.bytes.data(), v.data() + 16, 8);
  d.at_unix_nano = static_cast<int64_t>(keys::GetU64(v.data() + 24));
  const uint32_t project_size = keys::GetU32(v.data() + 32);
  if (v.size() - kFixed < project_size) return Status::Corruption("malformed dead letter");
  d.project = std::string(v.substr(kFixed, project_size));
  d.reason = std::string(v.substr(kFixed + project_size));
  return d;
}

}  // namespace

Status SpanStore::Impl::LoadOutbox() {
  auto* meta = db_->cf(internal::kMeta);
  std::lock_guard lock(outbox_mu_);
  for (auto [key, field] :
       {std::pair{kCursorKey, &outbox_cursor_}, std::pair{kReplicatedKey, &replicated_spans_},
        std::pair{kDeadCountKey, &dead_letter_spans_}}) {
    Result<uint64_t> v = GetU64Meta(db_->db(), meta, key);
    if (!v.ok()) return v.status();
    *field = *v;
  }
  // One key per commit: counting them at start is cheap next to replaying open blocks.
  uint64_t pending = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(internal::kOutbox)));
  for (it->Seek(keys::EncodeSeqKey(outbox_cursor_ + 1)); it->Valid(); it->Next()) {
    Result<OutboxValue> v = DecodeOutboxValue(it->value());
    if (!v.ok()) return v.status();
    pending += v->rows;
  }
  if (Status s = internal::FromRocks(it->status(), "reading the outbox"); !s.ok()) return s;
  pending_spans_.store(pending);
  return UpdatePayloadKeepLocked();
}

Status SpanStore::Impl::UpdatePayloadKeepLocked() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(internal::kOutbox)));
  it->Seek(keys::EncodeSeqKey(outbox_cursor_ + 1));
  uint64_t keep_from = UINT64_MAX;
  if (it->Valid() && it->key().size() == 8) keep_from = keys::GetU64(it->key().data());
  cutoff_->keep_payload_from.store(keep_from, std::memory_order_release);
  return internal::FromRocks(it->status(), "reading the outbox");
}

void SpanStore::Impl::NoteOutboxCommit(uint64_t seq, uint64_t rows) {
  std::lock_guard lock(outbox_mu_);
  pending_spans_ += rows;
  // Under outbox_mu_, so an AckOutbox that found the outbox empty cannot overwrite this.
  uint64_t keep = cutoff_->keep_payload_from.load(std::memory_order_acquire);
  if (seq < keep) cutoff_->keep_payload_from.store(seq, std::memory_order_release);
}

Status SpanStore::Impl::ScanOutbox(
    uint64_t after_seq, size_t max_spans, const std::function<void(uint64_t)>& on_entry,
    const std::function<Status(uint64_t, internal::RecordFormat, std::string_view)>& on_record)
    const {
  rocksdb::ReadOptions ro;
  const rocksdb::Snapshot* snapshot = db_->db()->GetSnapshot();
  ro.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->cf(internal::kOutbox)));
  std::unique_ptr<rocksdb::Iterator> pages(db_->db()->NewIterator(ro, db_->cf(internal::kPayload)));
  Status status;
  size_t spans = 0;
  std::string scratch;
  for (it->Seek(keys::EncodeSeqKey(after_seq + 1)); it->Valid() && spans < max_spans; it->Next()) {
    if (it->key().size() != 8) {
      status = Status::Corruption("malformed outbox key");
      break;
    }
    const uint64_t seq = keys::GetU64(it->key().data());
    on_entry(seq);
    const std::string prefix = keys::EncodeSeqKey(seq);
    for (pages->Seek(prefix); pages->Valid() && pages->key().starts_with(prefix); pages->Next()) {
      Result<internal::RecordPackReader> reader = internal::ReadStoredPage(
          std::string_view(pages->value().data(), pages->value().size()), &scratch);
      if (!reader.ok()) {
        status = Status::Corruption("payload of commit " + std::to_string(seq) + ": " +
                                    reader.status().message());
        break;
      }
      for (size_t k = 0; k < reader->count() && status.ok(); ++k) {
        status = on_record(seq, reader->format(), reader->Record(k));
      }
      spans += reader->count();
      if (!status.ok()) break;
    }
    if (status.ok()) status = internal::FromRocks(pages->status(), "reading outbox records");
    if (!status.ok()) break;
  }
  if (status.ok()) status = internal::FromRocks(it->status(), "reading the outbox");
  pages.reset();
  it.reset();
  db_->db()->ReleaseSnapshot(snapshot);
  return status;
}

Result<std::vector<OutboxEntry>> SpanStore::Impl::ReadOutbox(uint64_t after_seq,
                                                             size_t max_spans) const {
  std::vector<OutboxEntry> out;
  const auto on_entry = [&](uint64_t seq) { out.push_back(OutboxEntry{seq, {}}); };
  Status status =
      ScanOutbox(after_seq, max_spans, on_entry,
                 [&](uint64_t seq, internal::RecordFormat format, std::string_view record) {
                   Result<Span> span = internal::DecodeRecord(format, record);
                   if (!span.ok()) {
                     return Status::Corruption("record of commit " + std::to_string(seq) + ": " +
                                               span.status().message());
                   }
                   out.back().spans.push_back(std::move(*span));
                   return Status::OK();
                 });
  if (!status.ok()) return status;
  return out;
}

Status SpanStore::Impl::ReadOutbox(uint64_t after_seq, size_t max_spans, OutboxBatch* batch) const {
  batch->last_seq = 0;
  batch->size = 0;
  const auto on_entry = [&](uint64_t seq) { batch->last_seq = seq; };
  Status status = ScanOutbox(
      after_seq, max_spans, on_entry,
      [&](uint64_t seq, internal::RecordFormat format, std::string_view record) {
        if (batch->size == batch->spans.size()) batch->spans.emplace_back();
        Status s = internal::DecodeRecordInto(format, record, &batch->spans[batch->size]);
        if (!s.ok()) {
          return Status::Corruption("record of commit " + std::to_string(seq) + ": " + s.message());
        }
        ++batch->size;
        return Status::OK();
      });
  if (!status.ok()) {
    batch->last_seq = 0;
    batch->size = 0;
  }
  return status;
}

Status SpanStore::Impl::AckOutbox(uint64_t through_seq,
                                  const std::vector<DeadLetter>& dead_letters) {
  if (db_->read_only()) return Status::Unavailable("store is open read-only");
  std::lock_guard lock(outbox_mu_);
  if (through_seq < outbox_cursor_) {
    return Status::InvalidArgument("outbox acknowledgement " + std::to_string(through_seq) +
                                   " is below the cursor " + std::to_string(outbox_cursor_));
  }
  rocksdb::WriteBatch batch;
  uint64_t rows = 0;
  {
    rocksdb::ReadOptions ro;
    const std::string upper = keys::EncodeSeqKey(through_seq + 1);
    rocksdb::Slice upper_slice(upper);
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->cf(internal::kOutbox)));
    for (it->Seek(keys::EncodeSeqKey(outbox_cursor_ + 1)); it->Valid(); it->Next()) {
      Result<OutboxValue> v = DecodeOutboxValue(it->value());
      if (!v.ok()) return v.status();
      rows += v->rows;
      batch.Delete(db_->cf(internal::kOutbox), it->key()).PermitUncheckedError();
    }
    if (Status s = internal::FromRocks(it->status(), "reading the outbox"); !s.ok()) return s;
  }
  auto* meta = db_->cf(internal::kMeta);
  for (size_t i = 0; i < dead_letters.size(); ++i) {
    batch
        .Put(meta, keys::EncodeDeadLetterKey(dead_letter_spans_ + i),
             EncodeDeadLetter(dead_letters[i]))
        .PermitUncheckedError();
  }
  const uint64_t dead = std::min<uint64_t>(dead_letters.size(), rows);
  batch.Put(meta, kCursorKey, U64Value(through_seq)).PermitUncheckedError();
  batch.Put(meta, kReplicatedKey, U64Value(replicated_spans_ + rows - dead)).PermitUncheckedError();
  batch.Put(meta, kDeadCountKey, U64Value(dead_letter_spans_ + dead_letters.size()))
      .PermitUncheckedError();
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  if (Status s = db_->Write(wo, &batch, "acknowledging the outbox"); !s.ok()) {
    return s;
  }
  outbox_cursor_ = through_seq;
  replicated_spans_ += rows - dead;
  dead_letter_spans_ += dead_letters.size();
  pending_spans_ -= std::min(rows, pending_spans_.load());
  return UpdatePayloadKeepLocked();
}

OutboxStats SpanStore::Impl::GetOutboxStats() const {
  OutboxStats stats;
  {
    std::lock_guard lock(outbox_mu_);
    stats.cursor = outbox_cursor_;
    stats.replicated_spans = replicated_spans_;
    stats.dead_letter_spans = dead_letter_spans_;
  }
  stats.pending_spans = pending_spans_.load();
  stats.pending_spans_kept_past_retention = pending_kept_.load();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(internal::kOutbox)));
  it->Seek(keys::EncodeSeqKey(stats.cursor + 1));
  if (it->Valid()) {
    Result<OutboxValue> v = DecodeOutboxValue(it->value());
    if (v.ok()) stats.oldest_pending_unix_nano = v->min_start;
  }
  return stats;
}

Result<std::vector<DeadLetter>> SpanStore::Impl::ListDeadLetters(size_t limit) const {
  std::vector<DeadLetter> out;
  const std::string prefix = keys::kDeadLetterPrefix;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(internal::kMeta)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && out.size() < limit;
       it->Next()) {
    Result<DeadLetter> d =
        DecodeDeadLetter(std::string_view(it->value().data(), it->value().size()));
    if (!d.ok()) return d.status();
    out.push_back(std::move(*d));
  }
  if (Status s = internal::FromRocks(it->status(), "reading dead letters"); !s.ok()) return s;
  return out;
}

Result<uint64_t> SpanStore::Impl::PendingSpansBefore(uint32_t cutoff) const {
  uint64_t cursor = 0;
  {
    std::lock_guard lock(outbox_mu_);
    cursor = outbox_cursor_;
  }
  uint64_t spans = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(internal::kOutbox)));
  for (it->Seek(keys::EncodeSeqKey(cursor + 1)); it->Valid(); it->Next()) {
    Result<OutboxValue> v = DecodeOutboxValue(it->value());
    if (!v.ok()) return v.status();
    // Entries without a start time are counted: their age is unknown.
    if (!v->min_start || keys::BucketOf(*v->min_start) < cutoff) spans += v->rows;
  }
  if (Status s = internal::FromRocks(it->status(), "reading the outbox"); !s.ok()) return s;
  return spans;
}

}  // namespace roost
