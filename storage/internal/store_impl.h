#pragma once

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <rocksdb/db.h>

#include "storage/internal/block_reader.h"
#include "storage/internal/block_sealer.h"
#include "storage/internal/column_cache.h"
#include "storage/internal/dictionary.h"
#include "storage/internal/open_block.h"
#include "storage/internal/record_codec.h"
#include "storage/internal/store_db.h"
#include "storage/internal/u64_hash_set.h"
#include "storage/span_store.h"

namespace roost {

// One span ready for the writer: validated by the calling thread, its record encoded into one of
// the caller's pages.
struct PreparedRow {
  internal::RowData row;  // dictionary ids not yet assigned
  std::string project, name, model, session, user;
  size_t index = 0;   // position in the caller's batch
  uint32_t page = 0;  // PendingWrite::pages[page] holds its record...
  uint32_t slot = 0;  // ...as record number `slot`
};

// Up to keys::kPayloadPageRows records packed, and compressed, by the calling thread.
struct CallerPage {
  std::shared_ptr<const std::string> pack;
  std::string stored;  // CompressPack(pack); empty when the caller left it to the writer
  uint32_t rows = 0;
};

// One Write call waiting for the writer thread.
struct PendingWrite {
  std::vector<PreparedRow> rows;
  std::vector<CallerPage> pages;
  WriteResult result;  // rejected already filled by the caller
  std::promise<Result<WriteResult>> done;
};

// A consistent read view: a RocksDB snapshot plus the open and frozen blocks (with their row
// counts) at the same instant. Sealed blocks whose number is in `skip` are still being sealed
// and are read from their frozen block instead, so no row is seen twice or missed.
struct ReadView {
  const rocksdb::Snapshot* snapshot = nullptr;
  std::vector<std::pair<std::shared_ptr<const internal::OpenBlock>, size_t>> blocks;
  std::unordered_set<uint64_t> skip;
};

// What SpanStore::Snapshot() hands out: a ReadView released when the last holder lets go.
class ReadSnapshot {
 public:
  ReadSnapshot(const SpanStore::Impl* impl, ReadView view) : impl_(impl), view_(std::move(view)) {}
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;
  const ReadView& view() const { return view_; }
  const SpanStore::Impl* impl() const { return impl_; }

 private:
  const SpanStore::Impl* impl_;
  ReadView view_;
};

class SpanStore::Impl {
 public:
  Impl(const StoreOptions& options, std::unique_ptr<internal::StoreDb> db,
       std::shared_ptr<internal::RetentionCutoff> cutoff);
  ~Impl();

  // Loads the dictionary and counters, replays unsealed rows, starts the threads.
  Status Start();

  Result<WriteResult> Write(std::vector<Span> spans, const WriteOptions& write_options);
  Status Flush();
  Status Scan(const ScanRequest& request, const std::function<Status(const ColumnView&)>& fn) const;
  std::shared_ptr<const ReadSnapshot> Snapshot() const;
  // Scan at `view`; with `on_rollup`, blocks with a rollup wholly inside the range go there.
  Status ScanView(const ReadView& view, const ScanRequest& request,
                  const std::function<Status(const ColumnView&)>& on_rows,
                  const std::function<Status(const BlockRollup&)>& on_rollup) const;
  Result<std::vector<Span>> ReadSpans(const ColumnView& view,
                                      const std::vector<uint32_t>& rows) const;
  Result<std::vector<Span>> GetTrace(const TraceId& trace_id) const;
  Result<std::vector<Span>> GetSession(std::string_view project, std::string_view session_id) const;
  Result<std::vector<SessionSummary>> ListSessions(std::string_view project) const;
  Result<std::vector<ProjectSummary>> ListProjects() const;
  Result<RetentionResult> ApplyRetention(int64_t now_unix_nano);
  StoreStats Stats() const;
  Status Compact();
  const internal::Dictionary& dictionary() const { return dict_; }
  const StoreOptions& options() const { return options_; }

