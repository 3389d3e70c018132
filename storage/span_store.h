#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/column_view.h"
#include "storage/result.h"
#include "storage/rollup.h"
#include "storage/span.h"

namespace rocksdb {
class FileSystem;
}  // namespace rocksdb

namespace roost {

struct StoreOptions {
  // The data directory; created when missing (with its parents).
  std::string path;
  // fsync the WAL on every group commit (power-loss safety). Without it an acknowledged write
  // survives a process crash at once, and a power cut once the WAL is next synced: at least
  // every `wal_sync_interval` (by the next commit, or by a write of its own when none comes)
  // and at a clean close. 0: only at close (the kernel writes the rest back in its own time).
  bool sync = false;
  std::chrono::milliseconds wal_sync_interval{1000};
  // Keep spans whose start is within this long of now; 0 keeps everything forever.
  std::chrono::seconds retention{0};
  // Fill the replication outbox in the same atomic write as the spans.
  bool outbox = false;
  // Open for reading only (queries while another process writes, or after it stopped).
  bool read_only = false;
  // Seal an open block when it holds this many rows.
  size_t max_block_rows = 65536;
  // Seal the oldest open blocks while the open rows exceed this many (bounds memory).
  size_t max_open_rows = 1 << 18;
  // And while the payload pages that open blocks hold in memory (their rows' records, uncompressed)
  // exceed this many bytes. A page is held while any open block has a row in it, so a project
  // with a steady trickle of spans, whose block never fills up or goes idle, would otherwise keep
  // every page its rows landed in, whatever else those pages hold.
  size_t max_open_page_bytes = size_t{256} << 20;
  // Seal an open block nobody wrote to for this long.
  std::chrono::milliseconds seal_idle{std::chrono::seconds(2)};
  // Run sealing in a background thread; when off, only Flush() seals (tests).
  bool background_sealing = true;
  // Group commit bounds: spans per commit, and how many spans may wait in the queue before Write
  // returns kUnavailable (load shedding).
  size_t max_commit_spans = 32768;
  size_t max_queued_spans = 262144;
  // RocksDB block cache, and the cache of decoded column chunks that warm scans read.
  size_t block_cache_bytes = size_t{256} << 20;
  size_t column_cache_bytes = size_t{512} << 20;
  // zstd level of payload pages (the full span records), compressed by the writing threads.
  // Higher is smaller on disk and slower to write; 1-3 keeps ingest fast. Since records refer to
  // typed fields instead of repeating them, 2 stores 3% fewer bytes than 1 for ~20% more
  // compression time (bench/RESULTS.md, BM_PageCompression).
  int page_compression_level = 1;
  // RocksDB flushes and compactions write their files with O_DIRECT, from RocksDB's own reused
  // buffers, instead of copying every byte into the page cache (where fresh pages can cost more
  // than the copy: half of `roost gen`'s kernel time on the project's VM, bench/RESULTS.md). Used
  // only when a probe at open finds that the data dir's filesystem takes O_DIRECT writes (tmpfs,
  // for one, does not); StoreStats::direct_writes says which. The WAL is written as before.
  bool direct_writes = true;
  SpanLimits limits;
  // The filesystem RocksDB reads and writes the data dir through; null is the operating
  // system's. Tests put a fault-injecting one here (a disk that fills up and frees again).
  std::shared_ptr<rocksdb::FileSystem> file_system;
};

// One span refused by Write, with the reason.
struct RejectedSpan {
  size_t index = 0;  // position in the batch given to Write
  std::string reason;
};

struct WriteResult {
  uint64_t stored = 0;
  uint64_t duplicates = 0;
  std::vector<RejectedSpan> rejected;
};

// What Scan reads.
struct ScanRequest {
  std::string project = "default";
  int64_t from_unix_nano = std::numeric_limits<int64_t>::min();  // inclusive, on start time
  int64_t to_unix_nano = std::numeric_limits<int64_t>::max();    // exclusive
  ColumnSet columns;
  // Reads only the blocks of shard `shard` of `shards` (a fixed partition of the blocks of one
  // ReadSnapshot), so that several threads can share one scan. REQUIRES: shard < shards.
  uint32_t shard = 0;
  uint32_t shards = 1;
  // ScanRollups only: when > 0, a block's rollup is used only if all its rows fall in one slot
  // [k * rollup_granularity, (k + 1) * rollup_granularity) (time buckets of a query's step).
  int64_t rollup_granularity = 0;
  // ScanRollups only: when set, a block whose rollup it returns false for goes to `on_rows`
  // like a block without one (e.g. a rollup lacking figures the query needs). Called on the
  // scanning thread.
  std::function<bool(const BlockRollup&)> accept_rollup = nullptr;
};

// A consistent point-in-time view of the store: every read through the same snapshot sees the
// same spans (e.g. the shards of one parallel query). Holds a RocksDB snapshot and the open
// blocks of the moment: keep it only for the duration of a query, and never past the store.
class ReadSnapshot;

struct SessionSummary {
  std::string session_id;
  uint64_t span_count = 0;
  uint64_t trace_count = 0;
  int64_t first_start = 0;
  int64_t last_start = 0;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t total_tokens = 0;
  int64_t cost_micros = 0;  // sum of `llm.cost.total` carried by the spans
  uint64_t error_count = 0;
};

struct ProjectSummary {
  std::string name;
  uint64_t span_count = 0;
  int64_t first_start = 0;
  int64_t last_start = 0;
};

struct RetentionResult {
  uint32_t cutoff_bucket = 0;  // hour buckets below this were removed
  uint64_t blocks_removed = 0;
  uint64_t open_rows_dropped = 0;
  // Spans of expired hours whose records were kept because they still wait in the replication
  // outbox (counted per commit: every span of a pending commit holding an expired span).
  uint64_t pending_spans_kept = 0;
  // Session and user ids no stored row uses any more, deleted from the dictionary.
  uint64_t strings_removed = 0;
};

// One group commit read back from the replication outbox: its spans, in arrival order.
struct OutboxEntry {
  uint64_t seq = 0;  // commit sequence number; increases with every commit
  std::vector<Span> spans;
};

// Outbox entries read into memory kept from one read to the next (SpanStore::ReadOutbox with a
// batch): a replicator reading batch after batch into the same OutboxBatch allocates next to
// nothing once the first few batches have sized it.
struct OutboxBatch {
  uint64_t last_seq = 0;    // the newest commit read; 0 when nothing was pending
  size_t size = 0;          // spans[0, size) are the spans read, oldest commit first
  std::vector<Span> spans;  // elements past `size` are spare, kept for their memory
  std::span<const Span> view() const { return {spans.data(), size}; }
};

// A span replication gave up on (Phoenix refused it), kept with the reason.
struct DeadLetter {
  TraceId trace_id;
  SpanId span_id;
  std::string project;
  std::string reason;
  int64_t at_unix_nano = 0;  // when it was set aside
};

// The replication queue at a glance. Cheap: no scan (one seek for the oldest entry).
struct OutboxStats {
  uint64_t cursor = 0;             // every commit <= cursor is acknowledged
  uint64_t pending_spans = 0;      // spans in outbox entries after the cursor
  uint64_t replicated_spans = 0;   // acknowledged and delivered, over the store's life
  uint64_t dead_letter_spans = 0;  // acknowledged but set aside, over the store's life
  // The earliest start time among the spans of the oldest pending commit; nullopt when none.
  std::optional<int64_t> oldest_pending_unix_nano;
  // From the last ApplyRetention: spans kept past retention because still pending.
  uint64_t pending_spans_kept_past_retention = 0;
};

struct StoreStats {
  uint64_t open_rows = 0;
  // Bytes of the payload pages (uncompressed) of commits that open blocks may still hold rows of
  // (StoreOptions::max_open_page_bytes).
  uint64_t open_page_bytes = 0;
  uint64_t open_blocks = 0;
  uint64_t sealed_blocks = 0;  // blocks sealed by this process
  uint64_t sealed_rows = 0;
  uint64_t committed_spans = 0;
  uint64_t duplicate_spans = 0;
  uint64_t rejected_spans = 0;
  uint64_t queued_spans = 0;  // waiting in the write queue for their group commit
  // Strings in the dictionaries (projects, span names, models, sessions, users), all in memory.
  uint64_t dictionary_strings = 0;
  // Bytes in RocksDB's live SST files (memtables not included; Compact() first for a figure):
  uint64_t live_data_bytes = 0;  // everything
  uint64_t column_bytes = 0;     // column chunks and block metas (what analytic scans read)
  uint64_t record_bytes = 0;     // full span records (payload pages)
  uint64_t index_bytes = 0;      // trace and session indexes, aggregates, dictionaries
  uint64_t outbox_bytes = 0;     // replication queue
  // Whether flushes and compactions write with O_DIRECT (StoreOptions::direct_writes).
  bool direct_writes = false;
  // Empty while writes work; while RocksDB refuses them (a full disk, until it finds space
  // again), the error that stopped them.
  std::string writes_stopped;
};

// How SpanStore::Write treats a batch.
struct WriteOptions {
  // Every span of the batch already passed ValidateSpan under this store's limits(), its strings
  // checked for UTF-8 there or by the reader they came from (Utf8Check::kAlreadyChecked): the
  // store does not validate them again. The OTLP decoders validate as they decode, to name a
  // rejected span by its place in the request; this spares the second pass. The retention
  // check still applies.
  bool validated = false;
};

// The span store: durable, idempotent on (trace id, span id), columnar. A thin facade over the
// writer (group commit), the sealer (open blocks -> column blocks) and the readers.
// Thread-safe: every method may be called from any thread.
class SpanStore {
 public:
  // Opens or creates the store at options.path. kUnavailable when another process holds it,
  // kInvalidArgument for a data dir of a newer format, kIOError/kCorruption otherwise.
  static Result<std::unique_ptr<SpanStore>> Open(const StoreOptions& options);

  // Stops the background threads; everything acknowledged is already durable.
  ~SpanStore();
  SpanStore(const SpanStore&) = delete;
  SpanStore& operator=(const SpanStore&) = delete;

  // Stores `spans` atomically and durably (in the WAL, fsynced with options.sync) before it
  // returns; invalid spans are rejected one by one with a reason, the rest stored. A span whose
  // (trace id, span id) is already stored, or appears earlier in the batch, counts as a duplicate
  // and is not stored again. Concurrent calls are group-committed by one writer thread.
  // kUnavailable when the queue is full (retry later) or the store is read-only or closing;
  // kInvalidArgument for a batch of 2^24 spans or more; kIOError when the commit failed
  // (nothing of the batch is stored).
  Result<WriteResult> Write(std::vector<Span> spans, const WriteOptions& options = {});

  // The limits Write validates spans against (StoreOptions::limits).
  const SpanLimits& limits() const;

  // Seals every open block and waits for it. Queries give the same answers before and after.
  Status Flush();

  // Calls `fn` for runs of rows of `request.project` whose start may lie in the requested range
  // (rows outside it can appear: filter on view.start), with the requested columns filled. Sees
  // every span whose Write returned before the call. Stops at the first non-OK `fn` result and
  // returns it. kCorruption naming the block when stored data fails verification.
  Status Scan(const ScanRequest& request, const std::function<Status(const ColumnView&)>& fn) const;