  // Replication outbox (outbox.cc).
  Result<std::vector<OutboxEntry>> ReadOutbox(uint64_t after_seq, size_t max_spans) const;
  Status ReadOutbox(uint64_t after_seq, size_t max_spans, OutboxBatch* batch) const;
  // For each outbox entry after `after_seq`, in order, whole entries until `max_spans` records
  // were passed: `on_entry(seq)`, then `on_record(seq, format, record)` for each of its stored
  // records.
  Status ScanOutbox(uint64_t after_seq, size_t max_spans,
                    const std::function<void(uint64_t)>& on_entry,
                    const std::function<Status(uint64_t, internal::RecordFormat, std::string_view)>&
                        on_record) const;
  Status AckOutbox(uint64_t through_seq, const std::vector<DeadLetter>& dead_letters);
  OutboxStats GetOutboxStats() const;
  Result<std::vector<DeadLetter>> ListDeadLetters(size_t limit) const;

 private:
  using BlockKeyPair = std::pair<uint32_t, uint32_t>;  // (project, bucket)

  // Write path (write_path.cc).
  void WriterLoop();
  void Commit(std::vector<std::shared_ptr<PendingWrite>>& group);
  // Without StoreOptions::sync: whether the next commit should fsync the WAL (the oldest commit
  // not yet synced is options_.wal_sync_interval old), and an fsync'd write of nothing new, for
  // when no commit comes (WriterLoop).
  bool WalSyncDue(std::chrono::steady_clock::time_point now) const;
  void SyncWal();
  // After a commit's WAL write: it was synced (or not).
  void NoteWalWrite(bool synced);
  // What one commit (or the replay at open) learned of sealed spans, trace by trace, and the
  // trace-index iterator it looks them up with (created once: a RocksDB iterator costs more to
  // make than a seek). Sealed blocks written after the iterator was made are not seen by it, but
  // their rows stay in pending_hashes_ until the sealer takes dedupe_mu_, which a commit holds.
  struct SealedLookup {
    // Any strict order serves a lookup: two 8-byte loads instead of a call to memcmp.
    struct TraceLess {
      bool operator()(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b) const {
        uint64_t a0, a1, b0, b1;
        std::memcpy(&a0, a.data(), 8);
        std::memcpy(&b0, b.data(), 8);
        if (a0 != b0) return a0 < b0;
        std::memcpy(&a1, a.data() + 8, 8);
        std::memcpy(&b1, b.data() + 8, 8);
        return a1 < b1;
      }
    };
    using SpanIds = std::vector<std::array<uint8_t, 8>>;
    std::map<std::array<uint8_t, 16>, SpanIds, TraceLess> spans_of_trace;
    // The trace looked up last and its entry: a trace's spans usually come one after another.
    std::array<uint8_t, 16> last_trace{};
    const SpanIds* last_spans = nullptr;
    std::unique_ptr<rocksdb::Iterator> trace_index;
  };
  bool IsSealedDuplicate(const internal::RowData& row, SealedLookup* lookup);
  Status Replay();
  // A writable open gives the session and user ids of a data dir from before format version 3 a
  // last hour (the newest of any stored row), so that retention can collect them once it expires.
  Status UpgradeDictionary();
  // Deletes the session and user ids no row of hour `cutoff` or later uses (retention).
  Result<uint64_t> CollectStrings(uint32_t cutoff);
  // Appends committed rows to open blocks. REQUIRES: state_mu_ held exclusively.
  void AppendLocked(uint32_t project, const internal::RowData& row, uint64_t seq,
                    const std::shared_ptr<const void>& pack);
  // Counts `bytes` of payload pages of commit `seq` (the newest so far) as held by open blocks.
  // REQUIRES: state_mu_ held exclusively.
  void NoteOpenPagesLocked(uint64_t seq, size_t bytes);
  // Forgets the pages of commits older than every open block. REQUIRES: state_mu_ held
  // exclusively.
  void PruneOpenPagesLocked();

  // Seal path (seal_path.cc).
  void SealerLoop();
  // Freezes what is due (or everything when `all`) and seals every frozen block in order.
  // REQUIRES: seal_mu_ held.
  Status SealDueLocked(bool all);
  // A frozen block and the number it is sealed under.
  using FrozenBlock = std::pair<std::shared_ptr<internal::OpenBlock>, uint64_t>;
  // At most this many rows are sealed in one WriteBatch (unless one block holds more).
  static constexpr size_t kMaxSealBatchRows = size_t{1} << 18;
  // Seals `blocks` in one atomic WriteBatch, in order.
  Status SealBatch(std::span<const FrozenBlock> blocks);
  // REQUIRES: state_mu_ held exclusively.
  void FreezeLocked(const BlockKeyPair& key);
  Status AdvanceReplayFloor();
  Result<RetentionResult> ReclaimSpace(
      uint32_t cutoff, const std::vector<std::pair<std::string, std::string>>& removed_ranges,
      RetentionResult result);