  // A snapshot for Scan and ScanRollups calls that must see the same spans. Thread-safe.
  std::shared_ptr<const ReadSnapshot> Snapshot() const;

  // Scan at `snapshot` (which must come from this store's Snapshot()).
  Status Scan(const ReadSnapshot& snapshot, const ScanRequest& request,
              const std::function<Status(const ColumnView&)>& fn) const;

  // Like Scan at `snapshot`, but a sealed block that has a rollup and whose rows all start in
  // [from, to) is given whole to `on_rollup` instead of row by row to `on_rows`; every other run
  // of rows (open blocks, blocks at the edges of the range, blocks without a rollup) goes to
  // `on_rows` with request.columns filled, as Scan would. Each row is covered exactly once, by a
  // rollup cell or by a row. So figures from rollups take time in proportion to blocks, not rows.
  Status ScanRollups(const ReadSnapshot& snapshot, const ScanRequest& request,
                     const std::function<Status(const ColumnView&)>& on_rows,
                     const std::function<Status(const BlockRollup&)>& on_rollup) const;

  // Reads whole spans for the given rows of a view, the i-th span being row rows[i]. REQUIRES:
  // called inside the Scan callback that received `view` (the view must still be valid).
  Result<std::vector<Span>> ReadSpans(const ColumnView& view,
                                      const std::vector<uint32_t>& rows) const;

  // Every span of a trace (any project), in start order. kNotFound when none is stored.
  Result<std::vector<Span>> GetTrace(const TraceId& trace_id) const;

  // A session's spans in start order; empty when unknown.
  Result<std::vector<Span>> GetSession(std::string_view project, std::string_view session_id) const;

  // Every session of a project with its totals, most recent activity first.
  Result<std::vector<SessionSummary>> ListSessions(std::string_view project) const;

  // Every project with its span count and time range, by name.
  Result<std::vector<ProjectSummary>> ListProjects() const;

  // The string behind a dictionary id from a ColumnView; "" for 0; kNotFound when unknown.
  Result<std::string> DictionaryString(DictKind kind, uint32_t id) const;
  // The id of a string; kNotFound when the store has never seen it.
  Result<uint32_t> DictionaryId(DictKind kind, std::string_view value) const;

  // Removes every hour bucket that ended before now - options.retention (blocks, records, index
  // entries, aggregates) and compacts to reclaim the space. No-op without a retention setting.
  Result<RetentionResult> ApplyRetention(int64_t now_unix_nano);

  StoreStats Stats() const;

  // Replication outbox (filled when StoreOptions::outbox is set). One reader at a time.
  //
  // The outbox entries after `after_seq`, oldest first, with their spans read back from the
  // stored records; stops once `max_spans` spans are collected (always returns at least one whole
  // entry when any is pending, whatever its size). Empty when nothing is pending. kCorruption
  // naming the commit when its records fail verification.
  Result<std::vector<OutboxEntry>> ReadOutbox(uint64_t after_seq, size_t max_spans) const;

  // The same commits, their spans decoded into `batch` (replacing what it held, reusing the
  // memory of its spans). On error `batch` is left with no spans.
  [[nodiscard]] Status ReadOutbox(uint64_t after_seq, size_t max_spans, OutboxBatch* batch) const;

  // Acknowledges every outbox entry through `through_seq`: in one atomic write, persists the
  // cursor, deletes those entries, adds their spans to the replicated count (minus
  // `dead_letters`) and stores `dead_letters`. Records stay (they are the span store); retention
  // may now remove them. kInvalidArgument when `through_seq` is below the cursor;
  // kUnavailable when read-only.
  Status AckOutbox(uint64_t through_seq, const std::vector<DeadLetter>& dead_letters);

  OutboxStats GetOutboxStats() const;

  // Up to `limit` dead letters, oldest first.
  Result<std::vector<DeadLetter>> ListDeadLetters(size_t limit) const;

  // Writes memtables out and compacts every family fully (space figures, maintenance). Slow.
  Status Compact();

  class Impl;

 private:
  explicit SpanStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace roost