  // Outbox (outbox.cc): loads the cursor, counters and pending count at start.
  Status LoadOutbox();
  // The writer committed outbox entry `seq` of `rows` spans.
  void NoteOutboxCommit(uint64_t seq, uint64_t rows);
  // Spans of pending commits holding a span that starts before hour bucket `cutoff`.
  Result<uint64_t> PendingSpansBefore(uint32_t cutoff) const;
  // Points the retention filter's keep_payload_from at the oldest pending entry.
  // REQUIRES: outbox_mu_ held.
  Status UpdatePayloadKeepLocked();

  ReadView TakeView() const;

 public:
  void ReleaseView(ReadView* view) const;

 private:
  const StoreOptions options_;
  const size_t max_block_rows_;  // options_.max_block_rows, capped at OpenBlock::kCapacity
  std::unique_ptr<internal::StoreDb> db_;
  std::shared_ptr<internal::RetentionCutoff> cutoff_;
  internal::Dictionary dict_;
  mutable internal::ColumnCache column_cache_;
  mutable internal::LruCache<BlockRollup> rollup_cache_;

  // The queue between Write callers and the writer thread.
  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::shared_ptr<PendingWrite>> queue_;  // guarded by queue_mu_
  size_t queued_spans_ = 0;                          // guarded by queue_mu_
  bool stopping_ = false;                            // guarded by queue_mu_

  // Hashes of every row in an open or frozen block: duplicates of not-yet-sealed spans.
  std::mutex dedupe_mu_;
  internal::U64HashSet pending_hashes_;  // guarded by dedupe_mu_
  // What retention passes removed (written by Replay, then under seal_mu_).
  std::vector<internal::RetentionMark> retention_marks_;
  uint64_t next_seq_ = 1;  // writer thread only (after Start)
  // When the oldest commit the WAL holds unsynced was written; writer thread only.
  std::optional<std::chrono::steady_clock::time_point> unsynced_since_;

  // Open blocks (accepting rows) and frozen ones (being sealed, in freeze order).
  mutable std::shared_mutex state_mu_;
  std::map<BlockKeyPair, std::shared_ptr<internal::OpenBlock>> open_;  // guarded by state_mu_
  std::deque<FrozenBlock> frozen_;                                     // guarded by state_mu_
  uint64_t next_block_ = 1;                                            // guarded by state_mu_
  size_t open_rows_ = 0;  // rows in open_ (not frozen); guarded by state_mu_
  // The payload pages' bytes of each commit from the oldest one an open block holds rows of
  // (StoreOptions::max_open_page_bytes), oldest first, and their sum; guarded by state_mu_.
  std::deque<std::pair<uint64_t, size_t>> open_page_bytes_;
  size_t open_page_bytes_total_ = 0;

  // One sealing at a time (background thread, Flush, retention).
  std::mutex seal_mu_;
  std::condition_variable seal_cv_;
  bool seal_wanted_ = false;   // guarded by queue_mu_
  uint64_t replay_floor_ = 0;  // guarded by seal_mu_

  std::atomic<uint64_t> committed_spans_{0}, duplicate_spans_{0}, rejected_spans_{0};
  std::atomic<uint64_t> sealed_blocks_{0}, sealed_rows_{0};

  // Replication outbox state. AckOutbox and the writer's NoteOutboxCommit serialize on it.
  mutable std::mutex outbox_mu_;
  uint64_t outbox_cursor_ = 0;      // guarded by outbox_mu_
  uint64_t replicated_spans_ = 0;   // guarded by outbox_mu_
  uint64_t dead_letter_spans_ = 0;  // guarded by outbox_mu_
  std::atomic<uint64_t> pending_spans_{0};
  std::atomic<uint64_t> pending_kept_{0};  // from the last retention pass

  std::thread writer_;
  std::thread sealer_;
};

}  // namespace roost
